"""Real PHP as the oracle for the rewrite engine.

:class:`Php` (the ``php`` fixture) keeps one php-cli process and sends it batches:
``build`` turns node trees into the bytes PHP's ``serialize()`` writes; ``check``
verifies rewritten values the way the issue asks: each must unserialize, serialize back
to the same bytes, and equal what PHP gets by unserializing the original, replacing in
every string value and key (through nested serialized and JSON strings) and serializing
back.

Node trees are plain JSON: ``S("text")``, ``A([(key, node), ...])``, ``O("Class", [...])``
and the other helpers below build them.
"""

from __future__ import annotations

import base64
import json
import resource
import subprocess
from collections.abc import Sequence
from typing import Any

Node = dict[str, Any]

PHP_LIB = r"""
error_reporting(E_ALL & ~E_DEPRECATED);
class PBox implements Serializable {
    public $d;
    public function serialize() { return serialize($this->d); }
    public function unserialize($s) { $this->d = unserialize($s); }
}
function build($n) {
    switch ($n['t']) {
        case 'str': return base64_decode($n['b']);
        case 'int': return $n['v'];
        case 'float': return (float) $n['v'];
        case 'bool': return $n['v'];
        case 'null': return null;
        case 'arr':
            $a = [];
            foreach ($n['items'] as [$k, $c]) {
                $a[is_array($k) ? base64_decode($k['b']) : $k] = build($c);
            }
            return $a;
        case 'obj':
            $body = '';
            foreach ($n['props'] as [$name, $vis, $c]) {
                $name = base64_decode($name);
                $m = $vis === 'private' ? "\0{$n['class']}\0$name"
                    : ($vis === 'protected' ? "\0*\0$name" : $name);
                $body .= serialize($m) . serialize(build($c));
            }
            $cls = $n['class'];
            return unserialize('O:' . strlen($cls) . ':"' . $cls . '":' . count($n['props'])
                . ':{' . $body . '}');
        case 'ser': return serialize(build($n['c']));
        case 'json': return json_encode(build($n['c']), $n['flags']);
        case 'box': $b = new PBox(); $b->d = build($n['c']); return $b;
        case 'ref': $a = [build($n['c'])]; $a[1] = &$a[0]; return $a;
        case 'same': $o = build($n['c']); return [$o, $o];
    }
    throw new Exception('unknown node ' . $n['t']);
}
function looks_ser($s) {
    $t = trim($s, " \t\n\r\0\x0B");
    if (strlen($t) < 2) return false;
    if (!preg_match('/^(?:(?:N;|[bid]:[^;]{0,400};)\z|[sSOCE]:\d+:"|a:\d+:\{)/', $t)) return false;
    return @unserialize($t) !== false || $t === 'b:0;';
}
function looks_json($s) {
    $t = trim($s, " \t\n\r");
    if (strlen($t) < 2) return false;
    $f = $t[0]; $l = $t[strlen($t) - 1];
    if (!(($f === '{' && $l === '}') || ($f === '[' && $l === ']'))) return false;
    json_decode($t, true);
    return json_last_error() === JSON_ERROR_NONE;
}
// A comparable form of a value; with $pairs, every string value and key is replaced,
// through serialized and JSON strings. Property and class names are kept.
function norm($v, $pairs) {
    if (is_string($v)) {
        if (looks_ser($v)) return ['__ser' => norm(unserialize(trim($v, " \t\n\r\0\x0B")), $pairs)];
        if (looks_json($v)) return ['__json' => norm(json_decode($v, true), $pairs)];
        return $pairs === null ? $v : strtr($v, $pairs);
    }
    if (is_array($v)) {
        $o = [];
        foreach ($v as $k => $x) {
            $o[] = [is_string($k) && $pairs !== null ? strtr($k, $pairs) : $k, norm($x, $pairs)];
        }
        return ['__arr' => $o];
    }
    if (is_object($v)) {
        $cls = get_class($v);
        $arr = (array) $v;
        if ($v instanceof __PHP_Incomplete_Class) {
            $cls = $arr['__PHP_Incomplete_Class_Name'];
            unset($arr['__PHP_Incomplete_Class_Name']);
        }
        if ($v instanceof PBox) $arr = ['d' => $v->d];
        $o = [];
        foreach ($arr as $k => $x) $o[] = [$k, norm($x, $pairs)];
        return ['__obj' => $cls, 'props' => $o];
    }
    if (is_float($v)) return ['__float' => is_nan($v) ? 'NAN' : $v];
    return $v;
}
function native($v, $pairs) {
    if (is_string($v)) return strtr($v, $pairs);
    if (!is_array($v)) return $v;
    $o = [];
    foreach ($v as $k => $x) $o[is_string($k) ? strtr($k, $pairs) : $k] = native($x, $pairs);
    return $o;
}
"""

PHP_SERVER = r"""
function op_build($nodes) {
    $out = [];
    foreach ($nodes as $node) $out[] = base64_encode(serialize(build($node)));
    return $out;
}
function op_check($cases) {
    $out = [];
    foreach ($cases as $case) {
        $orig = base64_decode($case['orig']);
        $ours = base64_decode($case['ours']);
        $pairs = [];
        foreach ($case['pairs'] as [$s, $r]) $pairs[$s] = $r;
        $u = @unserialize($ours);
        $ok = $u !== false || $ours === 'b:0;';
        $r = ['unserializes' => $ok, 'roundtrip' => false, 'equal' => false, 'exact' => null];
        if ($ok) {
            $r['roundtrip'] = serialize($u) === $ours;
            $o = unserialize($orig);
            $r['equal'] = norm($u, null) === norm($o, $pairs);
            if ($case['exact']) $r['exact'] = serialize(native($o, $pairs)) === $ours;
        }
        $out[] = $r;
    }
    return $out;
}
// JSON documents: does json_decode(ours) equal json_decode(orig) with every string
// value and key replaced (through nested serialized and JSON strings)?
function op_check_json($cases) {
    $out = [];
    foreach ($cases as $case) {
        $pairs = [];
        foreach ($case['pairs'] as [$s, $r]) $pairs[$s] = $r;
        $ours = json_decode(base64_decode($case['ours']), true);
        $ok = json_last_error() === JSON_ERROR_NONE;
        $orig = json_decode(base64_decode($case['orig']), true);
        $out[] = ['decodes' => $ok, 'equal' => $ok && norm($ours, null) === norm($orig, $pairs)];
    }
    return $out;
}
function op_roundtrip($values) {
    $out = [];
    foreach ($values as $value) {
        $value = base64_decode($value);
        $u = @unserialize($value);
        $out[] = ($u !== false || $value === 'b:0;') && serialize($u) === $value;
    }
    return $out;
}
// One request per line: {"op": "build" | "check" | "roundtrip", "data": [...]}.
while (($line = fgets(STDIN)) !== false) {
    $request = json_decode($line, true);
    echo json_encode(call_user_func('op_' . $request['op'], $request['data'])), "\n";
    fflush(STDOUT);
}
"""


def _big_stack() -> None:
    size = 512 * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)
    resource.setrlimit(resource.RLIMIT_STACK, (size, hard))


class Php:
    """One long-lived php-cli process that answers batches, one JSON line each."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self._process: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    "-d",
                    "memory_limit=-1",
                    "-d",
                    "unserialize_max_depth=0",
                    "-r",
                    PHP_LIB + PHP_SERVER,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # PHP's serialize() recurses in C: depth 10,000 needs more than 8 MB of stack.
                preexec_fn=_big_stack,
            )
        return self._process

    def close(self) -> None:
        """Stop the php process."""
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=30)
        self._process = None

    def run(self, op: str, payload: Any) -> Any:
        """Send one batch to ``op_<op>`` in PHP and return its JSON answer."""
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps({"op": op, "data": payload}).encode() + b"\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except BrokenPipeError:
            line = b""
        if not line:
            process.wait(timeout=30)
            assert process.stderr is not None
            error = process.stderr.read().decode(errors="replace")[:2000]
            self._process = None
            raise AssertionError(f"php failed (exit {process.returncode}): {error}")
        return json.loads(line)

    def build(self, nodes: Sequence[Node]) -> list[bytes]:
        """What PHP's serialize() writes for each node tree."""
        return [base64.b64decode(item) for item in self.run("build", list(nodes))]

    def roundtrips(self, values: Sequence[bytes]) -> list[bool]:
        """For each value: does PHP unserialize it and serialize it back to the same bytes?"""
        payload = [base64.b64encode(value).decode() for value in values]
        return list(self.run("roundtrip", payload))

    def check(
        self,
        cases: Sequence[tuple[bytes, bytes]],
        pairs: Sequence[tuple[str, str]],
        *,
        exact: bool = False,
    ) -> list[dict[str, Any]]:
        """PHP's verdict on each (original, rewritten) value for ``pairs``.

        PHP applies ``strtr`` with the pairs plus ``NEW => NEW`` for each pair whose
        replacement contains its search text: where the replacement is already written,
        parity leaves it as it is (a rerun changes nothing more).
        """
        pairs = _with_kept(pairs)
        payload = [
            {
                "orig": base64.b64encode(orig).decode(),
                "ours": base64.b64encode(ours).decode(),
                "pairs": [list(pair) for pair in pairs],
                "exact": exact,
            }
            for orig, ours in cases
        ]
        return list(self.run("check", payload))

    def check_json(
        self, cases: Sequence[tuple[bytes, bytes]], pairs: Sequence[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        """PHP's verdict on each (original, rewritten) JSON document: ``decodes``, and
        ``equal`` (``json_decode`` of ours is the original's with every string replaced)."""
        payload = [
            {
                "orig": base64.b64encode(orig).decode(),
                "ours": base64.b64encode(ours).decode(),
                "pairs": [list(pair) for pair in _with_kept(pairs)],
            }
            for orig, ours in cases
        ]
        return list(self.run("check_json", payload))

    def assert_rewrites_like_php(
        self,
        cases: Sequence[tuple[bytes, bytes]],
        pairs: Sequence[tuple[str, str]],
        *,
        exact: bool = False,
    ) -> None:
        """Fail with the first case PHP disagrees with."""
        for (orig, ours), verdict in zip(cases, self.check(cases, pairs, exact=exact), strict=True):
            wanted = {"unserializes": True, "roundtrip": True, "equal": True}
            if exact:
                wanted["exact"] = True
            got = {key: verdict[key] for key in wanted}
            assert got == wanted, f"PHP disagrees: {verdict}\n orig={orig!r}\n ours={ours!r}"


def _with_kept(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs plus ``NEW => NEW`` for each pair whose replacement contains its search."""
    searches = {search for search, _ in pairs}
    return [
        *pairs,
        *((new, new) for old, new in pairs if old in new and new not in searches),
    ]


def _b(text: str | bytes) -> dict[str, str]:
    raw = text.encode() if isinstance(text, str) else text
    return {"b": base64.b64encode(raw).decode()}


def S(text: str | bytes) -> Node:
    """A string node."""
    return {"t": "str", **_b(text)}


def I(value: int) -> Node:  # noqa: E743 - short names keep node trees readable
    """An integer node."""
    return {"t": "int", "v": value}


def F(value: str) -> Node:
    """A float node, given as PHP source text (``"0.1"``)."""
    return {"t": "float", "v": value}


def B(value: bool) -> Node:
    """A boolean node."""
    return {"t": "bool", "v": value}


NULL: Node = {"t": "null"}


def A(items: Sequence[tuple[str | int, Node]]) -> Node:
    """An array node; string keys are given as text, integer keys as ints."""
    return {
        "t": "arr",
        "items": [[_b(k) if isinstance(k, str) else k, node] for k, node in items],
    }


def O(cls: str, props: Sequence[tuple[str, str, Node]]) -> Node:  # noqa: E743
    """An object node of class ``cls`` (never declared): props are (name, visibility, node)."""
    return {
        "t": "obj",
        "class": cls,
        "props": [[base64.b64encode(n.encode()).decode(), vis, node] for n, vis, node in props],
    }


def SER(node: Node) -> Node:
    """A string holding ``serialize(node)`` (double serialization)."""
    return {"t": "ser", "c": node}


def JSON(node: Node, flags: int = 0) -> Node:
    """A string holding ``json_encode(node, flags)``."""
    return {"t": "json", "c": node, "flags": flags}


def BOX(node: Node) -> Node:
    """An object of a Serializable class: PHP writes it as ``C:``."""
    return {"t": "box", "c": node}


def REF(node: Node) -> Node:
    """``[$v, &$v]``: PHP writes the second element as ``R:``."""
    return {"t": "ref", "c": node}


def SAME(node: Node) -> Node:
    """``[$o, $o]`` for an object: PHP writes the second element as ``r:``."""
    return {"t": "same", "c": node}
