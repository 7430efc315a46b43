"""Speed, size and memory of the persistent index (``dedup ingest`` / ``dedup check``).

Builds an SQLite index of N generated stories (dedup.synth, about 600 words each), then
measures what a cron job sees, beside a ``scan`` of the same N stories in one process (the
baseline the ingest rate is given against, measured in the same run): ``check`` of one story
(in-process median over 100 queries, and as a whole ``dedup check`` process, median of 10),
the ingest of 1,000 stories of one day (what a cron run brings) and then of 10,000 new
stories spread over the index's year, each as one ``dedup ingest`` run, the index's size on
disk, and peak memory (maxrss) of each phase, every phase in its own process. The table goes
to stdout.

    python benchmarks/index_speed.py                      # 100,000 stories
    python benchmarks/index_speed.py --stories 1000000    # the full size
    python benchmarks/index_speed.py --stories 5000 --extra 1000   # a quick look

Targets at 1,000,000 stories: check under 50 ms in-process, 10,000 new stories ingested
under 30 s, index under 3 GB on disk, peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import compile_package, synth  # noqa: E402
from dedup.engines.index import DEFAULT_BATCH, open_index  # noqa: E402
from dedup.read.inputs import parse_date  # noqa: E402
from dedup.read.text import split_paragraphs  # noqa: E402
from dedup.records import Story  # noqa: E402

DEDUP = [sys.executable, "-m", "dedup"]


def _story(record: dict) -> Story:
    return Story(
        key=record["id"],
        id=record["id"],
        body=record["body"],
        headline=record.get("headline", ""),
        date=parse_date(record.get("date")),
        outlet=record.get("outlet", ""),
        url=record.get("url", ""),
        paragraphs=split_paragraphs(record["body"]),
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tables(db: Path) -> str:
    """Bytes a story per table (the largest first), where SQLite has its ``dbstat`` table."""
    import sqlite3

    try:
        with sqlite3.connect(db) as raw:
            stories = raw.execute("SELECT count(*) FROM stories").fetchone()[0] or 1
            found = raw.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 4"
            ).fetchall()
    except sqlite3.Error:
        return "(no dbstat in this SQLite)"
    return ", ".join(f"{name} {size / stories:,.0f}" for name, size in found)


def _size(db: Path) -> int:
    return sum(
        os.path.getsize(str(db) + suffix)
        for suffix in ("", "-wal", "-shm")
        if os.path.exists(str(db) + suffix)
    )


# -- phases, each run in its own process --------------------------------------------------


def phase_build(args: argparse.Namespace) -> dict:
    """Ingest the first N generated stories; keep the next ``extra`` as files for later, and
    the ``day`` after them with their dates moved into the middle day of the N's span (a
    cron run's stories are the day's: their neighbourhood is a few days of the index)."""
    work = Path(args.work)
    records = synth.generate(args.stories + args.extra + args.day, seed=args.seed, words=args.words)
    held = (work / "extra.jsonl").open("w", encoding="utf-8")
    day: list[dict] = []
    stamps: list[float] = []

    def first() -> Iterator[Story]:
        for number, record in enumerate(records):
            record.pop("cluster", None)
            if number < args.stories:
                story = _story(record)
                if story.date:
                    stamps.append(story.date.timestamp())
                yield story
            elif number < args.stories + args.extra:
                held.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                day.append(record)

    start = time.perf_counter()
    with open_index(str(work / "index.db"), create=True) as index:
        for done, _ in enumerate(index.ingest(first(), batch=args.batch), start=1):
            if done % 50_000 == 0:
                rate = done / (time.perf_counter() - start)
                print(f"  {done} stories ingested, {rate:.0f}/s", file=sys.stderr)
    seconds = time.perf_counter() - start
    for record in records:  # the rest of the held-out stories
        record.pop("cluster", None)
        held.write(json.dumps(record, ensure_ascii=False) + "\n")
    held.close()
    middle = (min(stamps) + max(stamps)) / 2 if stamps else time.time()
    midnight = middle - middle % 86400
    with (work / "day.jsonl").open("w", encoding="utf-8") as out:
        for number, record in enumerate(day):
            when = midnight + 86400 * number / max(len(day), 1)
            record["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def phase_scan(args: argparse.Namespace) -> dict:
    """The baseline: a scan of the same N stories, as one in-process ``scan_stories``."""
    from dedup.engines.local import scan_stories

    records = synth.generate(args.stories, seed=args.seed, words=args.words)
    stories = []
    for record in records:
        record.pop("cluster", None)
        stories.append(_story(record))
    start = time.perf_counter()
    result = scan_stories(stories)
    return {
        "seconds": time.perf_counter() - start,
        "clusters": len(result.clusters),
        "peak_mb": _peak_mb(),
    }


def phase_check(args: argparse.Namespace) -> dict:
    """Median latency of checking one story at a time, inside one process."""
    work = Path(args.work)
    with (work / "extra.jsonl").open(encoding="utf-8") as lines:
        stories = [_story(json.loads(line)) for _, line in zip(range(args.queries), lines)]
    latencies, copies = [], 0
    with open_index(str(work / "index.db")) as index:
        index.check(stories[:1])  # warm the connection, as a long-lived process would be
        for story in stories:
            start = time.perf_counter()
            (verdict,) = index.check([story])
            latencies.append(time.perf_counter() - start)
            copies += verdict.status != "new"
    return {
        "median_ms": statistics.median(latencies) * 1000,
        "p90_ms": sorted(latencies)[int(len(latencies) * 0.9)] * 1000,
        "copies": copies,
        "queries": len(stories),
        "peak_mb": _peak_mb(),
    }


def _timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one command in a fresh child."""
    runner = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "elapsed = time.perf_counter() - start\n"
        "print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, code)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", runner, *command], capture_output=True, text=True, check=True
    )
    elapsed, peak, code = found.stdout.split()
    return float(elapsed), float(peak), int(code)


def _run_phase(name: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        __file__,
        "--phase",
        name,
        "--work",
        args.work,
        "--stories",
        str(args.stories),
        "--extra",
        str(args.extra),
        "--day",
        str(args.day),
        "--queries",
        str(args.queries),
        "--seed",
        str(args.seed),
        "--words",
        str(args.words),
        "--batch",
        str(args.batch),
    ]
    found = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(found.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000, help="index size")
    parser.add_argument("--extra", type=int, default=10_000, help="new stories ingested later")
    parser.add_argument(
        "--day", type=int, default=1_000, help="stories of one day ingested before the extra"
    )
    parser.add_argument("--queries", type=int, default=100, help="in-process check queries")
    parser.add_argument("--processes", type=int, default=10, help="whole-process checks")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="stories per transaction")
    parser.add_argument("--work", help="folder for the index (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the index afterwards")
    parser.add_argument("--phase", choices=("build", "scan", "check"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phases = {"build": phase_build, "scan": phase_scan, "check": phase_check}
        print(json.dumps(phases[args.phase](args)))
        return
    compile_package()

    made = args.work is None
    args.work = args.work or tempfile.mkdtemp(prefix="dedup-index-bench-")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "index.db"
    try:
        print(f"building an index of {args.stories:,} stories in {db}", file=sys.stderr)
        build = _run_phase("build", args)
        size_built = _size(db)
        tables = _tables(db)
        baseline = _run_phase("scan", args)
        with open_index(str(db)) as index:
            stored_clusters = index.stats()["clusters"]
        check = _run_phase("check", args)

        singles = work / "single"
        singles.mkdir(exist_ok=True)
        with (work / "extra.jsonl").open(encoding="utf-8") as lines:
            records = [json.loads(line) for _, line in zip(range(args.processes), lines)]
        process_runs = []
        for number, record in enumerate(records):
            path = singles / f"story-{number}.json"
            path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            process_runs.append(_timed([*DEDUP, "check", "--db", str(db), str(path)]))

        day_seconds, day_peak, code = _timed(
            [*DEDUP, "ingest", "--db", str(db), str(work / "day.jsonl"), "--emit", "new",
             "--batch", str(args.batch), "--quiet"]
        )  # fmt: skip
        if code != 0:
            raise SystemExit(f"dedup ingest of the day's stories failed with exit code {code}")
        ingest = [*DEDUP, "ingest", "--db", str(db), str(work / "extra.jsonl")]
        extra_seconds, extra_peak, code = _timed(
            [*ingest, "--emit", "new", "--batch", str(args.batch), "--quiet"]
        )
        if code != 0:
            raise SystemExit(f"dedup ingest of the extra stories failed with exit code {code}")
        size_after = _size(db)
    finally:
        if made and not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    whole = statistics.median(r[0] for r in process_runs)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows = [
        ("stories in the index", f"{args.stories:,}"),
        ("build: ingest throughput", f"{args.stories / build['seconds']:,.0f} stories/s "
         f"({build['seconds']:.0f} s, batches of {args.batch})"),
        ("scan of the same stories (baseline)", f"{args.stories / baseline['seconds']:,.0f} "
         f"stories/s ({baseline['seconds']:.0f} s, {baseline['peak_mb']:,.0f} MB peak)"),
        ("build: ingest / scan rate", f"{baseline['seconds'] / build['seconds']:.2f}x "
         f"(clusters: {stored_clusters:,} stored with the 72 h window, "
         f"{baseline['clusters']:,} by the scan)"),
        ("build: peak memory", f"{build['peak_mb']:,.0f} MB"),
        ("index size on disk", f"{size_built / 1e9:.2f} GB ({size_built / args.stories:,.0f}"
         " bytes per story)"),
        ("index size by table, bytes a story", tables),
        ("check, in-process (median)", f"{check['median_ms']:.1f} ms (p90 "
         f"{check['p90_ms']:.1f} ms; {check['copies']} of {check['queries']} not new)"),
        ("check, in-process: peak memory", f"{check['peak_mb']:,.0f} MB"),
        ("check, whole process (median)", f"{whole * 1000:.0f} ms over {len(process_runs)} runs"),
        ("check, whole process: peak memory", f"{max(r[1] for r in process_runs):,.0f} MB"),
        (f"ingest {args.day:,} stories of one day (one run)", f"{day_seconds:.1f} s "
         f"({args.day / day_seconds:,.0f} stories/s, {day_peak:,.0f} MB peak)"),
        (f"ingest {args.extra:,} new stories (one run)", f"{extra_seconds:.1f} s "
         f"({args.extra / extra_seconds:,.0f} stories/s)"),
        (f"ingest {args.extra:,}: peak memory", f"{extra_peak:,.0f} MB"),
        ("index size after", f"{size_after / 1e9:.2f} GB"),
    ]  # fmt: skip
    print(f"wire-dedup index benchmark - {platform.python_implementation()} "
          f"{platform.python_version()}, {cpus} cores, {platform.machine()}")  # fmt: skip
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


if __name__ == "__main__":
    main()
