"""Speed, memory and quality of ``dedup scan`` against two plain MinHash pipelines: the
datasketch baseline, and the same pipeline on rensa (Rust MinHash and LSH, the fastest peer;
measured when the ``bench`` extra is installed).

All run on the same generated corpora (dedup.synth), end to end from a JSON Lines file, each
in its own process so that peak memory is measured per run. Wall times are medians over
``--repeat`` rounds at the smallest size, the engines taking turns within each round; the
table ends with the ratios, so a noisy, shared machine still gives a fair comparison (both
sides see the same noise, and the same drift).

    python benchmarks/scan_speed.py                # 10k and 100k stories (hard mix), 10k easy,
                                                   # 10k hard laid out flat (one block a body),
                                                   # 10k hard dated within one day
    python benchmarks/scan_speed.py --full         # adds 1,000,000 stories
    python benchmarks/scan_speed.py --sizes 2000   # a quick look
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import compile_package, synth  # noqa: E402
from dedup.views.evaluate import read_labels, score  # noqa: E402


@dataclass
class Run:
    engine: str
    mix: str
    stories: int
    seconds: float
    peak_mb: float
    f1: float
    ari: float
    cpu: float
    """CPU seconds (user + system) of the process tree: on a shared host, steadier than wall
    time as a measure of the work one process does."""

    @property
    def rate(self) -> float:
        return self.stories / self.seconds if self.seconds else 0.0


def _measure(command: list[str], output: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds of one command run in a fresh child
    process."""
    runner = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "with open(sys.argv[1], 'wb') as out:\n"
        "    code = subprocess.call(sys.argv[2:], stdout=out)\n"
        "elapsed = time.perf_counter() - start\n"
        "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(elapsed, used.ru_maxrss / 1024, used.ru_utime + used.ru_stime, code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", runner, str(output), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed, peak, cpu, code = result.stdout.split()
    if int(code) not in (0, 3):
        raise SystemExit(f"benchmark command failed ({code}): {' '.join(command)}")
    return float(elapsed), float(peak), float(cpu)


def _predicted(engine: str, output: Path) -> dict[str, str]:
    if engine in BASELINES:
        return dict(line.split("\t", 1) for line in output.read_text().splitlines() if line)
    rows = (json.loads(line) for line in output.read_text().splitlines() if line)
    return {row["id"]: row["cluster"] for row in rows}


BASELINES = {"baseline": "datasketch", "rensa": "rensa"}
"""The baseline engines, each ``benchmarks/baseline.py`` on one MinHash library."""


def _commands(engine: str, corpus: Path) -> list[str]:
    if engine in BASELINES:
        script = str(ROOT / "benchmarks" / "baseline.py")
        return [sys.executable, script, str(corpus), "--engine", BASELINES[engine]]
    jobs = engine.rsplit("-j", 1)[1]
    links = ["--links", "copy"] if engine.startswith("dedup-copy") else []
    return [
        sys.executable,
        "-m",
        "dedup",
        "scan",
        str(corpus),
        "--format",
        "jsonl",
        "--quiet",
        "--jobs",
        jobs,
        *links,
    ]


def bench(
    engines: list[str],
    mix: str,
    corpus: Path,
    labels: Path,
    stories: int,
    repeat: int,
    workdir: Path,
) -> list[Run]:
    """Each engine on one corpus, ``repeat`` rounds of one run each, the engines in turn
    within a round: a host that slows down or speeds up during the measurement moves every
    engine alike, so the ratios between them hold (runs of one engine back to back would
    put the drift into the ratio)."""
    outputs = {engine: workdir / f"{engine}-{mix}-{stories}.out" for engine in engines}
    times: dict[str, list[float]] = {engine: [] for engine in engines}
    peaks: dict[str, list[float]] = {engine: [] for engine in engines}
    cpus: dict[str, list[float]] = {engine: [] for engine in engines}
    for _ in range(repeat):
        for engine in engines:
            elapsed, peak, cpu = _measure(_commands(engine, corpus), outputs[engine])
            times[engine].append(elapsed)
            peaks[engine].append(peak)
            cpus[engine].append(cpu)
    truth = read_labels(labels)
    runs = []
    for engine in engines:
        predicted = _predicted(engine, outputs[engine])
        predicted.update({i: "single:" + i for i in truth if i not in predicted})
        scores = score(predicted, truth)
        median = statistics.median(times[engine])
        runs.append(
            Run(
                engine,
                mix,
                stories,
                median,
                max(peaks[engine]),
                scores.pairwise_f1,
                scores.ari,
                statistics.median(cpus[engine]),
            )
        )
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--full", action="store_true", help="also 1,000,000 stories")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement at the smallest size (median)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where corpora are written (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    compile_package()
    sizes = sorted(set(args.sizes + ([1_000_000] if args.full else [])))
    # dedup-copy-j1 finds verbatim copies only (--links copy): what rewrite detection costs.
    engines = ["dedup-j1", "dedup-j2", "dedup-copy-j1", "baseline"]
    if importlib.util.find_spec("rensa") is not None:
        engines.append("rensa")
    else:
        print("rensa is not installed (pip install -e '.[bench]'): no rensa rows", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        plan = [("hard", synth.HARD, n, "paragraphs") for n in sizes] + [
            ("easy", synth.EASY, sizes[0], "paragraphs"),
            ("hard-flat", synth.HARD, sizes[0], "flat"),  # quality without paragraph breaks
            ("hard-day", synth.HARD, sizes[0], "paragraphs"),  # as dense as a day of wire
        ]
        runs: list[Run] = []
        for mix_name, mix, n, layout in plan:
            corpus = workdir / f"{mix_name}-{n}.jsonl"
            started = time.perf_counter()
            synth.write_corpus(corpus, n, seed=args.seed, mix=mix, layout=layout)
            if mix_name.endswith("-day"):
                _into_one_day(corpus)
            labels = corpus.with_name(f"{corpus.stem}.labels.jsonl")
            print(
                f"generated {n:,} {mix_name} stories in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
            repeat = args.repeat if (mix_name, layout) == ("hard", "paragraphs") else 1
            for run in bench(engines, mix_name, corpus, labels, n, repeat, workdir):
                runs.append(run)
                print(
                    f"  {run.engine:<13} {run.rate:8.0f} stories/s  {run.cpu:6.1f} CPU s  "
                    f"{run.peak_mb:7.0f} MB  "
                    f"F1 {run.f1:.4f}  ARI {run.ari:.4f}",
                    file=sys.stderr,
                )
    print(_table(runs))
    return 0


def _into_one_day(corpus: Path) -> None:
    """The corpus's dates moved into one day, in the same order: the generated stories are
    spread over a year (a few dozen a day), where a wire desk receives thousands a day, and
    what is compared within the rewrite window grows with that density."""
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    stamps = [datetime.fromisoformat(r["date"].replace("Z", "+00:00")) for r in records]
    first, last = min(stamps), max(stamps)
    span = (last - first) or timedelta(seconds=1)
    with corpus.open("w", encoding="utf-8", newline="\n") as out:
        for record, stamp in zip(records, stamps):
            moved = first + timedelta(days=1) * ((stamp - first) / span)
            record["date"] = moved.strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _table(runs: list[Run]) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        f"# machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}; "
        f"median wall time and CPU time (user + system); peak RSS of the process tree",
        "",
        "| mix | stories | engine | stories/s | CPU s | peak MB | pairwise F1 | ARI |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.mix} | {run.stories:,} | {run.engine} | {run.rate:,.0f} | {run.cpu:.1f} | "
            f"{run.peak_mb:,.0f} | {run.f1:.4f} | {run.ari:.4f} |"
        )
    keyed = {(r.mix, r.stories, r.engine): r for r in runs}
    peer = any(r.engine == "rensa" for r in runs)
    lines += [
        "",
        "| mix | stories | speed dedup-j1 / baseline | by CPU time | dedup-j2 / baseline | "
        "memory dedup-j1 / baseline | time dedup-j1 / dedup-copy-j1 |"
        + (" speed dedup-j1 / rensa | by CPU time | dedup-j2 / rensa |" * peer),
        "|---|---:|---:|---:|---:|---:|---:|" + "---:|---:|---:|" * peer,
    ]
    for mix, n in sorted({(r.mix, r.stories) for r in runs}):
        base = keyed[(mix, n, "baseline")]
        one, two = keyed[(mix, n, "dedup-j1")], keyed[(mix, n, "dedup-j2")]
        copies = keyed[(mix, n, "dedup-copy-j1")]
        line = (
            f"| {mix} | {n:,} | {one.rate / base.rate:.2f}x | {base.cpu / one.cpu:.2f}x"
            f" | {two.rate / base.rate:.2f}x | {one.peak_mb / base.peak_mb:.2f}x"
            f" | {one.seconds / copies.seconds:.2f}x |"
        )
        fast = keyed.get((mix, n, "rensa"))
        if fast:
            line += (
                f" {one.rate / fast.rate:.2f}x | {fast.cpu / one.cpu:.2f}x"
                f" | {two.rate / fast.rate:.2f}x |"
            )
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    raise SystemExit(main())
