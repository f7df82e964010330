"""Cache rules as data: what a rule matches, what it does, and examples that prove it.

A rule set is an ordered list of named rules. How a request is decided (see
``parity.cache.evaluate.decide`` and docs/cache.md):

1. **Request phase.** Rules are read top to bottom; the first rule that *decides* wins.
   A rule applies to a request when its ``match`` does (a path pattern and the method).
   Then:

   - a ``bypass`` rule with request conditions (``bypass_when.cookies``, ``query``,
     ``headers``) decides *bypass* when any of them holds, and otherwise lets the next
     rules decide;
   - a ``bypass`` rule without request conditions decides *bypass*;
   - a ``cache`` rule always decides: *bypass* when any of its request conditions holds
     or the method is not GET or HEAD (nothing else is ever cached), else *cache* with
     its ``ttl``;
   - a rule with only response conditions (``response_set_cookie``,
     ``response_cache_control``) never decides here.

   When no rule decides, the request bypasses the cache (the safe default).
2. **Response phase**, only when a ``cache`` rule decided: the response conditions of
   every rule *at or above* the deciding rule whose ``match`` applies are checked; the
   first that holds makes the response bypass (not stored).

Rules come from three places, combined by ``effective_rules``: the shipped WordPress
defaults, a ``cache-rules.toml`` file (``[[rules]]``) and inline ``[[cache.rules]]`` in
parity.toml. A rule named like an earlier one replaces it in place; other rules are added
in order just before the catch-all ``everything-else`` (or at the end without one).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from parity.cache import patterns
from parity.errors import ConfigError, InputError

__all__ = [
    "CACHEABLE_METHODS",
    "CATCH_ALL",
    "Action",
    "BypassConditions",
    "CacheExample",
    "CacheRule",
    "CacheSection",
    "RuleMatch",
    "RuleSet",
    "SettingsWithCache",
    "effective_rules",
    "load_rules_file",
    "only_cacheable_methods",
    "parse_rules",
    "rules_from_settings",
    "rules_with_file",
]

Action = Literal["cache", "bypass"]

#: The name of the catch-all rule; rules added to a rule set go just before it.
CATCH_ALL = "everything-else"

#: The only methods a cache rule caches; it bypasses any other.
CACHEABLE_METHODS = ("GET", "HEAD")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_each(values: Sequence[str], pattern: Any, what: str) -> tuple[str, ...]:
    for value in values:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}")
    return tuple(values)


class RuleMatch(_Strict):
    """Where a rule applies: path patterns and methods.

    ``paths`` are globs over the URL path (never the query string): ``*`` matches any run
    of characters, ``/`` included, everything else is literal, and a pattern must match
    the whole path. ``/wp-admin`` is that path only, ``/wp-admin/*`` everything below it,
    ``*/feed/*`` any path containing ``/feed/``. An empty list matches nothing.
    ``methods`` limits the rule to those methods, ``except_methods`` to all others;
    leave both empty for any method.
    """

    paths: tuple[str, ...] = ("*",)
    methods: tuple[str, ...] = ()
    except_methods: tuple[str, ...] = ()

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_each(value, patterns.PATH_PATTERN, "path pattern (start with / or *)")

    @field_validator("methods", "except_methods")
    @classmethod
    def _methods(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_each(value, patterns.METHOD, "method (use upper case, e.g. GET)")

    @model_validator(mode="after")
    def _one_method_list(self) -> RuleMatch:
        if self.methods and self.except_methods:
            raise ValueError("give methods or except_methods, not both")
        return self

    @property
    def any_path(self) -> bool:
        """True when the rule applies to every path."""
        return "*" in self.paths

    @property
    def any_method(self) -> bool:
        """True when the rule applies to every method."""
        return not self.methods and not self.except_methods

    def allows_method(self, method: str) -> bool:
        """Whether ``method`` is one this rule applies to."""
        if self.methods:
            return method in self.methods
        return method not in self.except_methods

    def describe(self) -> str:
        """A short human description, e.g. ``paths /wp-admin, /wp-admin/*, any method``."""
        where = "any path" if self.any_path else "paths " + ", ".join(self.paths)
        if not self.paths:
            where = "no path"
        if self.methods:
            how = "methods " + ", ".join(self.methods)
        elif self.except_methods:
            how = "methods other than " + ", ".join(self.except_methods)
        else:
            how = "any method"
        return f"{where}, {how}"


def only_cacheable_methods(match: RuleMatch) -> bool:
    """True when ``match`` applies to GET and HEAD requests only (or a subset of them)."""
    return bool(match.methods) and set(match.methods) <= set(CACHEABLE_METHODS)


class BypassConditions(_Strict):
    """When a rule bypasses: any one condition is enough.

    Request conditions: ``cookies`` (cookie *name prefixes*: ``wordpress_logged_in_``
    matches ``wordpress_logged_in_3f2a...``), ``query`` (``name`` for any value or
    ``name=value`` for that raw value), ``headers`` (present with a non-empty value).
    Response conditions: ``response_set_cookie`` (the response sets a cookie) and
    ``response_cache_control`` (any of these Cache-Control directives, e.g. ``private``).
    """

    cookies: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    response_set_cookie: bool = False
    response_cache_control: tuple[str, ...] = ()

    @field_validator("cookies")
    @classmethod
    def _cookies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_each(value, patterns.COOKIE_PREFIX, "cookie name prefix")

    @field_validator("query")
    @classmethod
    def _query(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_each(value, patterns.QUERY_PARAMETER, "query parameter (name or name=value)")

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        checked = _check_each(value, patterns.HEADER_NAME, "header name")
        for name in checked:
            if name.lower() == "cookie":
                raise ValueError("use cookies = [...] for cookies, not the Cookie header")
        return checked

    @field_validator("response_cache_control")
    @classmethod
    def _directives(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        lowered = tuple(v.lower() for v in value)
        return _check_each(lowered, patterns.CACHE_CONTROL_DIRECTIVE, "Cache-Control directive")

    @property
    def on_request(self) -> bool:
        """True when there is at least one request condition."""
        return bool(self.cookies or self.query or self.headers)

    @property
    def on_response(self) -> bool:
        """True when there is at least one response condition."""
        return self.response_set_cookie or bool(self.response_cache_control)

    def describe(self) -> str:
        """A short human description of the conditions, or ``always``."""
        parts = [f"cookie {c}*" for c in self.cookies]
        parts += [f"?{q}" for q in self.query]
        parts += [f"header {h}" for h in self.headers]
        if self.response_set_cookie:
            parts.append("response Set-Cookie")
        parts += [f"response Cache-Control {d}" for d in self.response_cache_control]
        return " or ".join(parts) if parts else "always"


class CacheExample(_Strict):
    """A request (and optionally its response) with the outcome the rules must give it.

    ``url`` is a path with an optional query string (``/?s=hello``), as sent on the wire.
    ``response_headers`` feed the response phase; leave them out for an ordinary response.
    """

    url: str
    method: str = "GET"
    cookies: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    response_headers: dict[str, str] = Field(default_factory=dict)
    expect: Action
    note: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith("/") or any(c in value for c in " #\t\r\n"):
            raise ValueError("must be a path with an optional ?query, e.g. /hello-world/")
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if not patterns.METHOD.fullmatch(value):
            raise ValueError(f"{value!r} is not a method (use upper case, e.g. POST)")
        return value

    @field_validator("headers")
    @classmethod
    def _no_cookie_header(cls, value: dict[str, str]) -> dict[str, str]:
        if any(name.lower() == "cookie" for name in value):
            raise ValueError("put cookies in cookies = {...}, not in a Cookie header")
        return value

    def label(self) -> str:
        """A one-line description: method, URL, cookie names, header names."""
        text = f"{self.method} {self.url}"
        if self.cookies:
            text += " cookies: " + ", ".join(self.cookies)
        if self.headers:
            text += " headers: " + ", ".join(self.headers)
        if self.response_headers:
            text += " response: " + ", ".join(self.response_headers)
        return text


class CacheRule(_Strict):
    """One named cache rule (see the module docstring for how rules are evaluated)."""

    name: str
    description: str
    match: RuleMatch = Field(default_factory=RuleMatch)
    action: Action
    ttl: int | None = Field(default=None, description="seconds; required for action cache")
    bypass_when: BypassConditions = Field(default_factory=BypassConditions)
    examples: tuple[CacheExample, ...] = ()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not patterns.RULE_NAME.fullmatch(value):
            raise ValueError(
                "must be lower case letters, digits, '-', '_' or '.' (at most 64), "
                "starting with a letter or digit"
            )
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        text = value.strip()
        if not text:
            raise ValueError("must say what the rule is for")
        if any(ord(c) < 32 and c != "\n" for c in text):
            raise ValueError("may not contain control characters")
        return text

    @model_validator(mode="after")
    def _ttl_matches_action(self) -> CacheRule:
        if self.action == "cache" and (self.ttl is None or self.ttl < 1):
            raise ValueError("a cache rule needs ttl = seconds (at least 1)")
        if self.action == "bypass" and self.ttl is not None:
            raise ValueError("a bypass rule has no ttl")
        return self

    @property
    def response_only(self) -> bool:
        """True for a bypass rule whose only conditions are on the response."""
        conditions = self.bypass_when
        return self.action == "bypass" and conditions.on_response and not conditions.on_request

    @property
    def always_decides(self) -> bool:
        """True when the rule decides every request its match applies to."""
        if self.action == "cache":
            return True
        return not self.bypass_when.on_request and not self.bypass_when.on_response

    def summary(self) -> str:
        """One line: what the rule does, when, and where.

        >>> rule.summary()  # doctest: +SKIP
        'bypass when cookie wordpress_logged_in_*; any path, any method'
        """
        action = f"cache {self.ttl}s" if self.action == "cache" else "bypass"
        when = self.bypass_when
        if when.on_request or when.on_response:
            action += (" unless " if self.action == "cache" else " when ") + when.describe()
        return f"{action}; {self.match.describe()}"


class RuleSet(_Strict):
    """Rules in evaluation order (first match wins), with where each came from."""

    rules: tuple[CacheRule, ...]
    origins: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_names(self) -> RuleSet:
        _ensure_unique(r.name for r in self.rules)
        return self

    def rule(self, name: str) -> CacheRule:
        """The rule called ``name`` (KeyError when there is none)."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def without(self, *names: str) -> RuleSet:
        """A copy without the named rules (unknown names raise KeyError)."""
        for name in names:
            self.rule(name)
        kept = tuple(r for r in self.rules if r.name not in names)
        origins = {k: v for k, v in self.origins.items() if k not in names}
        return RuleSet(rules=kept, origins=origins)

    def origin(self, name: str) -> str:
        """Where the rule came from: ``default``, a file path, or ``parity.toml``."""
        return self.origins.get(name, "")


class CacheSection(_Strict):
    """The ``[cache]`` table of parity.toml.

    ``rules_file`` (relative to parity.toml's folder) holds ``[[rules]]``; ``rules`` are
    the inline ``[[cache.rules]]``; ``use_defaults = false`` drops the shipped WordPress
    defaults entirely.
    """

    rules: tuple[CacheRule, ...] = ()
    rules_file: str | None = None
    use_defaults: bool = True

    @field_validator("rules")
    @classmethod
    def _unique(cls, value: tuple[CacheRule, ...]) -> tuple[CacheRule, ...]:
        _ensure_unique(r.name for r in value)
        return value


class SettingsWithCache(Protocol):
    """What ``rules_from_settings`` needs from parity's settings."""

    @property
    def cache(self) -> CacheSection: ...

    @property
    def base_dir(self) -> Path: ...


def _ensure_unique(names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"two rules are named {name!r}")
        seen.add(name)


def _describe(error: ValidationError, source: str, data: Mapping[str, Any]) -> str:
    raw_rules = data.get("rules")
    parts = []
    for item in error.errors():
        loc = list(item["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            name = None
            if isinstance(raw_rules, list) and loc[1] < len(raw_rules):
                body = raw_rules[loc[1]]
                name = body.get("name") if isinstance(body, dict) else None
            rest = ".".join(str(p) for p in loc[2:]) or "(the rule)"
            where = f"rule {name!r} ({rest})" if name else f"rules[{loc[1]}] ({rest})"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (see docs/cache.md)"
        parts.append(f"{where}: {message}")
    return f"{source}: " + "; ".join(parts)


class _RulesFile(_Strict):
    rules: tuple[CacheRule, ...] = ()


def parse_rules(data: Mapping[str, Any], source: str) -> tuple[CacheRule, ...]:
    """Validate a parsed cache-rules TOML mapping (``[[rules]]``); InputError when invalid."""
    try:
        parsed = _RulesFile.model_validate(dict(data))
    except ValidationError as exc:
        raise InputError(_describe(exc, source, data)) from None
    try:
        _ensure_unique(r.name for r in parsed.rules)
    except ValueError as exc:
        raise InputError(f"{source}: {exc}") from None
    return parsed.rules


def load_rules_file(path: Path) -> list[CacheRule]:
    """Read a standalone cache-rules.toml (an array of ``[[rules]]`` tables).

    Raises InputError naming the file, the rule and what is wrong.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such cache rules file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    return list(parse_rules(data, str(path)))


def _merge(
    rules: list[CacheRule], origins: dict[str, str], added: Sequence[CacheRule], origin: str
) -> None:
    """Replace same-named rules in place; insert the others before the catch-all."""
    for rule in added:
        names = [r.name for r in rules]
        if rule.name in names:
            rules[names.index(rule.name)] = rule
        elif CATCH_ALL in names:
            rules.insert(names.index(CATCH_ALL), rule)
        else:
            rules.append(rule)
        origins[rule.name] = origin


def _start(use_defaults: bool, defaults: Sequence[CacheRule] | None) -> list[CacheRule]:
    if not use_defaults:
        return []
    if defaults is None:
        # Imported here: the defaults module parses its TOML with this module's models.
        from parity.cache.defaults import default_rules

        defaults = default_rules()
    return list(defaults)


def effective_rules(
    section: CacheSection,
    base_dir: Path,
    *,
    inline_origin: str = "parity.toml",
    defaults: Sequence[CacheRule] | None = None,
) -> RuleSet:
    """The rules parity evaluates: defaults, then ``rules_file``, then inline rules.

    Later sources win by name: a rule named like an earlier one replaces it at the earlier
    one's position (inline replaces file replaces default). Rules with new names are added
    in order just before the rule named ``everything-else`` (the catch-all, which so stays
    last, whoever defines it), or at the end when there is none. ``rules_file`` is
    relative to ``base_dir``; ``defaults`` replaces the shipped set (for tests). Raises
    ConfigError when ``rules_file`` is missing or invalid.
    """
    rules = _start(section.use_defaults, defaults)
    origins = dict.fromkeys((r.name for r in rules), "default")
    if section.rules_file:
        path = Path(section.rules_file)
        if not path.is_absolute():
            path = base_dir / path
        try:
            from_file = load_rules_file(path)
        except InputError as exc:
            raise ConfigError(
                exc.message, hint="check rules_file in [cache] of parity.toml"
            ) from None
        _merge(rules, origins, from_file, str(path))
    _merge(rules, origins, section.rules, inline_origin)
    return RuleSet(rules=tuple(rules), origins=origins)


def rules_with_file(
    path: Path, *, use_defaults: bool = True, defaults: Sequence[CacheRule] | None = None
) -> RuleSet:
    """The defaults combined with a cache-rules.toml (same precedence as ``effective_rules``).

    Raises InputError when the file is missing or invalid.
    """
    rules = _start(use_defaults, defaults)
    origins = dict.fromkeys((r.name for r in rules), "default")
    _merge(rules, origins, load_rules_file(path), str(path))
    return RuleSet(rules=tuple(rules), origins=origins)


def rules_from_settings(settings: SettingsWithCache) -> RuleSet:
    """The effective rules of loaded settings: their ``[cache]`` table and folder."""
    return effective_rules(settings.cache, settings.base_dir)
