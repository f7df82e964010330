"""What a write really reaches: a server, a schema in it, and the tables of a prefix.

Two environments hold the same WordPress data when their connections reach the same
server (or the same Galera cluster), the same schema in it, and table prefixes of which
one starts with the other (``wp_`` holds ``wp_2_``'s tables: a multisite's second site).
How the configuration spells the server does not matter: ``127.0.0.1``, ``localhost``,
another user, a socket or query parameters all reach one server, whose global variables
(host name, port, data directory) say which it is.

This module is pure: :class:`DataIdentity` values are read by
:mod:`parity.targets.database` (from a connection) or by a WordPress config probe, and
compared here.

>>> prod = DataIdentity("db1", 3306, "/var/lib/mysql/", "wordpress", "wp_")
>>> alias = DataIdentity("db1", 3306, "/var/lib/mysql/", "WordPress", "wp_")
>>> same_data(prod, alias)
True
>>> same_data(prod, DataIdentity("db1", 3306, "/var/lib/mysql/", "staging", "wp_"))
False
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

__all__ = [
    "DataIdentity",
    "FolderIdentity",
    "folders_overlap",
    "prefixes_overlap",
    "same_address",
    "same_data",
]

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


@dataclass(frozen=True)
class DataIdentity:
    """Which server, schema and table prefix a connection's writes reach."""

    hostname: str
    port: int
    datadir: str
    database: str
    table_prefix: str
    cluster: str = ""  # a Galera cluster's state UUID: every node holds the same data

    def describe(self) -> str:
        """Schema, prefix and server, for messages (no user, no password)."""
        return (
            f"schema {self.database!r} (prefix {self.table_prefix!r}) on server"
            f" {self.hostname}:{self.port}"
        )


def prefixes_overlap(a: str, b: str) -> bool:
    """True when the tables of one prefix are among the other's.

    >>> prefixes_overlap("wp_", "wp_2_"), prefixes_overlap("wp_", "wpstg_")
    (True, False)
    """
    return a.startswith(b) or b.startswith(a)


def same_server(a: DataIdentity, b: DataIdentity) -> bool:
    """True when both identities were read from one server (or one Galera cluster)."""
    if a.cluster and a.cluster == b.cluster:
        return True
    return (a.hostname, a.port, os.path.normpath(a.datadir)) == (
        b.hostname,
        b.port,
        os.path.normpath(b.datadir),
    )


def same_data(a: DataIdentity, b: DataIdentity) -> bool:
    """True when writes through ``a`` would change tables that ``b`` holds.

    Schema names are compared without case (a server with ``lower_case_table_names``
    treats them alike; refusing too often is the safe side).
    """
    return (
        same_server(a, b)
        and a.database.casefold() == b.database.casefold()
        and prefixes_overlap(a.table_prefix, b.table_prefix)
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def same_address(a: tuple[str | None, str, int], b: tuple[str | None, str, int]) -> bool:
    """True when two configured addresses ``(socket, host, port)`` name the same server.

    Used only when a protected environment's server cannot be asked who it is: every
    loopback spelling is one host, and two sockets are the same when their paths are.

    >>> same_address((None, "127.0.0.1", 3306), (None, "localhost", 3306))
    True
    >>> same_address((None, "127.0.0.1", 3306), (None, "127.0.0.1", 3307))
    False
    """
    socket_a, host_a, port_a = a
    socket_b, host_b, port_b = b
    if socket_a or socket_b:
        return bool(socket_a and socket_b) and os.path.realpath(str(socket_a)) == os.path.realpath(
            str(socket_b)
        )
    if port_a != port_b:
        return False
    if _is_loopback(host_a) and _is_loopback(host_b):
        return True
    return host_a.lower().rstrip(".") == host_b.lower().rstrip(".")


@dataclass(frozen=True)
class FolderIdentity:
    """Which folder a file write reaches, whatever path spelled it.

    ``chain`` is the ``(device, inode)`` of the folder, then of each folder above it up
    to ``/``: two spellings of one folder (a symlink, a bind mount, ``..``) have the same
    first entry, and a folder inside another holds the other's first entry in its chain.
    Read by :mod:`parity.targets.uploads` (``os.stat``), compared here.
    """

    path: str
    chain: tuple[tuple[int, int], ...]


def folders_overlap(a: FolderIdentity, b: FolderIdentity) -> bool:
    """True when writing inside one folder could change files of the other: they are the
    same folder, or one is inside the other.

    >>> uploads = FolderIdentity("/srv/prod/uploads", ((1, 30), (1, 20), (1, 2)))
    >>> alias = FolderIdentity("/mnt/p/uploads", ((1, 30), (2, 9), (2, 2)))
    >>> inside = FolderIdentity("/srv/prod/uploads/2024", ((1, 31), (1, 30), (1, 20), (1, 2)))
    >>> other = FolderIdentity("/srv/stage/uploads", ((1, 40), (1, 21), (1, 2)))
    >>> folders_overlap(uploads, alias), folders_overlap(inside, uploads)
    (True, True)
    >>> folders_overlap(other, uploads)
    False
    """
    if not a.chain or not b.chain:
        return False
    return a.chain[0] in b.chain or b.chain[0] in a.chain
