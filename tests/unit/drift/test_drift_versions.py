"""Plugin and theme versions: file headers, then REST, then the update transient."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from parity.drift.versions import VersionSources, parse_headers, plugin_infos, theme_infos

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_headers_are_read_like_wordpress_get_file_data() -> None:
    text = "<?php\n/**\n * Plugin Name: Demo Plugin\n * Version:   2.3.1 */\n# Author: someone ?>\n"
    assert parse_headers(text, ["Plugin Name", "Version", "Author", "License"]) == {
        "Plugin Name": "Demo Plugin",
        "Version": "2.3.1",
        "Author": "someone",
    }
    assert parse_headers("<?php // Version: 9\r\n", ["Version"]) == {"Version": "9"}


def _plugin(root: Path, file: str, version: str) -> None:
    path = root / "plugins" / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<?php\n/*\nPlugin Name: {file}\nVersion: {version}\n*/\n")


def test_each_source_in_turn_with_its_label_and_age(tmp_path: Path) -> None:
    _plugin(tmp_path, "local/local.php", "1.0")
    checked_at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    sources = VersionSources(
        now=NOW,
        wp_content_dir=tmp_path,
        rest_plugins=[{"plugin": "rest/rest", "version": "2.0", "name": "Rest"}],
        update_plugins={
            "last_checked": int(checked_at.timestamp()),
            "checked": {"old/old.php": "3.0", "rest/rest.php": "1.9"},
        },
    )
    infos = plugin_infos(["local/local.php", "rest/rest.php", "old/old.php", "gone.php"], sources)
    assert (infos["local/local.php"].version, infos["local/local.php"].source) == ("1.0", "header")
    assert (infos["rest/rest.php"].version, infos["rest/rest.php"].source) == ("2.0", "rest")
    assert infos["old/old.php"].source == "transient"
    assert infos["old/old.php"].observed_at == checked_at
    assert infos["gone.php"].source == "none" and infos["gone.php"].version is None


def test_must_use_plugins_are_listed_from_files(tmp_path: Path) -> None:
    (tmp_path / "mu-plugins").mkdir()
    (tmp_path / "mu-plugins" / "guard.php").write_text("<?php\n// Plugin Name: Guard\n")
    infos = plugin_infos([], VersionSources(now=NOW, wp_content_dir=tmp_path))
    assert infos["mu-plugins/guard.php"].must_use
    assert infos["mu-plugins/guard.php"].name == "Guard"


def test_child_theme_and_its_parent(tmp_path: Path) -> None:
    for slug, version in (("child", "0.1"), ("parent", "4.2")):
        (tmp_path / "themes" / slug).mkdir(parents=True)
        (tmp_path / "themes" / slug / "style.css").write_text(f"/*\nVersion: {version}\n*/")
    theme, parent = theme_infos("child", "parent", VersionSources(now=NOW, wp_content_dir=tmp_path))
    assert theme is not None and parent is not None
    assert (theme.version, parent.version, parent.source) == ("0.1", "4.2", "header")
    same, none = theme_infos(
        "tt3", "tt3", VersionSources(now=NOW, update_themes={"checked": {"tt3": "1.1"}})
    )
    assert same is not None and (same.version, same.source) == ("1.1", "transient")
    assert none is None
