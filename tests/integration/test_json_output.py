"""The JSON that read-only commands print has the top-level keys docs/json-output.md lists,
and speaks the one vocabulary (parity.vocabulary) all the way down.

Each command runs for real (``parity ... --format json`` in a subprocess) against the
session's sandbox; its stdout must be one JSON object whose top-level keys are exactly
those on the ``Top-level keys:`` line under the command's heading. A key the code adds
without documenting it fails too: the JSON is "stable and documented". Every document
carries ``schema_version`` and ``ok`` (true exactly when the exit code is 0); inside it,
no retired key, one set of severities, one timestamp format, one pair shape, one rewrite
report shape (``vocabulary_problems``).

Nothing here writes to a database: ``replace`` is a dry run on staging; ``snapshot`` and
``measure`` write only to parity's own state store, kept in this module's temporary
directory by running on a copy of the sandbox's parity.toml.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import typer.main

from parity.cli.main import app
from parity.sandbox import Sandbox
from parity.vocabulary import SCHEMA_VERSION, vocabulary_problems

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"

_HEADING = re.compile(r"^#{2,3} (?P<title>.+?)\s*$")
_KEYS_LINE = re.compile(r"^Top-level keys: (?P<keys>.+)$")


def documented_keys() -> dict[str, list[str]]:
    """Heading -> the keys of its ``Top-level keys:`` line (headings without one are left out)."""
    sections: dict[str, list[str]] = {}
    title: str | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if heading := _HEADING.match(line):
            title = heading["title"]
        elif (keys := _KEYS_LINE.match(line)) and title is not None:
            assert title not in sections, f"two 'Top-level keys:' lines under ## {title}"
            sections[title] = re.findall(r"`([^`]+)`", keys["keys"])
    return sections


# heading in docs/json-output.md, the command's arguments ({staging_url} and {state_dir}
# filled in), the exit codes it may end with (1: a check found something, JSON printed).
CASES: list[tuple[str, tuple[str, ...], set[int]]] = [
    ("doctor", ("doctor",), {0}),
    ("config show", ("config", "show"), {0}),
    (
        "replace --env",
        ("replace", "{staging_url}", "https://json-output.test", "--env", "staging", "--dry-run"),
        {0},
    ),
    ("snapshot", ("snapshot", "staging"), {0}),
    ("drift", ("drift", "production", "staging"), {0, 1}),
    ("cron", ("cron", "staging"), {0, 1}),
    ("cache test", ("cache", "test"), {0}),
    ("cache verify", ("cache", "verify", "staging", "--route", "/", "--no-examples"), {0, 1}),
    ("measure", ("measure", "staging", "/", "--samples", "3"), {0}),
    ("jobs list", ("jobs", "list"), {0}),
    ("sandbox status", ("sandbox", "status", "--state-dir", "{state_dir}"), {0}),
    (
        "replace --sql-file",
        ("replace", "http://a.test", "https://b.test", "--sql-file", "{dump}", "--dry-run"),
        {0},
    ),
    ("content synth", ("content", "synth", "-n", "2", "--jsonl", "{tmp}/articles.jsonl"), {0}),
    ("jobs history", ("jobs", "history"), {0}),
    ("media verify", ("media", "verify", "staging", "--pages", "2"), {0, 1}),
    ("media sync", ("media", "sync", "--from", "production", "--to", "staging", "--dry-run"), {0}),
    ("media proxy", ("media", "proxy", "staging", "--from", "production"), {0}),
]


@pytest.fixture(scope="module")
def config(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sandbox's parity.toml: the state store then lives beside the copy."""
    copy = tmp_path_factory.mktemp("json-output") / "parity.toml"
    shutil.copyfile(sandbox.config_path, copy)
    return copy


@pytest.fixture(scope="module")
def secrets(config: Path) -> list[str]:
    """The passwords in the sandbox's config: none may appear in any output."""
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    found = []
    for env in data["environments"].values():
        found.append(env["login"]["password"])
        found.append(unquote(urlsplit(env["db"]).password or ""))
    assert all(found), "the sandbox's config has no passwords to look for"
    return found


def test_every_documented_section_lists_keys() -> None:
    documented = documented_keys()
    for title, *_ in CASES:
        assert documented.get(title), f"docs/json-output.md: no 'Top-level keys:' under {title}"


def test_every_command_with_format_has_a_section() -> None:
    """A new command (or sub-command) taking --format gets its section in the page."""
    documented = documented_keys()

    def walk(command: Any, name: str) -> list[str]:
        found = [name] if any(p.name == "format" for p in command.params) else []
        for sub_name, sub in sorted(getattr(command, "commands", {}).items()):
            if sub.hidden:  # e.g. `measure time`, documented as `## measure`, its default
                continue
            found += walk(sub, f"{name} {sub_name}".strip())
        return found

    for name in walk(typer.main.get_command(app), ""):
        if name == "replace":
            assert {"replace --env", "replace --sql-file"} <= documented.keys()
        else:
            assert name in documented, f"docs/json-output.md has no '## {name}' with its keys"


@pytest.mark.parametrize(("title", "args", "codes"), CASES, ids=[title for title, *_ in CASES])
def test_json_has_the_documented_top_level_keys(
    run_parity: Any,
    sandbox: Sandbox,
    config: Path,
    secrets: list[str],
    title: str,
    args: tuple[str, ...],
    codes: set[int],
) -> None:
    dump = config.parent / "dump.sql"
    dump.write_text(
        "INSERT INTO `wp_options` VALUES (1,'home','http://a.test/x','yes');\n", encoding="utf-8"
    )
    values = {
        "staging_url": sandbox.urls["staging"],
        "state_dir": str(sandbox.state_dir),
        "dump": str(dump),
        "tmp": str(config.parent),
    }
    argv = [arg.format(**values) for arg in args]
    done = run_parity("--config", str(config), *argv, "--format", "json", timeout=60)
    assert done.returncode in codes, (
        f"parity {' '.join(argv)}: exit {done.returncode}\n{done.stderr}"
    )
    data = json.loads(done.stdout)  # stdout is the JSON object and nothing else
    assert isinstance(data, dict)

    expected = documented_keys()[title]
    missing = [key for key in expected if key not in data]
    undocumented = [key for key in data if key not in expected]
    assert not missing, f"{title}: documented keys missing from the output: {missing}"
    assert not undocumented, f"{title}: keys not in docs/json-output.md: {undocumented}"
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["ok"] is (done.returncode == 0), f"{title}: ok says otherwise than the exit code"
    assert vocabulary_problems(data) == [], f"{title} does not speak the vocabulary"
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr, f"{title} printed a secret"
