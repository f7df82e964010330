"""An environment's uploads folder on this machine: read it, and (when allowed) write to it.

Reads never need permission. Writing passes the write guard first
(:meth:`Uploads.prepare_writes`): the environment must not be protected, and the folder
written to must not be, hold or lie inside a protected environment's uploads or
``wp-content`` folder, however the path is spelled (symlink, bind mount, ``..``); see
:func:`parity.targets.guard.refuse_protected_folder`.

A file is never written in place: its bytes go to a file no reader sees, which gets the
real name only once complete, with its size and modification time set. Where the file
system has ``O_TMPFILE`` that file has no name at all until ``linkat`` gives it its real
one (a killed process leaves nothing); otherwise, and to replace a file that exists, it
is a file of its own in ``<uploads>/.parity-partial/``, renamed onto the real name (one
``rename()``, atomic on one file system). So a process killed at any moment leaves either
the old file or the whole new one under the real name, never part of one;
:meth:`Uploads.clean_partials` removes what a killed run left in ``.parity-partial``.

Example::

    uploads = Uploads.of(settings.environment("staging"))
    uploads.facts("2024/05/photo.jpg")          # FileFacts(size=..., mtime_ns=...) or None
    uploads.prepare_writes("copy uploads from production")
    with uploads.partial("2024/05/photo.jpg") as part:
        part.write(b"...")
        part.commit(mtime_ns=...)
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from parity.environments import EnvironmentSettings
from parity.errors import InputError, TargetError
from parity.targets.guard import ProtectedFolder, ensure_writable, refuse_protected_folder
from parity.targets.identity import FolderIdentity

__all__ = ["PARTIAL_DIR", "FileFacts", "PartialFile", "Uploads", "folder_identity"]

#: Where files being written wait, inside the uploads folder, until they are complete.
PARTIAL_DIR = ".parity-partial"
_CHUNK = 8 * 1024 * 1024
_COPY_FILE_RANGE = hasattr(os, "copy_file_range")
#: How a folder is opened only to look files up from it.
_LOOKUP_DIR = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY


@dataclass(frozen=True)
class FileFacts:
    """What a quick look at a file tells: its size and modification time."""

    size: int
    mtime_ns: int


def folder_identity(path: Path) -> FolderIdentity | None:
    """The identity of folder ``path`` (see FolderIdentity); None when it does not exist."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    chain: list[tuple[int, int]] = []
    for folder in (resolved, *resolved.parents):
        try:
            info = os.stat(folder)
        except OSError:
            return None
        chain.append((info.st_dev, info.st_ino))
    return FolderIdentity(str(resolved), tuple(chain))


#: What makes a path leave the uploads folder or name the partial folder: a leading
#: ``/``, an empty, ``.`` or ``..`` part, a NUL.
_OUTSIDE = re.compile(r"\A/|\x00|(?:\A|/)\.{0,2}(?:/|\Z)|\A" + re.escape(PARTIAL_DIR) + r"(?:/|\Z)")


def _relative(rel: str) -> str:
    """``rel`` if it is a path inside the uploads folder, else ValueError (a few string
    tests decide most paths, a regular expression the rest: this runs several times per
    file).

    >>> _relative("2024/05/a.jpg")
    '2024/05/a.jpg'
    """
    if (
        rel
        and rel[0] not in "./"
        and rel[-1] != "/"
        and "/." not in rel
        and "//" not in rel
        and "\x00" not in rel
    ):
        return rel  # no part can be empty, ".", ".." or the partial folder
    if not rel or _OUTSIDE.search(rel):
        raise ValueError(f"not a path inside the uploads folder: {rel!r}")
    return rel


class Uploads:
    """One environment's uploads folder (``root``) on this machine."""

    def __init__(self, env: EnvironmentSettings, root: Path) -> None:
        self.env = env
        self.root = root
        self._base = str(root)
        self._writable = False
        self._made: set[str] = set()
        self._lock = threading.Lock()
        #: New files are made nameless (O_TMPFILE) until this file system refuses once.
        self._anonymous = hasattr(os, "O_TMPFILE")

    @classmethod
    def of(cls, env: EnvironmentSettings) -> Uploads:
        """``env``'s uploads folder; InputError when none is configured, or when an
        ``uploads_path`` given explicitly does not exist."""
        where = env.uploads_dir
        if where is None:
            raise InputError(
                f"{env.name} has no uploads folder configured",
                hint=f'add uploads_path = "/path/to/wp-content/uploads" to'
                f" [environments.{env.name}]",
            )
        root = Path(where)
        if env.uploads_path is not None and not root.is_dir():
            raise InputError(
                f"the uploads path of {env.name}, {root}, does not exist or is not a folder",
                hint=f"check uploads_path in [environments.{env.name}]",
            )
        return cls(env, root)

    @property
    def exists(self) -> bool:
        """Whether the folder is there (a derived ``wp-content/uploads`` may not be yet)."""
        return self.root.is_dir()

    # -- reading -------------------------------------------------------------------

    def path(self, rel: str) -> Path:
        """The file ``rel`` (``2024/05/photo.jpg``) on disk."""
        return Path(self._file(rel))

    def filename(self, rel: str) -> str:
        """:meth:`path` as a string (no ``Path`` made: for a loop over many files)."""
        return self._file(rel)

    def _file(self, rel: str) -> str:
        return f"{self._base}/{_relative(rel)}"

    def facts(self, rel: str) -> FileFacts | None:
        """Size and modification time of ``rel``; None when it is not a regular file."""
        try:
            info = os.stat(self._file(rel))
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return FileFacts(info.st_size, info.st_mtime_ns)

    def facts_many(self, rels: Iterable[str]) -> dict[str, FileFacts | None]:
        """:meth:`facts` of each of ``rels``, cheaper for many files: each folder is
        opened once and its files are looked up from it; a folder that is not there
        answers for all its files at once."""
        by_folder: dict[str, list[tuple[str, str]]] = {}
        found: dict[str, FileFacts | None] = {}
        for rel in rels:
            try:
                folder, _, name = self._file(rel).rpartition("/")
            except ValueError:
                found[rel] = None
                continue
            by_folder.setdefault(folder, []).append((rel, name))
        for folder, names in by_folder.items():
            try:
                fd = os.open(folder, _LOOKUP_DIR)
            except OSError:
                found.update((rel, None) for rel, _name in names)
                continue
            try:
                for rel, name in names:
                    try:
                        info = os.stat(name, dir_fd=fd)
                    except OSError:
                        found[rel] = None
                        continue
                    regular = stat.S_ISREG(info.st_mode)
                    found[rel] = FileFacts(info.st_size, info.st_mtime_ns) if regular else None
            finally:
                os.close(fd)
        return found

    def digest(self, rel: str) -> str:
        """The SHA-256 of ``rel``'s bytes (hex)."""
        try:
            with open(self._file(rel), "rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            raise TargetError(f"{self.env.name}: cannot read {rel} ({exc.strerror})") from None

    # -- writing (always through the guard) -----------------------------------------

    def protected_folders(self) -> list[ProtectedFolder]:
        """The uploads and wp-content folders of every protected environment of the
        config that exist on this machine."""
        found = []
        for peer in self.env.protected_peers:
            for where in {peer.uploads_dir, peer.wp_content_dir} - {None}:
                assert where is not None
                identity = folder_identity(Path(where))
                if identity is not None:
                    found.append(ProtectedFolder(peer.name, identity))
        return found

    def check_writable(self, action: str) -> None:
        """The write guard, without writing: refuses a protected environment by name, and
        any folder that reaches a protected environment's files."""
        ensure_writable(self.env, action)
        reached = folder_identity(self.root)
        if reached is None and (parent := folder_identity(self.root.parent)) is not None:
            # A folder still to be made: new, it holds nothing; it is inside what its
            # parent is inside.
            reached = FolderIdentity(str(self.root), ((-1, -1), *parent.chain))
        if reached is None:
            raise InputError(
                f"the uploads folder of {self.env.name}, {self.root}, does not exist"
                " (nor the folder above it)",
                hint=f"check uploads_path or wp_content_dir in [environments.{self.env.name}]",
            )
        refuse_protected_folder(self.env.name, action, reached, self.protected_folders())

    def prepare_writes(self, action: str) -> None:
        """Pass the guard, then create the folder (when missing) and its partial folder."""
        self.check_writable(action)
        try:
            (self.root / PARTIAL_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TargetError(
                f"cannot write into the uploads folder of {self.env.name} ({exc.strerror})"
            ) from None
        # The partial folder made the folder exist: check the path that now resolves.
        self.check_writable(action)
        self._writable = True

    def partial(self, rel: str) -> PartialFile:
        """A new file that becomes ``rel`` when committed (see the module docstring)."""
        if not self._writable:
            raise RuntimeError("call prepare_writes() before writing")
        return PartialFile(self, self._file(rel))

    def copy_in(
        self,
        rel: str,
        source: Path | str,
        *,
        mtime_ns: int | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> int:
        """Copy the local file ``source`` to ``rel`` (through a partial file); its size.

        The bytes move inside the kernel (``copy_file_range``) where it can.
        """
        if not self._writable:
            raise RuntimeError("call prepare_writes() before writing")
        final = self._file(rel)
        src = os.open(source, os.O_RDONLY)
        try:
            info = os.fstat(src)
            with PartialFile(self, final) as part:
                part.copy_from(src, on_bytes, size=info.st_size)
                part.commit(mtime_ns=info.st_mtime_ns if mtime_ns is None else mtime_ns)
                return part.size
        finally:
            os.close(src)

    def clean_partials(self) -> int:
        """Remove what killed runs left in the partial folder; how many files."""
        folder = self.root / PARTIAL_DIR
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return 0
        for name in names:
            target = folder / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
        return len(names)

    def _make_parent(self, parent: str) -> None:
        """Make folder ``parent`` (an absolute path) unless this object made it already."""
        if parent in self._made:
            return
        os.makedirs(parent, exist_ok=True)
        with self._lock:
            self._made.add(parent)


class PartialFile:
    """A file being written where no reader sees it; ``commit`` puts it under its real
    name in one step, leaving the block without committing removes it.

    Where the file system has ``O_TMPFILE`` (Linux: ext4, xfs, btrfs, tmpfs), the file is
    made without a name in its final folder and given its name by ``linkat`` once
    complete: a process killed before that leaves nothing behind at all, and the folder
    sees one new name instead of a create and a rename. A name taken meanwhile (an
    update of a file that exists) or a file system without ``O_TMPFILE`` takes the
    partial folder's path: a named file there, renamed onto the real name.
    """

    __slots__ = ("_done", "_fd", "_named", "_path", "final", "size", "uploads")

    def __init__(self, uploads: Uploads, final: str) -> None:
        self.uploads = uploads
        self.final = final
        self.size = 0
        self._fd = -1
        self._path = ""  # its name in the partial folder: made when first needed
        self._named = False  # the file has its name in the partial folder
        self._done = False
        if uploads._anonymous:
            self._open_anonymous()
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            self._named = True

    @property
    def path(self) -> str:
        """The file's name in the partial folder (used when it is not nameless)."""
        if not self._path:
            name = f"{secrets.token_hex(6)}-{self.final.rsplit('/', 1)[-1]}"[:200]
            self._path = f"{self.uploads._base}/{PARTIAL_DIR}/{name}"
        return self._path

    def _open_anonymous(self) -> None:
        parent = self.final.rpartition("/")[0]
        if parent not in self.uploads._made:
            self.uploads._make_parent(parent)
        try:
            self._fd = os.open(parent, os.O_TMPFILE | os.O_WRONLY, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                raise
            self.uploads._anonymous = False  # this file system cannot: named files from now

    def __enter__(self) -> PartialFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done:
            self.abort()

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(data)

    def copy_from(
        self, fd: int, on_bytes: Callable[[int], None] | None = None, *, size: int = 0
    ) -> None:
        """Append everything readable from file descriptor ``fd``. ``size`` is what it is
        expected to hold: a small file then moves in one call, with no call to find its
        end. The bytes move inside the kernel (``copy_file_range``) where it can."""
        fast = _COPY_FILE_RANGE
        left = size
        while True:
            if fast:
                try:
                    moved = os.copy_file_range(fd, self._fd, min(left, _CHUNK) or _CHUNK)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                        raise
                    fast = False
                    continue
                self.size += moved
            else:
                data = os.read(fd, _CHUNK)
                self.write(data)
                moved = len(data)
            if not moved:
                return
            if on_bytes is not None:
                on_bytes(moved)
            left = max(left - moved, 0)
            if size and not left:
                return

    def commit(self, *, mtime_ns: int | None = None) -> None:
        """Give the file its modification time, then its real name (see the class)."""
        try:
            if mtime_ns is not None:
                os.utime(self._fd, ns=(mtime_ns, mtime_ns))
            if not self._named and self._link():
                self._close()
                self._done = True
                return
            self._close()
            self.uploads._make_parent(self.final.rpartition("/")[0])
            os.replace(self.path, self.final)
        except OSError as exc:
            self.abort()
            name = self.final.rsplit("/", 1)[-1]
            raise TargetError(
                f"{self.uploads.env.name}: cannot put {name} in place ({exc.strerror})"
            ) from None
        self._done = True

    def _link(self) -> bool:
        """Give the nameless file its real name; False when that name is taken, after
        which the file has its partial folder's name (to be renamed onto it)."""
        # linkat() with AT_SYMLINK_FOLLOW links the file behind the descriptor's magic
        # link; Python calls it (not link(), which would link the /proc entry itself)
        # only when a dir_fd is given: the paths are absolute, so the kernel ignores it.
        source, fd = f"/proc/self/fd/{self._fd}", self._fd
        try:
            os.link(source, self.final, src_dir_fd=fd, follow_symlinks=True)
            return True
        except FileExistsError:
            os.link(source, self.path, src_dir_fd=fd, follow_symlinks=True)
            self._named = True
            return False

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def abort(self) -> None:
        """Remove the partial file (a nameless one goes with its descriptor)."""
        self._close()
        if self._named:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        self._done = True
