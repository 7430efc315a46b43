"""Progress over the whole run: the library reports every stage through a plain callback, the
CLI draws it with rich on a terminal only (never into a pipe, a file or with ``-q``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from dedup.cli import cli
from dedup.engines.local import scan
from dedup.settings import DEFAULT

STAGES = [
    "read and fingerprint",
    "boilerplate",
    "copy candidates",
    "verification",
    "rewrite candidates",
    "rewrite decisions",
    "clustering",
]


def reported(settings=DEFAULT) -> list[tuple[str, int, int]]:
    calls: list[tuple[str, int, int]] = []
    scan([str(SAMPLES)], settings, progress=lambda *call: calls.append(call))
    return calls


def stage_order(calls: list[tuple[str, int, int]]) -> list[str]:
    order: list[str] = []
    for stage, _, _ in calls:
        if not order or order[-1] != stage:
            order.append(stage)
    return order


def test_every_stage_is_reported_once_in_order() -> None:
    calls = reported()
    assert stage_order(calls) == STAGES  # each stage in one run of calls, none revisited


def test_counts_never_pass_their_total_and_each_stage_ends_complete() -> None:
    calls = reported()
    for stage, done, total in calls:
        assert done >= 0 and total >= 0
        if total:  # 0: not known yet (input still being read)
            assert done <= total, (stage, done, total)
    for stage in STAGES:
        last = [call for call in calls if call[0] == stage][-1]
        assert last[1] == last[2], last
    stories = [call for call in calls if call[0] == "clustering"][-1][2]
    assert stories == [call for call in calls if call[0] == "read and fingerprint"][-1][2] > 50


def test_verbatim_links_only_skip_the_rewrite_stages() -> None:
    calls = reported(replace(DEFAULT, links="copy"))
    expected = [stage for stage in STAGES if not stage.startswith("rewrite")]
    assert stage_order(calls) == expected


def test_no_progress_reaches_a_stderr_that_is_not_a_terminal() -> None:
    result = CliRunner().invoke(cli, ["scan", str(SAMPLES), "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].endswith("singletons"), result.stderr
    assert "\x1b" not in result.stderr


def on_terminal(*args: str) -> str:
    """What ``dedup`` draws on stderr when stderr is a terminal (a pseudo-terminal read as
    the run goes, so the run never waits on a full buffer) and stdout a pipe."""
    leader, follower = os.openpty()
    drawn = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the run ended and closed its side
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    run = subprocess.run(
        [sys.executable, "-m", "dedup", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=300,
    )
    os.close(follower)
    reader.join(timeout=30)
    os.close(leader)
    assert run.returncode == 0
    return drawn.decode("utf-8", "replace")


@pytest.mark.parametrize("quiet", [False, True])
def test_a_terminal_sees_every_stage_unless_quiet(quiet: bool) -> None:
    drawn = on_terminal("scan", str(SAMPLES), "--format", "json", *(["-q"] if quiet else []))
    if quiet:
        assert drawn == ""
    else:
        for stage in STAGES:
            assert stage in drawn, stage
        assert "stories/s" in drawn
        assert "singletons" in drawn  # the summary line follows the cleared display
