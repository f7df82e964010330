"""The public names of the jobs, cron and importer packages exist, and importing the
jobs settings (what parity.config does) never needs parity.config, which sits above the
capabilities (the whole graph is checked by tests/unit/test_import_graph.py)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["parity.jobs", "parity.cron", "parity.content.importer"])
def test_every_name_in_all_exists(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
    assert list(module.__all__) == sorted(set(module.__all__), key=module.__all__.index)


def test_the_jobs_settings_import_without_parity_config() -> None:
    code = "import sys, parity.jobs.settings; print('parity.config' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
