"""What ``parity media`` reports: sizes and counts of the referenced set, in one shape.

A :class:`MediaReport` says, for one target and its source, how many referenced files
(and bytes) there are, how many the target already has, how many it lacked, how many
were copied or are served through the proxy, which ones the source lacks too (listed,
never fatal), and which failed. ``parity media sync``, ``parity media proxy --apply`` and
``parity refresh --media`` all print it. :class:`VerifyReport` is what ``parity media
verify`` found on the pages it crawled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EXAMPLES",
    "BrokenAsset",
    "FailedFile",
    "MediaReport",
    "MissingFile",
    "Tally",
    "VerifyReport",
]

#: How many missing or failed files a report lists (the counts are always complete).
EXAMPLES = 200


@dataclass
class Tally:
    """A number of files and their bytes."""

    files: int = 0
    bytes: int = 0

    def add(self, size: int) -> None:
        """Count one more file of ``size`` bytes (a negative size: unknown, not added)."""
        self.files += 1
        self.bytes += max(size, 0)

    def as_dict(self) -> dict[str, int]:
        """``{files, bytes}``."""
        return {"files": self.files, "bytes": self.bytes}


@dataclass(frozen=True)
class MissingFile:
    """A referenced file that neither the source nor the target has."""

    path: str
    referenced_by: str

    def as_dict(self) -> dict[str, str]:
        """``{path, referenced_by}``."""
        return {"path": self.path, "referenced_by": self.referenced_by}


@dataclass(frozen=True)
class FailedFile:
    """A file that could not be copied, and why."""

    path: str
    error: str

    def as_dict(self) -> dict[str, str]:
        """``{path, error}``."""
        return {"path": self.path, "error": self.error}


@dataclass
class MediaReport:
    """What a sync (``mode`` ``sync``) or a proxy (``mode`` ``proxy``) did for ``target``."""

    mode: str
    source: str
    target: str
    via: str
    dry_run: bool = False
    referenced: Tally = field(default_factory=Tally)
    by_kind: dict[str, int] = field(default_factory=dict)
    present: Tally = field(default_factory=Tally)
    lacking: Tally = field(default_factory=Tally)
    copied: Tally = field(default_factory=Tally)
    proxied: Tally = field(default_factory=Tally)
    missing: list[MissingFile] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    run_id: int | None = None
    resumed_from: int | None = None
    cleaned_partials: int = 0
    purged: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """No file failed (files the source lacks are reported, not failures)."""
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON form (see docs/json-output.md, ``media sync``)."""
        return {
            "mode": self.mode,
            "dry_run": self.dry_run,
            "source": self.source,
            "target": self.target,
            "via": self.via,
            "run_id": self.run_id,
            "resumed_from": self.resumed_from,
            "duration_s": round(self.seconds, 3),
            "referenced": {**self.referenced.as_dict(), "by_kind": dict(self.by_kind)},
            "present": self.present.as_dict(),
            "lacking": self.lacking.as_dict(),
            "copied": self.copied.as_dict(),
            "proxied": self.proxied.as_dict(),
            "missing_on_source": {
                "files": len(self.missing),
                "list": [m.as_dict() for m in self.missing[:EXAMPLES]],
            },
            "failed": {
                "files": len(self.failed),
                "list": [f.as_dict() for f in self.failed[:EXAMPLES]],
            },
            "cleaned_partials": self.cleaned_partials,
            "purged": self.purged,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class BrokenAsset:
    """An image (or linked upload) of a page that does not answer as an image should."""

    url: str
    page: str
    kind: str  # img, srcset, source, link
    status: int | None
    content_type: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        """``{url, page, kind, status, content_type, problem}``."""
        return {
            "url": self.url,
            "page": self.page,
            "kind": self.kind,
            "status": self.status,
            "content_type": self.content_type,
            "problem": self.problem,
        }


@dataclass
class VerifyReport:
    """What ``parity media verify`` crawled and found."""

    environment: str
    pages: list[str] = field(default_factory=list)
    checked: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    broken: list[BrokenAsset] = field(default_factory=list)
    elsewhere: dict[str, int] = field(default_factory=dict)
    page_errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing broken."""
        return not self.broken

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON form (see docs/json-output.md, ``media verify``)."""
        return {
            "environment": self.environment,
            "duration_s": round(self.seconds, 3),
            "pages": list(self.pages),
            "checked": self.checked,
            "by_kind": dict(sorted(self.by_kind.items())),
            "broken": [b.as_dict() for b in self.broken],
            "elsewhere": dict(sorted(self.elsewhere.items())),
            "page_errors": list(self.page_errors),
        }
