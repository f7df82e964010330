"""The [jobs] section: declared jobs are validated, and defaults apply when it is absent."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from parity.errors import InputError
from parity.jobs import Job, JobsSection, RollbackNote, SqlCount, find_job, job_catalogue
from parity.jobs.checks import HttpProbe
from parity.jobs.settings import jobs_settings


def declared(**overrides: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "name": "rebuild-sitemap",
        "owner": "seo team",
        "description": "Regenerate the sitemap.",
        "command": ["true"],
        "expected": {"http": "/wp-sitemap.xml", "env": "staging", "contains": "urlset"},
        "rollback": {"note": "Nothing to undo."},
        "schedule": "0 3 * * *",
    }
    job.update(overrides)
    return job


def test_a_declared_job_becomes_a_job_with_its_check_and_schedule() -> None:
    section = JobsSection.model_validate({"declared": [declared()]})
    entry = find_job(section, "rebuild-sitemap")
    assert entry.job.owner == "seo team"
    assert isinstance(entry.job.expected, HttpProbe)
    assert entry.job.expected.describe() == (
        "GET /wp-sitemap.xml on staging answers 200 containing 'urlset'"
    )
    assert entry.job.schedule is not None and entry.job.schedule.expression == "0 3 * * *"
    assert entry.make_work is not None


def test_the_catalogue_lists_builtin_jobs_first() -> None:
    section = JobsSection.model_validate({"declared": [declared()]})
    names = list(job_catalogue(section))
    assert names == [
        "content-import",
        "content-rollback",
        "refresh",
        "refresh-rollback",
        "rebuild-sitemap",
    ]
    assert job_catalogue(section)["content-import"].make_work is None


def test_an_unknown_job_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="known: content-import, content-rollback, refresh"):
        find_job(JobsSection(), "nope")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"schedule": "61 * * * *"}, "invalid cron expression: minute: 61"),
        ({"command": None}, "exactly one of command"),
        ({"callable": "pkg.mod:run"}, "exactly one of command"),
        ({"name": "Bad Name"}, "lower-case letters"),
        ({"name": "content-import"}, "is a built-in job"),
        ({"expected": {"sql": "DELETE FROM wp_posts", "env": "s", "equals": 0}}, "SELECT"),
        ({"expected": {"sql": "SELECT 1", "env": "s"}}, "equals, at_least or at_most"),
        ({"expected": {"url": "/"}}, "one of the keys sql, http or callable"),
        ({"expected": {"callable": "nocolon"}}, "package.module:function"),
        ({"rollback": {"note": ""}}, "at least 1 character"),
        ({"owner": "", "extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_declarations_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        JobsSection.model_validate({"declared": [declared(**overrides)]})


def test_a_job_declared_twice_is_rejected() -> None:
    with pytest.raises(ValidationError, match="declared twice"):
        JobsSection.model_validate({"declared": [declared(), declared()]})


def test_settings_without_a_jobs_section_give_the_defaults() -> None:
    class Bare:
        pass

    section = jobs_settings(Bare())
    assert section == JobsSection()
    assert section.lease_seconds == 300
    assert section.content_import.owner == "content team"

    class WithJobs:
        jobs = JobsSection(lease_seconds=60)

    assert jobs_settings(WithJobs()).lease_seconds == 60


def test_sql_count_describes_its_bounds() -> None:
    check = SqlCount("staging", "SELECT COUNT(*) FROM {prefix}posts", at_least=1, at_most=9)
    expected = "SQL count on staging >= 1 and <= 9: SELECT COUNT(*) FROM {prefix}posts"
    assert check.describe() == expected


def test_a_job_needs_an_owner_and_a_valid_name() -> None:
    check = SqlCount("s", "SELECT 1", equals=1)
    with pytest.raises(ValueError, match="owner"):
        Job("a-job", " ", "d", check, RollbackNote("n"))
    with pytest.raises(ValueError, match="lower-case"):
        Job("A job", "me", "d", check, RollbackNote("n"))
