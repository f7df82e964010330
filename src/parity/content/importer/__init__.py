"""Importing articles into WordPress as a job that is safe to run again.

    import_articles / rollback_import (service.py)   what the CLI calls
    ImportWork (job.py), RollbackWork (rollback.py)  the job's work, item by item
    build_post (postdata.py)                         an article as post, meta and tags
    DirectWriter (direct.py)                         --direct: bulk SQL
    WordPressWriter (through_wordpress.py)           the default: WordPress's own functions

See ``docs/content.md``.
"""

from __future__ import annotations

from parity.content.importer.job import (
    IMPORT_JOB,
    ROLLBACK_JOB,
    ImportWork,
    content_import_job,
    content_rollback_job,
)
from parity.content.importer.postdata import (
    HASH_KEY,
    META_PREFIX,
    NOINDEX_KEY,
    RUN_KEY,
    SOURCE_ID_KEY,
    PostData,
    build_post,
    stored_meta_value,
)
from parity.content.importer.rollback import RollbackWork
from parity.content.importer.service import (
    ImportRequest,
    WordPressLocation,
    import_articles,
    import_run,
    rollback_import,
)

__all__ = [
    "HASH_KEY",
    "IMPORT_JOB",
    "META_PREFIX",
    "NOINDEX_KEY",
    "ROLLBACK_JOB",
    "RUN_KEY",
    "SOURCE_ID_KEY",
    "ImportRequest",
    "ImportWork",
    "PostData",
    "RollbackWork",
    "WordPressLocation",
    "build_post",
    "content_import_job",
    "content_rollback_job",
    "import_articles",
    "import_run",
    "rollback_import",
    "stored_meta_value",
]
