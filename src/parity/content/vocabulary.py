"""The words the synthesizer draws from: stacks, problems, scenarios and text templates.

Templates use ``str.format`` fields: ``{stack}``, ``{problem}``, ``{scenario}``,
``{site}``, ``{tool}``, ``{language}`` and ``{area}``. Paragraphs end with a full stop and
headings do not, as the article format requires. Everything is lower case, like the
articles our users import.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AI_BRIEFS",
    "CHECKLIST_HEADINGS",
    "CHECKLIST_ITEMS",
    "CLOSING_HEADINGS",
    "CLOSING_PARAGRAPHS",
    "DIFFICULTIES",
    "EMPHASES",
    "EXTRA_SENTENCES",
    "HEADINGS",
    "IMAGE_CAPTIONS",
    "INTROS",
    "NOTES",
    "PARAGRAPHS",
    "PROBLEMS",
    "RECOMMENDED_ACTIONS",
    "REVISION_STATUSES",
    "SCENARIOS",
    "STACKS",
    "TITLES",
    "Stack",
]


class Stack(NamedTuple):
    """A technology stack an article is about, with the tools that come with it."""

    name: str
    area: str
    language: str
    tools: tuple[str, ...]


STACKS: tuple[Stack, ...] = (
    Stack("python services", "backend", "python",
          ("fastapi", "pytest", "uvicorn", "ruff", "git", "logs", "mypy", "celery")),
    Stack("wordpress plugins", "cms", "php",
          ("wp-cli", "composer", "phpunit", "query monitor", "xdebug", "git")),
    Stack("wordpress themes", "frontend", "php",
          ("wp-cli", "theme check", "sass", "lighthouse", "git", "browser devtools")),
    Stack("woocommerce stores", "ecommerce", "php",
          ("wp-cli", "action scheduler", "query monitor", "redis", "new relic", "git")),
    Stack("php backends", "backend", "php",
          ("composer", "php-fpm", "phpstan", "nginx", "opcache", "git")),
    Stack("laravel applications", "backend", "php",
          ("artisan", "composer", "phpunit", "horizon", "telescope", "git")),
    Stack("django projects", "backend", "python",
          ("django admin", "pytest", "celery", "gunicorn", "sentry", "git")),
    Stack("node.js apis", "backend", "javascript",
          ("npm", "express", "jest", "pm2", "eslint", "git")),
    Stack("react frontends", "frontend", "typescript",
          ("vite", "vitest", "eslint", "storybook", "lighthouse", "git")),
    Stack("headless wordpress", "frontend", "typescript",
          ("wpgraphql", "next.js", "wp-cli", "playwright", "git")),
    Stack("go microservices", "backend", "go",
          ("go test", "pprof", "docker", "prometheus", "golangci-lint", "git")),
    Stack("mysql databases", "data", "sql",
          ("mysql client", "pt-query-digest", "explain", "mysqldump", "percona toolkit")),
    Stack("mariadb replicas", "data", "sql",
          ("mariadb client", "mariabackup", "explain", "slow query log", "grafana")),
    Stack("redis caching", "infrastructure", "bash",
          ("redis-cli", "redis insight", "prometheus", "grafana", "logs")),
    Stack("nginx configuration", "infrastructure", "nginx",
          ("nginx -t", "curl", "goaccess", "certbot", "logs", "git")),
    Stack("varnish caching", "infrastructure", "vcl",
          ("varnishlog", "varnishstat", "varnishadm", "curl", "git")),
    Stack("kubernetes deployments", "infrastructure", "yaml",
          ("kubectl", "helm", "k9s", "prometheus", "grafana", "git")),
    Stack("ci pipelines", "devops", "yaml",
          ("github actions", "gitlab ci", "docker", "make", "shellcheck", "git")),
    Stack("shell automation", "devops", "bash",
          ("bash", "shellcheck", "cron", "rsync", "systemd", "logs")),
    Stack("static site builds", "frontend", "javascript",
          ("hugo", "npm", "lighthouse", "netlify cli", "git")),
)  # fmt: skip

PROBLEMS: tuple[str, ...] = (
    "keeping staging close to production",
    "slow admin pages",
    "cache misses after deployments",
    "failing cron events",
    "risky database migrations",
    "search and replace in serialized data",
    "memory spikes during imports",
    "broken image urls after a migration",
    "flaky end-to-end tests",
    "slow checkout requests",
    "plugin update regressions",
    "stale object cache entries",
    "long running background jobs",
    "noisy error logs",
    "unindexed meta queries",
    "duplicate posts after imports",
    "logged-in users bypassing the page cache",
    "timeouts on the rest api",
    "large autoloaded options",
    "backups nobody has restored",
    "configuration drift between servers",
    "unpredictable deploy times",
)

SCENARIOS: tuple[str, ...] = (
    "inside a wordpress workflow",
    "on a busy news site",
    "for a woocommerce store",
    "across a multisite network",
    "during a traffic spike",
    "for a small agency team",
    "after a hosting migration",
    "in a regulated environment",
    "with a tight release schedule",
    "on shared hosting",
    "behind a cdn",
    "for a membership site",
    "with a distributed team",
    "on a legacy codebase",
)

TITLES: tuple[str, ...] = (
    "{stack} notes: {problem} {scenario}",
    "{problem} in {stack}: a field guide",
    "how we handle {problem} with {stack}",
    "{stack} in practice: {problem} {scenario}",
    "a checklist for {problem} in {stack}",
    "{problem} {scenario}: lessons from {stack}",
)

INTROS: tuple[str, ...] = (
    "when a project grows, {problem} stops being a side task and becomes part of how the "
    "team ships software. this {site} note walks through a practical approach to {stack} "
    "{scenario}.",
    "most teams meet {problem} long before they have a name for it. this {site} note "
    "collects what worked for {stack} {scenario}, and what we would not do again.",
    "{problem} rarely breaks a site in one go; it wears the team down release by release. "
    "here is how {stack} work can stay calm {scenario}.",
    "this {site} note is about {problem} in {stack}. it is written for the person who will "
    "be on call {scenario}, not for a slide deck.",
    "a short guide to {problem} for {stack} {scenario}: what to measure, what to change, "
    "and how to prove the change helped.",
)

HEADINGS: tuple[str, ...] = (
    "production checks",
    "why this matters",
    "the baseline",
    "what to measure",
    "a safe rollout",
    "common mistakes",
    "debugging the slow path",
    "the rollback plan",
    "how we verified it",
    "where it breaks",
    "tooling that helps",
    "team habits",
    "reading the logs",
    "testing on real data",
    "caching without surprises",
    "ownership and handover",
    "small changes first",
    "monitoring after release",
)

PARAGRAPHS: tuple[str, ...] = (
    "start with a written description of what happens today: the route, the input, the "
    "slow query or failing command, and where a user first notices it. that baseline keeps "
    "later changes honest.",
    "change one thing at a time. record the before state, apply the smallest safe change, "
    "clear only the cache that matters, and measure again under the same conditions.",
    "a dashboard earns its place only if it answers a plain question during an incident: is "
    "it up, is it slow, is something failing, and did the last release change that.",
    "migrations deserve a rehearsal. copy real data to a scratch database, run the change "
    "there, and time it. a statement that takes a second on a laptop can lock a busy table "
    "for minutes.",
    "background work should be safe to run twice. give every item a stable key, log what "
    "was done, and let a rerun skip it. recovery after a crash then becomes a normal rerun.",
    "cache rules are read far more often than they are written. name each rule, say when it "
    "is bypassed, and keep an example of a page that must never be cached next to it.",
    "{tool} is usually enough to see the problem. resist adding another service until the "
    "existing signals have been read carefully.",
    "the first fix that comes to mind is often a rewrite. in {stack}, a narrow change with a "
    "clear test tends to survive longer and is easier to review.",
    "logged-in traffic behaves differently from anonymous traffic. test both, because a "
    "page that is fast from the cache can still be slow for an editor.",
    "write the rollback step before the change. if nobody can say how to undo it in one "
    "command, the change is not ready for production.",
    "keep staging honest by refreshing it from production on a schedule, with personal data "
    "scrubbed. a stale staging site hides exactly the bugs it was meant to catch.",
    "search and replace across a database needs care with serialized values. a naive "
    "replacement changes string lengths and silently breaks options and widgets.",
    "measure with the cache cold and warm, and say which one a number comes from. a lucky "
    "cache hit is the most common reason a fix looks better than it is.",
    "look at the slow query log before touching any code. an index on the right column is "
    "often the whole fix, and it is easy to verify with explain.",
    "autoloaded options are read on every request. trimming a few large ones can save more "
    "time than any change to the theme.",
    "cron events that nobody owns pile up. list them, find the hooks that no longer exist, "
    "and decide which ones may run on staging at all.",
    "on staging, anything that reaches the outside world is a risk: mail, payment calls, "
    "webhooks. turn them off or point them at a sink before the first test run.",
    "for {stack}, the {language} side of the change is rarely the hard part. the hard part "
    "is agreeing on what done looks like and checking it the same way every time.",
    "{scenario}, the safest deploy is a boring one. the same steps, in the same order, with "
    "a short note of what was checked afterwards.",
    "errors that repeat thousands of times hide the one that matters. group them, fix or "
    "silence the noisy ones on purpose, and watch what is left.",
    "imports are where duplicates come from. key each item on an id from the source, so "
    "that running the import again updates posts instead of creating new ones.",
    "a slow page is a symptom. trace one request from the edge to the database and write "
    "down where the time goes before deciding what to optimise.",
    "tests that fail at random teach the team to ignore failures. quarantine them, fix the "
    "cause, and only then bring them back into the main run.",
    "document the decision as well as the change. the next person will want to know why "
    "the {area} setup looks the way it does, not only what it is.",
    "a restore that has never been tried is not a backup. restore last night's copy to a "
    "scratch server once a month and check that the site actually works.",
    "{tool} output is easier to compare when it is saved with the date and the commit. two "
    "numbers without context start arguments instead of ending them.",
    "configuration drift creeps in through hotfixes applied by hand. compare the servers "
    "after every release and bring the differences back into version control.",
    "keep the change small enough that a reviewer can hold it in their head. large "
    "{area} changes get approved without being understood.",
)

EXTRA_SENTENCES: tuple[str, ...] = (
    " for this {stack} case, write the owner, the expected result and the rollback step "
    "next to the change.",
    " the {site} habit is to ship the smallest change that can be verified.",
    " {scenario}, that discipline matters more than any single tool.",
    " it is the cheapest insurance a {stack} team can buy.",
)

CHECKLIST_HEADINGS: tuple[str, ...] = (
    "implementation checklist",
    "checklist",
    "before you ship",
    "release checklist",
)

CHECKLIST_ITEMS: tuple[str, ...] = (
    "inspect cache headers",
    "test logged-in traffic",
    "purge only the affected route",
    "measure response time",
    "keep a rollback command ready",
    "refresh staging from production",
    "scrub personal data on staging",
    "disable outgoing mail on staging",
    "run the migration on a copy first",
    "check the slow query log",
    "compare before and after numbers",
    "note which cache was warm",
    "record the commit that was measured",
    "list overdue cron events",
    "confirm the backup restores",
    "review autoloaded options",
    "check serialized values after replace",
    "run the import twice",
    "watch error rates for an hour",
    "write down the owner",
    "update the runbook",
    "tag the release",
    "verify the sitemap",
    "check redirects for old urls",
    "test the checkout with a real card in sandbox mode",
)

CLOSING_HEADINGS: tuple[str, ...] = ("final notes", "wrapping up", "next steps", "in short")

CLOSING_PARAGRAPHS: tuple[str, ...] = (
    "the goal is not only a faster or cleaner {stack} setup. it is a change another "
    "developer can read, understand and repeat, with the commands and numbers kept close to "
    "this note.",
    "none of this needs new tools. it needs the same few checks done every time, and a "
    "written record of what they showed.",
    "if only one habit sticks, make it the baseline: measure first, change one thing, and "
    "measure again.",
    "revisit this note after the next incident. whatever surprised the team belongs in the "
    "checklist above.",
)

IMAGE_CAPTIONS: tuple[str, ...] = (
    "{problem} with {stack} visual reference {number}",
    "{stack} dashboard while investigating {problem} {number}",
    "diagram of {problem} {scenario} {number}",
)

EMPHASES: tuple[str, ...] = (
    "measurement",
    "safe defaults",
    "rollback planning",
    "maintainable documentation",
    "clear ownership",
    "repeatable tests",
    "small reversible changes",
    "useful monitoring",
    "realistic test data",
)

AI_BRIEFS: tuple[str, ...] = (
    "the article is written like a careful ai generated engineering draft: it explains the "
    "reason for the change, lists operational checks, and does not pretend one command "
    "fixes every case.",
    "a practical, ai-style walkthrough that favours measurement over opinion and keeps every "
    "step reversible.",
    "the draft reads as an internal runbook: short sections, concrete checks, and a closing "
    "checklist for the person on call.",
    "an ai-assisted engineering note that names its assumptions and keeps the verification "
    "steps next to the advice.",
)

RECOMMENDED_ACTIONS: tuple[str, ...] = (
    "measure first, change carefully, document the result",
    "reproduce on a copy, fix the smallest thing, verify",
    "write the check first, then change the system",
    "roll out gradually and watch the error rate",
    "agree on an owner and a rollback before starting",
)

DIFFICULTIES: tuple[str, ...] = ("beginner", "intermediate", "advanced")

REVISION_STATUSES: tuple[str, ...] = ("draft", "reviewed", "expanded", "updated", "refreshed")

NOTES: tuple[str, ...] = (
    "array meta is sanitized and should show as a list in the meta box",
    "the view count is made up and exists to give the meta table realistic volume",
    "synthetic content for import and load tests: review it before it is indexed",
    "image urls are references only and are not downloaded on import",
    "scores are synthetic and carry no editorial judgement",
)
