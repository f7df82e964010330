"""Benchmark: parity's Rewriter against PHP unserialize -> replace -> serialize.

Usage: .venv/bin/python benchmarks/bench_rewrite.py [--mb N] [--match-share F]
       [--corpus mixed|dense] [--engine pure|native]

Builds a corpus, writes it to a temporary file, then times in the same run:

* ``--corpus mixed`` (the default): values shaped like wp_options, wp_postmeta and wp_posts
  (serialized options and meta, Gutenberg posts with block JSON, plain strings; with the
  default ``--match-share 0.1`` about 8% of values hold the search string);
* ``--corpus dense``: ``corpus_dense.py``'s match-dense values (deeply nested serialized
  arrays with URL-encoded and JSON-escaped URLs, JSON inside serialized, serialized inside
  serialized, references, block posts), ``--match-share`` of them mentioning the site
  (default 0.08; up to 1.0, every value).

Timed:

* ``Rewriter.rewrite`` over every value;
* PHP over the same file: for each value ``unserialize`` -> recursive ``str_replace``
  (into nested serialized strings too, as WP-CLI's search-replace does) -> ``serialize``;
  and, for reference, the same PHP with a ``strpos`` pre-check;
* values without a match: ``Rewriter.rewrite`` against a plain ``bytes.find`` scan.

Only the processing loops are timed (not loading), as the best CPU time of several
interleaved rounds on each side. Prints MB/s and ratios (above 1.00x: parity is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from corpus_dense import DenseCorpus
from parity.rewrite import Rewriter

PAIRS = [
    ("https://example.com", "https://staging.example.com"),
    ("http://example.com", "https://staging.example.com"),
    ("/var/www/example.com", "/var/www/staging"),
]
HOME = "https://example.com"
OTHER = "https://cdn.other-host.net"

PHP_SCRIPT = r"""
$data = file_get_contents($argv[1]);
$pairs = json_decode($argv[2], true);
$precheck = $argv[3] === '1';
$from = array_column($pairs, 0); $to = array_column($pairs, 1);
$values = []; $pos = 0; $n = strlen($data);
while ($pos < $n) {
    $len = unpack('N', substr($data, $pos, 4))[1];
    $values[] = substr($data, $pos + 4, $len);
    $pos += 4 + $len;
}
function rr($v, $from, $to) {
    if (is_string($v)) {
        $u = @unserialize($v);
        if ($u !== false || $v === 'b:0;') return serialize(rr($u, $from, $to));
        return str_replace($from, $to, $v);
    }
    if (is_array($v)) {
        $o = [];
        foreach ($v as $k => $x) $o[$k] = rr($x, $from, $to);
        return $o;
    }
    if (is_object($v) && !($v instanceof __PHP_Incomplete_Class)) {
        foreach ($v as $k => $x) $v->$k = rr($x, $from, $to);
    }
    return $v;
}
$cpu = function () {
    $u = getrusage();
    return $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6
        + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6;
};
$t = $cpu();
$bytes = 0;
foreach ($values as $v) {
    if ($precheck) {
        $hit = false;
        foreach ($from as $f) if (strpos($v, $f) !== false) { $hit = true; break; }
        if (!$hit) { $bytes += strlen($v); continue; }
    }
    $bytes += strlen(rr($v, $from, $to));
}
$elapsed = $cpu() - $t;
echo json_encode(['seconds' => $elapsed, 'bytes_out' => $bytes, 'values' => count($values)]);
"""


def _ser(value: object) -> str:
    """PHP serialize() for the str/int/float/bool/None/list/dict values the corpus uses."""
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, float):
        return f"d:{value!r};"
    if isinstance(value, str):
        return f's:{len(value.encode())}:"{value}";'
    items = value.items() if isinstance(value, dict) else enumerate(value)  # type: ignore[attr-defined]
    body = "".join(_ser(k) + _ser(v) for k, v in items)
    return f"a:{len(value)}:{{{body}}}"  # type: ignore[arg-type]


class Corpus:
    """Values shaped like real rows; ``share`` of the structured ones mention the site."""

    def __init__(self, seed: int, share: float) -> None:
        self.rnd = random.Random(seed)
        self.share = share

    def host(self) -> str:
        return HOME if self.rnd.random() < self.share else OTHER

    def words(self, n: int) -> str:
        vocab = ["the", "site", "team", "post", "page", "theme", "plugin", "cache"]
        vocab += ["image", "about", "contact", "déjà", "vu", "café"]
        return " ".join(self.rnd.choice(vocab) for _ in range(n))

    def option(self) -> bytes:
        kind = self.rnd.random()
        if kind < 0.35:  # short scalars: autoload flags, numbers, names
            return self.rnd.choice([b"yes", b"no", b"1", b"0", b"", b"UTC", b"Y-m-d"])
        if kind < 0.6:  # widget settings
            widgets = {
                i: {"title": self.words(3), "text": self.words(30), "filter": True, "visual": 1}
                for i in range(2, 2 + self.rnd.randint(1, 6))
            }
            widgets["_multiwidget"] = 1  # type: ignore[assignment]
            return _ser(widgets).encode()
        if kind < 0.8:  # theme mods
            mods = {
                "custom_logo": self.rnd.randint(1, 999),
                "header_image": f"{self.host()}/wp-content/uploads/2024/05/header.jpg",
                "background_color": "ffffff",
                "nav_menu_locations": {"primary": 2, "footer": 3},
                "custom_css_post_id": -1,
                "colors": [f"#{self.rnd.randint(0, 0xFFFFFF):06x}" for _ in range(8)],
            }
            return _ser(mods).encode()
        # a cron array
        cron = {
            str(1_700_000_000 + i * 3600): {
                f"wp_hook_{i}": {"schedule": "hourly", "args": [], "interval": 3600}
            }
            for i in range(self.rnd.randint(3, 15))
        }
        return _ser(cron).encode()

    def postmeta(self) -> bytes:
        kind = self.rnd.random()
        if kind < 0.3:
            return f"{self.rnd.randint(1_700_000_000, 1_800_000_000)}:1".encode()
        if kind < 0.5:
            return f"2024/05/image-{self.rnd.randint(1, 9999)}.jpg".encode()
        if kind < 0.85:  # attachment metadata
            name = f"image-{self.rnd.randint(1, 9999)}"
            meta = {
                "width": 1920,
                "height": 1080,
                "file": f"2024/05/{name}.jpg",
                "filesize": self.rnd.randint(10_000, 900_000),
                "sizes": {
                    size: {
                        "file": f"{name}-{w}x{h}.jpg",
                        "width": w,
                        "height": h,
                        "mime-type": "image/jpeg",
                        "filesize": self.rnd.randint(1000, 90_000),
                    }
                    for size, w, h in [
                        ("medium", 300, 169),
                        ("large", 1024, 576),
                        ("thumbnail", 150, 150),
                        ("medium_large", 768, 432),
                    ]
                },
                "image_meta": {"aperture": "0", "credit": "", "camera": "", "caption": ""},
            }
            if self.rnd.random() < self.share:
                meta["source_url"] = f"{HOME}/wp-content/uploads/2024/05/{name}.jpg"
            return _ser(meta).encode()
        blocks = [
            {"id": f"{i:x}", "settings": {"url": f"{self.host()}/p/{i}", "text": self.words(5)}}
            for i in range(self.rnd.randint(2, 12))
        ]
        return json.dumps(blocks).replace("/", "\\/").encode()  # _elementor_data style

    def post(self) -> bytes:
        host = self.host()
        parts = []
        for i in range(self.rnd.randint(3, 15)):
            kind = self.rnd.random()
            if kind < 0.5:
                parts.append(
                    f"<!-- wp:paragraph -->\n<p>{self.words(40)}</p>\n<!-- /wp:paragraph -->"
                )
            elif kind < 0.8:
                src = f"{host}/wp-content/uploads/2024/05/photo-{i}.jpg"
                attrs = json.dumps(
                    {"id": i, "sizeSlug": "large", "url": src}, separators=(",", ":")
                )
                parts.append(
                    f'<!-- wp:image {attrs} -->\n<figure class="wp-block-image">'
                    f'<img src="{src}" alt=""/></figure>\n<!-- /wp:image -->'
                )
            else:
                link = f"{OTHER}/article/{i}?a=1&b=2"
                attrs = json.dumps({"url": link}, separators=(",", ":")).replace("&", "\\u0026")
                parts.append(f"<!-- wp:embed {attrs} /-->")
        return "\n\n".join(parts).encode()

    def values(self, total: int) -> list[bytes]:
        out: list[bytes] = []
        size = 0
        makers: list[Callable[[], bytes]] = [self.option, self.postmeta, self.postmeta, self.post]
        while size < total:
            value = self.rnd.choice(makers)()
            out.append(value)
            size += len(value)
        return out


def _time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best CPU time of ``repeat`` runs: CPU time, not wall time, so that other work on
    a shared machine disturbs the figures less (PHP is measured the same way)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _php(php: str, path: Path, precheck: bool) -> float:
    done = subprocess.run(
        [php, "-d", "memory_limit=-1", "-r", PHP_SCRIPT, "--", str(path), json.dumps(PAIRS)]
        + (["1"] if precheck else ["0"]),
        capture_output=True,
        check=True,
    )
    seconds: float = json.loads(done.stdout)["seconds"]
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=32.0, help="corpus size in MB (32)")
    parser.add_argument(
        "--match-share",
        type=float,
        default=None,
        help="share of values mentioning the site (mixed: 0.1, about 8%% matching; dense: 0.08)",
    )
    parser.add_argument("--corpus", choices=["mixed", "dense"], default="mixed")
    parser.add_argument(
        "--engine",
        choices=["pure", "native"],
        default=None,
        help="rewrite engine (default: native when built, else pure)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per side (7)")
    args = parser.parse_args(argv)
    php = shutil.which("php")
    if php is None:
        print("php-cli is required for the baseline", file=sys.stderr)
        return 2

    size = int(args.mb * 1024 * 1024)
    if args.corpus == "dense":
        share = 0.08 if args.match_share is None else args.match_share
        values = DenseCorpus(args.seed, share).values(size)
    else:
        share = 0.1 if args.match_share is None else args.match_share
        values = Corpus(args.seed, share).values(size)
    engine = args.engine
    total = sum(len(v) for v in values)
    mb = total / 1024 / 1024
    probe = Rewriter(PAIRS, engine=engine)
    matching = [v for v in values if probe.count(v).occurrences]
    no_match = [v for v in values if not probe.matcher.has_anchor(v)]
    no_match_mb = sum(len(v) for v in no_match) / 1024 / 1024

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.bin"
        with path.open("wb") as fh:
            for value in values:
                fh.write(struct.pack(">I", len(value)))
                fh.write(value)

        def run_parity() -> None:
            rewriter = Rewriter(PAIRS, engine=engine)
            for value in values:
                rewriter.rewrite(value)

        run_parity()  # warm up: compiles the regexes built on first use
        # Interleaved, so that load from other work on the machine hits both sides alike.
        ours = php_plain = php_pre = float("inf")
        for _ in range(args.rounds):
            ours = min(ours, _time(run_parity, repeat=1))
            php_plain = min(php_plain, _php(php, path, False))
            php_pre = min(php_pre, _php(php, path, True))

    def run_no_match() -> None:
        rewriter = Rewriter(PAIRS, engine=engine)
        for value in no_match:
            rewriter.rewrite(value)

    def run_find() -> None:
        for value in no_match:
            value.find(b"example.com")

    rows = [
        ("parity Rewriter.rewrite, all values", mb / ours, ""),
        ("PHP unserialize/replace/serialize", mb / php_plain, f"parity {php_plain / ours:.2f}x"),
        ("PHP the same, with strpos pre-check", mb / php_pre, f"parity {php_pre / ours:.2f}x"),
    ]
    if no_match:  # none at --match-share 1.0
        joined = b"".join(no_match)
        ours_nm = _time(run_no_match)
        find_nm = _time(run_find)
        scan_nm = _time(lambda: joined.find(b"example.com!"))
        rows += [
            ("parity, values without a match", no_match_mb / ours_nm, ""),
            (
                "bytes.find loop, same values",
                no_match_mb / find_nm,
                f"parity {find_nm / ours_nm:.2f}x",
            ),
            (
                "one bytes.find over them joined",
                no_match_mb / scan_nm,
                f"parity {scan_nm / ours_nm:.2f}x",
            ),
        ]
    print(
        f"engine: {Rewriter(PAIRS, engine=engine).engine}; corpus: {args.corpus}, "
        f"--match-share {share}; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"corpus: {len(values)} values, {mb:.1f} MB; {len(matching)} with a match; "
        f"{len(no_match)} ({no_match_mb:.1f} MB) without an anchor; {os.cpu_count()} cores"
    )
    for name, rate, ratio in rows:
        print(f"{name:38} {rate:9.1f} MB/s  {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
