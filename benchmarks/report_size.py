"""Size and build time of the HTML report (``dedup report --html``) on generated wire.

Writes N generated stories (benchmarks/synth.py, hard mix, seed 7), scans them once, then
builds the report page from that scan. The build time is given beside the scan's own time,
measured in the same run, so the ratio says what the report adds to a run whatever the
machine; the page size is given in bytes and per story. With ``--browser`` the page is
also opened in headless Chromium (chromedriver and selenium needed), beside a page of the same
markup without the clusters' data, opened in the same run: the ratio says what the embedded
data costs the opening, the seconds what a reader waits. The table goes to stdout.

    python benchmarks/report_size.py                  # 2,000 stories
    python benchmarks/report_size.py --stories 20000  # a year of a small desk
    python benchmarks/report_size.py --keep out.html  # keep the page to open it
    python benchmarks/report_size.py --jobs 1         # in one process
    python benchmarks/report_size.py --browser        # and how long Chromium takes to open it
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synth  # noqa: E402
from dedup import scan  # noqa: E402
from dedup.views.html import report_html  # noqa: E402

OPENINGS = 3
"""Times each page is opened in the browser; the median is given."""


def open_time(pages: list[Path]) -> list[float]:
    """Seconds headless Chromium takes to open each page until its load event (the median
    of ``OPENINGS``), from a blank tab each time."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome")))
    )
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(300)
    times = []
    try:
        for page in pages:
            seen = []
            for _ in range(OPENINGS):
                driver.get("about:blank")
                start = time.perf_counter()
                driver.get(page.as_uri())
                seen.append(time.perf_counter() - start)
            times.append(statistics.median(seen))
    finally:
        driver.quit()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="also write the page to this file")
    parser.add_argument("--jobs", type=int, default=0, help="processes; 0 means all cores")
    parser.add_argument("--browser", action="store_true", help="time opening it in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "wire.jsonl"
        print(f"generating {args.stories} stories", file=sys.stderr)
        synth.write_corpus(corpus, args.stories, seed=7, mix=synth.HARD)
        start = time.perf_counter()
        result = scan([str(corpus)], jobs=args.jobs)
        scanned = time.perf_counter() - start
        print(f"scanned in {scanned:.1f} s; building the page", file=sys.stderr)
        start = time.perf_counter()
        page = report_html(result, inputs=[corpus.name], jobs=args.jobs)
        built = time.perf_counter() - start
        opened: list[float] = []
        if args.browser:
            print("opening it in Chromium", file=sys.stderr)
            full, bare = Path(folder) / "report.html", Path(folder) / "bare.html"
            full.write_text(page, encoding="utf-8")
            bare.write_text(re.sub(r'(id="diffs-[^"]*">)[^<]*', r"\1", page), encoding="utf-8")
            opened = open_time([full, bare])
    size = len(page.encode("utf-8"))
    if args.keep:
        args.keep.write_text(page, encoding="utf-8")
    rows = [
        ("stories", f"{args.stories:,}"),
        ("clusters", f"{len(result.clusters):,}"),
        ("scan (baseline)", f"{scanned:.2f} s"),
        ("report build", f"{built:.2f} s"),
        ("build / scan", f"{built / scanned:.2f}×"),
        ("page size", f"{size / 1e6:.2f} MB"),
        ("bytes per story", f"{size / args.stories:,.0f}"),
    ]
    if opened:
        rows += [
            ("open in Chromium", f"{opened[0]:.2f} s"),
            ("open, no data", f"{opened[1]:.2f} s"),
            ("with / without data", f"{opened[0] / opened[1]:.2f}×"),
        ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
