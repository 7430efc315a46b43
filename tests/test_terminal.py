"""Story text never drives the terminal: control characters a headline or a paragraph
carries (ESC of a screen-clearing CSI, an OSC sequence that retitles the window, BEL, a
carriage return) are shown as escapes in tables and plain text, for every command, while
JSON keeps them (escaped by JSON itself) and CSV keeps them exactly for programs."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, paragraphs

from dedup.cli import cli, exitcodes
from dedup.cli.common import printable

HEADLINE = "Storm \x1b[2J hits \x1b]0;owned\x07 coast\rX"
HOSTILE = ("\x1b[2J", "\x1b]0;", "\x07", "\r")


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of one story whose headline and first paragraph hold control sequences."""
    body = paragraphs(21, 6)
    body[0] = "Opening \x1b[31mred\x1b[0m words and a bell \x07 here. " + body[0]
    for name, extra in (("a.txt", ""), ("b.txt", "\n\nA closing line of the copy's own.")):
        (tmp_path / name).write_text(
            f"---\nid: {name[0]}-story\nheadline: {HEADLINE}\n---\n" + "\n\n".join(body) + extra,
            encoding="utf-8",
        )
    return tmp_path / "a.txt", tmp_path / "b.txt"


def invoke(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exit_code == exitcodes.OK, result.output
    return result.stdout


def assert_safe(text: str) -> None:
    """No sequence from the stories reaches the output; rich's own colours may."""
    for sequence in HOSTILE:
        assert sequence not in text, (sequence, text)
    assert "\\x1b[2J" in text or "\\x1b[31m" in text or "Storm" not in text


@pytest.mark.parametrize("color", ["--no-color", "--color"])
def test_scan_table_and_plain_text_show_escapes(pair, color):
    out = invoke("scan", pair[0].parent, color)
    assert_safe(out)
    assert "\\x1b[2J" in out
    if color == "--no-color":
        assert "\\x1b]0;owned\\x07" in out


@pytest.mark.parametrize("color", ["--no-color", "--color"])
def test_diff_shows_escapes(pair, color):
    out = invoke("diff", *pair, color)
    assert_safe(out)
    assert "\\x1b[31m" in out


@pytest.mark.parametrize("color", ["--no-color", "--color"])
def test_show_shows_escapes(pair, color):
    out = invoke("show", "a-story", pair[0].parent, "--additions", color)
    assert_safe(out)


@pytest.mark.parametrize("color", ["--no-color", "--color"])
def test_explain_shows_escapes(pair, color):
    out = invoke("explain", *pair, color)
    for sequence in HOSTILE:
        assert sequence not in out


def test_json_keeps_the_text_exactly(pair):
    data = json.loads(invoke("scan", pair[0].parent, "--format", "json"))
    # (the carriage return is white space to a one-line headline, as a newline would be)
    assert data["clusters"][0]["headline"] == "Storm \x1b[2J hits \x1b]0;owned\x07 coast X"


def test_csv_keeps_the_text_exactly_for_programs(pair):
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", "scan", str(pair[0].parent), "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == exitcodes.OK, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode("utf-8"), newline="")))
    assert rows and all(row["headline"].startswith("Storm \x1b[2J hits \x1b]0;") for row in rows)


def test_a_file_name_with_escapes_is_escaped_in_problem_lines(tmp_path):
    bad = tmp_path / "\x1b]0;owned\x07.json"
    bad.write_text("{broken", encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path)])
    assert result.exit_code == exitcodes.INPUT
    assert "\x1b" not in result.stderr and "\\x1b]0;owned\\x07.json" in result.stderr


def test_printable_keeps_text_and_layout():
    assert printable("Zürich\tnews\n— ok «quoted»") == "Zürich\tnews\n— ok «quoted»"
    assert printable("a\x1bb\x9bc\x00") == "a\\x1bb\\x9bc\\x00"


def test_index_verdict_lines_show_escapes(pair, tmp_path):
    db = tmp_path / "wire.db"
    named = pair[0].parent / "\x1b]0;owned\x07.txt"
    named.write_text(pair[1].read_text(encoding="utf-8"), encoding="utf-8")
    runner = CliRunner()
    ingested = runner.invoke(cli, ["ingest", "--db", str(db), str(pair[0])])
    assert ingested.exit_code == exitcodes.OK, ingested.stderr
    checked = runner.invoke(cli, ["check", "--db", str(db), str(named), "--diff"])
    assert checked.exit_code == exitcodes.COPY, checked.stderr
    for sequence in HOSTILE:
        assert sequence not in checked.stdout
    assert "\\x1b]0;owned\\x07.txt" in checked.stdout
