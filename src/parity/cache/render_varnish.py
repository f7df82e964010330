"""Varnish VCL (``vcl 4.1``; Varnish 6 and 7) generated from a rule set.

The VCL follows ``parity.cache.evaluate.decide`` exactly:

- ``vcl_recv`` tries the rules top to bottom, each under a comment with its name and
  description; a bypass is ``return (pass)``, a cache decision strips the request's
  cookies (none of them caused a bypass) and looks the object up. The deciding rule's
  name travels in ``X-Parity-Rule``, the response checks that apply in ``X-Parity-Check``.
- ``vcl_backend_response`` applies those response checks (a match makes the object
  uncacheable: hit-for-miss) and sets the deciding rule's TTL. Only statuses that are
  safe to share get the TTL; any other status is fetched again next time. The rules, not
  the backend's Cache-Control, set the TTL.
- ``vcl_deliver`` adds ``X-Cache: HIT | MISS | PASS`` and ``X-Cache-Rule`` (the rule that
  decided), and keeps Varnish's ``Age``.
- ``PURGE`` from localhost (acl ``parity_purgers``) drops the object of that Host + URL.

    vcl = render_varnish(default_ruleset(), backend_host="127.0.0.1", backend_port=8080)
"""

from __future__ import annotations

import re

from parity.cache import patterns
from parity.cache.rules import (
    CACHEABLE_METHODS,
    CacheRule,
    RuleMatch,
    RuleSet,
    only_cacheable_methods,
)
from parity.errors import InputError

__all__ = ["CACHEABLE_STATUSES", "render_varnish"]

#: Response statuses that get a rule's TTL; others are never stored.
CACHEABLE_STATUSES = (200, 203, 204, 300, 301, 308, 404, 410)

_HOST = re.compile(r"^[A-Za-z0-9.\-:]+$")
# How long Varnish remembers "do not store this" (hit-for-miss), as builtin.vcl does.
_HIT_FOR_MISS = "120s"


def _comment(rule: CacheRule, number: int, indent: str) -> list[str]:
    lines = [f"{indent}# {number}. {rule.name}: {rule.summary()}"]
    lines += [f"{indent}#    {line}".rstrip() for line in rule.description.splitlines()]
    return lines


def _match_test(match: RuleMatch, target: str = "req") -> str:
    """A VCL condition for a rule's match, or "true" when it applies everywhere."""
    tests = []
    if not match.any_path:
        tests.append(f'{target}.url ~ "{patterns.path_regex(match.paths)}"')
    if match.methods:
        tests.append("(" + " || ".join(f'{target}.method == "{m}"' for m in match.methods) + ")")
    elif match.except_methods:
        tests += [f'{target}.method != "{m}"' for m in match.except_methods]
    return " && ".join(tests) or "true"


def _request_test(rule: CacheRule) -> str:
    """A VCL condition true when any request condition of the rule holds."""
    when = rule.bypass_when
    tests = []
    if when.cookies:
        tests.append(f'req.http.Cookie ~ "{patterns.cookie_regex(when.cookies)}"')
    if when.query:
        tests.append(f'req.url ~ "{patterns.query_regex(when.query)}"')
    tests += [f'req.http.{name} ~ "."' for name in when.headers]
    return " || ".join(tests)


def _response_test(rule: CacheRule) -> str:
    when = rule.bypass_when
    tests = []
    if when.response_set_cookie:
        tests.append('beresp.http.Set-Cookie ~ "."')
    if when.response_cache_control:
        regex = patterns.cache_control_regex(when.response_cache_control)
        tests.append(f'beresp.http.Cache-Control ~ "{regex}"')
    return " || ".join(tests)


def _all_of(*tests: str) -> str:
    """Join VCL conditions with &&, leaving out the trivial ones."""
    kept = [t for t in tests if t and t != "true"]
    return " && ".join(kept) or "true"


def _check_token(name: str) -> str:
    """The rule's token in X-Parity-Check (",name,"), as a regex."""
    return "," + name.replace(".", r"\.") + ","


def _recv_rule(rules: tuple[CacheRule, ...], index: int) -> list[str]:
    rule = rules[index]
    lines = _comment(rule, index + 1, "    ")
    if not rule.match.paths:
        return [*lines, "    # (no path: this rule never matches)", ""]
    if rule.response_only:
        return [*lines, "    # (checked on the response, in vcl_backend_response)", ""]
    match = _match_test(rule.match)
    conditions = _request_test(rule)
    if rule.action == "bypass":
        # A bypass rule whose conditions do not hold lets the next rules decide.
        test = _all_of(match, f"({conditions})" if conditions and match != "true" else conditions)
        return [
            *lines,
            f"    if ({test}) {{",
            f'        set req.http.X-Parity-Rule = "{rule.name}";',
            "        return (pass);",
            "    }",
            "",
        ]
    lines.append(f"    if ({match}) {{")
    lines.append(f'        set req.http.X-Parity-Rule = "{rule.name}";')
    if conditions:
        lines += [f"        if ({conditions}) {{", "            return (pass);", "        }"]
    if not only_cacheable_methods(rule.match):
        methods = " && ".join(f'req.method != "{m}"' for m in CACHEABLE_METHODS)
        lines += [
            "        # Only GET and HEAD are ever cached.",
            f"        if ({methods}) {{",
            "            return (pass);",
            "        }",
        ]
    checks = [r for r in rules[: index + 1] if r.bypass_when.on_response and r.match.paths]
    # The response checks that apply to this request, as ",name,name,".
    initial = ",".join(["", *(c.name for c in checks if _match_test(c.match) == "true"), ""])
    if checks:
        lines.append(f'        set req.http.X-Parity-Check = "{initial}";')
    for check in checks:
        test = _match_test(check.match)
        if test != "true":
            append = f'req.http.X-Parity-Check + "{check.name},"'
            lines += [
                f"        if ({test}) {{",
                f"            set req.http.X-Parity-Check = {append};",
                "        }",
            ]
    lines += [
        "        # Cookies that caused no bypass must not split or personalise the cache.",
        "        unset req.http.Cookie;",
        "        return (hash);",
        "    }",
        "",
    ]
    return lines


def _backend_response(rules: tuple[CacheRule, ...]) -> list[str]:
    lines = [
        "sub vcl_backend_response {",
        "    unset beresp.http.X-Cache-Rule;",
        "    if (bereq.uncacheable) {",
        "        return (deliver);",
        "    }",
    ]
    for index, rule in enumerate(rules):
        if not rule.bypass_when.on_response or not rule.match.paths:
            continue
        lines += _comment(rule, index + 1, "    ")
        token = _check_token(rule.name)
        lines += [
            f'    if (bereq.http.X-Parity-Check ~ "{token}" && ({_response_test(rule)})) {{',
            f'        set beresp.http.X-Cache-Rule = "{rule.name}";',
            "        set beresp.uncacheable = true;",
            f"        set beresp.ttl = {_HIT_FOR_MISS};",
            "        return (deliver);",
            "    }",
        ]
    statuses = "\n        && ".join(f"beresp.status != {s}" for s in CACHEABLE_STATUSES)
    lines += [
        "    # Errors and temporary redirects are not shared: fetch them again next time.",
        f"    if ({statuses}) {{",
        "        set beresp.uncacheable = true;",
        f"        set beresp.ttl = {_HIT_FOR_MISS};",
        "        return (deliver);",
        "    }",
        "    # The deciding rule's TTL, whatever the backend's Cache-Control says.",
    ]
    for rule in rules:
        if rule.action == "cache" and rule.match.paths:
            lines += [
                f'    if (bereq.http.X-Parity-Rule == "{rule.name}") {{',
                f"        set beresp.ttl = {rule.ttl}s;",
                "    }",
            ]
    lines += ["    return (deliver);", "}"]
    return lines


def render_varnish(
    ruleset: RuleSet, *, backend_host: str = "127.0.0.1", backend_port: int = 8080
) -> str:
    """The VCL for ``ruleset`` in front of the backend at ``backend_host:backend_port``.

    Raises InputError for a host or port that cannot go into VCL.
    """
    if not _HOST.fullmatch(backend_host):
        raise InputError(f"backend host {backend_host!r} is not a host name or IP address")
    if not 0 < backend_port < 65536:
        raise InputError(f"backend port {backend_port} is not between 1 and 65535")
    rules = ruleset.rules
    lines = [
        "vcl 4.1;",
        "",
        f"# Generated by `parity cache render varnish` from {len(rules)} cache rules.",
        "# Do not edit: change the rules, run `parity cache test`, and render again.",
        "#",
        "# The rules are tried top to bottom in vcl_recv; the first that decides wins, and a",
        "# request no rule decides bypasses the cache. Responses carry X-Cache (HIT, MISS or",
        "# PASS), X-Cache-Rule (the rule that decided) and Varnish's own Age.",
        "",
        "import std;",
        "",
        "backend default {",
        f'    .host = "{backend_host}";',
        f'    .port = "{backend_port}";',
        "}",
        "",
        "# Who may PURGE: this machine only.",
        "acl parity_purgers {",
        '    "127.0.0.1";',
        '    "::1";',
        "}",
        "",
        "sub vcl_recv {",
        "    # parity's markers are its own: never take them from a client.",
        "    unset req.http.X-Parity-Rule;",
        "    unset req.http.X-Parity-Check;",
        '    if (req.method == "PURGE") {',
        "        if (client.ip !~ parity_purgers) {",
        '            return (synth(405, "PURGE is allowed from localhost only"));',
        "        }",
        "        # Drops the object hashed from this Host + URL (vcl_hash), and only it.",
        "        return (purge);",
        "    }",
        "    # HTTP/2 may send several Cookie headers: join them so every cookie is seen.",
        '    std.collect(req.http.Cookie, "; ");',
        "",
    ]
    for index in range(len(rules)):
        lines += _recv_rule(rules, index)
    lines += [
        "    # No rule decided: bypass (the safe default).",
        '    set req.http.X-Parity-Rule = "(none)";',
        "    return (pass);",
        "}",
        "",
        "sub vcl_hash {",
        "    hash_data(req.url);",
        "    if (req.http.Host) {",
        "        hash_data(req.http.Host);",
        "    } else {",
        "        hash_data(server.ip);",
        "    }",
        "    return (lookup);",
        "}",
        "",
        *_backend_response(rules),
        "",
        "sub vcl_deliver {",
        "    if (obj.uncacheable) {",
        '        set resp.http.X-Cache = "PASS";',
        "    } elsif (obj.hits > 0) {",
        '        set resp.http.X-Cache = "HIT";',
        "    } else {",
        '        set resp.http.X-Cache = "MISS";',
        "    }",
        "    if (!resp.http.X-Cache-Rule) {",
        "        set resp.http.X-Cache-Rule = req.http.X-Parity-Rule;",
        "    }",
        "    # Age (seconds since the object was fetched) is kept: checks read it.",
        "    return (deliver);",
        "}",
    ]
    return "\n".join(lines) + "\n"
