"""Jobs declared in parity.toml: a command run once per run, and callable checks."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from parity.errors import ConfigError
from parity.jobs import (
    CallableCheck,
    CheckContext,
    CheckOutcome,
    InProcessRunner,
    Job,
    RunStatus,
)
from parity.jobs.declared import CommandWork, declared_job, declared_work
from parity.jobs.settings import DeclaredJob
from parity.store import Store

# The ledger, leases and checkpoints are the state store: test them on both backends.
pytestmark = pytest.mark.store_backends


def spec(command: list[str]) -> DeclaredJob:
    return DeclaredJob.model_validate(
        {
            "name": "touch-file",
            "owner": "ops",
            "description": "Touch a file.",
            "command": command,
            "expected": {"callable": "os.path:exists"},
            "rollback": {"note": "Delete the file.", "command": "rm marker"},
        }
    )


def always(context: CheckContext) -> CheckOutcome:
    return CheckOutcome(True, "fine")


def job_of(declaration: DeclaredJob) -> Job:
    """The declared job, with a check that needs no environment."""
    return dataclasses.replace(
        declared_job(declaration), expected=CallableCheck("ok", function=always)
    )


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_command_job_runs_on_every_run(store: Store, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    declaration = spec(python(f"open({str(marker)!r}, 'a').write('x')"))
    runner = InProcessRunner(store)
    for _ in range(2):
        record = runner.run(job_of(declaration), CommandWork(declaration, tmp_path))
        assert record.status is RunStatus.succeeded
        assert (record.items_done, record.items_skipped) == (1, 0)
    assert marker.read_text() == "xx"


def test_a_failing_command_fails_the_run(store: Store, tmp_path: Path) -> None:
    failing = spec(python("import sys; sys.exit('disk full')"))
    record = InProcessRunner(store).run(job_of(failing), CommandWork(failing, tmp_path))
    assert record.status is RunStatus.failed
    assert record.items_failed == 1
    assert record.summary == {"exit_status": 1}


def test_a_missing_program_is_a_failed_item(store: Store, tmp_path: Path) -> None:
    missing = spec(["/nonexistent/program"])
    record = InProcessRunner(store).run(job_of(missing), CommandWork(missing, tmp_path))
    assert record.status is RunStatus.failed
    assert record.items_failed == 1


def test_the_arguments_of_a_command_are_not_recorded(tmp_path: Path) -> None:
    work = CommandWork(spec(["mysqldump", "--password=s3cret"]), tmp_path)
    assert work.parameters() == {"program": "mysqldump", "arguments": 1}


def test_a_callable_check_is_imported_by_its_dotted_name() -> None:
    context = CheckContext(None, None, 1)  # type: ignore[arg-type]
    outcome = CallableCheck("is the context truthy", dotted="builtins:bool").evaluate(context)
    assert outcome == CheckOutcome(True, "is the context truthy: yes")
    with pytest.raises(ConfigError, match="no function 'nope'"):
        CallableCheck("x", dotted="os.path:nope").evaluate(context)
    with pytest.raises(ConfigError, match="cannot import 'no_such_module'"):
        CallableCheck("x", dotted="no_such_module:f").evaluate(context)


def test_a_callable_job_must_return_a_work() -> None:
    declaration = DeclaredJob.model_validate(
        {
            "name": "weird",
            "owner": "ops",
            "description": "d",
            "callable": "builtins:str",
            "expected": {"callable": "os.path:exists"},
            "rollback": {"note": "n"},
        }
    )
    with pytest.raises(ConfigError, match=r"must return a parity\.jobs\.Work"):
        declared_work(declaration, None)
