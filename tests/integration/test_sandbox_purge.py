"""`sandbox down --purge` removes what the sandbox made and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parity.sandbox import Sandbox, SandboxPorts
from parity.sandbox.layout import SITES

pytestmark = pytest.mark.integration


def test_purge_keeps_foreign_files_in_sandbox_folders_and_says_so(
    tmp_path: Path, sandbox_port_offset: int, run_parity: Any
) -> None:
    ports = SandboxPorts.with_offset(sandbox_port_offset + 50)
    box = Sandbox(tmp_path / "purged", ports)
    try:
        box.up()
        layout = box.layout
        notes = layout.nginx_dir / "notes.txt"
        notes.write_text("mine, not the sandbox's\n", encoding="utf-8")
        plugin = layout.wp_content("staging") / "plugins" / "my-plugin"
        plugin.mkdir()
        (plugin / "my-plugin.php").write_text("<?php // mine\n", encoding="utf-8")
        result = run_parity(
            "sandbox", "down", "--purge", "--state-dir", str(box.state_dir), "--format", "json"
        )
        assert result.returncode == 0, result.stderr
        # The foreign files are still there, with the folders that lead to them ...
        assert notes.read_text(encoding="utf-8") == "mine, not the sandbox's\n"
        assert (plugin / "my-plugin.php").is_file()
        report = json.loads(result.stdout)
        assert report["purged"] is True
        assert sorted(report["kept"]) == sorted([str(notes), str(plugin)])
        # ... and everything the sandbox made is gone.
        left = sorted(str(p.relative_to(box.state_dir)) for p in box.state_dir.rglob("*"))
        assert left == sorted(
            [
                "nginx",
                "nginx/notes.txt",
                "staging",
                "staging/wp-content",
                "staging/wp-content/plugins",
                "staging/wp-content/plugins/my-plugin",
                "staging/wp-content/plugins/my-plugin/my-plugin.php",
            ]
        )
        assert not any(layout.wordpress_config(site).exists() for site in SITES)
        assert box.status().stopped
        # The table output names what was left.
        again = run_parity("sandbox", "down", "--purge", "--state-dir", str(box.state_dir))
        assert again.returncode == 0, again.stderr
        assert "notes.txt" in again.stdout and "my-plugin" in again.stdout
        assert "not made by the sandbox" in again.stdout
    finally:
        box.down(purge=True)


def test_purge_of_a_sandbox_with_nothing_foreign_removes_the_state_dir(
    tmp_path: Path, sandbox_port_offset: int
) -> None:
    box = Sandbox(tmp_path / "clean", SandboxPorts.with_offset(sandbox_port_offset + 50))
    try:
        box.up()
        result = box.down(purge=True)
        assert result.kept == []
        assert not box.state_dir.exists()
    finally:
        box.down(purge=True)
