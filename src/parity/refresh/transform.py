"""What happens to each row on its way from the source to the shadow table. Pure code.

For one table: URLs rewritten in every text column (the rewrite engine keeps serialized
lengths right), personal data scrubbed, prefix-bearing names mapped. Rows arrive and leave
as tuples of bytes; a row nothing changes is passed on as the same object, so the common
case costs one scan per value for the rewrite engine's anchors.

Running totals (:class:`TableStats`) are plain numbers so a checkpoint can store them and a
resumed run can continue them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.errors import MalformedPhpValue
from parity.refresh.plan import TablePlan
from parity.refresh.prefix import PrefixMapper
from parity.refresh.scrub import ScrubContext, compile_table_rules
from parity.rewrite import Rewriter
from parity.rewrite.native import Parse, default_engine, parser_for
from parity.wordpress.phpvalue import looks_serialized

__all__ = ["TableStats", "TableTransform", "is_broken_serialized"]

Row = Sequence[bytes | None]


# What may stand before a serialized value (looks_serialized() trims it).
_SPACE = b" \t\n\r\0\x0b"
_COLON, _SEMICOLON = ord(":"), ord(";")


def is_broken_serialized(value: bytes | None, parse: Parse | None = None) -> bool:
    """True when ``value`` looks PHP-serialized (as WordPress's is_serialized()) but
    would not unserialize. ``parse``: the serialized scanner to use (by default the
    compiled one when it is built: the same verdict, about 10x faster)."""
    if not value or len(value) < 2:
        return False
    second = value[1]
    if second != _COLON and second != _SEMICOLON and value[0] not in _SPACE:
        # Every serialized value starts "x:" or "N;": most changed values (text, URLs,
        # scrubbed addresses) are told apart here, without the pattern.
        return False
    span = looks_serialized(value)
    if span is None:
        return False
    try:
        (parse or parser_for(default_engine()))(value, *span)
    except MalformedPhpValue:
        return True
    return False


@dataclass
class TableStats:
    """What the copy of one table did, so far."""

    rows: int = 0
    values_changed: int = 0
    occurrences: int = 0
    by_encoding: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    not_rewritten: Counter[str] = field(default_factory=Counter)  # reason -> occurrences
    by_pair: Counter[int] = field(default_factory=Counter)  # index of the pair -> occurrences
    scrubbed: Counter[str] = field(default_factory=Counter)
    prefix_mapped: int = 0
    broken_before: int = 0  # of the broken_after values, how many were broken in the source
    broken_after: int = 0  # changed values written that do not unserialize

    @property
    def changed(self) -> bool:
        """True when any value was written differently from how it was read."""
        return self.values_changed > 0

    def add(self, other: TableStats) -> None:
        """Add ``other``'s numbers to these."""
        self.rows += other.rows
        self.values_changed += other.values_changed
        self.occurrences += other.occurrences
        self.by_encoding.update(other.by_encoding)
        self.malformed += other.malformed
        self.not_rewritten.update(other.not_rewritten)
        self.by_pair.update(other.by_pair)
        self.scrubbed.update(other.scrubbed)
        self.prefix_mapped += other.prefix_mapped
        self.broken_before += other.broken_before
        self.broken_after += other.broken_after

    def since(self, earlier: TableStats) -> TableStats:
        """What was added to these running totals after ``earlier`` was taken."""
        return TableStats(
            rows=self.rows - earlier.rows,
            values_changed=self.values_changed - earlier.values_changed,
            occurrences=self.occurrences - earlier.occurrences,
            by_encoding=self.by_encoding - earlier.by_encoding,
            malformed=self.malformed - earlier.malformed,
            not_rewritten=self.not_rewritten - earlier.not_rewritten,
            by_pair=self.by_pair - earlier.by_pair,
            scrubbed=self.scrubbed - earlier.scrubbed,
            prefix_mapped=self.prefix_mapped - earlier.prefix_mapped,
            broken_before=self.broken_before - earlier.broken_before,
            broken_after=self.broken_after - earlier.broken_after,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in checkpoints, shown by ``--format json``)."""
        return {
            "rows": self.rows,
            "values_changed": self.values_changed,
            "occurrences": self.occurrences,
            "by_encoding": dict(sorted(self.by_encoding.items())),
            "malformed": self.malformed,
            "not_rewritten": dict(sorted(self.not_rewritten.items())),
            "by_pair": {str(index): number for index, number in sorted(self.by_pair.items())},
            "scrubbed": dict(sorted(self.scrubbed.items())),
            "prefix_mapped": self.prefix_mapped,
            "serialized_broken_before": self.broken_before,
            "serialized_broken_after": self.broken_after,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableStats:
        """The stats saved by :meth:`as_dict`."""
        return cls(
            rows=int(data.get("rows", 0)),
            values_changed=int(data.get("values_changed", 0)),
            occurrences=int(data.get("occurrences", 0)),
            by_encoding=Counter({k: int(v) for k, v in data.get("by_encoding", {}).items()}),
            malformed=int(data.get("malformed", 0)),
            not_rewritten=_not_rewritten(data),
            by_pair=Counter({int(k): int(v) for k, v in data.get("by_pair", {}).items()}),
            scrubbed=Counter({k: int(v) for k, v in data.get("scrubbed", {}).items()}),
            prefix_mapped=int(data.get("prefix_mapped", 0)),
            broken_before=int(data.get("serialized_broken_before", 0)),
            broken_after=int(data.get("serialized_broken_after", 0)),
        )


def _not_rewritten(data: dict[str, Any]) -> Counter[str]:
    # Checkpoints written before schema_version 1 held a bare count, without reasons.
    if "skipped" in data and "not_rewritten" not in data:
        count = int(data["skipped"])
        return Counter({"not rewritten (reason not recorded)": count} if count else {})
    return Counter({k: int(v) for k, v in data.get("not_rewritten", {}).items()})


class TableTransform:
    """Rewrite, scrub and prefix-map the rows of one table.

    ``stats()`` gives the totals of every row passed through ``apply`` so far.
    """

    def __init__(
        self,
        plan: TablePlan,
        pairs: Sequence[tuple[str, str]],
        scrub: ScrubContext,
        mapper: PrefixMapper,
    ) -> None:
        self.plan = plan
        self.rewriter = Rewriter(list(pairs)) if pairs else None
        self._rewrite = [
            (index, f"{plan.source}.{plan.columns[index]}") for index in plan.rewrite_columns
        ]
        self._scrubber = compile_table_rules(
            plan.scrub_rules, plan.columns, scrub, table=plan.source
        )
        self._mapper = mapper
        self._prefix_index: int | None = None
        if plan.prefix_kind is not None:
            self._prefix_index = plan.key_index
        self._rows = 0
        self._values_changed = 0
        self._prefix_mapped = 0
        self._broken_before = 0
        self._broken_after = 0
        self._parse = parser_for(default_engine())

    def apply(self, rows: Sequence[Row]) -> list[Row]:
        """The rows as they are written to the shadow table (same order, same count)."""
        out: list[Row] = []
        append = out.append
        rewrite = self.rewriter.rewrite if self.rewriter is not None else None
        columns = self._rewrite
        scrubber = self._scrubber if self._scrubber.active else None
        prefix_index = self._prefix_index
        for row in rows:
            new: list[bytes | None] | None = None
            touched: list[int] = []  # the only columns where ``new`` may differ from ``row``
            if rewrite is not None:
                for index, label in columns:
                    value = row[index]
                    if value:
                        result = rewrite(value, where=label)
                        if result is not value:
                            if new is None:
                                new = list(row)
                            new[index] = result
                            touched.append(index)
            if scrubber is not None:
                actions = scrubber.actions_for(row)
                if actions:
                    if new is None:
                        new = list(row)
                    scrubber.apply(new, actions)
                    touched += [action.column for action in actions]
            if prefix_index is not None:
                key = row[prefix_index]
                if key:
                    mapped = (
                        self._mapper.option_name(key)
                        if self.plan.prefix_kind == "options"
                        else self._mapper.meta_key(key)
                    )
                    if mapped != key:
                        if new is None:
                            new = list(row)
                        new[prefix_index] = mapped
                        touched.append(prefix_index)
                        self._prefix_mapped += 1
            if new is None:
                append(row)
            else:
                append(self._tally(row, new, touched))
        self._rows += len(rows)
        return out

    def _tally(self, row: Row, new: list[bytes | None], touched: list[int]) -> Row:
        """Count changed values (among the ``touched`` columns: the others are the
        row's); a written value that does not unserialize is counted, with whether its
        source value did not either (verify compares the two)."""
        changed_any = False
        for index in touched if len(touched) == 1 else set(touched):
            value = new[index]
            old = row[index]
            if value is old or value == old:
                continue
            changed_any = True
            self._values_changed += 1
            if is_broken_serialized(value, self._parse):
                self._broken_after += 1
                if is_broken_serialized(old, self._parse):
                    self._broken_before += 1
        return tuple(new) if changed_any else row

    def stats(self) -> TableStats:
        """Totals of every row so far."""
        stats = TableStats(
            rows=self._rows,
            values_changed=self._values_changed,
            prefix_mapped=self._prefix_mapped,
            broken_before=self._broken_before,
            broken_after=self._broken_after,
            scrubbed=Counter(self._scrubber.counts),
        )
        if self.rewriter is not None:
            report = self.rewriter.report
            stats.occurrences = report.occurrences
            stats.by_encoding = Counter(report.by_encoding)
            stats.malformed = report.malformed_count
            stats.not_rewritten = Counter(report.skipped_by_reason)
            stats.by_pair = Counter(
                {index: number for index, number in enumerate(report.by_pair.values()) if number}
            )
        return stats
