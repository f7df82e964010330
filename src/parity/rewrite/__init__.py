"""Search-replace that is safe inside PHP-serialized data, JSON and nested encodings.

Pure code: no I/O, no framework. ``parity replace`` and ``parity refresh`` build a
:class:`Rewriter` once and pass it every stored value; :mod:`parity.rewrite.sqldump`
streams a mysqldump file through one.

>>> from parity.rewrite import rewrite
>>> rewrite(b'a:1:{i:0;s:18:"http://example.com";}', [("http://", "https://")])
b'a:1:{i:0;s:19:"https://example.com";}'
"""

from __future__ import annotations

from parity.rewrite.encodings import ENCODINGS
from parity.rewrite.engine import Rewriter, rewrite
from parity.rewrite.pairs import InvalidPairs, rerun_warnings
from parity.rewrite.report import Malformed, RewriteReport, Skipped

__all__ = [
    "ENCODINGS",
    "InvalidPairs",
    "Malformed",
    "RewriteReport",
    "Rewriter",
    "Skipped",
    "rerun_warnings",
    "rewrite",
]
