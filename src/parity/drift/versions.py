"""Versions of active plugins and themes, from the best source available, labelled.

In order of preference:

1. ``header``: the plugin's main file (or the theme's ``style.css``) under the
   environment's ``wp_content_dir``, read like WordPress's ``get_file_data()`` does;
2. ``rest``: the REST API (``/wp/v2/plugins``, ``/wp/v2/themes``) when logged in;
3. ``transient``: the ``checked`` list of ``_site_transient_update_plugins`` /
   ``_update_themes``, as old as its ``last_checked`` time;
4. ``none``: unknown.

Each result carries its source and ``observed_at`` (now for 1 and 2), so a report can say
how old the information is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parity.drift.comparable import Comparable
from parity.drift.model import PluginInfo, ThemeInfo

__all__ = ["VersionSources", "parse_headers", "plugin_infos", "theme_infos"]

#: WordPress reads only the first 8 KiB of a file for its headers.
HEADER_BYTES = 8192

_CLEANUP = re.compile(r"\s*(?:\*/|\?>).*")


def parse_headers(text: str, names: Iterable[str]) -> dict[str, str]:
    """The header fields ``names`` found in a plugin file or ``style.css``.

    >>> parse_headers("<?php\\n/*\\n * Plugin Name: Demo\\n * Version: 1.2\\n */", ["Version"])
    {'Version': '1.2'}
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found: dict[str, str] = {}
    for name in names:
        pattern = re.compile(
            r"^(?:[ \t]*<\?php)?[ \t/*#@]*" + re.escape(name) + r":(.*)$",
            re.IGNORECASE | re.MULTILINE,
        )
        match = pattern.search(text)
        if match:
            value = _CLEANUP.sub("", match.group(1)).strip()
            if value:
                found[name] = value
    return found


def _read_head(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return handle.read(HEADER_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


@dataclass(frozen=True)
class VersionSources:
    """What the capture could reach to learn versions."""

    now: datetime
    wp_content_dir: Path | None = None
    rest_plugins: Sequence[Mapping[str, Any]] | None = None
    rest_themes: Sequence[Mapping[str, Any]] | None = None
    update_plugins: Comparable = None
    update_themes: Comparable = None
    notes: list[str] = field(default_factory=list)


def _checked(transient: Comparable) -> tuple[dict[str, str], datetime | None]:
    """``checked`` versions and ``last_checked`` time of an update transient."""
    if not isinstance(transient, dict):
        return {}, None
    checked = transient.get("checked")
    versions = (
        {str(k): str(v) for k, v in checked.items() if isinstance(v, str | int | float)}
        if isinstance(checked, dict)
        else {}
    )
    stamp = transient.get("last_checked")
    when = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int | float) else None
    return versions, when


def plugin_infos(active: Sequence[str], sources: VersionSources) -> dict[str, PluginInfo]:
    """Active plugin file -> name, version, source, observed_at; must-use plugins too."""
    rest: dict[str, Mapping[str, Any]] = {}
    for item in sources.rest_plugins or ():
        plugin = item.get("plugin")
        if isinstance(plugin, str):
            rest[plugin] = item
    checked, checked_at = _checked(sources.update_plugins)
    out: dict[str, PluginInfo] = {}
    for file in active:
        head = None
        if sources.wp_content_dir is not None:
            head = _read_head(sources.wp_content_dir / "plugins" / file)
        if head is not None:
            fields = parse_headers(head, ("Plugin Name", "Version"))
            out[file] = PluginInfo(
                name=fields.get("Plugin Name"),
                version=fields.get("Version"),
                source="header",
                observed_at=sources.now,
            )
            continue
        entry = rest.get(file.removesuffix(".php"))
        if entry is not None:
            name, version = entry.get("name"), entry.get("version")
            out[file] = PluginInfo(
                name=name if isinstance(name, str) else None,
                version=version if isinstance(version, str) and version else None,
                source="rest",
                observed_at=sources.now,
            )
        elif file in checked:
            out[file] = PluginInfo(
                version=checked[file], source="transient", observed_at=checked_at
            )
        else:
            out[file] = PluginInfo(source="none")
    if sources.wp_content_dir is not None:
        out.update(_must_use(sources.wp_content_dir / "mu-plugins", sources.now))
    return out


def _must_use(folder: Path, now: datetime) -> dict[str, PluginInfo]:
    out: dict[str, PluginInfo] = {}
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix == ".php" and p.is_file())
    except OSError:
        return out
    for path in files:
        fields = parse_headers(_read_head(path) or "", ("Plugin Name", "Version"))
        out[f"mu-plugins/{path.name}"] = PluginInfo(
            name=fields.get("Plugin Name"),
            version=fields.get("Version"),
            source="header",
            observed_at=now,
            must_use=True,
        )
    return out


def theme_infos(
    stylesheet: str | None, template: str | None, sources: VersionSources
) -> tuple[ThemeInfo | None, ThemeInfo | None]:
    """The active theme and, for a child theme, its parent (None when not a child)."""
    if not stylesheet:
        return None, None
    active = _theme(stylesheet, sources)
    parent = _theme(template, sources) if template and template != stylesheet else None
    return active, parent


def _theme(slug: str, sources: VersionSources) -> ThemeInfo:
    if sources.wp_content_dir is not None:
        head = _read_head(sources.wp_content_dir / "themes" / slug / "style.css")
        if head is not None:
            version = parse_headers(head, ("Version",)).get("Version")
            return ThemeInfo(slug=slug, version=version, source="header", observed_at=sources.now)
    for item in sources.rest_themes or ():
        if item.get("stylesheet") == slug:
            version = item.get("version")
            return ThemeInfo(
                slug=slug,
                version=version if isinstance(version, str) and version else None,
                source="rest",
                observed_at=sources.now,
            )
    checked, checked_at = _checked(sources.update_themes)
    if slug in checked:
        return ThemeInfo(
            slug=slug, version=checked[slug], source="transient", observed_at=checked_at
        )
    return ThemeInfo(slug=slug)
