"""Capture a snapshot of one environment through its targets (database and site).

Reads only what stays small whatever the size of the site: options, ``information_schema``
(tables, columns, indexes, row estimates), the capabilities rows of users, one indexed
lookup per ``{post}``/``{page}`` route, and a handful of HTTP requests. No query scans
``wp_posts`` or ``wp_postmeta``; ``exact=True`` (``--exact``) is the one opt-in that
counts rows with ``COUNT(*)``.

Example::

    with Database.connect(env) as db, Site(env) as site:
        snapshot = capture_snapshot(env, db, site, DriftSection())
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from parity.drift.comparable import Comparable, decode_value
from parity.drift.cron import read_cron
from parity.drift.model import RouteProbe, Snapshot, Source, VolumeInfo, WordPressInfo
from parity.drift.normalise import Normaliser
from parity.drift.options import AUTOLOAD_VALUES, OwnerIndex, shape_options
from parity.drift.probe import core_version, probe_routes, rest_get
from parity.drift.roles import shape_roles, user_count_sql
from parity.drift.schema import core_index_report, shape_tables
from parity.drift.settings import DriftSection
from parity.drift.versions import VersionSources, plugin_infos, theme_infos
from parity.environments import EnvironmentSettings
from parity.store.clock import utc_now
from parity.targets.database import Database, quote_identifier
from parity.targets.site import Site

__all__ = ["capture_snapshot", "resolve_routes"]

log = logging.getLogger(__name__)

_UPDATE_TRANSIENTS = (
    "_site_transient_update_core",
    "_site_transient_update_plugins",
    "_site_transient_update_themes",
)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"


def _decode(raw: str | None) -> Comparable:
    if raw is None:
        return None
    ok, value = decode_value(raw)
    return value if ok else raw


def _timezone(options: Mapping[str, str]) -> str:
    name = options.get("timezone_string", "")
    if name:
        return name
    offset = options.get("gmt_offset", "0") or "0"
    try:
        number = float(offset)
    except ValueError:
        return f"UTC{offset}"
    text = f"{number:+g}"
    return f"UTC{text}"


def _read_schema(db: Database, prefix: str) -> tuple[list[Any], list[Any], list[Any]]:
    like = [_like_prefix(prefix)]
    where = "WHERE table_schema = DATABASE() AND table_name LIKE %s"
    tables = db.query(
        "SELECT table_name, engine, table_collation FROM information_schema.tables "
        f"{where} AND table_type = 'BASE TABLE' ORDER BY table_name",
        like,
    )
    columns = db.query(
        "SELECT table_name, column_name, column_type, is_nullable, column_default, extra,"
        f" collation_name FROM information_schema.columns {where}"
        " ORDER BY table_name, ordinal_position",
        like,
    )
    statistics = db.query(
        "SELECT table_name, index_name, seq_in_index, column_name, sub_part, non_unique,"
        f" index_type FROM information_schema.statistics {where}"
        " ORDER BY table_name, index_name, seq_in_index",
        like,
    )
    return tables, columns, statistics


def _volume(db: Database, prefix: str, exact: bool) -> dict[str, VolumeInfo]:
    rows = db.query(
        "SELECT table_name, table_rows FROM information_schema.tables"
        " WHERE table_schema = DATABASE() AND table_name LIKE %s AND table_type = 'BASE TABLE'"
        " ORDER BY table_name",
        [_like_prefix(prefix)],
    )
    out: dict[str, VolumeInfo] = {}
    for name, estimate in rows:
        table = str(name)
        key = table[len(prefix) :]
        if exact:
            count = db.scalar(f"SELECT COUNT(*) FROM {quote_identifier(table)}")
            out[key] = VolumeInfo(rows=int(count or 0), exact=True)
        else:
            out[key] = VolumeInfo(rows=int(estimate or 0), exact=False)
    return out


def _user_counts(db: Database, prefix: str, roles: Sequence[str]) -> tuple[int, dict[str, int]]:
    total = db.scalar(f"SELECT COUNT(*) FROM {quote_identifier(prefix + 'users')}")
    if not roles:
        return int(total or 0), {}
    sql, patterns = user_count_sql(quote_identifier(prefix + "usermeta"), list(roles))
    row = db.query(sql, [*patterns, f"{prefix}capabilities"])
    counts = row[0] if row else ()
    return int(total or 0), {role: int(n or 0) for role, n in zip(roles, counts, strict=False)}


def resolve_routes(
    db: Database, prefix: str, routes: Sequence[str]
) -> list[tuple[str, str | None]]:
    """Each route with the path to request: ``{post}``/``{page}`` become ``/?p=ID``.

    The oldest published post (page) is found through core's ``type_status_date`` index,
    so the lookup costs the same with ten posts or ten million.
    """
    posts = quote_identifier(prefix + "posts")
    out: list[tuple[str, str | None]] = []
    for route in routes:
        if route in ("{post}", "{page}"):
            kind = route.strip("{}")
            found = db.scalar(
                f"SELECT ID FROM {posts} WHERE post_type = %s AND post_status = 'publish'"
                " ORDER BY post_date, ID LIMIT 1",
                [kind],
            )
            if found is None:
                out.append((route, None))
            else:
                query = "p" if kind == "post" else "page_id"
                out.append((route, f"/?{query}={int(found)}"))
        else:
            out.append((route, route))
    return out


def _wp_content(env: EnvironmentSettings) -> Path | None:
    if env.wp_content_dir is None:
        return None
    path = Path(env.wp_content_dir)
    return path if path.is_dir() else None


@dataclass
class _Options:
    """What the capture reads from the options table in two small queries."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)
    plain: dict[str, str] = field(default_factory=dict)
    transients: dict[str, str] = field(default_factory=dict)
    autoload_bytes: int = 0


def _read_options(db: Database, prefix: str) -> _Options:
    table = quote_identifier(prefix + "options")
    transient_likes = ["\\_transient\\_%", "\\_site\\_transient\\_%"]
    rows = [
        (str(n), str(v), str(a))
        for n, v, a in db.query(
            f"SELECT option_name, option_value, autoload FROM {table}"
            " WHERE option_name NOT LIKE %s AND option_name NOT LIKE %s",
            transient_likes,
        )
    ]
    marks = ", ".join(["%s"] * len(_UPDATE_TRANSIENTS))
    transients = {
        str(name): str(value)
        for name, value in db.query(
            f"SELECT option_name, option_value FROM {table} WHERE option_name IN ({marks})",
            list(_UPDATE_TRANSIENTS),
        )
    }
    # WordPress counts autoloaded transients too; their size is summed by the server.
    autoloaded_transients = db.scalar(
        f"SELECT COALESCE(SUM(LENGTH(option_value)), 0) FROM {table}"
        " WHERE (option_name LIKE %s OR option_name LIKE %s)"
        " AND autoload IN ('yes', 'on', 'auto', 'auto-on')",
        transient_likes,
    )
    autoload_bytes = int(autoloaded_transients or 0) + sum(
        len(value.encode("utf-8")) for _, value, flag in rows if flag in AUTOLOAD_VALUES
    )
    return _Options(
        rows=rows,
        plain={name: value for name, value, _ in rows},
        transients=transients,
        autoload_bytes=autoload_bytes,
    )


def _active_plugins(
    db: Database, prefix: str, options: _Options, tables: Mapping[str, Any], multisite: bool
) -> list[str]:
    """Plugin files active on the site, then those active on the whole network."""
    active = _decode(options.plain.get("active_plugins"))
    files: list[str] = []
    if isinstance(active, list):
        files = [str(v) for v in active]
    elif isinstance(active, dict):
        files = [str(v) for v in active.values()]
    if multisite and "sitemeta" in tables:
        network = _decode(
            db.scalar(
                f"SELECT meta_value FROM {quote_identifier(prefix + 'sitemeta')}"
                " WHERE meta_key = 'active_sitewide_plugins' LIMIT 1"
            )
        )
        if isinstance(network, dict):
            files += [f for f in network if f not in files]
    return files


@dataclass
class _Http:
    """What the capture learns over HTTP."""

    probes: dict[str, RouteProbe] = field(default_factory=dict)
    version: str | None = None
    version_source: Source = "none"
    rest_plugins: list[Any] | None = None
    rest_themes: list[Any] | None = None
    notes: list[str] = field(default_factory=list)


def _capture_http(
    env: EnvironmentSettings,
    db: Database,
    site: Site,
    section: DriftSection,
    normaliser: Normaliser,
    *,
    want_rest: bool,
) -> _Http:
    out = _Http()
    resolved = resolve_routes(db, env.table_prefix, section.routes)
    want_login = section.logged_in and env.login is not None
    out.probes, out.notes = probe_routes(site, resolved, normaliser, logged_in=want_login)
    if env.login is None and section.logged_in:
        out.notes.append("logged-in probes skipped: the environment has no login")
    out.version, out.version_source = core_version(site)
    if want_rest and site.logged_in:
        plugins = rest_get(site, "/wp/v2/plugins")
        themes = rest_get(site, "/wp/v2/themes&status=active")
        out.rest_plugins = plugins if isinstance(plugins, list) else None
        out.rest_themes = themes if isinstance(themes, list) else None
    return out


def capture_snapshot(
    env: EnvironmentSettings,
    db: Database,
    site: Site | None,
    section: DriftSection,
    *,
    exact: bool | None = None,
    now: datetime | None = None,
) -> Snapshot:
    """Capture ``env`` now. ``site=None`` (or no routes) leaves out the HTTP part."""
    started = time.perf_counter()
    now = now or utc_now()
    exact = section.exact_counts if exact is None else exact
    prefix = env.table_prefix
    notes: list[str] = []
    normaliser = Normaliser(env.url, section.hosts.get(env.name, ()))

    tables = shape_tables(prefix, *_read_schema(db, prefix))
    multisite = "blogs" in tables and "site" in tables
    if "options" in tables:
        options = _read_options(db, prefix)
    else:
        notes.append(f"no {prefix}options table: is table_prefix right?")
        options = _Options()
    plain = options.plain
    active_files = _active_plugins(db, prefix, options, tables, multisite)
    db_version_text = plain.get("db_version", "")
    db_version = int(db_version_text) if db_version_text.isdigit() else None
    roles_value = _decode(plain.get(f"{prefix}user_roles"))
    role_names = sorted(roles_value) if isinstance(roles_value, dict) else []
    users, per_role = _user_counts(db, prefix, role_names) if "users" in tables else (0, {})

    wp_content = _wp_content(env)
    if env.wp_content_dir is not None and wp_content is None:
        notes.append("wp_content_dir is not a readable folder here: versions from elsewhere")
    http = _Http()
    if site is not None and section.routes:
        http = _capture_http(env, db, site, section, normaliser, want_rest=wp_content is None)
        notes += http.notes
    if http.version is None:
        update_core = _decode(options.transients.get("_site_transient_update_core"))
        if isinstance(update_core, dict) and isinstance(update_core.get("version_checked"), str):
            http.version, http.version_source = str(update_core["version_checked"]), "transient"

    sources = VersionSources(
        now=now,
        wp_content_dir=wp_content,
        rest_plugins=http.rest_plugins,
        rest_themes=http.rest_themes,
        update_plugins=_decode(options.transients.get("_site_transient_update_plugins")),
        update_themes=_decode(options.transients.get("_site_transient_update_themes")),
    )
    theme, parent = theme_infos(plain.get("stylesheet"), plain.get("template"), sources)
    cron, cron_note = read_cron(plain.get("cron"), now, section.overdue_after_s)
    if cron_note is not None:
        notes.append(cron_note)
    owners = OwnerIndex.build(
        active_files, [t for t in (plain.get("stylesheet"), plain.get("template")) if t]
    )
    snapshot = Snapshot(
        environment=env.name,
        url=env.url,
        taken_at=now,
        exact_counts=exact,
        wordpress=WordPressInfo(
            core_version=http.version,
            core_version_source=http.version_source,
            db_version=db_version,
            multisite=multisite,
            permalink_structure=plain.get("permalink_structure", ""),
            language=plain.get("WPLANG") or "en_US",
            timezone=_timezone(plain),
            theme=theme,
            parent_theme=parent,
        ),
        plugins=plugin_infos(active_files, sources),
        options=shape_options(
            options.rows,
            normaliser,
            prefix=prefix,
            owners=owners,
            secret=section.secret_options,
            volatile=section.volatile_options,
        ),
        autoload_bytes=options.autoload_bytes,
        tables=tables,
        core_indexes=core_index_report(tables, db_version, multisite),
        cron=cron,
        roles=shape_roles(roles_value, per_role),
        users=users,
        volume=_volume(db, prefix, exact),
        http=http.probes,
        notes=notes,
    )
    duration = time.perf_counter() - started
    log.info("snapshot of %s took %.2f s", env.name, duration)
    return snapshot.model_copy(update={"duration_s": round(duration, 3)})
