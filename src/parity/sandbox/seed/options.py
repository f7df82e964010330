"""The options a real site has besides WordPress's own (pure).

A fake SEO plugin ("alphanode SEO") keeps its settings as a PHP-serialized array with
the site's URL inside, a list of redirects with absolute URLs, and its social profiles
as JSON with escaped slashes; a custom HTML widget links to the site; two transients
cache what the plugin computed. All of it is what a refresh must rewrite (URLs inside
serialized and JSON values, lengths fixed) or leave out (transients)::

    options = site_options("http://127.0.0.1:8081", image_url, post_urls)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from parity.sandbox.seed.blocks import json_attributes
from parity.sandbox.seed.model import SeedOption
from parity.wordpress.phpvalue import php_serialize

__all__ = [
    "DEMO_OPTION",
    "DEMO_OPTION_PATH",
    "SEO_SETTINGS",
    "site_options",
]

#: The fake SEO plugin's settings option (a serialized array).
SEO_SETTINGS = "alphanode_seo_settings"
#: The option and the path inside it that the demo changes on staging.
DEMO_OPTION = SEO_SETTINGS
DEMO_OPTION_PATH: tuple[str, ...] = ("sitemap", "max_entries")
#: Far in the future (2100-01-01), so the seeded transients never expire.
_TRANSIENT_TIMEOUT = "4102444800"


def _seo_settings(url: str, image_url: str) -> dict[str, object]:
    token = hashlib.sha256(f"alphanode-verification:{url}".encode()).hexdigest()[:32]
    return {
        "version": "4.2.1",
        "canonical_base": url,
        "title_separator": "–",
        "title_template": "%title% %sep% %sitename%",
        "noindex": {"archives": True, "search": True, "attachments": True},
        "sitemap": {
            "enabled": True,
            "max_entries": 1000,
            "exclude_post_types": ["attachment"],
            "index_url": f"{url}/sitemap_index.xml",
        },
        "social": {
            "og_default_image": image_url,
            "twitter_site": "@alphanode",
            "facebook_page": "https://www.facebook.com/alphanode",
        },
        "breadcrumbs": {"enabled": False, "home_label": "Home", "separator": "»"},
        "verification": {"google": token, "bing": ""},
        "webmaster_email": "seo@alphanode.io",
    }


def _redirects(url: str, post_urls: Sequence[str]) -> list[dict[str, object]]:
    redirects: list[dict[str, object]] = []
    for number, target in enumerate(post_urls[:5], start=1):
        redirects.append(
            {"from": f"/notes/{number}/", "to": target, "status": 301, "hits": 17 * number}
        )
    redirects.append({"from": "/rss/", "to": f"{url}/feed/", "status": 301, "hits": 402})
    return redirects


def site_options(url: str, image_url: str, post_urls: Sequence[str]) -> list[SeedOption]:
    """The plugin and widget options, and the transients, for a site at ``url``.

    ``image_url`` is an uploaded image (the default social image); ``post_urls`` are
    permalinks the redirects point at.
    """
    social = json_attributes(
        {
            "logo": image_url,
            "profiles": [
                "https://github.com/alphanode",
                "https://www.linkedin.com/company/alphanode",
            ],
            "home": url,
        }
    )
    widget = {
        2: {
            "title": "Newsletter",
            "content": f'<p>One note a week. <a href="{url}/feed/">Subscribe to the feed</a>.</p>',
        },
        "_multiwidget": 1,
    }
    sitemap = [f"{url}/post-sitemap.xml", f"{url}/page-sitemap.xml"]
    return [
        SeedOption(SEO_SETTINGS, php_serialize(_seo_settings(url, image_url))),
        SeedOption("alphanode_seo_redirects", php_serialize(_redirects(url, post_urls)), "no"),
        SeedOption("alphanode_social_profiles", social),
        SeedOption("widget_custom_html", php_serialize(widget)),
        SeedOption("_transient_alphanode_seo_sitemap_index", php_serialize(sitemap), "no"),
        SeedOption("_transient_timeout_alphanode_seo_sitemap_index", _TRANSIENT_TIMEOUT, "no"),
        SeedOption(
            "_site_transient_alphanode_feed_cache",
            php_serialize({"fetched": 1714557600, "items": post_urls[:3]}),
            "no",
        ),
        SeedOption("_site_transient_timeout_alphanode_feed_cache", _TRANSIENT_TIMEOUT, "no"),
    ]
