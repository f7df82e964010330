"""The public names of the drift package exist, and importing it does not need config."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import parity.drift


def test_every_module_all_is_honest() -> None:
    for info in pkgutil.iter_modules(parity.drift.__path__, "parity.drift."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{info.name}.{name}"


def test_drift_settings_import_without_parity_config() -> None:
    # parity.config will import DriftSection: the package must not import config back.
    code = (
        "import sys, parity.drift.settings, parity.drift; sys.exit('parity.config' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
