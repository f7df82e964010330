"""Benchmark: synthesize N articles and render each to text.

    .venv/bin/python benchmarks/bench_synth.py [--count 100000] [--seed 1] [--results FILE]

Measured in one run, on the same machine:

- synthesis: ``synthesize(N, seed)`` with every article rendered to text (the work
  behind ``parity content synth --out``), split into model building and rendering;
- baseline: rendering the parsed sample article N times, i.e. producing text of the
  same shape from a model that already exists. The ratio is what building a fresh,
  validated article costs on top of rendering one;
- a second reference: ``model_dump_json`` of the sample N times (the ``--jsonl`` path).

Nothing is written to disk; ``--results`` writes the figures as a Markdown section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

from parity.content import parse_article, render_article, synthesize

SAMPLE = Path(__file__).resolve().parents[1] / "tests/unit/content/data/alphanode-021452.txt"


def bench_synthesis(count: int, seed: int) -> tuple[float, float, int]:
    """Seconds building models, seconds rendering, characters rendered."""
    build = render = 0.0
    chars = 0
    articles = synthesize(count, seed)
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        article = next(articles)
        built = clock()
        chars += len(render_article(article))
        render += clock() - built
        build += built - started
    return build, render, chars


def bench_baselines(count: int) -> tuple[float, float]:
    """Seconds to render the sample N times, and to dump it as JSON N times."""
    article = parse_article(SAMPLE.read_text("utf-8"))
    started = time.perf_counter()
    for _ in range(count):
        render_article(article)
    rendered = time.perf_counter()
    for _ in range(count):
        article.model_dump_json()
    return rendered - started, time.perf_counter() - rendered


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, print the figures, and optionally write them as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", type=Path, help="write the figures to this Markdown file")
    args = parser.parse_args(argv)
    count: int = args.count

    build, render, chars = bench_synthesis(count, args.seed)
    total = build + render
    baseline_render, baseline_json = bench_baselines(count)

    rows = [
        ("synthesize + render", total, count / total),
        ("  of which: build the models", build, count / build),
        ("  of which: render to text", render, count / render),
        ("baseline: render the sample", baseline_render, count / baseline_render),
        ("reference: sample model_dump_json", baseline_json, count / baseline_json),
    ]
    print(f"articles: {count:,}  seed: {args.seed}  text: {chars / 1e6:,.1f} MB")
    for name, seconds, rate in rows:
        print(f"{name:<36} {seconds:8.2f} s  {rate:>10,.0f} articles/s")
    ratio = total / baseline_render
    print(f"ratio synthesize+render / baseline render: {ratio:.1f}x")
    print(f"text throughput: {chars / total / 1e6:.1f} MB/s")

    if args.results:
        args.results.write_text(
            _markdown(count, args.seed, chars, rows, ratio, total), encoding="utf-8"
        )


def _markdown(
    count: int,
    seed: int,
    chars: int,
    rows: list[tuple[str, float, float]],
    ratio: float,
    total: float,
) -> str:
    lines = [
        "## Article synthesis (`benchmarks/bench_synth.py`)",
        "",
        f"- date: {dt.date.today().isoformat()}",
        f"- machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}",
        f"- command: `.venv/bin/python benchmarks/bench_synth.py --count {count} --seed {seed}`",
        f"- articles: {count:,}, rendered text: {chars / 1e6:,.1f} MB "
        f"({chars / total / 1e6:.1f} MB/s)",
        "",
        "| step | seconds | articles/s |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name.strip()} | {seconds:.2f} | {rate:,.0f} |" for name, seconds, rate in rows]
    lines += [
        "",
        f"Ratio of synthesize + render to the baseline (rendering an existing model): "
        f"{ratio:.1f}x. Building a fresh, validated article costs more than rendering it; "
        f"100k articles take {total:.0f} s in one process.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
