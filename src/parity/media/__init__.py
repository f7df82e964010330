"""Media after a refresh: the uploads staging's database references, copied, proxied, checked.

    referenced.py  (pure)  the referenced set: attachments' files, sizes, originals,
                           sidecars, uploads URLs in stored text (the rewrite matcher)
    scan.py                reads it out of an environment's database
    sources.py             where files come from: a local uploads folder, or the site
    sync.py                what to copy (pure decisions) and the ``media-sync`` job's work
    proxy.py       (pure)  the nginx rule: local file first, then the source's, cached
    pages.py       (pure)  images, srcsets and links of an HTML page
    verify.py              crawl pages anonymously, check every image
    report.py              what each command reports
    service.py             MediaService: check, sync, proxy
    settings.py            the ``[media]`` section of parity.toml
    hooks.py               kill points for the crash tests

See docs/media.md.
"""

from __future__ import annotations

from parity.media.proxy import ProxyRule, check_hosts_differ, proxy_rule
from parity.media.referenced import (
    Reference,
    ReferencedSet,
    UploadsMatcher,
    attachment_files,
    sidecar_names,
)
from parity.media.report import BrokenAsset, MediaReport, Tally, VerifyReport
from parity.media.service import VIAS, MediaService, ProxyHost, ProxyResult, render_proxy
from parity.media.settings import MediaSection, media_settings
from parity.media.sync import SYNC_JOB, MediaProgress, decide
from parity.media.verify import verify_media

__all__ = [
    "SYNC_JOB",
    "VIAS",
    "BrokenAsset",
    "MediaProgress",
    "MediaReport",
    "MediaSection",
    "MediaService",
    "ProxyHost",
    "ProxyResult",
    "ProxyRule",
    "Reference",
    "ReferencedSet",
    "Tally",
    "UploadsMatcher",
    "VerifyReport",
    "attachment_files",
    "check_hosts_differ",
    "decide",
    "media_settings",
    "proxy_rule",
    "render_proxy",
    "sidecar_names",
    "verify_media",
]
