"""An environment as parity.toml describes it: its site, its database, its login.

These models sit below every capability: targets/ reaches an environment from them, and
the capabilities take them as arguments. ``parity.config`` (above the capabilities)
composes them with each capability's section into the whole ``Settings``.

Example::

    env = EnvironmentSettings.model_validate(
        {"name": "staging", "url": "https://staging.example.com",
         "db": "mysql://wp:secret@127.0.0.1:3307/wordpress"}
    )
    env.db.port   # 3307
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
)

__all__ = [
    "CacheEndpoint",
    "DatabaseURL",
    "EnvironmentSettings",
    "Login",
    "MediaFallback",
    "StrictModel",
    "parse_database_url",
]

# fullmatch, never match with "$": "$" also matches before a final newline ("wp_\n").
_PREFIX = re.compile(r"[A-Za-z0-9_]+")


class StrictModel(BaseModel):
    """A settings model: unknown keys are refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseURL(StrictModel):
    """Where an environment's database is: TCP host and port, or a unix socket."""

    user: str
    password: SecretStr = SecretStr("")
    host: str = "127.0.0.1"
    port: int = 3306
    socket: str | None = None
    database: str

    def display(self) -> str:
        """The URL with its password masked, safe to print."""
        where = f"unix:{self.socket}" if self.socket else f"{self.host}:{self.port}"
        return f"mysql://{self.user}:***@{where}/{self.database}"

    def where(self) -> str:
        """Host and port (or socket) for error messages."""
        return f"socket {self.socket}" if self.socket else f"{self.host}:{self.port}"


_APART = 'or give it apart: db = { url = "mysql://user@host:port/database", password = "${VAR}" }'
# A "%" that starts no %XX escape: the password was not percent-encoded.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _check_userinfo(value: str) -> None:
    """Refuse a URL whose password visibly holds unencoded reserved characters.

    Never names the password: only which characters are the trouble.
    """
    rest = value.split("://", 1)[1] if "://" in value else value
    at = rest.rfind("@")
    if at < 0:
        return
    ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
    cut = min(ends) if ends else len(rest)
    if cut < at and ":" in rest[:cut] and "@" not in rest[:cut]:
        # "user:pa/ss@host": the authority ended inside the password.
        raise ValueError(
            "the password seems to hold '/', '?' or '#': inside a URL it must be"
            f" percent-encoded (%2F, %3F, %23), {_APART}"
        )
    userinfo = rest[:at]
    if _BAD_ESCAPE.search(userinfo):
        raise ValueError(
            "the user or password holds a '%' that starts no %XX escape: inside a URL it"
            f" must be percent-encoded (a literal % is %25), {_APART}"
        )


def _url_with_password(table: dict[str, Any]) -> DatabaseURL:
    """``{ url = "mysql://user@host/db", password = "..." }``: the password taken as is."""
    extra = sorted(set(table) - {"url", "password"})
    if extra:
        raise ValueError(
            f"with url, the only other key is password (found {', '.join(extra)}):"
            " put host, port and database in the url"
        )
    url, password = table["url"], table.get("password", "")
    if not isinstance(url, str) or not isinstance(password, str):
        raise ValueError("url and password must be strings")
    parsed = parse_database_url(url)
    assert isinstance(parsed, DatabaseURL)
    if "password" in table:
        if parsed.password.get_secret_value():
            raise ValueError("gives a password twice: in the url and as password; keep one")
        parsed = parsed.model_copy(update={"password": SecretStr(password)})
    return parsed


def parse_database_url(value: object) -> object:
    """Turn ``mysql://user:pass@host:port/db`` (or ``?socket=/path``) into a DatabaseURL.

    The password inside the URL is percent-decoded, as in any URL (``%41`` is ``A``);
    a table ``{ url = ..., password = ... }`` takes its password literally, so a
    ``${VAR}`` holding ``/``, ``#``, ``?`` or ``%`` needs no encoding there. A URL whose
    password visibly holds unencoded reserved characters is refused, saying so.

    >>> parse_database_url("mysql://wp:s3cret@127.0.0.1:3307/wordpress").port
    3307
    >>> parse_database_url({"url": "mysql://wp@db:3306/wp", "password": "a/b#c?%41"}).password
    SecretStr('**********')
    """
    if isinstance(value, dict) and "url" in value:
        return _url_with_password(value)
    if not isinstance(value, str):
        return value
    _check_userinfo(value)
    parts = urlsplit(value)
    if parts.scheme not in ("mysql", "mariadb"):
        raise ValueError("must look like mysql://user:password@host:port/database")
    database = parts.path.lstrip("/")
    if not database or "/" in database:
        raise ValueError("names no database: end it with /database_name")
    if not parts.username:
        raise ValueError("names no user: mysql://USER:password@host/database")
    query = parse_qs(parts.query)
    sockets = query.get("socket") or query.get("unix_socket") or []
    socket = sockets[0] if sockets else None
    try:
        port = parts.port or 3306
    except ValueError:
        raise ValueError("has a port that is not a number") from None
    return DatabaseURL(
        user=unquote(parts.username),
        password=SecretStr(unquote(parts.password or "")),
        host=parts.hostname or "127.0.0.1",
        port=port,
        socket=socket,
        database=database,
    )


class Login(StrictModel):
    """A WordPress user parity logs in as (through wp-login.php)."""

    user: str
    password: SecretStr


class CacheEndpoint(StrictModel):
    """The cache in front of an environment, and where to send purges."""

    kind: Literal["varnish", "nginx", "none"] = "varnish"
    purge_url: str | None = None


class MediaFallback(StrictModel):
    """Where the uploads this environment lacks are served from (``parity media proxy``).

    The nginx rule tries the environment's own file first, then fetches it from
    ``proxy_from``'s site once, and remembers a miss for ``negative_cache_s`` seconds.
    """

    proxy_from: str
    negative_cache_s: int = Field(default=60, ge=1, le=3600)


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value.rstrip("/")


class EnvironmentSettings(StrictModel):
    """One WordPress environment: how to reach its site and its database."""

    name: str = ""
    url: str
    db: Annotated[DatabaseURL, BeforeValidator(parse_database_url)]
    table_prefix: str = "wp_"
    protected: bool = False
    login: Login | None = None
    cache: CacheEndpoint | None = None
    wp_content_dir: str | None = None
    uploads_path: str | None = None
    media: MediaFallback | None = None
    # The protected environments of the same config (set by Settings): the write guard
    # refuses a write to this environment that reaches one of their databases.
    _protected_peers: tuple[EnvironmentSettings, ...] = PrivateAttr(default=())

    @property
    def protected_peers(self) -> tuple[EnvironmentSettings, ...]:
        """The other environments of this config marked ``protected = true``."""
        return self._protected_peers

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)

    @field_validator("table_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX.fullmatch(value):
            raise ValueError("may contain only letters, digits and underscores")
        return value

    @field_validator("uploads_path")
    @classmethod
    def _uploads_path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "\0" in value or not value.strip():
            raise ValueError("must be a folder's path")
        if not value.startswith("/"):
            raise ValueError("must be an absolute path (the folder holding YYYY/MM/...)")
        return value.rstrip("/") or "/"

    @property
    def uploads_dir(self) -> str | None:
        """This site's uploads folder on this machine: ``uploads_path``, else
        ``wp_content_dir``/uploads; None when neither is configured."""
        if self.uploads_path is not None:
            return self.uploads_path
        if self.wp_content_dir is not None:
            return self.wp_content_dir.rstrip("/") + "/uploads"
        return None

    @property
    def host(self) -> str:
        """The site's host (with port when not the default), as in its Host header."""
        return urlsplit(self.url).netloc
