"""Planning: names, row filters, rewritten columns, preserved options, fingerprints."""

from __future__ import annotations

from parity.environments import EnvironmentSettings
from parity.refresh.plan import Column, TableShape, build_plan, like_pattern, shadow_definition
from parity.refresh.settings import RefreshSection


def env(name: str, url: str, prefix: str = "wp_", port: int = 3306) -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {
            "name": name,
            "url": url,
            "db": f"mysql://u:p@127.0.0.1:{port}/{name}",
            "table_prefix": prefix,
        }
    )


PROD = env("production", "https://example.com")
STAGE = env("staging", "https://staging.example.com", port=3307)


def shape(name: str, *columns: str, pk: tuple[str, ...] = ("id",)) -> TableShape:
    cols = tuple(Column(c, text=c not in ("id", "ID", "post_id", "umeta_id")) for c in columns)
    return TableShape(name, cols, pk, f"CREATE TABLE `{name}` (\n  x int\n) ENGINE=InnoDB")


SHAPES = [
    shape("wp_options", "option_id", "option_name", "option_value", pk=("option_id",)),
    shape("wp_posts", "ID", "post_content", "post_type", "post_status", "guid", pk=("ID",)),
    shape("wp_postmeta", "meta_id", "post_id", "meta_key", "meta_value", pk=("meta_id",)),
    shape("wp_usermeta", "umeta_id", "user_id", "meta_key", "meta_value", pk=("umeta_id",)),
    shape("wp_comments", "comment_ID", "comment_post_ID", "comment_approved", pk=("comment_ID",)),
    shape("wp_commentmeta", "meta_id", "comment_id", "meta_key", pk=("meta_id",)),
    shape("wp_actionscheduler_logs", "log_id", "message", pk=("log_id",)),
]


def plan_for(policy: RefreshSection, target: EnvironmentSettings = STAGE, **kw: object):  # type: ignore[no-untyped-def]
    options = {"wp_options": [b"siteurl", b"home", b"stage_only", b"my_license_key"]}
    return build_plan(
        PROD,
        target,
        policy,
        SHAPES,
        ["wp_options", "wp_posts", "wp_only_on_staging"],
        options,
        **kw,  # type: ignore[arg-type]
    )


def test_tables_get_target_and_shadow_names_and_staging_only_tables_are_kept() -> None:
    plan = plan_for(RefreshSection())
    posts = plan.table("wp_posts")
    assert (posts.target, posts.shadow) == ("wp_posts", "_pn_wp_posts")
    assert posts.create_sql.startswith("CREATE TABLE `_pn_wp_posts`")
    assert plan.kept_target_tables == ("wp_only_on_staging",)


def test_transients_are_filtered_and_existing_preserved_options_come_from_the_target() -> None:
    plan = plan_for(RefreshSection(preserve_options=["siteurl", "home", "blog_public", "my_*"]))
    options = plan.table("wp_options")
    assert "option_name NOT LIKE %s" in options.where
    assert r"\_transient\_%" in options.params
    # blog_public is not on the target: the source's row is copied instead.
    assert options.preserved == (b"home", b"my_license_key", b"siteurl")
    assert plan.preserved_options == ("home", "my_license_key", "siteurl")
    assert "option_name NOT IN (%s, %s, %s)" in options.where


def test_guid_is_not_rewritten_unless_asked() -> None:
    columns = plan_for(RefreshSection()).table("wp_posts").columns
    rewritten = plan_for(RefreshSection()).table("wp_posts").rewrite_columns
    assert columns.index("guid") not in rewritten
    assert columns.index("post_content") in rewritten
    assert (
        columns.index("guid")
        in plan_for(RefreshSection(rewrite_guids=True)).table("wp_posts").rewrite_columns
    )


def test_session_tokens_are_filtered_out_of_usermeta() -> None:
    usermeta = plan_for(RefreshSection()).table("wp_usermeta")
    assert usermeta.where == "(meta_key NOT LIKE %s)"
    assert usermeta.params == ("session\\_tokens",)


def test_excluded_post_types_take_their_meta_and_comments_with_them() -> None:
    plan = plan_for(RefreshSection(exclude_post_types=["revision"], exclude_spam=True))
    assert plan.table("wp_posts").where == "(NOT (post_type IN (%s)))"
    assert (
        "post_id NOT IN (SELECT ID FROM `wp_posts` WHERE post_type IN (%s))"
        in plan.table("wp_postmeta").where
    )
    comments = plan.table("wp_comments")
    assert "comment_approved NOT IN (%s)" in comments.where
    assert comments.params == ("spam", "revision")
    assert (
        "comment_id NOT IN (SELECT comment_ID FROM `wp_comments`"
        in plan.table("wp_commentmeta").where
    )


def test_excluded_tables_are_reported_and_not_copied() -> None:
    plan = plan_for(RefreshSection(exclude_tables=["actionscheduler_*"]))
    assert ("wp_actionscheduler_logs", "exclude_tables: actionscheduler_*") in plan.excluded_tables
    assert all(t.source != "wp_actionscheduler_logs" for t in plan.tables)


def test_other_target_prefix_renames_tables_and_maps_rows() -> None:
    plan = plan_for(RefreshSection(), target=env("staging", "https://s.example.com", "stg_", 3307))
    assert plan.table("wp_options").target == "stg_options"
    assert plan.table("wp_options").prefix_kind == "options"
    assert plan.table("wp_usermeta").prefix_kind == "usermeta"
    assert plan.table("wp_postmeta").prefix_kind is None


def test_fingerprint_changes_with_policy_or_secrets_not_with_retention() -> None:
    base = plan_for(RefreshSection()).fingerprint
    assert plan_for(RefreshSection(retention=4)).fingerprint == base
    assert plan_for(RefreshSection(exclude_spam=True)).fingerprint != base
    assert plan_for(RefreshSection(), secret_digest="other").fingerprint != base


def test_like_pattern_and_shadow_definition() -> None:
    assert like_pattern("a_b*c?%") == "a\\_b%c_\\%"
    assert (
        shadow_definition("CREATE TABLE `t` (x int)", "t", "_pn_t")
        == "CREATE TABLE `_pn_t` (x int)"
    )


def test_foreign_keys_lose_their_names_and_point_at_the_parents_shadow() -> None:
    create = (
        "CREATE TABLE `wp_child` (\n  `id` int NOT NULL,\n  `pid` int,\n"
        "  CONSTRAINT `fk_child_parent` FOREIGN KEY (`pid`) REFERENCES `wp_parent` (`id`)\n"
        ") ENGINE=InnoDB"
    )
    shadow = shadow_definition(create, "wp_child", "_pn_stg_child", {"wp_parent": "_pn_stg_parent"})
    assert shadow.startswith("CREATE TABLE `_pn_stg_child`")
    assert "CONSTRAINT" not in shadow
    assert "FOREIGN KEY (`pid`) REFERENCES `_pn_stg_parent` (`id`)" in shadow
