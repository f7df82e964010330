"""The write guard: the one place that refuses writes to protected environments.

Two checks, both before any write:

* by name: the environment written to is marked ``protected = true``
  (:func:`ensure_writable`);
* by identity: what the write really reaches (server, schema, table prefix; see
  :mod:`parity.targets.identity`) is a protected environment's data, whatever the
  environment written to is called (:func:`refuse_protected_data`). An alias entry with
  production's credentials, another user, another host spelling or a socket all resolve
  to the same server and are refused, naming the protected environment. Files count
  too: a write into a folder that is, holds or lies inside a protected environment's
  uploads or ``wp-content`` folder, however its path is spelled, is refused
  (:func:`refuse_protected_folder`).

:mod:`parity.targets.database` calls both before the first write of every connection,
and the WordPress config probe (:mod:`parity.targets.wordpress_database`) before
WordPress itself is started for a write; :mod:`parity.targets.uploads` calls them before
the first file it writes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from parity.environments import EnvironmentSettings
from parity.errors import ProtectedEnvironment
from parity.targets.identity import (
    DataIdentity,
    FolderIdentity,
    folders_overlap,
    prefixes_overlap,
    same_address,
    same_data,
)

__all__ = [
    "ProtectedData",
    "ProtectedFolder",
    "ensure_writable",
    "refuse_protected_data",
    "refuse_protected_folder",
]

log = logging.getLogger(__name__)

Address = tuple[str | None, str, int]


def ensure_writable(env: EnvironmentSettings, action: str) -> None:
    """Raise ProtectedEnvironment when ``env`` is protected; ``action`` says what was tried.

    >>> ensure_writable(staging, "rewrite wp_options")   # returns None
    >>> ensure_writable(production, "rewrite wp_options")
    Traceback (most recent call last):
    parity.errors.ProtectedEnvironment: refused to rewrite wp_options on production: ...
    """
    if env.protected:
        log.info("refused write to protected environment %s: %s", env.name, action)
        raise ProtectedEnvironment(
            f"refused to {action} on {env.name}: it is marked protected = true",
            hint="parity never writes to a protected environment; choose another target",
        )


@dataclass(frozen=True)
class ProtectedData:
    """A protected environment's data, as far as it could be learnt.

    ``identity`` is what its server said about itself; None when the server could not
    be asked (unreachable, login refused), in which case the configured ``address``,
    ``database`` and ``table_prefix`` are compared instead.
    """

    name: str
    identity: DataIdentity | None
    address: Address
    database: str
    table_prefix: str

    def holds(self, reached: DataIdentity, reached_address: Address) -> bool:
        """True when a write that reaches ``reached`` would change this environment's data.

        >>> prod_id = DataIdentity("db1", 3306, "/var/lib/mysql", "wordpress", "wp_")
        >>> prod = ProtectedData("production", prod_id, (None, "db1", 3306), "wordpress", "wp_")
        >>> prod.holds(prod_id, (None, "10.0.0.5", 3306))
        True
        >>> where = (None, "localhost", 3306)
        >>> unknown = ProtectedData("production", None, where, "wordpress", "wp_")
        >>> unknown.holds(prod_id, (None, "127.0.0.1", 3306))
        True
        """
        if self.identity is not None:
            return same_data(reached, self.identity)
        return (
            same_address(reached_address, self.address)
            and reached.database.casefold() == self.database.casefold()
            and prefixes_overlap(reached.table_prefix, self.table_prefix)
        )


def refuse_protected_data(
    target: str,
    action: str,
    reached: DataIdentity,
    reached_address: Address,
    protected: Iterable[ProtectedData],
) -> None:
    """Raise ProtectedEnvironment when ``reached`` is any protected environment's data.

    ``target`` is the name the write was asked for (``staging``, or a WordPress config);
    the message names the protected environment it resolves to.
    """
    for data in protected:
        if data.holds(reached, reached_address):
            log.info(
                "refused write to %s: it reaches protected environment %s (%s)",
                target,
                data.name,
                reached.describe(),
            )
            raise ProtectedEnvironment(
                f"refused to {action} on {target}: it reaches the database of {data.name}"
                f" ({reached.describe()}), which is marked protected = true",
                hint=f"{target} and {data.name} are the same data; point {target} at"
                " another database",
            )


@dataclass(frozen=True)
class ProtectedFolder:
    """A folder of a protected environment's files (its uploads, its wp-content)."""

    name: str
    identity: FolderIdentity


def refuse_protected_folder(
    target: str, action: str, reached: FolderIdentity, protected: Iterable[ProtectedFolder]
) -> None:
    """Raise ProtectedEnvironment when writing into ``reached`` could change files of a
    protected environment: the same folder by any path, one inside it, or one holding it.

    >>> prod = FolderIdentity("/srv/prod/uploads", ((1, 30), (1, 20), (1, 2)))
    >>> stage = FolderIdentity("/srv/stage/uploads", ((1, 40), (1, 21), (1, 2)))
    >>> guarded = [ProtectedFolder("production", prod)]
    >>> refuse_protected_folder("staging", "copy uploads", stage, guarded)
    >>> refuse_protected_folder("staging", "copy uploads", prod, guarded)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    parity.errors.ProtectedEnvironment: refused to copy uploads on staging: ...
    """
    for folder in protected:
        if folders_overlap(reached, folder.identity):
            log.info(
                "refused write to %s: %s reaches protected environment %s's files (%s)",
                target,
                reached.path,
                folder.name,
                folder.identity.path,
            )
            raise ProtectedEnvironment(
                f"refused to {action} on {target}: its folder {reached.path} is, holds or lies"
                f" inside {folder.identity.path}, files of {folder.name}, which is marked"
                " protected = true",
                hint=f"point {target}'s uploads_path at a folder of its own",
            )
