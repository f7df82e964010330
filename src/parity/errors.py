"""Every error parity raises on purpose.

The command line turns any ``ParityError`` into a one-line message and exit code 2
("could not run"); the traceback is printed only under ``--debug``. The web service maps
the same classes to one JSON error body. Nothing here ever carries a secret: messages are
built from names, hosts and ports, never from passwords or full connection strings.

    ParityError
    ├── ConfigError                 parity.toml is missing, unreadable or invalid
    │   └── MissingVariable         a ${VAR} it uses is not set in the environment
    ├── InputError                  a file, argument or value given to a command is bad
    │   ├── MalformedArticle        an article file does not follow the format (names the line)
    │   └── MalformedPhpValue       a value is not PHP-serialized data unserialize() would read
    ├── TargetError                 an environment could not be reached or used
    │   ├── DatabaseError           the database refused or failed a statement
    │   │   └── DatabaseUnreachable no answer from the database server in time
    │   ├── SiteError               the site answered in a way parity cannot use
    │   │   ├── SiteUnreachable     no answer from the site in time
    │   │   └── LoginFailed         wp-login.php did not accept the configured login
    │   └── CacheError              the cache or its purge endpoint failed
    ├── ProtectedEnvironment        a write to an environment marked ``protected = true``
    ├── LockHeld                    another run holds the lease on the same work
    └── SandboxError                the local sandbox could not be started or stopped
        └── MissingPackages         Debian packages the sandbox needs are not installed
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "ConfigError",
    "DatabaseError",
    "DatabaseUnreachable",
    "InputError",
    "LockHeld",
    "LoginFailed",
    "MalformedArticle",
    "MalformedPhpValue",
    "MissingPackages",
    "MissingVariable",
    "ParityError",
    "ProtectedEnvironment",
    "SandboxError",
    "SiteError",
    "SiteUnreachable",
    "TargetError",
]


class ParityError(Exception):
    """parity could not do what was asked."""

    exit_code: int = 2

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        self.message = message or (self.__doc__ or "error").strip()
        self.hint = hint
        super().__init__(self.message)

    def one_line(self) -> str:
        """The message and its hint on one line, as the CLI prints it."""
        text = " ".join(self.message.split())
        if self.hint:
            text = f"{text} ({' '.join(self.hint.split())})"
        return text


class ConfigError(ParityError):
    """The configuration is invalid."""


class MissingVariable(ConfigError):
    """A ${VAR} used in the configuration is not set."""


class InputError(ParityError):
    """A file, argument or value given to the command is invalid."""


class MalformedArticle(InputError):
    """An article file does not follow the article format."""


class MalformedPhpValue(InputError):
    """A value is not PHP-serialized data that PHP's unserialize() would read."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at offset {offset}")
        self.reason = reason
        self.offset = offset


class TargetError(ParityError):
    """An environment could not be reached or used."""


class DatabaseError(TargetError):
    """The database refused or failed a statement."""


class DatabaseUnreachable(DatabaseError):
    """The database server did not answer."""


class SiteError(TargetError):
    """The site answered in a way parity cannot use."""


class SiteUnreachable(SiteError):
    """The site did not answer."""


class LoginFailed(SiteError):
    """The site did not accept the configured login."""


class CacheError(TargetError):
    """The cache or its purge endpoint failed."""


class ProtectedEnvironment(ParityError):
    """The environment is protected and is never written to."""


class LockHeld(ParityError):
    """Another run holds the lease on this work."""


class SandboxError(ParityError):
    """The local sandbox could not be started or stopped."""


class MissingPackages(SandboxError):
    """Debian packages the sandbox needs are not installed."""
