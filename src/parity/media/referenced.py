"""The referenced set: every uploads file the database points at (pure code, no I/O).

Where WordPress and its users point at uploads, and what is read here:

* each attachment's ``_wp_attached_file`` (``2024/05/photo.jpg``);
* its ``_wp_attachment_metadata``: the uploaded ``file``, every intermediate size
  (``photo-300x200.jpg``, the files ``srcset`` is built from), the ``original_image`` a
  big upload was scaled down from, and the ``sources`` (other formats) image plugins
  record per size; and ``_wp_attachment_backup_sizes`` (the originals an edit kept).
  Decoded with the one PHP codec, :mod:`parity.wordpress.phpvalue`;
* every uploads URL in stored text: post content, block attributes, options, meta. The
  rewrite engine's :class:`~parity.rewrite.matcher.Matcher` finds the uploads base URL
  in each encoding WordPress stores (raw, JSON with ``\\/``, block attributes with ``\\u``
  escapes, URL-encoded), inside serialized values as well; the file path that follows is
  read in the same encoding;
* sidecars nothing points at: ``photo.jpg.webp`` or ``photo.webp`` next to an image, by
  the patterns of ``[media] sidecars``; they are *optional*, counted only where the
  source has them.

>>> found = ReferencedSet()
>>> matcher = UploadsMatcher(["http://a.test"])
>>> found.add_all(matcher.files(b'<img src="http://a.test/wp-content/uploads/a/b.png">'), "post 1")
>>> from parity.rewrite.encodings import json_escape
>>> escaped = json_escape("http://a.test/wp-content/uploads/c.jpg")  # http:\\/\\/a.test...
>>> found.add_all(matcher.files(escaped.encode()), "option x")
>>> sorted(found.paths())
['a/b.png', 'c.jpg']
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from posixpath import dirname, join, normpath
from urllib.parse import unquote, urlsplit

from parity.refresh.urls import url_variants
from parity.rewrite.matcher import Matcher
from parity.wordpress.phpvalue import PhpValue, maybe_unserialize

__all__ = [
    "ATTACHMENT_META_KEYS",
    "UPLOADS_PATH",
    "Reference",
    "ReferencedSet",
    "UploadsMatcher",
    "attachment_files",
    "clean_path",
    "sidecar_names",
]

#: Where WordPress keeps uploads, below the site's URL.
UPLOADS_PATH = "/wp-content/uploads/"
#: The postmeta keys of an attachment that name its files.
ATTACHMENT_META_KEYS = (
    "_wp_attached_file",
    "_wp_attachment_metadata",
    "_wp_attachment_backup_sizes",
)
_IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff"})
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}\Z")
# What may follow the uploads URL as part of a file path, per encoding. WordPress's
# sanitize_file_name() removes quotes, spaces, & ? # , ; ( ) [ ] { } from file names, so
# these end a path in any text around it (HTML attributes, srcset lists, JSON, CSS).
_TAIL = re.compile(rb"(?:[^\s\"'<>()\\?#,;&|{}\[\]^`]|\\/|\\u[0-9A-Fa-f]{4})+")
_URL_TAIL = re.compile(rb"(?:[A-Za-z0-9._~!*'()-]|%[0-9A-Fa-f]{2})+")
_URL_END = re.compile(r"[?#&\"'<>\s]")
# A root-relative ``/wp-content/uploads/`` right after one of these is part of some other
# host's URL (or a longer path), not this site's.
_HOST_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_:%")


@dataclass(frozen=True)
class Reference:
    """One referenced file: its path inside uploads, what points at it, and where.

    ``kind`` is ``attached``, ``size``, ``original``, ``backup``, ``source`` (another
    format of a size), ``content`` (a URL in stored text) or ``sidecar``; ``where``
    names the row (``attachment 12``, ``post 7``, ``option og_image``). A sidecar is
    ``optional``: it counts only when the source has it.
    """

    path: str
    kind: str
    where: str
    optional: bool = False


def clean_path(raw: str) -> str | None:
    """``raw`` as a path inside uploads (``2024/05/photo.jpg``), or None if it is not one.

    >>> clean_path("/2024/05/photo.jpg"), clean_path("2024/../etc/passwd"), clean_path("2024/")
    ('2024/05/photo.jpg', None, None)
    """
    text = raw.strip().lstrip("/").rstrip(".")
    if not text or "\0" in text or "\\" in text:
        return None
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts) or parts[0].startswith(".parity"):
        return None
    if not _EXTENSION.search(parts[-1]):
        return None
    return "/".join(parts)


class ReferencedSet:
    """The referenced files, each once (the first reason found is kept; a file that is
    both a sidecar and referenced directly is not optional)."""

    def __init__(self) -> None:
        self._refs: dict[str, Reference] = {}
        #: Stored values that look serialized but do not decode (their files are unknown).
        self.malformed: list[str] = []

    def add(self, ref: Reference) -> None:
        """Add ``ref`` unless its file is already in."""
        known = self._refs.get(ref.path)
        if known is None or (known.optional and not ref.optional):
            self._refs[ref.path] = ref

    def add_all(self, found: Iterable[tuple[str, str]], where: str) -> None:
        """Add each ``(path, kind)`` of ``found``, referenced by ``where``."""
        for path, kind in found:
            self.add(Reference(path, kind, where))

    def __iter__(self) -> Iterator[Reference]:
        return iter(self._refs.values())

    def __len__(self) -> int:
        return len(self._refs)

    def __contains__(self, path: object) -> bool:
        return path in self._refs

    def paths(self) -> list[str]:
        """Every referenced path, in the order found."""
        return list(self._refs)

    def by_kind(self) -> dict[str, int]:
        """How many files each kind of reference brought in."""
        return dict(sorted(Counter(ref.kind for ref in self._refs.values()).items()))

    def add_sidecars(self, patterns: Sequence[str]) -> None:
        """Add, as optional, the sidecar names of every referenced image."""
        for ref in list(self._refs.values()):
            if ref.optional:
                continue
            for name in sidecar_names(ref.path, patterns):
                self.add(Reference(name, "sidecar", f"next to {ref.path}", optional=True))


def sidecar_names(path: str, patterns: Sequence[str]) -> list[str]:
    """The sidecar files an image may have (``{file}``: ``photo.jpg``, ``{stem}``:
    ``photo``); none for other files.

    >>> sidecar_names("2024/05/photo.jpg", ["{file}.webp", "{stem}.webp"])
    ['2024/05/photo.jpg.webp', '2024/05/photo.webp']
    """
    folder, _, name = path.rpartition("/")
    stem, _, extension = name.rpartition(".")
    if not stem or extension.lower() not in _IMAGE_EXTENSIONS:
        return []
    found = []
    for pattern in patterns:
        sidecar = pattern.replace("{file}", name).replace("{stem}", stem)
        if sidecar != name:
            found.append(f"{folder}/{sidecar}" if folder else sidecar)
    return found


# -- attachments ---------------------------------------------------------------------------


def _decoded(text: str | None) -> dict[int | str, PhpValue] | None:
    if not text:
        return None
    serialized, value = maybe_unserialize(text)
    return value if serialized and isinstance(value, dict) else None


def _name(entry: object) -> str | None:
    if isinstance(entry, dict):
        value = entry.get("file")
        return value if isinstance(value, str) and value else None
    return None


def _sources(entry: object) -> list[str]:
    """The files of another format a plugin recorded for one size (``sources``)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("sources"), dict):
        return []
    sources = entry["sources"]
    assert isinstance(sources, dict)
    return [name for item in sources.values() if (name := _name(item))]


def attachment_files(
    attached: str | None, metadata: str | None = None, backup_sizes: str | None = None
) -> list[tuple[str, str]]:
    """``(path, kind)`` of every file of one attachment, from its three meta values.

    Sizes live in the folder of the uploaded file. A value that is not what WordPress
    writes (not serialized, not an array) adds nothing.

    >>> from parity.wordpress.phpvalue import php_serialize
    >>> meta = php_serialize({"file": "2024/05/a.png", "original_image": "o.png",
    ...                       "sizes": {"medium": {"file": "a-30x20.png"}}})
    >>> attachment_files("2024/05/a.png", meta)
    [('2024/05/a.png', 'attached'), ('2024/05/o.png', 'original'), ('2024/05/a-30x20.png', 'size')]
    """
    found: list[tuple[str, str]] = []

    def add(path: str | None, kind: str) -> None:
        clean = clean_path(path) if path else None
        if clean is not None:
            found.append((clean, kind))

    add(attached, "attached")
    data = _decoded(metadata)
    main = attached
    if data is not None:
        file = data.get("file")
        if isinstance(file, str) and file:
            main = main or file
            add(file, "attached")
    folder = dirname(normpath(main)) if main else ""

    def beside(name: str | None) -> str | None:
        if not name or "/" in name:
            return None
        return join(folder, name) if folder else name

    if data is not None:
        original = data.get("original_image")
        add(beside(original if isinstance(original, str) else None), "original")
        for name in _sources(data):
            add(beside(name), "source")
        sizes = data.get("sizes")
        if isinstance(sizes, dict):
            for entry in sizes.values():
                add(beside(_name(entry)), "size")
                for name in _sources(entry):
                    add(beside(name), "source")
    backups = _decoded(backup_sizes)
    if backups is not None:
        for entry in backups.values():
            add(beside(_name(entry)), "backup")
    return list(dict.fromkeys(found))


# -- URLs in stored text -------------------------------------------------------------------


def _bases(site_url: str) -> tuple[list[str], str]:
    """The uploads base URLs of a site as people store them (absolute and scheme-less),
    and its root-relative uploads path."""
    path = urlsplit(site_url.rstrip("/")).path
    absolute = [form + UPLOADS_PATH for form in url_variants(site_url)]
    schemeless = ["//" + form.split("://", 1)[1] for form in absolute]
    return list(dict.fromkeys([*absolute, *schemeless])), path + UPLOADS_PATH


class UploadsMatcher:
    """Finds the files of uploads URLs in stored values, in every encoding.

    ``site_urls`` are the sites whose uploads count (the environment's own URL, and the
    source's, in case some value was not rewritten). Built once; :meth:`files` is pure.
    """

    def __init__(self, site_urls: Sequence[str]) -> None:
        bases: list[str] = []
        relative: list[str] = []
        for url in site_urls:
            absolute, root = _bases(url)
            bases += absolute
            relative.append(root)
        searches = list(dict.fromkeys([*bases, *relative]))
        self._relative = {index for index, search in enumerate(searches) if search in relative}
        self.matcher = Matcher([(search.encode(), b"") for search in searches])

    @property
    def anchors(self) -> tuple[bytes, ...]:
        """Substrings every occurrence holds (a value without any holds no uploads URL)."""
        return self.matcher.anchors

    def files(self, data: bytes) -> list[tuple[str, str]]:
        """``(path, "content")`` of every uploads file ``data`` points at, in order."""
        if not self.matcher.has_anchor(data):
            return []
        found: list[tuple[str, str]] = []
        for start, needle in self.matcher.occurrences(data):
            hit = self.matcher.table[needle]
            if hit.pair in self._relative and start and data[start - 1] in _HOST_BYTES:
                continue  # the tail of another host's URL
            path = _tail(data, start + len(needle), hit.encoding)
            if path is not None:
                found.append((path, "content"))
        return list(dict.fromkeys(found))


def _tail(data: bytes, at: int, encoding: str) -> str | None:
    """The file path written right after an uploads base URL, decoded, or None."""
    if encoding == "url":
        match = _URL_TAIL.match(data, at)
        if match is None:
            return None
        text = unquote(match.group().decode("ascii"))
        cut = _URL_END.search(text)
        return clean_path(text[: cut.start()] if cut else text)
    match = _TAIL.match(data, at)
    if match is None:
        return None
    raw = match.group()
    if b"\\" in raw:
        # JSON (and block attribute) escapes, \/ and \uXXXX, read as JSON reads them;
        # a raw URL inside JSON with unescaped slashes still has its \u escapes.
        raw = raw[:-1] if raw.endswith(b"\\") else raw
        try:
            text = json.loads(b'"' + raw + b'"')
        except ValueError:
            return None
    else:
        text = raw.decode("utf-8", "replace")
    return clean_path(unquote(text))
