"""Start-up: each command imports what it needs when it runs, so that ``dedup --version`` and
a cron job's ``dedup check`` of one story start quickly. Held by the modules a real process
imports (``sys.modules``), never by timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES

REPORT = """
import atexit, json, sys
def report():
    with open({out!r}, "w") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(report)
sys.argv = ["dedup", *{args!r}]
from dedup.cli import main
main()
"""
"""Runs the real console entry point in a fresh interpreter and writes, as it exits, every
module it imported."""

VERSION_PATH = {"dedup", "dedup.cli", "dedup.cli.app", "dedup.cli.exitcodes", "dedup.cli.group"}
"""The only dedup modules ``dedup --version`` may import: the group and what it needs."""

CHECK_THIRD_PARTY = {"click", "numpy"}
"""The only installed packages ``check`` may import: adding one to this list adds to every
cron job's start-up, so it is a decision to make here, on purpose."""

NEVER_ON_CHECK = (
    "datasketch",
    "scipy",
    "rich",
    "pyarrow",
    "pyspark",
    "redis",
    "dedup.cli.scan",
    "dedup.cli.views",
    "dedup.cli.evaluate",
    "dedup.cli.render",
    "dedup.engines.spark",
    "dedup.views.output",
    "dedup.views.align",
    "dedup.views.html",
    "dedup.views.maps",
    "dedup.views.explain",
)


def imported(tmp_path: Path, *args: str) -> tuple[list[str], subprocess.CompletedProcess]:
    out = tmp_path / "modules.json"
    run = subprocess.run(
        [sys.executable, "-c", REPORT.format(out=str(out), args=list(args))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(out.read_text()), run


def third_party(modules: list[str]) -> set[str]:
    tops = {name.split(".")[0] for name in modules}
    return {
        top
        for top in tops
        if top not in sys.stdlib_module_names
        and not top.startswith("_")
        and top not in {"dedup", "cython_runtime"}  # the latter made by compiled modules
    }


def test_version_imports_click_and_the_group_only(tmp_path):
    modules, run = imported(tmp_path, "--version")
    assert run.returncode == 0 and "0.1.0" in run.stdout, run.stderr
    assert {m for m in modules if m.startswith("dedup")} <= VERSION_PATH
    assert third_party(modules) == {"click"}


def test_check_imports_the_index_path_only(tmp_path):
    """The real ``check`` command, asked about an index that is not there: it gets as far as
    opening the index, so every module its path imports at start-up is loaded."""
    story = SAMPLES / "radio-vell" / "oss-floods.txt"
    modules, run = imported(tmp_path, "check", "--db", str(tmp_path / "none.db"), str(story))
    assert "no index at" in run.stderr and "internal error" not in run.stderr, run.stderr
    assert "dedup.cli.index" in modules and "dedup.engines.index" in modules
    assert third_party(modules) <= CHECK_THIRD_PARTY, third_party(modules) - CHECK_THIRD_PARTY
    assert not [m for m in modules if m.split(".")[0] in NEVER_ON_CHECK or m in NEVER_ON_CHECK]


def test_a_check_that_finds_a_copy_imports_no_more(tmp_path):
    """``check`` of a copy against a real index, to the end: fingerprinting, the judgement,
    the verdict. Modules that only some runs need (numpy's random generators, temporary
    files, placing files) stay out of every run's start-up."""
    db = tmp_path / "wire.db"
    wire = SAMPLES / "wire" / "meridian" / "oss-floods.txt"
    copy = SAMPLES / "radio-vell" / "oss-floods.txt"
    _, made = imported(tmp_path, "ingest", "--db", str(db), "-q", str(wire))
    assert made.returncode == 0, made.stderr
    modules, run = imported(tmp_path, "check", "--db", str(db), str(copy))
    assert run.returncode == 1 and "copy" in run.stdout, run.stdout + run.stderr
    assert third_party(modules) <= CHECK_THIRD_PARTY
    later = {"numpy.random", "tempfile", "dedup.files"}
    assert not later & set(modules), later & set(modules)


def test_help_still_lists_every_command(tmp_path):
    _, run = imported(tmp_path, "--help")
    assert run.returncode == 0, run.stderr
    listed = run.stdout.split("Commands:", 1)[1]
    for command in ("scan", "diff", "eval", "ingest", "check", "prune", "stats", "show"):
        assert f"\n  {command} " in listed, command
    assert "report" in listed and "explain" in listed


def test_import_dedup_loads_neither_click_nor_rich_nor_numpy(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "import json, sys, dedup; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    loaded = {name.split(".")[0] for name in json.loads(run.stdout)}
    assert not loaded & {"click", "rich", "numpy"}
    from dedup import Settings, scan  # the public names are still there when asked for

    assert callable(scan) and Settings().shingle == 5
