"""The one JSON vocabulary: the words and shapes every report uses, and its version.

Every JSON document parity prints (``--format json``), and later serves, is built with
:func:`json_document`, so it starts with ``schema_version`` and ``ok``. Inside, the same
thing is always said the same way:

=================  ===========================================================
severity           ``info``, ``warn`` or ``error`` (:data:`SEVERITIES`)
an environment     its name under the key ``environment``
a moment           ISO 8601 in UTC with ``+00:00`` (:func:`iso_utc`)
a duration         seconds, under a key ending in ``_s`` (``duration_s``)
a rewrite pair     ``{"search": OLD, "replace": NEW}`` (:func:`pair_dict`)
a rewrite report   the keys of :data:`REWRITE_KEYS`
=================  ===========================================================

:data:`RETIRED_KEYS` names the keys earlier versions printed instead; the contract test
(tests/integration/test_json_output.py) fails when one comes back. Bump
:data:`SCHEMA_VERSION` only when a key is renamed or removed (adding keys is not a change
of version).

>>> json_document({"runs": []}, ok=True)
{'schema_version': 1, 'ok': True, 'runs': []}
>>> iso_utc(datetime(2026, 11, 26, 13, 36, 15, tzinfo=UTC))
'2026-11-26T13:36:15+00:00'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

__all__ = [
    "RETIRED_KEYS",
    "REWRITE_KEYS",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "Severity",
    "iso_utc",
    "json_document",
    "pair_dict",
    "vocabulary_problems",
]

#: Version of the JSON vocabulary, printed as ``schema_version`` in every document.
SCHEMA_VERSION: Final = 1

#: How serious a finding is, lowest first.
Severity = Literal["info", "warn", "error"]
SEVERITIES: Final[tuple[Severity, ...]] = ("info", "warn", "error")

#: The keys of a rewrite report (replace --env, replace --sql-file, refresh's ``rewrite``).
REWRITE_KEYS: Final = (
    "pairs",
    "occurrences",
    "values_changed",
    "by_pair",
    "by_encoding",
    "malformed",
    "not_rewritten",
)

#: Keys printed before schema_version 1 -> the key that says it now.
RETIRED_KEYS: Final[Mapping[str, str]] = {
    "seconds": "duration_s",
    "failures": "errors",
    "skipped_by_reason": "not_rewritten",
    "malformed_count": "malformed",
}


def iso_utc(moment: datetime) -> str:
    """``moment`` as ISO 8601 in UTC with ``+00:00`` (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def pair_dict(search: str, replace: str) -> dict[str, str]:
    """One search-replace pair, as every report shows it."""
    return {"search": search, "replace": replace}


def json_document(data: Mapping[str, Any], *, ok: bool) -> dict[str, Any]:
    """``data`` as a document: ``schema_version`` and ``ok`` first, then its own keys.

    ``ok`` is true exactly when the command exits 0; a report's own ``ok`` is replaced.
    """
    body = {key: value for key, value in data.items() if key not in ("schema_version", "ok")}
    return {"schema_version": SCHEMA_VERSION, "ok": ok, **body}


_LOOKS_LIKE_A_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00")


def vocabulary_problems(document: Mapping[str, Any]) -> list[str]:
    """Where ``document`` does not speak the vocabulary (empty when it does).

    Checked everywhere inside it: no retired key, severities from :data:`SEVERITIES`,
    moments as :func:`iso_utc` writes them, pairs as :func:`pair_dict` makes them, every
    rewrite report with the keys of :data:`REWRITE_KEYS`, and an environment's name
    under ``environment``.

    >>> vocabulary_problems({"schema_version": 1, "ok": True, "severity": "warning"})
    ["severity: 'warning' is not one of info, warn, error"]
    """
    problems = []
    if document.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"schema_version: {document.get('schema_version')!r}, not {SCHEMA_VERSION}")
    if not isinstance(document.get("ok"), bool):
        problems.append("ok: missing or not a boolean")
    for path, key, value in _walk(document, ""):
        where = f"{path}.{key}".lstrip(".")
        if key in RETIRED_KEYS:
            problems.append(f"{where}: a retired key, say {RETIRED_KEYS[key]!r}")
        if key == "severity" and isinstance(value, str) and value not in SEVERITIES:
            problems.append(f"{where}: {value!r} is not one of {', '.join(SEVERITIES)}")
        moment = isinstance(value, str) and _LOOKS_LIKE_A_MOMENT.match(value)
        if moment and not _MOMENT.fullmatch(value):
            problems.append(f"{where}: {value!r} is not ISO 8601 UTC with +00:00")
        if key == "pairs" and not (
            isinstance(value, list)
            and all(isinstance(p, dict) and set(p) == {"search", "replace"} for p in value)
        ):
            problems.append(f"{where}: pairs are {{search, replace}} objects")
        if isinstance(value, Mapping):
            if "by_pair" in value and not set(REWRITE_KEYS) <= set(value):
                missing = sorted(set(REWRITE_KEYS) - set(value))
                problems.append(f"{where}: a rewrite report without {missing}")
            if key in ("environments", "sites"):
                for name, item in value.items():
                    if isinstance(item, Mapping) and "environment" not in item:
                        problems.append(f"{where}.{name}: no 'environment' key")
        if key in ("environments", "sites") and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping) and "environment" not in item:
                    problems.append(f"{where}[{index}]: no 'environment' key")
    if "by_pair" in document and not set(REWRITE_KEYS) <= set(document):
        missing = sorted(set(REWRITE_KEYS) - set(document))
        problems.append(f"a rewrite report without {missing}")
    return problems


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every key of every object inside ``value``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield path, str(key), item
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
