"""Where referenced files are copied from: a local uploads folder, or the source's site.

Both sources answer the same three questions, so the sync does not care which it has:
what a file is (size and modification time, or None when the source lacks it), and copy
it into the target (through a partial file: see :mod:`parity.targets.uploads`), or copy
it only if its bytes differ from the target's (SHA-256 on both sides).

* :class:`LocalSource` reads the source's uploads folder on this machine: ``stat`` and
  ``copy_file_range``, nothing crosses the network.
* :class:`HttpSource` asks the source's site: ``HEAD`` for the facts (``Content-Length``,
  ``Last-Modified``), ``GET`` streamed into the partial file; the source is never sent
  anything but anonymous reads.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import quote, urlsplit

from parity.errors import ParityError, SiteError
from parity.media.referenced import UPLOADS_PATH
from parity.targets.site import Site
from parity.targets.uploads import FileFacts, Uploads

__all__ = ["HttpSource", "LocalSource", "NotOnSource", "UploadsSource"]

#: Told the bytes of each chunk copied (None where nobody listens).
OnBytes = Callable[[int], None]


class NotOnSource(SiteError):
    """The source does not have the file (any more)."""


class Answer(Protocol):
    """What is read of an HTTP answer (the response a targets/ Site returns)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


class UploadsSource(Protocol):
    """What a sync reads referenced files from."""

    #: ``local`` or ``http``.
    via: str
    #: Whether copying several files at once is faster (waiting on the network), or
    #: slower (copies on this machine: they contend for the folders' locks and the GIL).
    parallel: bool

    def describe(self) -> str:
        """Where the files come from, for messages."""
        ...

    def facts(self, paths: Sequence[str]) -> dict[str, FileFacts | None]:
        """Size and modification time of each path (None: the source lacks it)."""
        ...

    def copy(self, path: str, target: Uploads, on_bytes: OnBytes | None) -> int:
        """Copy ``path`` into ``target``; the bytes written."""
        ...

    def copy_if_different(self, path: str, target: Uploads, on_bytes: OnBytes | None) -> int:
        """Copy ``path`` only if its bytes differ from the target's; the bytes written."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class LocalSource:
    """The source's uploads folder on this machine (read only)."""

    via = "local"
    #: Measured on 2 cores, ext4: 10,000 files took 0.57 s in one thread, 1.3 s in two
    #: to eight (docs/benchmarks.md, media sync).
    parallel = False

    def __init__(self, uploads: Uploads) -> None:
        self.uploads = uploads

    def describe(self) -> str:
        """The folder."""
        return str(self.uploads.root)

    def facts(self, paths: Sequence[str]) -> dict[str, FileFacts | None]:
        """One ``stat`` per path (from its folder: see :meth:`Uploads.facts_many`)."""
        return self.uploads.facts_many(paths)

    def copy(self, path: str, target: Uploads, on_bytes: OnBytes | None) -> int:
        """Copy inside the kernel, keeping the modification time."""
        try:
            return target.copy_in(path, self.uploads.filename(path), on_bytes=on_bytes)
        except FileNotFoundError:
            raise NotOnSource(f"{path} is no longer in {self.describe()}") from None
        except OSError as exc:
            raise SiteError(f"cannot read {path} from {self.describe()} ({exc.strerror})") from None

    def copy_if_different(self, path: str, target: Uploads, on_bytes: OnBytes | None) -> int:
        """Hash both files; copy when they differ."""
        if self.uploads.digest(path) == target.digest(path):
            return 0
        return self.copy(path, target, on_bytes)

    def close(self) -> None:
        """Nothing to release."""


def _last_modified_ns(response: Answer) -> int | None:
    header = response.headers.get("Last-Modified")
    if not header:
        return None
    try:
        return int(parsedate_to_datetime(header).timestamp()) * 1_000_000_000
    except (TypeError, ValueError, OverflowError):
        return None


def _facts(response: Answer) -> FileFacts:
    length = response.headers.get("Content-Length", "")
    return FileFacts(int(length) if length.isdigit() else -1, _last_modified_ns(response) or 0)


class HttpSource:
    """The source's site: its uploads URLs, read anonymously, ``concurrency`` at a time."""

    via = "http"
    parallel = True

    def __init__(self, site: Site, *, concurrency: int) -> None:
        self.site = site
        self.concurrency = concurrency
        self.base = urlsplit(site.env.url).path.rstrip("/") + UPLOADS_PATH

    def describe(self) -> str:
        """The uploads URL."""
        return self.site.url(self.base)

    def route(self, path: str) -> str:
        """The URL path of an uploads file (percent-encoded as a browser sends it)."""
        return self.base + quote(path)

    def probe(self) -> None:
        """One request, so an unreachable site stops the sync before it starts."""
        self.site.request("HEAD", self.base)

    def facts(self, paths: Sequence[str]) -> dict[str, FileFacts | None]:
        """One ``HEAD`` per path, ``concurrency`` at once."""

        def head(path: str) -> FileFacts | None:
            response = self.site.request("HEAD", self.route(path))
            if response.status_code == 200:
                return _facts(response)
            if response.status_code in (404, 410):
                return None
            raise SiteError(
                f"{self.site.env.name} answered HTTP {response.status_code} for {self.route(path)}"
            )

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return dict(zip(paths, pool.map(head, paths), strict=True))

    def copy(self, path: str, target: Uploads, on_bytes: OnBytes | None) -> int:
        """Stream the file into a partial file; rename it into place when complete."""
        with target.partial(path) as part:

            def sink(chunk: bytes) -> None:
                part.write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))

            response = self.site.download(self.route(path), sink)
            self._check(path, response)
            part.commit(mtime_ns=_last_modified_ns(response))
            return part.size

    def copy_if_different(self, path: str, target: Uploads, on_bytes: OnBytes | None) -> int:
        """Download into a partial file while hashing; keep it only if it differs."""
        digest = hashlib.sha256()
        with target.partial(path) as part:

            def sink(chunk: bytes) -> None:
                part.write(chunk)
                digest.update(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))

            response = self.site.download(self.route(path), sink)
            self._check(path, response)
            if digest.hexdigest() == target.digest(path):
                part.abort()
                return 0
            part.commit(mtime_ns=_last_modified_ns(response))
            return part.size

    def _check(self, path: str, response: Answer) -> None:
        if response.status_code in (404, 410):
            raise NotOnSource(f"{self.site.env.name} no longer has {path}")
        if response.status_code != 200:
            raise SiteError(
                f"{self.site.env.name} answered HTTP {response.status_code} for {self.route(path)}"
            )

    def close(self) -> None:
        """Close the HTTP sessions."""
        with contextlib.suppress(ParityError):
            self.site.close()
