"""The checks every environment gets without any configuration.

Home page, one post, the REST API root, wp-login, a logged-in admin page (when the
environment has a ``login``) and a cache HIT on a repeated anonymous request (when it has
a ``cache``). ``{post}`` is a route token: the probe asks the REST API for the newest
post's link. A ``[[monitor.checks]]`` entry with the same env and name replaces a default.

    >>> [c.name for c in default_checks("staging", has_login=False, has_cache=False)]
    ['home', 'post', 'rest-api', 'wp-login']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from parity.monitor.settings import POST_TOKEN, CheckSpec, MonitorSection

__all__ = ["POST_TOKEN", "checks_for", "default_checks"]


def default_checks(env: str, *, has_login: bool, has_cache: bool) -> list[CheckSpec]:
    """The default checks of environment ``env``."""
    checks = [
        CheckSpec(name="home", env=env, route="/", conditions=["status == 200"]),
        CheckSpec(name="post", env=env, route=POST_TOKEN, conditions=["status == 200"]),
        CheckSpec(
            name="rest-api",
            env=env,
            route="/wp-json/",
            conditions=["status == 200", "header content-type contains application/json"],
        ),
        CheckSpec(
            name="wp-login",
            env=env,
            route="/wp-login.php",
            conditions=["status == 200", 'body contains "user_login"'],
        ),
    ]
    if has_login:
        checks.append(
            CheckSpec(
                name="admin",
                env=env,
                route="/wp-admin/",
                logged_in=True,
                conditions=["status == 200", 'body contains "wpadminbar"'],
            )
        )
    if has_cache:
        checks.append(
            CheckSpec(
                name="cache-hit",
                env=env,
                route="/",
                repeat=True,
                conditions=["status == 200", "header x-cache == HIT"],
            )
        )
    return checks


def checks_for(
    section: MonitorSection, environments: Mapping[str, tuple[bool, bool]] | Iterable[str]
) -> list[CheckSpec]:
    """Every check to run: the defaults of each environment, then the configured ones.

    ``environments`` maps a name to ``(has_login, has_cache)`` (a plain list of names
    means neither). A configured check replaces the default of the same env and name.
    """
    facts = (
        dict(environments)
        if isinstance(environments, Mapping)
        else {name: (False, False) for name in environments}
    )
    configured = {c.key: c for c in section.checks}
    found: dict[str, CheckSpec] = {}
    if section.defaults:
        for env, (has_login, has_cache) in facts.items():
            for check in default_checks(env, has_login=has_login, has_cache=has_cache):
                found[check.key] = configured.get(check.key, check)
    for key, check in configured.items():
        found.setdefault(key, check)
    return list(found.values())
