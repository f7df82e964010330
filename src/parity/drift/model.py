"""What a snapshot of one environment holds: pure data, JSON in and out.

Every value is already normalised (the environment's own URL is ``{site}``, volatile values
are masked) and holds no secret, so two snapshots compare field by field. The JSON form is
``Snapshot.to_json()``; ``Snapshot.from_json()`` reads it back (and files written by
``parity snapshot --out``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PlainSerializer

from parity.vocabulary import iso_utc

__all__ = [
    "FORMAT",
    "ColumnInfo",
    "CoreIndexReport",
    "CronInfo",
    "IndexInfo",
    "Mask",
    "OptionInfo",
    "PluginInfo",
    "RoleInfo",
    "RouteProbe",
    "Snapshot",
    "Source",
    "TableInfo",
    "ThemeInfo",
    "VolumeInfo",
    "WordPressInfo",
]

#: Version of the snapshot's JSON shape. 2: cron groups are keyed by the arguments'
#: 12-hex fingerprint (none without arguments), as ``parity cron`` shows it; format 1
#: used WordPress's md5 key (see ``diff._cron`` for comparing the two).
FORMAT = 2

#: A moment, written as every parity document writes one (``+00:00``; snapshots written
#: before schema_version 1 end in ``Z``, and are read all the same).
UtcTime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str, when_used="json")]

#: Where a version number was read.
Source = Literal["header", "rest", "transient", "feed", "html", "none"]

#: Why an option's value is not stored.
Mask = Literal["secret", "volatile", "preserved"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThemeInfo(_Data):
    """A theme by directory name, with its version and where that was read."""

    slug: str
    version: str | None = None
    source: Source = "none"
    observed_at: UtcTime | None = None


class WordPressInfo(_Data):
    """Core facts of the site."""

    core_version: str | None = None
    core_version_source: Source = "none"
    db_version: int | None = None
    multisite: bool = False
    permalink_structure: str = ""
    language: str = "en_US"
    timezone: str = "UTC+0"
    theme: ThemeInfo | None = None
    parent_theme: ThemeInfo | None = None


class PluginInfo(_Data):
    """An active plugin: name and version, where they were read and when."""

    name: str | None = None
    version: str | None = None
    source: Source = "none"
    observed_at: UtcTime | None = None
    must_use: bool = False


class OptionInfo(_Data):
    """One option: its normalised value (or why it is masked), autoload flag and size."""

    value: JsonValue = None
    autoload: bool = True
    bytes: int = 0
    owner: str = ""
    mask: Mask | None = None


class ColumnInfo(_Data):
    """A column: type as the server reports it, nullability, default, extra."""

    type: str
    nullable: bool
    default: str | None = None
    extra: str = ""
    collation: str | None = None


class IndexInfo(_Data):
    """An index: columns in order (``col`` or ``col(prefix)``), uniqueness, kind."""

    columns: list[str]
    unique: bool = False
    kind: str = "BTREE"

    def describe(self) -> str:
        """How reports show it, e.g. ``UNIQUE (option_name)``."""
        head = "UNIQUE " if self.unique else ("" if self.kind == "BTREE" else self.kind + " ")
        return head + "(" + ", ".join(self.columns) + ")"


class TableInfo(_Data):
    """A table: engine, charset, collation, columns and indexes."""

    engine: str | None = None
    charset: str | None = None
    collation: str | None = None
    columns: dict[str, ColumnInfo] = Field(default_factory=dict)
    indexes: dict[str, IndexInfo] = Field(default_factory=dict)


class CoreIndexReport(_Data):
    """Indexes of core tables compared with what WordPress core creates."""

    db_version: int | None = None
    exact: bool = False
    missing: dict[str, list[str]] = Field(default_factory=dict)
    extra: dict[str, list[str]] = Field(default_factory=dict)
    different: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def deviations(self) -> int:
        """How many indexes differ from core."""
        return sum(len(v) for d in (self.missing, self.extra, self.different) for v in d.values())


class CronInfo(_Data):
    """Scheduled events sharing a hook, schedule and arguments (timestamps left out).

    ``args_hash`` is the arguments' fingerprint (None when there are none)."""

    hook: str
    schedule: str
    args_hash: str | None = None
    count: int = 1
    overdue: int = 0


class RoleInfo(_Data):
    """A role: display name, capabilities (granted or denied) and how many users have it."""

    name: str
    capabilities: dict[str, bool] = Field(default_factory=dict)
    users: int = 0


class VolumeInfo(_Data):
    """Rows of a table: from table statistics, or counted when ``exact``."""

    rows: int
    exact: bool = False


class RouteProbe(_Data):
    """How a route answered: status, redirect target, cache headers (final response)."""

    route: str
    path: str | None = None
    logged_in: bool = False
    status: int | None = None
    location: str | None = None
    final_status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    error: str | None = None


class Snapshot(_Data):
    """One environment at one moment, normalised and free of secrets."""

    format: int = FORMAT
    id: int | None = None
    environment: str
    url: str
    taken_at: UtcTime
    duration_s: float = 0.0
    exact_counts: bool = False
    wordpress: WordPressInfo = Field(default_factory=WordPressInfo)
    plugins: dict[str, PluginInfo] = Field(default_factory=dict)
    options: dict[str, OptionInfo] = Field(default_factory=dict)
    autoload_bytes: int = 0
    tables: dict[str, TableInfo] = Field(default_factory=dict)
    core_indexes: CoreIndexReport = Field(default_factory=CoreIndexReport)
    cron: dict[str, CronInfo] = Field(default_factory=dict)
    roles: dict[str, RoleInfo] = Field(default_factory=dict)
    users: int = 0
    volume: dict[str, VolumeInfo] = Field(default_factory=dict)
    http: dict[str, RouteProbe] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The snapshot as JSON text (the ``--out`` file and the stored body)."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Snapshot:
        """Read a snapshot back from JSON; raises pydantic's ValidationError if invalid.

        What ``parity snapshot --format json`` printed reads too: its ``schema_version``
        and ``ok`` belong to the document, not to the snapshot.
        """
        try:
            data = json.loads(text)
        except ValueError:
            return cls.model_validate_json(text)  # raises the ValidationError
        if isinstance(data, dict):
            data.pop("schema_version", None)
            data.pop("ok", None)
        return cls.model_validate(data)

    def with_id(self, snapshot_id: int) -> Snapshot:
        """A copy carrying the id the state store gave it."""
        return self.model_copy(update={"id": snapshot_id})

    def label(self) -> str:
        """``staging@2026-11-26T10:00:00Z (#12)``: what reports call this snapshot."""
        when = self.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.environment}@{when}" + (f" (#{self.id})" if self.id is not None else "")
