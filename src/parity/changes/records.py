"""Change records in parity's state store: one row per change, one per kept check.

saved = save_change(store, record)
add_check(store, check)
record, checks = load_change(store, "faster-sample-page")
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from parity.changes.model import ChangeCheck, ChangeRecord, ChangeStatus, CheckKind
from parity.errors import InputError
from parity.store import schema
from parity.store.clock import as_utc
from parity.store.state import Store

__all__ = ["add_check", "change_exists", "list_changes", "load_change", "save_change"]


def _record(row: Any) -> ChangeRecord:
    body = json.loads(row.body)
    return ChangeRecord(
        name=body["name"],
        environment=body["environment"],
        owner=body["owner"],
        expect=list(body["expect"]),
        rollback_command=body["rollback_command"],
        routes=list(body["routes"]),
        modes=list(body["modes"]),
        samples=int(body["samples"]),
        opened_at=as_utc(row.opened_at),
        baseline=body["baseline"],
        query=body.get("query"),
        command=body.get("command"),
        note=body.get("note"),
        status=ChangeStatus(row.status),
        commands=list(body.get("commands", [])),
        assumptions=list(body.get("assumptions", [])),
        id=int(row.id),
    )


def _body(record: ChangeRecord) -> str:
    return json.dumps(record.as_dict(), sort_keys=True, default=str)


def change_exists(store: Store, name: str) -> bool:
    """Whether a change called ``name`` is in the store."""
    table = schema.change_records
    with store.engine.connect() as conn:
        return conn.execute(select(table.c.id).where(table.c.name == name)).first() is not None


def save_change(store: Store, record: ChangeRecord) -> ChangeRecord:
    """Insert ``record`` (when new) or update it; the same with its ``id``."""
    table = schema.change_records
    values = {
        "name": record.name,
        "environment": record.environment,
        "owner": record.owner,
        "status": record.status.value,
        "opened_at": record.opened_at,
    }
    with store.engine.begin() as conn:
        if record.id is None:
            try:
                result = conn.execute(insert(table).values(**values, body=_body(record)))
            except IntegrityError:
                raise InputError(
                    f"a change called {record.name!r} already exists",
                    hint="pick another name, or `parity change show` it",
                ) from None
            key = result.inserted_primary_key
            assert key is not None
            record.id = int(key[0])
        conn.execute(
            update(table)
            .where(table.c.id == record.id)
            .values(status=record.status.value, body=_body(record))
        )
    return record


def add_check(store: Store, check: ChangeCheck) -> ChangeCheck:
    """Keep ``check`` (every check and rollback is kept); the same with its ``id``."""
    with store.engine.begin() as conn:
        result = conn.execute(
            insert(schema.change_checks).values(
                change_id=check.change_id,
                kind=check.kind.value,
                at=check.at,
                verdict=check.verdict,
                message=check.message,
                body=json.dumps(check.body, sort_keys=True, default=str),
            )
        )
        key = result.inserted_primary_key
    assert key is not None
    check.id = int(key[0])
    return check


def _check(row: Any) -> ChangeCheck:
    return ChangeCheck(
        change_id=int(row.change_id),
        kind=CheckKind(row.kind),
        at=as_utc(row.at),
        verdict=row.verdict,
        message=row.message,
        body=json.loads(row.body),
        id=int(row.id),
    )


def load_change(store: Store, name: str) -> tuple[ChangeRecord, list[ChangeCheck]]:
    """The change called ``name`` and its checks, oldest first; InputError when unknown."""
    records, checks = schema.change_records, schema.change_checks
    with store.engine.connect() as conn:
        row = conn.execute(select(records).where(records.c.name == name)).first()
        if row is None:
            raise InputError(
                f"no change called {name!r} in the state store",
                hint="`parity change list` shows the changes there are",
            )
        rows = conn.execute(
            select(checks).where(checks.c.change_id == row.id).order_by(checks.c.id)
        ).all()
    return _record(row), [_check(r) for r in rows]


def list_changes(
    store: Store, limit: int = 50
) -> list[tuple[ChangeRecord, ChangeCheck | None, datetime | None]]:
    """The latest ``limit`` changes, newest first, each with its latest check and its time."""
    records, checks = schema.change_records, schema.change_checks
    with store.engine.connect() as conn:
        rows = conn.execute(select(records).order_by(records.c.id.desc()).limit(limit)).all()
        out = []
        for row in rows:
            last = conn.execute(
                select(checks)
                .where(checks.c.change_id == row.id)
                .order_by(checks.c.id.desc())
                .limit(1)
            ).first()
            check = _check(last) if last is not None else None
            out.append((_record(row), check, check.at if check else None))
    return out
