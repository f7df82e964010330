"""Shape the rows of ``wp_options`` into comparable snapshot entries. Pure code.

What happens to each option:

* transients (``_transient_*``, ``_site_transient_*``) are not read at all;
* options another category reports (``active_plugins`` -> plugins, ``cron`` -> cron,
  ``wp_user_roles`` -> roles, ``template`` -> wordpress, ...) are left out here;
* secrets keep only the mark ``mask="secret"``: the value is never stored. A secret is
  known by its name (salts, ``*_key``, ``*secret*``, ``*token*``, ``*password*``,
  ``auth``, ``admin_email``, ... in any case; see :func:`option_mask`) or by the shape
  of its value (a live API key, a JWT, a private key block, a long random token: see
  :func:`parity.drift.normalise.looks_secret`); inside a structure, the same rules
  turn one value into ``"<secret>"`` at any depth;
* volatile values (caches, locks, rewrite rules, last-run times) get ``mask="volatile"``;
* everything else is decoded (PHP-serialized or JSON) and normalised (own URL ->
  ``{site}``, e-mail addresses, timestamps), with the plugin or theme that owns it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parity.drift.model import Mask, OptionInfo
from parity.drift.normalise import SECRET, Normaliser, any_match, is_secret_key

__all__ = [
    "AUTOLOAD_VALUES",
    "CORE_OPTIONS",
    "ELSEWHERE",
    "SECRET_OPTIONS",
    "VOLATILE_OPTIONS",
    "OwnerIndex",
    "is_transient",
    "option_mask",
    "shape_options",
]

#: ``autoload`` column values that mean "loaded on every request" (old and 6.6+ spellings).
AUTOLOAD_VALUES = frozenset({"yes", "on", "auto", "auto-on"})

#: Options reported by another category (name -> category); ``{prefix}user_roles`` too.
ELSEWHERE: dict[str, str] = {
    "active_plugins": "plugins",
    "cron": "cron",
    "template": "wordpress",
    "stylesheet": "wordpress",
    "current_theme": "wordpress",
    "permalink_structure": "wordpress",
    "db_version": "wordpress",
    "WPLANG": "wordpress",
    "timezone_string": "wordpress",
    "gmt_offset": "wordpress",
}

#: Option-name patterns whose values are secrets (never stored).
SECRET_OPTIONS: tuple[str, ...] = (
    "auth_key",
    "auth_salt",
    "secure_auth_key",
    "secure_auth_salt",
    "logged_in_key",
    "logged_in_salt",
    "nonce_key",
    "nonce_salt",
    "secret_key",
    "recovery_keys",
    "admin_email",
    "new_admin_email",
    "mailserver_login",
    "mailserver_pass",
    "wordpress_api_key",
    "*password*",
    "*passwd*",
    "*_pass",
    "*secret*",
    "*token*",
    "*api_key*",
    "*apikey*",
    "*license_key*",
    "*licence_key*",
    "*private_key*",
    "*_salt",
    "*nonce*",
    "*credentials*",
)

#: Option-name patterns whose values change by themselves (caches, locks, run times).
VOLATILE_OPTIONS: tuple[str, ...] = (
    "rewrite_rules",
    "recently_activated",
    "recently_edited",
    "db_upgraded",
    "can_compress_scripts",
    "auto_core_update_notified",
    "admin_email_lifespan",
    "https_detection_errors",
    "theme_switched",
    "theme_switched_via_customizer",
    "dismissed_update_core",
    "recovery_mode_email_last_sent",
    "user_count",
    "category_children",
    "*_children",
    "*_cache",
    "*_cache_*",
    "*_lock",
    "*.lock",
    "*_last_run",
    "*_last_checked",
    "*_last_check",
    "*_timestamp",
)

#: Options WordPress core creates (populate_options() of 6.1, plus what install adds).
CORE_OPTIONS = frozenset(
    [
        "siteurl",
        "home",
        "blogname",
        "blogdescription",
        "users_can_register",
        "admin_email",
        "start_of_week",
        "use_balanceTags",
        "use_smilies",
        "require_name_email",
        "comments_notify",
        "posts_per_rss",
        "rss_use_excerpt",
        "mailserver_url",
        "mailserver_login",
        "mailserver_pass",
        "mailserver_port",
        "default_category",
        "default_comment_status",
        "default_ping_status",
        "default_pingback_flag",
        "posts_per_page",
        "date_format",
        "time_format",
        "links_updated_date_format",
        "comment_moderation",
        "moderation_notify",
        "permalink_structure",
        "rewrite_rules",
        "hack_file",
        "blog_charset",
        "moderation_keys",
        "active_plugins",
        "category_base",
        "ping_sites",
        "comment_max_links",
        "gmt_offset",
        "default_email_category",
        "recently_edited",
        "template",
        "stylesheet",
        "comment_registration",
        "html_type",
        "use_trackback",
        "default_role",
        "db_version",
        "uploads_use_yearmonth_folders",
        "upload_path",
        "blog_public",
        "default_link_category",
        "show_on_front",
        "tag_base",
        "show_avatars",
        "avatar_rating",
        "upload_url_path",
        "thumbnail_size_w",
        "thumbnail_size_h",
        "thumbnail_crop",
        "medium_size_w",
        "medium_size_h",
        "avatar_default",
        "large_size_w",
        "large_size_h",
        "image_default_link_type",
        "image_default_size",
        "image_default_align",
        "close_comments_for_old_posts",
        "close_comments_days_old",
        "thread_comments",
        "thread_comments_depth",
        "page_comments",
        "comments_per_page",
        "default_comments_page",
        "comment_order",
        "sticky_posts",
        "uninstall_plugins",
        "timezone_string",
        "page_for_posts",
        "page_on_front",
        "default_post_format",
        "link_manager_enabled",
        "finished_splitting_shared_terms",
        "site_icon",
        "medium_large_size_w",
        "medium_large_size_h",
        "wp_page_for_privacy_policy",
        "show_comments_cookies_opt_in",
        "admin_email_lifespan",
        "disallowed_keys",
        "comment_previously_approved",
        "auto_plugin_theme_update_emails",
        "auto_update_core_dev",
        "auto_update_core_minor",
        "auto_update_core_major",
        "wp_force_deactivated_plugins",
        "initial_db_version",
        "fresh_site",
        "cron",
        "sidebars_widgets",
        "nav_menu_options",
        "WPLANG",
        "recovery_keys",
        "https_detection_errors",
        "db_upgraded",
        "can_compress_scripts",
        "recently_activated",
        "category_children",
        "user_count",
        "new_admin_email",
        "current_theme",
        "theme_switched",
        "auto_core_update_notified",
        "recovery_mode_email_last_sent",
        "site_logo",
        "wp_calendar_block_has_published_posts",
        "dismissed_update_core",
    ]
)


def is_transient(name: str) -> bool:
    """Whether ``name`` is a transient (or a transient's timeout)."""
    return name.startswith(("_transient_", "_site_transient_"))


def option_mask(
    name: str, *, secret: Sequence[str] = (), volatile: Sequence[str] = ()
) -> Mask | None:
    """Why an option's value is not stored: ``"secret"``, ``"volatile"`` or None.

    Secret patterns match in any case; an option name that :func:`is_secret_key` flags
    (``stripe_key``, ``Stripe_Secret``, ``basic_auth``) is secret too.

    >>> option_mask("auth_salt"), option_mask("rewrite_rules"), option_mask("blogname")
    ('secret', 'volatile', None)
    >>> option_mask("stripe_key"), option_mask("MY_API_TOKEN")
    ('secret', 'secret')
    """
    lowered = name.lower()
    if (
        any_match(SECRET_OPTIONS, lowered)
        or any_match([p.lower() for p in secret], lowered)
        or is_secret_key(name)
    ):
        return "secret"
    if any_match(VOLATILE_OPTIONS, name) or any_match(volatile, name):
        return "volatile"
    return None


@dataclass(frozen=True)
class OwnerIndex:
    """Tells which plugin or theme owns an option, from name prefixes."""

    plugins: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()

    @classmethod
    def build(cls, plugin_files: Iterable[str], themes: Iterable[str]) -> OwnerIndex:
        """From plugin files (``akismet/akismet.php``) and theme slugs."""
        slugs = {f.split("/", 1)[0].removesuffix(".php").lower() for f in plugin_files}
        # Longest first, so "woocommerce-payments" wins over "woocommerce".
        ordered = sorted((s for s in slugs if len(s) >= 3), key=len, reverse=True)
        return cls(tuple(ordered), tuple(themes))

    def owner(self, name: str) -> str:
        """``core``, ``plugin:<slug>``, ``theme:<slug>`` or ``""`` when nothing tells."""
        if name in CORE_OPTIONS or name.startswith(("widget_", "_wp_")):
            return "core"
        for theme in self.themes:
            if name in (f"theme_mods_{theme}", f"{theme}_theme_options"):
                return f"theme:{theme}"
        lowered = name.lower()
        for slug in self.plugins:
            for variant in {slug, slug.replace("-", "_")}:
                if lowered == variant or lowered.startswith((variant + "_", variant + "-")):
                    return f"plugin:{slug}"
        return ""


def shape_options(
    rows: Iterable[tuple[str, str, str]],
    normaliser: Normaliser,
    *,
    prefix: str,
    owners: OwnerIndex,
    secret: Sequence[str] = (),
    volatile: Sequence[str] = (),
) -> dict[str, OptionInfo]:
    """Snapshot entries from ``(option_name, option_value, autoload)`` rows."""
    roles_option = f"{prefix}user_roles"
    out: dict[str, OptionInfo] = {}
    for name, value, autoload in rows:
        if is_transient(name) or name in ELSEWHERE or name == roles_option:
            continue
        size = len(value.encode("utf-8"))
        loaded = autoload.lower() in AUTOLOAD_VALUES
        owner = owners.owner(name)
        mask = option_mask(name, secret=secret, volatile=volatile)
        if mask is not None:
            out[name] = OptionInfo(value=None, autoload=loaded, bytes=size, owner=owner, mask=mask)
            continue
        shaped = normaliser.value(value)
        if shaped == SECRET:  # the whole value is shaped like a credential
            out[name] = OptionInfo(
                value=None, autoload=loaded, bytes=size, owner=owner, mask="secret"
            )
            continue
        out[name] = OptionInfo(value=shaped, autoload=loaded, bytes=size, owner=owner)
    return out
