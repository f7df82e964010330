"""parity.toml -> typed settings.

The file is found, in order, at ``--config``, ``$PARITY_CONFIG``, ``./parity.toml`` and
``./.parity/sandbox/parity.toml`` (the file ``parity sandbox up`` writes). ``${VAR}`` in any
string is replaced by the process environment's value before validation. Unknown keys are
rejected; every error names the file, the key path and what is wrong, and never a secret.

Example::

    settings = load_settings(Path("parity.toml"))
    staging = settings.environment("staging")
    staging.db.host, staging.db.port   # "127.0.0.1", 3307
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    Field,
    ValidationError,
    model_validator,
)

from parity.cache.rules import CacheSection
from parity.drift.settings import DriftSection
from parity.environments import (
    EnvironmentSettings,
    StrictModel,
)
from parity.errors import ConfigError, MissingVariable
from parity.jobs.settings import JobsSection
from parity.media.settings import MediaSection
from parity.monitor.settings import MonitorSection
from parity.refresh.settings import RefreshSection
from parity.rehearse.settings import RehearseSection

__all__ = [
    "CONFIG_SEARCH_PATHS",
    "Settings",
    "config_asked_for",
    "find_config",
    "load_settings",
    "settings_from_mapping",
]

CONFIG_SEARCH_PATHS: tuple[Path, ...] = (
    Path("parity.toml"),
    Path(".parity/sandbox/parity.toml"),
)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StateSettings(StrictModel):
    """Where parity keeps its own state (snapshots, runs, measurements)."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite at .parity/state.db beside the config",
    )


class Settings(StrictModel):
    """The whole parity.toml."""

    environments: dict[str, EnvironmentSettings] = Field(default_factory=dict)
    state: StateSettings = Field(default_factory=StateSettings)
    cache: CacheSection = Field(default_factory=CacheSection)
    drift: DriftSection = Field(default_factory=DriftSection)
    refresh: RefreshSection = Field(default_factory=RefreshSection)
    jobs: JobsSection = Field(default_factory=JobsSection)
    monitor: MonitorSection = Field(default_factory=MonitorSection)
    rehearse: RehearseSection = Field(default_factory=RehearseSection)
    media: MediaSection = Field(default_factory=MediaSection)
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _tell_environments_what_is_protected(self) -> Settings:
        protected = tuple(env for env in self.environments.values() if env.protected)
        for env in self.environments.values():
            env._protected_peers = tuple(p for p in protected if p is not env)
        return self

    @model_validator(mode="after")
    def _media_fallbacks_name_environments(self) -> Settings:
        for name, env in self.environments.items():
            if env.media is None:
                continue
            source = env.media.proxy_from
            if source == name:
                raise ValueError(
                    f"environments.{name}.media.proxy_from: an environment cannot serve its"
                    " own missing uploads (name another one, e.g. production)"
                )
            if source not in self.environments:
                known = ", ".join(sorted(self.environments))
                raise ValueError(
                    f"environments.{name}.media.proxy_from: no environment named {source!r}"
                    f" (known: {known})"
                )
        return self

    def masked(self) -> dict[str, Any]:
        """The resolved settings as plain data with every secret masked, safe to print."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude={"source"})
        for name, env in self.environments.items():
            body = data["environments"][name]
            # The one JSON vocabulary calls an environment's name `environment`.
            data["environments"][name] = body = {"environment": body.pop("name"), **body}
            body["db"] = env.db.display()
            if env.login is not None:
                body["login"]["password"] = "***"
        masked = _mask_secrets(data)
        assert isinstance(masked, dict)
        return masked

    def environment(self, name: str) -> EnvironmentSettings:
        """The environment called ``name``, or a ConfigError listing the known names."""
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            where = self.source or "the configuration"
            raise ConfigError(
                f"{where}: no environment named {name!r} (known: {known})",
                hint=f"add [environments.{name}] or use one of the known names",
            ) from None

    @property
    def base_dir(self) -> Path:
        """The folder parity's relative paths are taken from (the config's folder)."""
        return self.source.parent if self.source else Path.cwd()

    def state_url(self) -> str:
        """The SQLAlchemy URL of the state store."""
        if self.state.url:
            return self.state.url
        root = self.base_dir
        # The sandbox's config lives in .parity/sandbox: keep state beside the project.
        if root.name == "sandbox" and root.parent.name == ".parity":
            root = root.parent.parent
        return f"sqlite:///{root / '.parity' / 'state.db'}"


def _mask_url(text: str) -> str:
    """A URL with the password of its user part replaced by ***."""
    parts = urlsplit(text)
    if parts.password is None or not parts.scheme:
        return text
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def _mask_secrets(value: object) -> object:
    """Every SecretStr (dumped by pydantic as ``**********``) and every password inside
    a URL, masked the same way: ``***``."""
    if isinstance(value, dict):
        return {k: _mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_secrets(v) for v in value]
    if isinstance(value, str):
        if value == "**********":
            return "***"
        if "://" in value and "@" in value:
            return _mask_url(value)
    return value


def config_asked_for(explicit: Path | None = None) -> Path | None:
    """The config file parity would read, in the one search order: ``explicit``
    (``--config``), ``$PARITY_CONFIG``, then the first of :data:`CONFIG_SEARCH_PATHS`
    that exists; None when none is asked for and none is found.

    A file asked for (``--config``, ``$PARITY_CONFIG``) is returned even when it does not
    exist: :func:`find_config` then says so.
    """
    if explicit is not None:
        return explicit
    from_env = os.environ.get("PARITY_CONFIG")
    if from_env:
        return Path(from_env)
    return next((path for path in CONFIG_SEARCH_PATHS if path.is_file()), None)


def find_config(explicit: Path | None = None) -> Path:
    """The config file to use: ``explicit``, ``$PARITY_CONFIG`` or the first one found."""
    path = config_asked_for(explicit)
    if path is not None and not path.is_file():
        if explicit is not None:
            raise ConfigError(f"{path}: no such config file", hint="run `parity init` to write one")
        raise ConfigError(f"{path} (from $PARITY_CONFIG): no such config file")
    if path is not None:
        return path
    raise ConfigError(
        "no parity.toml here",
        hint="run `parity init`, `parity sandbox up`, or pass --config FILE",
    )


def _interpolate(node: Any, path: str, file: Path, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise MissingVariable(
                    f"{file}: {path} uses ${{{name}}}, which is not set",
                    hint=f"export {name}=... before running parity",
                )
            return env[name]

        return _VAR.sub(sub, node)
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else k, file, env) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_interpolate(v, f"{path}[{i}]", file, env) for i, v in enumerate(node)]
    return node


def _describe(error: ValidationError, file: Path) -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "(top level)"
        msg = item["msg"]
        if item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/configuration.md)"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return f"{file}: " + "; ".join(parts)


def settings_from_mapping(
    data: Mapping[str, Any], file: Path, env: Mapping[str, str] | None = None
) -> Settings:
    """Validate an already-parsed TOML mapping (``${VAR}`` resolved from ``env``)."""
    resolved = _interpolate(dict(data), "", file, os.environ if env is None else env)
    envs = resolved.get("environments")
    if isinstance(envs, dict):
        for name, body in envs.items():
            if isinstance(body, dict):
                if "name" in body:
                    raise ConfigError(
                        f"{file}: environments.{name}.name: unknown key",
                        hint="the name is the table's name",
                    )
                body["name"] = name
    try:
        settings = Settings.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file)) from None
    return settings.model_copy(update={"source": file.resolve()})


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Find, read and validate parity.toml."""
    file = find_config(path)
    try:
        raw = file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: is not UTF-8 text") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    return settings_from_mapping(data, file, env)
