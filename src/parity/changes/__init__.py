"""Change records: baseline, one change, purge only what it touched, compare, roll back.

Pure parts, exported here: the ``--expect`` parser and evaluator
(:mod:`~parity.changes.expect`), the record and the verdict (:mod:`~parity.changes.model`),
the read-only check of ``--query`` and the reading of its plan
(:mod:`~parity.changes.query`), the runbook's checklist with its evidence
(:mod:`~parity.changes.checklist`) and the Markdown of a record
(:mod:`~parity.changes.render`). The service that reaches the environment
(:mod:`parity.changes.service`), the store rows (:mod:`parity.changes.records`) and the
command runner (:mod:`parity.changes.shell`) are imported from their modules.

>>> [str(e) for e in parse_expectations(["median -20%", "command exit 0"])]
['median -20%', 'command exit 0']
"""

from __future__ import annotations

from parity.changes.checklist import CHECKLIST, ChecklistItem, checklist
from parity.changes.expect import (
    Expectation,
    ExpectationResult,
    evaluate,
    parse_expectation,
    parse_expectations,
)
from parity.changes.model import (
    ChangeCheck,
    ChangeRecord,
    ChangeStatus,
    CheckKind,
    one_variable_warning,
    things_changed,
    verdict_of,
)
from parity.changes.query import check_select, plan_figures
from parity.changes.render import markdown_record

__all__ = [
    "CHECKLIST",
    "ChangeCheck",
    "ChangeRecord",
    "ChangeStatus",
    "CheckKind",
    "ChecklistItem",
    "Expectation",
    "ExpectationResult",
    "check_select",
    "checklist",
    "evaluate",
    "markdown_record",
    "one_variable_warning",
    "parse_expectation",
    "parse_expectations",
    "plan_figures",
    "things_changed",
    "verdict_of",
]
