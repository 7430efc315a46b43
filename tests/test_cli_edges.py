"""Rough edges of the command line: any one story piped to ``scan -``, ``-v`` after the
command, durations in years, a clear word when ``--since`` meets INPUT, and one message
for a missing file in ``diff``."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import SAMPLES

from dedup.cli import cli, exitcodes

FLOODS = SAMPLES / "wire" / "meridian" / "oss-floods.txt"


def invoke(*args: object, input: str | bytes | None = None):
    return CliRunner().invoke(cli, [str(arg) for arg in args], input=input)


def test_a_piped_text_story_is_one_story():
    result = invoke("scan", "-", "--format", "jsonl", "--singletons", input=FLOODS.read_bytes())
    assert result.exit_code == exitcodes.OK, result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["id"] == "mna-oss-floods" and row["path"] is None


def test_a_piped_xml_story_is_read_by_its_root_element():
    data = (SAMPLES / "formats" / "harbour-herald-tidal.xml").read_bytes()
    result = invoke("scan", "-", "--format", "jsonl", "--singletons", input=data)
    assert result.exit_code == exitcodes.OK, result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["headline"] == "Town says yes to estuary barrier"


def test_piped_json_lines_are_still_one_story_a_line():
    lines = "".join(
        json.dumps({"id": f"s{n}", "body": f"Story number {n} with a body of its own."}) + "\n"
        for n in range(3)
    )
    result = invoke("scan", "-", "--format", "jsonl", "--singletons", input=lines)
    assert result.exit_code == exitcodes.OK, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["s0", "s1", "s2"]


def test_an_empty_stdin_is_nothing_new_unless_a_story_is_asked_for():
    empty = invoke("scan", "-", "--format", "jsonl", input="")
    assert empty.exit_code == exitcodes.OK and empty.stdout == ""
    asked = invoke("scan", "-", "--input-format", "text", input="\n")
    assert asked.exit_code == exitcodes.INPUT and "empty input" in asked.stderr


def test_verbose_before_or_after_the_command():
    note = "set aside for version 2"
    for args in (("-v", "scan", SAMPLES / "formats"), ("scan", SAMPLES / "formats", "-v")):
        result = invoke(*args)
        assert result.exit_code == exitcodes.OK, result.stderr
        assert note in result.stderr, args
    assert note not in invoke("scan", SAMPLES / "formats").stderr


def test_since_takes_years_and_names_the_units_it_takes(tmp_path):
    db = tmp_path / "wire.db"
    ingested = invoke("ingest", "--db", db, SAMPLES / "wire" / "meridian")
    assert ingested.exit_code == exitcodes.OK, ingested.stderr
    result = invoke("scan", "--db", db, "--since", "1y", "--format", "json")
    assert result.exit_code == exitcodes.OK, result.stderr
    refused = invoke("scan", "--db", db, "--since", "1q")
    assert refused.exit_code == exitcodes.USAGE
    assert "y (years)" in refused.stderr and "d (days)" in refused.stderr


def test_since_with_input_says_what_is_wrong():
    result = invoke("scan", "--since", "24h", SAMPLES / "wire")
    assert result.exit_code == exitcodes.USAGE
    assert "--since" in result.stderr and "not both" not in result.stderr


def test_diff_of_a_missing_file_is_one_message(tmp_path):
    missing = tmp_path / "nope.txt"
    result = invoke("diff", missing, FLOODS)
    assert result.exit_code == exitcodes.INPUT
    assert result.stderr.splitlines() == [
        f"dedup: cannot read {missing}: no such file or directory"
    ]
    assert result.stdout == ""


def test_diff_of_a_story_missing_from_its_file_is_still_a_usage_error(tmp_path):
    result = invoke("diff", f"{FLOODS}#nope", FLOODS)
    assert result.exit_code == exitcodes.USAGE
    assert "no story with id or record number 'nope'" in result.stderr
