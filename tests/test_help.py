"""Help that helps: each main command's ``--help`` shows its own options first, the Spark and
detection options in sections of their own, examples that really parse, and, for commands
that work on an index, no detection defaults the index would override."""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from dedup.cli import cli
from dedup.cli.app import EXAMPLES
from dedup.settings import Settings

MAIN = ("scan", "diff", "show", "report", "explain", "ingest", "check")


def help_of(*command: str) -> str:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def sections(text: str) -> dict[str, str]:
    """Each section of a help page (a line ending with a colon at the margin) by title."""
    found: dict[str, str] = {}
    title = "top"
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            found[title] = ""
        else:
            found[title] = found.get(title, "") + line + "\n"
    return found


def test_scan_help_groups_its_options() -> None:
    page = sections(help_of("scan"))
    titles = list(page)
    assert titles.index("Options") < titles.index("Spark options")
    assert titles.index("Spark options") < titles.index("Detection options")
    assert titles.index("Detection options") < titles.index("Examples")
    for option in ("--db", "--format", "--engine", "--jobs", "--help"):
        assert option in page["Options"], option
    for option in ("--output", "--output-format", "--master"):
        assert option in page["Spark options"] and option + " " not in page["Options"]
    for option in ("--near-duplicate", "--rewrite-window", "--boilerplate-min", "--links"):
        assert option in page["Detection options"] and option not in page["Options"]
    assert "[INPUT...]" not in page["Options"]  # arguments are in the usage line


@pytest.mark.parametrize("command", MAIN)
def test_main_commands_show_examples(command: str) -> None:
    page = sections(help_of(command))
    assert "Examples" in page
    lines = page["Examples"].strip("\n").split("\n\n")[0].splitlines()  # the exit codes follow
    assert lines and all(f"dedup {command}" in line for line in lines)


def example_args(line: str) -> list[str]:
    """The ``dedup`` part of an example line: no pipe before it, no redirection or comment
    after it."""
    command = next(part for part in line.split(" | ") if part.strip().startswith("dedup "))
    command = command.split("  #")[0].split(" > ")[0]
    return shlex.split(command)[1:]


@pytest.mark.parametrize(
    "name, line", [(name, line) for name, lines in EXAMPLES.items() for line in lines]
)
def test_every_example_parses(name: str, line: str) -> None:
    """Options and choices in examples exist: click parses each line as it would run it."""
    args = example_args(line)
    assert args[0] == name
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    with command.make_context(name, args[1:]) as ctx:
        assert ctx.params is not None


@pytest.mark.parametrize("command", ["ingest", "check"])
def test_index_commands_do_not_show_defaults_the_index_overrides(command: str) -> None:
    detection = sections(help_of(command))["Detection options"]
    options = [line for line in detection.splitlines() if line.startswith("  --")]
    assert len(options) == len(fields(Settings))
    assert " ".join(detection.split()).count("[default: the index's]") == len(options)
    assert "[default: 0.5]" not in " ".join(detection.split())


def test_scan_still_shows_the_figures_it_uses() -> None:
    assert "[default: 0.5]" in " ".join(sections(help_of("scan"))["Detection options"].split())


def test_report_to_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["report", str(SAMPLES / "wire"), "--html", "-", "-q"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.lstrip().lower().startswith("<!doctype html>")
    assert result.stderr == ""
    assert not (tmp_path / "-").exists()


def test_help_of_the_real_command() -> None:
    """Through the console entry point, as a shell runs it."""
    run = subprocess.run(
        [sys.executable, "-m", "dedup", "scan", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and run.stderr == ""
    assert "Spark options:" in run.stdout and "Examples:" in run.stdout
