"""The ``[media]`` section of parity.toml: how ``parity media`` copies, proxies and checks.

Every key has a default, so an empty (or missing) ``[media]`` table works::

    [media]
    owner = "ops team"                       # who answers for media-sync runs
    concurrency = 8                          # files fetched at once over HTTP
    sidecars = ["{file}.webp", "{stem}.webp"]  # files next to an image nothing points at
    file_deadline_s = 300                    # one HTTP download, body included
    max_file_bytes = 2147483648              # a larger file is refused, not read
    verify_pages = 20                        # pages `parity media verify` crawls by default

Where each environment's uploads are (``uploads_path``) and where the ones it lacks are
served from (``media = { proxy_from = ... }``) belong to the environment: see
:class:`parity.environments.EnvironmentSettings`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DEFAULT_SIDECARS", "MediaSection", "media_settings"]

#: Sidecar files image plugins write next to an upload (WebP Express, EWWW, ShortPixel,
#: Imagify): ``photo.jpg.webp`` and ``photo.webp``.
DEFAULT_SIDECARS: tuple[str, ...] = ("{file}.webp", "{stem}.webp")

_PLACEHOLDER = re.compile(r"\{(\w*)\}")


class MediaSection(BaseModel):
    """The ``[media]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: Annotated[str, Field(min_length=1)] = "ops team"
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    sidecars: tuple[str, ...] = DEFAULT_SIDECARS
    file_deadline_s: Annotated[float, Field(gt=0, le=86400)] = 300.0
    max_file_bytes: Annotated[int, Field(ge=1)] = 2 * 1024**3
    verify_pages: Annotated[int, Field(ge=1, le=10000)] = 20

    @field_validator("sidecars")
    @classmethod
    def _sidecars(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            names = set(_PLACEHOLDER.findall(pattern))
            if not names or not names <= {"file", "stem"}:
                raise ValueError(
                    f"{pattern!r}: a sidecar is named from {{file}} (photo.jpg) or {{stem}}"
                    " (photo), e.g. '{file}.webp'"
                )
            if "/" in pattern or pattern.startswith("."):
                raise ValueError(f"{pattern!r}: a sidecar sits next to its image (no '/')")
            if pattern in ("{file}", "{stem}"):
                raise ValueError(f"{pattern!r} names the image itself, not a sidecar")
        return value


def media_settings(settings: object) -> MediaSection:
    """The ``[media]`` section of ``settings`` (defaults when it has none)."""
    section = getattr(settings, "media", None)
    return section if isinstance(section, MediaSection) else MediaSection()
