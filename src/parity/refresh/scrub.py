"""Personal data out, by policy: the built-in rules and what each strategy writes.

Scrubbing is deterministic: the same input gives the same output (hashes are keyed
HMACs, e-mail pseudonyms derive from the address), so two refreshes of the same data give
the same staging data and joins on e-mail addresses still join. Pure code.

Rules name a table without its prefix (``users``) or by full name, a column, and
optionally a ``key`` pattern for key/value tables (``option_name`` / ``meta_key``). For
one value the last matching rule wins; the policy's rules come after the built-in ones,
so ``strategy = "keep"`` switches a built-in rule off.

>>> ctx = ScrubContext(key=b"k", password_hash=b"$P$B...")
>>> scrub_value("email", b"ann@example.com", ctx) == scrub_value("email", b"ann@example.com", ctx)
True
>>> scrub_value("user_email", b"ann@example.com", ctx, row_id=b"7")
b'user7@example.invalid'
"""

from __future__ import annotations

import fnmatch
import hmac
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from parity.errors import ConfigError, MalformedPhpValue
from parity.refresh.settings import ScrubRule, Strategy
from parity.rewrite import serialized
from parity.wordpress.phpvalue import looks_serialized

__all__ = [
    "DEFAULT_RULES",
    "KEY_COLUMNS",
    "ScrubContext",
    "TableScrubber",
    "compile_table_rules",
    "delete_patterns",
    "rule_label",
    "rules_for_table",
    "scrub_value",
]

#: The column holding the key of each key/value table WordPress and plugins use.
KEY_COLUMNS: tuple[str, ...] = ("option_name", "meta_key")
_VALUE_COLUMNS: dict[str, str] = {"option_name": "option_value", "meta_key": "meta_value"}
_ID_COLUMNS: tuple[str, ...] = ("ID", "user_id")

INVALID_DOMAIN = b"@example.invalid"
_EMAIL = re.compile(rb"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def _rule(
    table: str,
    column: str | None,
    strategy: Strategy,
    key: str | None = None,
) -> ScrubRule:
    return ScrubRule(table=table, column=column, key=key, strategy=strategy)


def _woo_fields(table: str, key_prefix: str, email: Strategy) -> list[ScrubRule]:
    """WooCommerce billing/shipping fields stored as meta rows (``billing_city`` ...)."""
    rules = [
        _rule(table, None, "hash", f"{key_prefix}billing_*"),
        _rule(table, None, "hash", f"{key_prefix}shipping_*"),
    ]
    for kind in ("billing", "shipping"):
        for keep in ("country", "state"):
            rules.append(_rule(table, None, "keep", f"{key_prefix}{kind}_{keep}"))
        rules.append(_rule(table, None, "empty", f"{key_prefix}{kind}_phone"))
    rules.append(_rule(table, None, email, f"{key_prefix}billing_email"))
    return rules


#: The built-in rules (``default_scrub = true``), in the order they apply.
DEFAULT_RULES: tuple[ScrubRule, ...] = (
    _rule("users", "user_email", "user_email"),
    _rule("users", "user_pass", "staging_password"),
    _rule("users", "user_activation_key", "empty"),
    _rule("usermeta", None, "delete_row", "session_tokens"),
    *_woo_fields("usermeta", "", "user_email"),
    _rule("comments", "comment_author_email", "email"),
    _rule("comments", "comment_author_IP", "ip"),
    _rule("comments", "comment_agent", "empty"),
    _rule("options", None, "emails", "admin_email"),
    _rule("options", None, "emails", "new_admin_email"),
    _rule("options", None, "emails", "woocommerce_email_from_address"),
    _rule("options", None, "emails", "woocommerce_stock_email_recipient"),
    _rule("options", None, "emails", "woocommerce_*_settings"),
    *_woo_fields("postmeta", "_", "email"),
    _rule("postmeta", None, "ip", "_customer_ip_address"),
    _rule("postmeta", None, "empty", "_customer_user_agent"),
    _rule("wc_orders", "billing_email", "email"),
    _rule("wc_orders", "ip_address", "ip"),
    _rule("wc_orders", "user_agent", "empty"),
    *(
        _rule("wc_order_addresses", column, "hash")
        for column in (
            "first_name",
            "last_name",
            "company",
            "address_1",
            "address_2",
            "city",
            "postcode",
        )
    ),
    _rule("wc_order_addresses", "email", "email"),
    _rule("wc_order_addresses", "phone", "empty"),
    *(
        _rule("wc_customer_lookup", column, "hash")
        for column in ("username", "first_name", "last_name", "city", "postcode")
    ),
    _rule("wc_customer_lookup", "email", "email"),
)


_BUILTIN = frozenset(DEFAULT_RULES)


@dataclass(frozen=True)
class ScrubContext:
    """What the strategies need from the run: the hash key and the password hash."""

    key: bytes
    password_hash: bytes


def _digest(ctx: ScrubContext, value: bytes) -> bytes:
    return hmac.digest(ctx.key, value, "sha256").hex().encode()


def _pseudonym(ctx: ScrubContext, address: bytes) -> bytes:
    if address.lower().endswith(INVALID_DOMAIN):
        return address
    return b"anon-" + _digest(ctx, address.lower())[:12] + INVALID_DOMAIN


def _emails_in_text(ctx: ScrubContext, data: bytes) -> bytes:
    return _EMAIL.sub(lambda m: _pseudonym(ctx, m.group(0)), data)


def _emails_in(ctx: ScrubContext, data: bytes, depth: int = 0) -> bytes:
    """Every address in ``data`` replaced; inside serialized data, lengths are fixed."""
    if b"@" not in data:
        return data
    span = looks_serialized(data) if depth < 8 else None
    if span is not None:
        try:
            sites = serialized.parse(data, *span)
        except MalformedPhpValue:
            return _emails_in_text(ctx, data)
        changes: list[tuple[serialized.Site, bytes]] = []
        for site in sites:
            kind, _digits, start, end = site
            if kind not in (serialized.VALUE, serialized.KEY):
                continue
            content = data[start:end]
            new = _emails_in(ctx, content, depth + 1)
            if new != content:
                changes.append((site, new))
        return serialized.splice(data, changes) if changes else data
    return _emails_in_text(ctx, data)


def scrub_value(
    strategy: Strategy,
    value: bytes | None,
    ctx: ScrubContext,
    *,
    row_id: bytes | None = None,
    fixed: bytes | None = None,
) -> bytes | None:
    """What ``strategy`` writes in place of ``value`` (empty and NULL values stay as they are,
    except for ``null``, ``fixed`` and ``staging_password``)."""
    if strategy == "keep":
        return value
    if strategy == "null":
        return None
    if strategy == "fixed":
        return fixed
    if strategy == "staging_password":
        return ctx.password_hash
    if not value:
        return value
    if strategy == "empty":
        return b""
    if strategy == "user_email":
        return b"user" + (row_id or b"0") + INVALID_DOMAIN
    if strategy == "email":
        return _pseudonym(ctx, value.strip())
    if strategy == "emails":
        return _emails_in(ctx, value)
    if strategy == "hash":
        return b"anon-" + _digest(ctx, value)[:10]
    if strategy == "ip":
        number = int(_digest(ctx, value)[:8], 16) % 254 + 1
        return b"192.0.2." + str(number).encode()
    raise ValueError(f"strategy {strategy!r} does not rewrite a value")


def rule_label(rule: ScrubRule) -> str:
    """A short name for a rule in reports: ``usermeta[billing_*] -> hash``."""
    where = rule.table + (f".{rule.column}" if rule.column else "")
    if rule.key:
        where += f"[{rule.key}]"
    return f"{where} -> {rule.strategy}"


def _matches_table(rule: ScrubRule, logical: str | None, full: str) -> bool:
    return rule.table == full or (logical is not None and rule.table == logical)


def rules_for_table(rules: Sequence[ScrubRule], logical: str | None, full: str) -> list[ScrubRule]:
    """The rules that name this table (by name without prefix, or full name), in order."""
    return [rule for rule in rules if _matches_table(rule, logical, full)]


def _key_regex(pattern: str) -> re.Pattern[bytes]:
    return re.compile(fnmatch.translate(pattern).encode(), re.DOTALL)


def delete_patterns(rules: Sequence[ScrubRule]) -> list[str]:
    """Key patterns of ``delete_row`` rules still in force (not overridden by a later rule)."""
    patterns: list[str] = []
    for index, rule in enumerate(rules):
        if rule.strategy != "delete_row" or rule.key is None:
            continue
        later = rules[index + 1 :]
        if any(r.key == rule.key and r.strategy == "keep" and r.column is None for r in later):
            continue
        patterns.append(rule.key)
    return patterns


@dataclass(frozen=True)
class _Action:
    column: int
    key: re.Pattern[bytes] | None
    strategy: Strategy
    fixed: bytes | None
    label: str


#: How many distinct keys a scrubber remembers the resolved rules of.
_CACHE_KEYS = 50_000


class TableScrubber:
    """The scrub rules of one table, compiled against its columns.

    ``actions_for(row)`` says which rules apply to a row (resolved once per distinct key
    and cached: meta tables repeat a few thousand keys over millions of rows), ``apply``
    changes a row (a list) in place and counts what each rule changed.
    """

    def __init__(
        self,
        actions: list[_Action],
        *,
        key_index: int | None,
        id_index: int | None,
        ctx: ScrubContext,
    ) -> None:
        self._ctx = ctx
        self._key_index = key_index
        self._id_index = id_index
        by_column: dict[int, list[_Action]] = {}
        for action in actions:
            by_column.setdefault(action.column, []).append(action)
        # Last rule wins: try each column's rules from the last to the first.
        self._columns = [(col, list(reversed(acts))) for col, acts in sorted(by_column.items())]
        self._cache: dict[bytes | None, tuple[_Action, ...]] = {}
        self.counts: Counter[str] = Counter()

    @property
    def active(self) -> bool:
        """False when no rule touches this table."""
        return bool(self._columns)

    def _resolve(self, key: bytes | None) -> tuple[_Action, ...]:
        chosen: list[_Action] = []
        for _column, actions in self._columns:
            for action in actions:
                if action.key is not None and (key is None or not action.key.match(key)):
                    continue
                if action.strategy != "keep":
                    chosen.append(action)
                break
        return tuple(chosen)

    def actions_for(self, row: Sequence[bytes | None]) -> tuple[_Action, ...]:
        """The rules that change ``row`` (empty for most rows of a meta table)."""
        key = row[self._key_index] if self._key_index is not None else None
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= _CACHE_KEYS:
                self._cache.clear()
            found = self._cache[key] = self._resolve(key)
        return found

    def apply(self, row: list[bytes | None], actions: tuple[_Action, ...] | None = None) -> bool:
        """Scrub ``row`` in place (with ``actions`` from :meth:`actions_for`, or its own);
        True when a value changed."""
        if actions is None:
            actions = self.actions_for(row)
        row_id = row[self._id_index] if self._id_index is not None else None
        changed = False
        for action in actions:
            column = action.column
            old = row[column]
            new = scrub_value(action.strategy, old, self._ctx, row_id=row_id, fixed=action.fixed)
            if new != old:
                row[column] = new
                self.counts[action.label] += 1
                changed = True
        return changed


def compile_table_rules(
    rules: Sequence[ScrubRule],
    columns: Sequence[str],
    ctx: ScrubContext,
    *,
    table: str,
) -> TableScrubber:
    """Compile the rules of one table (already chosen by :func:`rules_for_table`).

    Raises ConfigError when a rule names a column the table does not have (a rule for a
    table that is absent simply never applies).
    """
    lookup = {name: index for index, name in enumerate(columns)}
    lower = {name.lower(): index for index, name in enumerate(columns)}
    key_name = next((name for name in KEY_COLUMNS if name in lookup), None)
    id_index = next((lookup[name] for name in _ID_COLUMNS if name in lookup), None)
    actions: list[_Action] = []
    for rule in rules:
        if rule.strategy == "delete_row":
            continue  # done by the copy's WHERE clause, see delete_patterns()
        # A built-in rule for a column an older schema lacks simply does not apply.
        builtin = rule in _BUILTIN
        if rule.key is not None and key_name is None:
            if builtin:
                continue
            raise ConfigError(
                f"[[refresh.scrub]] {rule_label(rule)}: table {table} has no"
                " option_name or meta_key column for `key`"
            )
        column = rule.column or (_VALUE_COLUMNS[key_name] if key_name else None)
        index = lookup.get(column or "")
        if index is None:
            index = lower.get((column or "").lower())
        if index is None:
            if builtin:
                continue
            raise ConfigError(
                f"[[refresh.scrub]] {rule_label(rule)}: table {table} has no column {column!r}"
            )
        if rule.strategy == "user_email" and id_index is None:
            if builtin:
                continue
            raise ConfigError(
                f"[[refresh.scrub]] {rule_label(rule)}: table {table} has no ID or"
                " user_id column for user<ID>@example.invalid"
            )
        actions.append(
            _Action(
                column=index,
                key=_key_regex(rule.key) if rule.key else None,
                strategy=rule.strategy,
                fixed=rule.value.encode() if rule.value is not None else None,
                label=rule_label(rule),
            )
        )
    key_index = lookup[key_name] if key_name else None
    return TableScrubber(actions, key_index=key_index, id_index=id_index, ctx=ctx)
