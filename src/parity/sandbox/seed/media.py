"""Uploaded images of the demo site: PNG files and WordPress's attachment metadata (pure).

Each image is a horizontal gradient from one of a few palettes, with the sizes WordPress
makes of an upload (``thumbnail`` 150x150 and ``medium`` 300 wide). Files of the same
palette and size are the same bytes, built once per process, so seeding hundreds of
images costs a few dozen compressions::

    image = UploadedImage("2022/08/keeping-staging-1", palette=3)
    image.files()          # [("2022/08/keeping-staging-1.png", b"\\x89PNG..."), ...]
    image.metadata()       # the array WordPress keeps in _wp_attachment_metadata
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import cache

__all__ = ["FULL_SIZE", "PALETTES", "SIZES", "UploadedImage", "png_bytes"]

#: The uploaded ("full") size of every demo image.
FULL_SIZE = (1200, 675)
#: The intermediate sizes WordPress would have made: name -> (width, height).
SIZES: dict[str, tuple[int, int]] = {"medium": (300, 169), "thumbnail": (150, 150)}
#: Gradient end colours; an image's palette is an index into this tuple.
PALETTES: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((18, 52, 86), (94, 196, 182)),
    ((64, 24, 96), (240, 128, 64)),
    ((12, 72, 48), (220, 220, 120)),
    ((90, 20, 30), (250, 190, 150)),
    ((30, 30, 30), (120, 170, 240)),
    ((20, 80, 140), (250, 240, 220)),
    ((110, 60, 10), (250, 210, 90)),
    ((40, 110, 70), (190, 240, 250)),
)
_EMPTY_IMAGE_META: dict[str, object] = {
    "aperture": "0",
    "credit": "",
    "camera": "",
    "caption": "",
    "created_timestamp": "0",
    "copyright": "",
    "focal_length": "0",
    "iso": "0",
    "shutter_speed": "0",
    "title": "",
    "orientation": "0",
    "keywords": [],
}


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@cache
def png_bytes(palette: int, width: int, height: int) -> bytes:
    """A ``width`` x ``height`` RGB PNG: palette ``palette``'s gradient, left to right.

    Rows after the first use PNG's "Up" filter (all zero bytes), which keeps compressing
    a large image to a few milliseconds.
    """
    start, end = PALETTES[palette % len(PALETTES)]
    first = bytearray([0])
    for x in range(width):
        t = x / max(1, width - 1)
        first += bytes(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    raw = bytes(first) + (b"\x02" + bytes(3 * width)) * (height - 1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class UploadedImage:
    """One upload: ``stem`` is its path under uploads/ without ``.png`` (``2022/08/x-1``)."""

    stem: str
    palette: int

    @property
    def file(self) -> str:
        """The full-size file, relative to uploads/ (``_wp_attached_file``)."""
        return f"{self.stem}.png"

    @property
    def base_name(self) -> str:
        """The file name without folder and extension."""
        return self.stem.rsplit("/", 1)[-1]

    def size_file(self, size: str) -> str:
        """The file name (no folder) of an intermediate size, e.g. ``x-1-300x169.png``."""
        width, height = SIZES[size]
        return f"{self.base_name}-{width}x{height}.png"

    def files(self) -> list[tuple[str, bytes]]:
        """Every file of the upload: (path under uploads/, bytes), full size first."""
        folder = self.stem.rsplit("/", 1)[0]
        out = [(self.file, png_bytes(self.palette, *FULL_SIZE))]
        for size, (width, height) in SIZES.items():
            out.append((f"{folder}/{self.size_file(size)}", png_bytes(self.palette, width, height)))
        return out

    def metadata(self) -> dict[str, object]:
        """What ``wp_generate_attachment_metadata()`` stores for this upload."""
        width, height = FULL_SIZE
        sizes: dict[str, object] = {}
        for size, (w, h) in SIZES.items():
            sizes[size] = {
                "file": self.size_file(size),
                "width": w,
                "height": h,
                "mime-type": "image/png",
                "filesize": len(png_bytes(self.palette, w, h)),
            }
        return {
            "width": width,
            "height": height,
            "file": self.file,
            "filesize": len(png_bytes(self.palette, width, height)),
            "sizes": sizes,
            "image_meta": dict(_EMPTY_IMAGE_META),
        }
