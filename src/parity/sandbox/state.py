"""What a sandbox remembers between runs: generated passwords, salts and its ports.

Kept in ``<state>/sandbox.json`` with mode 0600; created once, on the first ``up``, so the
passwords stay the same for the life of the state directory.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity.errors import SandboxError
from parity.sandbox.layout import SITES
from parity.sandbox.ports import SandboxPorts

__all__ = ["SALT_NAMES", "SandboxState", "generate_password", "write_private"]

#: The WordPress secret keys and salts each site gets, all different.
SALT_NAMES: tuple[str, ...] = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)

_FORMAT = 1
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
# Salts go into single-quoted PHP strings: no quote and no backslash.
_SALT_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~"


def generate_password(length: int = 24) -> str:
    """A random password of letters and digits (safe in URLs, TOML and shell words)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _generate_salts() -> dict[str, str]:
    return {name: "".join(secrets.choice(_SALT_ALPHABET) for _ in range(64)) for name in SALT_NAMES}


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600 from the first byte)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@dataclass
class SandboxState:
    """Secrets and settings of one sandbox. Never print it: it holds passwords."""

    ports: SandboxPorts
    admin_password: str
    db_passwords: dict[str, str]
    salts: dict[str, dict[str, str]]
    #: Per site, the VCL varnishd runs: {"name": ..., "sha256": ..., "source": ...}.
    loaded_vcl: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Per site, the siteurl the sandbox last gave WordPress (to follow port changes).
    site_urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, ports: SandboxPorts) -> SandboxState:
        """Fresh random passwords and salts for both sites."""
        return cls(
            ports=ports,
            admin_password=generate_password(),
            db_passwords={site: generate_password() for site in SITES},
            salts={site: _generate_salts() for site in SITES},
        )

    @classmethod
    def load(cls, path: Path) -> SandboxState | None:
        """The state saved at ``path``, or None when there is none yet."""
        try:
            data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SandboxError(
                f"cannot read the sandbox state {path}: {exc.__class__.__name__}",
                hint="run `parity sandbox down --purge` and start again",
            ) from None
        try:
            return cls(
                ports=SandboxPorts.from_dict(data["ports"]),
                admin_password=str(data["admin_password"]),
                db_passwords={site: str(data["db_passwords"][site]) for site in SITES},
                salts={site: dict(data["salts"][site]) for site in SITES},
                loaded_vcl={k: dict(v) for k, v in data.get("loaded_vcl", {}).items()},
                site_urls={k: str(v) for k, v in data.get("site_urls", {}).items()},
            )
        except (KeyError, TypeError, ValueError):
            raise SandboxError(
                f"the sandbox state {path} is incomplete or from another version",
                hint="run `parity sandbox down --purge` and start again",
            ) from None

    def save(self, path: Path) -> None:
        """Write the state to ``path`` (mode 0600)."""
        data = {
            "format": _FORMAT,
            "ports": self.ports.as_dict(),
            "admin_password": self.admin_password,
            "db_passwords": self.db_passwords,
            "salts": self.salts,
            "loaded_vcl": self.loaded_vcl,
            "site_urls": self.site_urls,
        }
        write_private(path, json.dumps(data, indent=2) + "\n")
