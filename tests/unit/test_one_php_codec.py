"""One PHP codec: only ``parity.wordpress.phpvalue`` decodes PHP-serialized values.

The rewrite engine's scanner (``parity.rewrite.serialized``) reads the same format
without building values, for speed, and is the one other module allowed to know the
token grammar. Everything else imports these two; a second decoder, a second
``PhpValue``, a second error type or a second ``looks_serialized`` fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import parity
from parity.errors import InputError, MalformedPhpValue

SRC = Path(parity.__file__).parent
CODEC = "wordpress/phpvalue.py"
SCANNER = "rewrite/serialized.py"

# Functions that decode or recognise PHP-serialized text, under any of their usual names.
_DECODER_NAMES = re.compile(
    r"^_?(?:php_)?(?:un)?serialize$|^_?(?:maybe|try)_?(?:un)?serialize|^_?loads$|^_?try_loads$"
    r"|^_?(?:looks|is)_serialized$|^_?php_decode"
)
# Classes that stand for a decoded value, or errors about serialized text.
_VALUE_NAMES = re.compile(r"^PhpValue$|^Php(?:Object|Reference|Custom|Enum)$")
_ERROR_NAMES = re.compile(r"^Malformed$|^MalformedPhp|Php\w*Error$|Serializ\w*Error$")
# A regex or bytes literal that reads the head of an array or object token: a decoder.
_TOKEN_HEAD = re.compile(r"""[aO]:\(\\d\+\)|[aO]:\\d\+:\\\{|b"[aO]:"|"[aO]:\{""")


def offences(source: str, path: str) -> list[str]:
    """What in ``source`` would make it a second PHP codec."""
    found: list[str] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if _DECODER_NAMES.search(node.name):
                found.append(f"{path}:{node.lineno} defines {node.name}()")
        elif isinstance(node, ast.ClassDef):
            if _VALUE_NAMES.search(node.name):
                found.append(f"{path}:{node.lineno} defines class {node.name}")
            is_exception = any(
                isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception"))
                for b in node.bases
            )
            if _ERROR_NAMES.search(node.name) and (is_exception or node.name != "Malformed"):
                found.append(f"{path}:{node.lineno} defines exception {node.name}")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and _VALUE_NAMES.search(target.id):
                    found.append(f"{path}:{node.lineno} defines {target.id}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            if _TOKEN_HEAD.search(text):
                found.append(f"{path}:{node.lineno} reads PHP token heads ({text[:30]!r})")
    return found


def test_the_detector_finds_the_decoders_parity_used_to_have() -> None:
    # Shapes taken from the deleted drift/phpvalue.py and cron/phpvalue.py.
    old_drift = (
        "import re\nfrom typing import Union\n"
        "PhpValue = Union[None, bool, int]\n"
        "class Malformed(ValueError):\n    pass\n"
        '_ARRAY = re.compile(rb"a:(\\d+):\\{")\n'
        "def loads(text): ...\n"
        "def try_loads(text): ...\n"
        "def looks_serialized(text): ...\n"
    )
    old_cron = (
        "class PhpValueError(ValueError):\n    pass\n"
        "class PhpObject:\n    pass\n"
        "def php_unserialize(text): ...\n"
    )
    assert len(offences(old_drift, "drift")) == 6
    assert len(offences(old_cron, "cron")) == 3
    # ...and leaves alone what only resembles them.
    harmless = (
        "class Malformed:\n    reason: str\n"  # the rewrite report's record of a bad value
        "class MalformedArticle(InputError):\n    pass\n"
        'LENGTHS = re.compile(rb"s:\\d+:")\n'
        "def serialized_size(v): ...\n"
    )
    assert offences(harmless, "ok") == []


def test_only_the_codec_and_the_rewrite_scanner_read_php_serialized_text() -> None:
    found: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative in (CODEC, SCANNER):
            continue
        found += offences(path.read_text(encoding="utf-8"), relative)
    # The one error type lives in the error tree, as every parity error does.
    the_error = [
        f for f in found if f.startswith("errors.py:") and f.endswith(" MalformedPhpValue")
    ]
    assert len(the_error) == 1
    assert [f for f in found if f not in the_error] == []


def test_the_codec_and_the_scanner_are_where_this_test_expects_them() -> None:
    codec = offences((SRC / CODEC).read_text(encoding="utf-8"), CODEC)
    assert any("php_unserialize" in f for f in codec)
    assert any("looks_serialized" in f for f in codec)
    assert any("class PhpObject" in f for f in codec)
    assert any("reads PHP token heads" in f for f in offences((SRC / SCANNER).read_text(), SCANNER))


def test_there_is_one_error_type_and_it_is_in_the_error_tree() -> None:
    assert issubclass(MalformedPhpValue, InputError)
    tree = (SRC / "errors.py").read_text(encoding="utf-8").split('"""')[1]
    assert "MalformedPhpValue" in tree
    for relative in (CODEC, SCANNER):
        source = (SRC / relative).read_text(encoding="utf-8")
        assert "from parity.errors import MalformedPhpValue" in source
        assert not re.search(r"^class \w+\((?:\w*Error|Exception)\)", source, re.MULTILINE)
