"""An nginx ``fastcgi_cache`` configuration generated from a rule set.

The output is one file to ``include`` inside ``http { }``. nginx has no ``if``/``else``
chain at that level, so the rules become ``map`` blocks (each under a comment with the
rule's name and description):

- one map per rule gives a character: ``0`` (does not decide), ``b`` (bypass) or ``c``
  (cache). Their concatenation, ``$parity_decisions``, reads like the rule list: the
  first character that is not ``0`` decides, exactly as ``decide`` does.
- ``$parity_skip_cache`` (the first decision is not ``c``) feeds ``fastcgi_cache_bypass``
  and ``fastcgi_no_cache``; ``$parity_rule`` names the deciding rule (``X-Cache-Rule``).
- each response condition is a map over the decisions and an ``$upstream_http_*`` header,
  evaluated by ``fastcgi_no_cache`` once the response arrived. nginx's own handling of
  ``Set-Cookie``, ``Cache-Control`` and ``Expires`` is switched off
  (``fastcgi_ignore_headers``) so that the rules alone decide, as in the VCL.

Limits, compared with the VCL: nginx cannot vary the TTL per request, so every cached
response gets the *shortest* TTL of the cache rules (the file says which); it cannot
drop cookies at ``http`` level, so add ``fastcgi_param HTTP_COOKIE
$parity_forward_cookie;`` in the PHP location (after ``include fastcgi_params;``) to send
no cookies on cacheable requests; and the cache applies to every server of the ``http``
block that uses ``fastcgi_pass`` (say ``fastcgi_cache off;`` where it must not).
"""

from __future__ import annotations

import re

from parity.cache import patterns
from parity.cache.render_varnish import CACHEABLE_STATUSES
from parity.cache.rules import (
    CACHEABLE_METHODS,
    CacheRule,
    RuleMatch,
    RuleSet,
    only_cacheable_methods,
)
from parity.errors import InputError

__all__ = ["render_nginx"]

_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_CACHE_DIR = re.compile(r"^/[A-Za-z0-9_.\-/]*$")


def _comment(rule: CacheRule, number: int) -> list[str]:
    lines = [f"# {number}. {rule.name}: {rule.summary()}"]
    lines += [f"#    {line}".rstrip() for line in rule.description.splitlines()]
    return lines


def _header_variable(name: str, prefix: str = "http") -> str:
    return f"${prefix}_" + name.lower().replace("-", "_")


def _flag_map(source: str, variable: str, regex: str) -> list[str]:
    return [f'map {source} {variable} {{ default 0; "~{regex}" 1; }}']


def _match_parts(match: RuleMatch, var: str) -> tuple[list[str], list[str]]:
    """Maps for a rule's match and the parts (variables or literal 1) they give."""
    maps: list[str] = []
    parts: list[str] = []
    if not match.any_path:
        maps += _flag_map("$request_uri", f"${var}_path", patterns.path_regex(match.paths))
        parts.append(f"${{{var}_path}}")
    if match.methods or match.except_methods:
        listed = match.methods or match.except_methods
        inside, outside = ("1", "0") if match.methods else ("0", "1")
        entries = " ".join(f"{m} {inside};" for m in listed)
        maps.append(f"map $request_method ${var}_method {{ default {outside}; {entries} }}")
        parts.append(f"${{{var}_method}}")
    return maps, parts


def _condition_parts(rule: CacheRule, var: str) -> tuple[list[str], list[str]]:
    when = rule.bypass_when
    maps: list[str] = []
    parts: list[str] = []
    if when.cookies:
        maps += _flag_map("$http_cookie", f"${var}_cookie", patterns.cookie_regex(when.cookies))
        parts.append(f"${{{var}_cookie}}")
    if when.query:
        maps += _flag_map("$request_uri", f"${var}_query", patterns.query_regex(when.query))
        parts.append(f"${{{var}_query}}")
    for index, name in enumerate(when.headers):
        flag = f"${var}_header{index}"
        maps.append(f'map {_header_variable(name)} {flag} {{ default 1; "" 0; }}')
        parts.append(f"${{{flag[1:]}}}")
    return maps, parts


def _decision(rule: CacheRule, index: int) -> tuple[list[str], str]:
    """The maps deciding one rule, and its character in ``$parity_decisions``."""
    var = f"parity_r{index + 1}"
    if rule.response_only or not rule.match.paths:
        return [], "0"
    maps, match = _match_parts(rule.match, var)
    more, conditions = _condition_parts(rule, var)
    maps += more
    ones = "1" * len(match)
    entries = []
    method = []
    if rule.action == "cache" and not only_cacheable_methods(rule.match):
        # A cache rule bypasses methods other than GET and HEAD.
        method = ["${parity_cacheable_method}"]
        entries.append(f'"~^0{ones}" b;')
        ones = "1" + ones
    if conditions:
        # The rule applies and at least one condition holds.
        entries.append(f'"~^{ones}[01]*1" b;')
    if rule.action == "cache":
        entries.append(f'"~^{ones}" c;')
    elif not conditions:
        entries.append(f'"~^{ones}" b;')
    parts = method + match + conditions
    if not parts:
        return maps, "c" if rule.action == "cache" else "b"
    source = '"' + "".join(parts) + '"'
    maps.append(f"map {source} ${var} {{ default 0; {' '.join(entries)} }}")
    return maps, f"${{{var}}}"


def _response_maps(rules: tuple[CacheRule, ...]) -> tuple[list[str], list[tuple[str, str]]]:
    """Maps for the response conditions, and (variable, rule name) for each of them."""
    lines: list[str] = []
    flags: list[tuple[str, str]] = []
    for index, rule in enumerate(rules):
        when = rule.bypass_when
        if not when.on_response or not rule.match.paths:
            continue
        var = f"parity_r{index + 1}"
        maps, match = _match_parts(rule.match, f"{var}_response")
        lines += _comment(rule, index + 1)
        lines += maps
        # A cache rule at or below this one decided, and this rule's match applies.
        head = f"^0{{{index},}}c[0bc]*\\|{'1' * len(match)}\\|"
        prefix = "$parity_decisions|" + "".join(match) + "|"
        if when.response_set_cookie:
            lines.append(
                f'map "{prefix}$upstream_http_set_cookie" ${var}_set_cookie '
                f'{{ default 0; "~{head}." 1; }}'
            )
            flags.append((f"${{{var}_set_cookie}}", rule.name))
        if when.response_cache_control:
            directive = patterns.cache_control_directive_regex(when.response_cache_control)
            lines.append(
                f'map "{prefix}$upstream_http_cache_control" ${var}_cache_control '
                f'{{ default 0; "~*{head}(?:|.*,){directive}" 1; }}'
            )
            flags.append((f"${{{var}_cache_control}}", rule.name))
        lines.append("")
    return lines, flags


def _response_section(rules: tuple[CacheRule, ...]) -> list[str]:
    """The response checks, ``$parity_no_store`` and the response-aware X-Cache-Rule."""
    maps, flags = _response_maps(rules)
    lines = ["# Response checks, read once the response arrived (fastcgi_no_cache).", ""]
    lines += maps
    if flags:
        source = '"' + "".join(variable for variable, _ in flags) + '"'
        lines += [
            "# 1 when a response check holds: the response is not stored.",
            f'map {source} $parity_no_store {{ default 0; "~1" 1; }}',
            "",
            "# The rule that decided, response checks included (X-Cache-Rule).",
            f"map {source} $parity_cache_rule {{",
            "    default $parity_rule;",
        ]
        for position, (_, name) in enumerate(flags):
            lines.append(f'    "~^.{{{position}}}1" "{name}";')
        lines += ["}", ""]
    else:
        lines += [
            "map $request_method $parity_no_store { default 0; }",
            "map $request_method $parity_cache_rule { default $parity_rule; }",
            "",
        ]
    return lines


def _tail(rules: tuple[CacheRule, ...], zone: str) -> list[str]:
    """X-Cache, and the directives that switch the cache on."""
    lines = [
        "# X-Cache: HIT, MISS or PASS; no header on responses the cache never saw (static",
        "# files: no fastcgi_pass).",
        'map "$upstream_cache_status|$parity_no_store|$parity_skip_cache" $parity_x_cache {',
        "    default MISS;",
        '    "~^(HIT|STALE|UPDATING|REVALIDATED)\\|" HIT;',
        '    "~\\|1$" PASS;',
        '    "~^MISS\\|1\\|" PASS;',
        '    "~^\\|" "";',
        "}",
        "",
        f"fastcgi_cache {zone};",
        "# The rules decide, not Set-Cookie, Cache-Control or Expires from PHP.",
        "fastcgi_ignore_headers Set-Cookie Cache-Control Expires;",
        "fastcgi_cache_bypass $parity_skip_cache;",
        "fastcgi_no_cache $parity_skip_cache $parity_no_store;",
    ]
    cache_rules = [r for r in rules if r.action == "cache" and r.ttl and r.match.paths]
    if cache_rules:
        shortest = min(cache_rules, key=lambda r: r.ttl or 0)
        others = sorted({r.ttl for r in cache_rules if r.ttl != shortest.ttl and r.ttl})
        lines.append(f"# TTL of rule {shortest.name}: nginx has one TTL for every cache rule.")
        if others:
            asked = ", ".join(f"{t}s" for t in others)
            lines.append(f"# (other cache rules ask for {asked}; the shortest is used)")
        statuses = " ".join(str(s) for s in CACHEABLE_STATUSES)
        lines.append(f"fastcgi_cache_valid {statuses} {shortest.ttl}s;")
    lines += [
        "add_header X-Cache $parity_x_cache always;",
        "add_header X-Cache-Rule $parity_cache_rule always;",
        "",
    ]
    return lines


def render_nginx(
    ruleset: RuleSet, *, cache_dir: str = "/var/cache/nginx/parity", zone: str = "parity"
) -> str:
    """The nginx configuration for ``ruleset``, to include inside ``http { }``.

    ``cache_dir`` is where nginx keeps the cache (``fastcgi_cache_path``), ``zone`` the
    name of its shared memory zone. Raises InputError for values that cannot go in.
    """
    if not _CACHE_DIR.fullmatch(cache_dir):
        raise InputError(f"cache directory {cache_dir!r} must be an absolute path")
    if not _ZONE.fullmatch(zone):
        raise InputError(f"cache zone name {zone!r} must be letters, digits and '_'")
    rules = ruleset.rules
    lines = [
        f"# Generated by `parity cache render nginx` from {len(rules)} cache rules.",
        "# Do not edit: change the rules, run `parity cache test`, and render again.",
        "#",
        "# Include this file inside http { }. It caches the responses of every fastcgi_pass in",
        "# this http block (say `fastcgi_cache off;` in a server that must not be cached).",
        "# In your PHP location, after `include fastcgi_params;`, add",
        "#     fastcgi_param HTTP_COOKIE $parity_forward_cookie;",
        "# so that cacheable requests reach PHP without cookies, as with the VCL.",
        "#",
        "# The rules are tried top to bottom: $parity_decisions has one character per rule",
        "# (0 = does not decide, b = bypass, c = cache) and the first one that is not 0 wins;",
        "# a request no rule decides bypasses the cache. Responses carry X-Cache (HIT, MISS",
        "# or PASS) and X-Cache-Rule (the rule that decided).",
        "",
        f"fastcgi_cache_path {cache_dir} levels=1:2 keys_zone={zone}:32m inactive=1d max_size=1g;",
        'fastcgi_cache_key "$scheme$request_method$host$request_uri";',
        "",
    ]
    methods = " ".join(f"{m} 1;" for m in CACHEABLE_METHODS)
    lines += [
        "# Only GET and HEAD are ever cached.",
        f"map $request_method $parity_cacheable_method {{ default 0; {methods} }}",
        "",
    ]
    chars = []
    for index, rule in enumerate(rules):
        maps, char = _decision(rule, index)
        lines += _comment(rule, index + 1)
        if not rule.match.paths:
            lines.append("# (no path: this rule never matches)")
        elif rule.response_only:
            lines.append("# (checked on the response: see the response checks below)")
        lines += [*maps, ""]
        chars.append(char)
    lines += [
        "# One character per rule, in order (map is how nginx sets a variable at http level;",
        "# its source is not used).",
        f'map $request_method $parity_decisions {{ default "{"".join(chars)}"; }}',
        "",
        "# The first rule that decides wins: cache only when it says c.",
        'map $parity_decisions $parity_skip_cache { default 1; "~^0*c" 0; }',
        "",
        "# The name of the rule that decided the request.",
        "map $parity_decisions $parity_rule {",
        '    default "(none)";',
    ]
    for index, rule in enumerate(rules):
        if chars[index] != "0":
            lines.append(f'    "~^.{{{index}}}[bc]" "{rule.name}";')
    lines += [
        "}",
        "",
        "# Cookies go to PHP only when the request bypasses the cache.",
        "map $parity_skip_cache $parity_forward_cookie { default $http_cookie; 0 ''; }",
        "",
        *_response_section(rules),
        *_tail(rules, zone),
    ]
    return "\n".join(lines)
