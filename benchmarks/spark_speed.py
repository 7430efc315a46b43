"""Throughput of ``dedup scan`` on the local engine and on Apache Spark, on the same corpora.

Both engines run end to end from one generated JSON Lines file (dedup.synth, hard mix), each
as its own ``python -m dedup scan`` process, so the Spark figure includes starting the JVM.
The table also says whether the two engines gave identical clusters (same member rows, in
the same order), which is the Spark engine's promise.

    python benchmarks/spark_speed.py                    # 20,000 stories (make bench-spark)
    python benchmarks/spark_speed.py --sizes 100000     # larger
    python benchmarks/spark_speed.py --full             # and 1,000,000 (hours on 2 cores)
    python benchmarks/spark_speed.py --master 'local[8]' --jobs 8

Spark in ``local[N]`` mode runs on this machine only: it measures the engine's overhead
against the local engine, not how it scales out (see the README, "Archive scale on Apache
Spark").
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import compile_package, synth  # noqa: E402


@dataclass
class Run:
    engine: str
    stories: int
    seconds: float
    clustered: int

    @property
    def rate(self) -> float:
        return self.stories / self.seconds if self.seconds else 0.0


def _timed(command: list[str], stdout: Path) -> float:
    """Wall seconds of one command; exit code 3 (some input unreadable) still counts."""
    started = time.perf_counter()
    with stdout.open("wb") as out:
        code = subprocess.call(command, stdout=out)
    if code not in (0, 3):
        raise SystemExit(f"benchmark command failed ({code}): {' '.join(command)}")
    return time.perf_counter() - started


def run_local(corpus: Path, jobs: int, workdir: Path) -> tuple[Run, list[str]]:
    output = workdir / f"{corpus.stem}.local.jsonl"
    command = [sys.executable, "-m", "dedup", "scan", str(corpus), "--format", "jsonl"]
    seconds = _timed([*command, "--quiet", "--jobs", str(jobs)], output)
    lines = output.read_text(encoding="utf-8").splitlines()
    return Run(f"local -j{jobs}", _count(corpus), seconds, len(lines)), lines


def run_spark(corpus: Path, master: str, workdir: Path) -> tuple[Run, list[str]]:
    folder = workdir / f"{corpus.stem}.spark"
    shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, "-m", "dedup", "scan", "--engine", "spark", str(corpus)]
    command += ["--output", str(folder), "--master", master, "--quiet"]
    seconds = _timed(command, workdir / "spark.stdout")
    lines = [
        line
        for part in sorted((folder / "members").glob("part-*"))
        for line in part.read_text(encoding="utf-8").splitlines()
    ]
    return Run(f"spark {master}", _count(corpus), seconds, len(lines)), lines


def _count(corpus: Path) -> int:
    with corpus.open("rb") as handle:
        return sum(1 for _ in handle)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    parser.add_argument("--full", action="store_true", help="also 1,000,000 stories")
    parser.add_argument("--master", default="local[2]", help="Spark master [local[2]]")
    parser.add_argument("--jobs", type=int, default=2, help="local engine processes [2]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where corpora and outputs go (default: temp)"
    )
    args = parser.parse_args(argv)
    compile_package()
    sizes = sorted(set(args.sizes + ([1_000_000] if args.full else [])))
    rows: list[tuple[Run, Run, bool]] = []
    with tempfile.TemporaryDirectory(prefix="dedup-spark-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            corpus = workdir / f"hard-{size}.jsonl"
            started = time.perf_counter()
            synth.write_corpus(corpus, size, seed=args.seed, mix=synth.HARD)
            print(
                f"generated {size:,} stories in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
            local, local_lines = run_local(corpus, args.jobs, workdir)
            print(
                f"  {local.engine:<16} {local.seconds:8.1f} s {local.rate:8.0f} stories/s",
                file=sys.stderr,
            )
            spark, spark_lines = run_spark(corpus, args.master, workdir)
            print(
                f"  {spark.engine:<16} {spark.seconds:8.1f} s {spark.rate:8.0f} stories/s",
                file=sys.stderr,
            )
            rows.append((local, spark, local_lines == spark_lines))
    print(_table(rows, args.master))
    return 0 if all(same for _, _, same in rows) else 1


def _table(rows: list[tuple[Run, Run, bool]], master: str) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        f"# machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}; "
        f"wall time end to end, Spark master {master} (JVM start included)",
        "",
        "| stories | engine | seconds | stories/s | clustered | identical clusters |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for local, spark, same in rows:
        for run in (local, spark):
            lines.append(
                f"| {run.stories:,} | {run.engine} | {run.seconds:,.1f} | {run.rate:,.0f} | "
                f"{run.clustered:,} | {'yes' if same else 'NO'} |"
            )
    lines += ["", "| stories | Spark / local throughput |", "|---:|---:|"]
    for local, spark, _ in rows:
        lines.append(f"| {local.stories:,} | {spark.rate / local.rate:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
