"""The README's examples are real runs: each block marked ``<!-- example: COMMAND -->`` must be
exactly what COMMAND prints to stdout today, run in the repository with this environment's
``dedup``. When a change alters one on purpose, regenerate the blocks with
``python tests/test_readme.py --update`` and read the diff."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

EXAMPLE = re.compile(r"<!-- example: (?P<command>.+?) -->\n```[\w-]*\n(?P<output>.*?)```\n", re.S)
"""A marked block: the comment naming the command, then a fenced block holding its output."""


def examples(text: str) -> list[re.Match[str]]:
    return list(EXAMPLE.finditer(text))


def run(command: str) -> str:
    """COMMAND's stdout, through a shell (examples may pipe into ``head``), with the ``dedup``
    of the Python running the tests first on PATH, so a clone's own checkout is what runs."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for name in ("DEDUP_DB", "NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        env.pop(name, None)
    done = subprocess.run(
        command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    return done.stdout


def test_readme_has_its_examples() -> None:
    """The marks themselves: losing them would make the test below check nothing."""
    commands = [match["command"] for match in examples(README.read_text(encoding="utf-8"))]
    assert len(commands) >= 2
    assert all(command.startswith("dedup ") for command in commands)


@pytest.mark.parametrize(
    "match", examples(README.read_text(encoding="utf-8")), ids=lambda match: match["command"]
)
def test_readme_example_matches_a_real_run(match: re.Match[str]) -> None:
    assert run(match["command"]) == match["output"], (
        f"README example out of date: {match['command']} "
        "(regenerate with python tests/test_readme.py --update)"
    )


def make_plan(folder: Path, target: str) -> str:
    """What ``make TARGET`` would run in ``folder`` (``make -n``: nothing is installed)."""
    done = subprocess.run(
        ["make", "-n", target], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_quick_start_installs_the_cli_alone_and_the_dev_extra_for_tests(tmp_path: Path) -> None:
    """The README's quick start: ``make run`` installs the command (with the Parquet reader
    the samples need) without the development extra (pyspark, selenium: a gigabyte);
    ``make test`` adds it, whichever ran first, and once both are done neither installs
    again."""
    for name in ("Makefile", "setup.cfg", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    cli_only, dev = "pip install --quiet -e '.[parquet]'\n", "pip install --quiet -e '.[dev]'"

    run = make_plan(tmp_path, "run")  # a clean clone
    assert cli_only in run and dev not in run and "dedup scan samples/" in run
    test = make_plan(tmp_path, "test")
    assert cli_only in test and dev in test and "pytest" in test

    venv = tmp_path / ".venv"
    venv.mkdir()
    (venv / ".installed").touch()  # make run has been
    test = make_plan(tmp_path, "test")
    assert cli_only not in test and dev in test
    assert dev not in make_plan(tmp_path, "run")

    (venv / ".installed-dev").touch()  # and make test
    for target in ("run", "test", "lint"):
        assert "pip install" not in make_plan(tmp_path, target)


def update() -> int:
    """Rewrite every marked block with its command's output; return how many changed."""
    text = README.read_text(encoding="utf-8")
    changed = 0

    def fresh(match: re.Match[str]) -> str:
        nonlocal changed
        output = run(match["command"])
        changed += output != match["output"]
        head = match.group(0)[: match.start("output") - match.start()]
        return f"{head}{output}```\n"

    text = EXAMPLE.sub(fresh, text)
    if changed:
        temporary = README.with_suffix(".md.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(README)  # atomic: a reader never sees half a README
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_readme.py --update")
    print(f"{update()} README example(s) regenerated", file=sys.stderr)
