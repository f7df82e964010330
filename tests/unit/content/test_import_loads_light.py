"""The import loads the similar-posts machinery (scikit-learn, datasketch) only when the
environment has stored similar lists: those libraries take seconds to load."""

from __future__ import annotations

import subprocess
import sys

from parity.content import similar_service
from parity.content.importer import service


def test_the_import_looks_for_similar_lists_under_the_key_content_similar_writes() -> None:
    assert service.SIMILAR_META_KEY is similar_service.SIMILAR_META_KEY


def test_loading_the_import_service_leaves_the_similarity_libraries_unloaded() -> None:
    code = (
        "import sys, parity.content.importer.service, parity.cli\n"
        "heavy = [m for m in ('sklearn', 'datasketch', 'scipy') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
