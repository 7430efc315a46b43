"""Exit codes and output failures through the real ``dedup`` process, as cron jobs and shell
pipelines see it: a reader that stops early (``| head``), a full disk, no stdout at all,
unreadable folders, a closed or binary stdin.

Every case runs the real command line in a subprocess, because the failures are in file
descriptors (a pipe whose reader is gone, /dev/full, a closed fd 1) that only a real process
has. Permission cases run as an unprivileged user when the tests run as root (root reads
everything), through ``setpriv``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import cli, exitcodes

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FLOODS = "samples/wire/meridian/oss-floods.txt"
FLOODS_COPY = "samples/vellmar-courier/oss-floods.md"
DEDUP = [sys.executable, "-m", "dedup"]
NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]


def run(
    *args: str, prefix: list[str] | None = None, **popen: object
) -> subprocess.CompletedProcess[bytes]:
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [*(prefix or []), *DEDUP, *args], cwd=ROOT, timeout=300, check=False, **popen
    )  # type: ignore[call-overload]


def errors(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    return proc.stderr.decode("utf-8", "replace").splitlines()


def unprivileged() -> list[str]:
    """How to run the command so that file permissions apply (root ignores them)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    return NOBODY


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged user can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="dedup-exits-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(folder)


# -- output closed by its reader: one code, nothing on stderr ------------------------------

PIPED = [
    ("scan", "samples", "--singletons"),
    ("scan", "samples", "--format", "json", "--singletons"),
    ("scan", "samples", "--format", "csv", "--singletons"),
    ("diff", FLOODS, FLOODS_COPY),
    ("show", "mna-oss-floods", "samples"),
    ("explain", FLOODS, FLOODS_COPY),
    ("eval", "samples", "--labels", "samples/labels.csv"),
    ("report", "samples/wire", "samples/vellmar-courier", "--html", "-"),
    ("scan", "--help"),
    ("--help",),
    ("--version",),
]


@pytest.mark.parametrize("args", PIPED, ids=lambda args: " ".join(args[:2]))
def test_a_closed_pipe_is_one_documented_code_and_no_noise(args):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write, as with a quick `head -1`
    try:
        proc = run(*args, stdout=write)
    finally:
        os.close(write)
    assert proc.returncode == exitcodes.PIPE, errors(proc)
    noise = ("Traceback", "Error", "internal", "Exception")
    assert not [line for line in errors(proc) if any(word in line for word in noise)]


def test_the_pipe_code_is_not_check_copy_nor_success():
    assert exitcodes.PIPE not in (exitcodes.OK, exitcodes.COPY, exitcodes.INTERNAL)
    assert exitcodes.OUTPUT not in (exitcodes.OK, exitcodes.USAGE, exitcodes.INTERNAL)


# -- output that cannot be written: its own code, one line ---------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "samples"),
        ("scan", "samples", "--format", "jsonl"),
        ("diff", FLOODS, FLOODS_COPY),
        ("--help",),
        ("--version",),
    ],
    ids=lambda args: " ".join(args),
)
def test_stdout_on_a_full_disk_is_the_output_code(args):
    with open("/dev/full", "wb") as full:
        proc = run(*args, stdout=full)
    assert proc.returncode == exitcodes.OUTPUT
    assert any("cannot write to standard output: no space left" in line for line in errors(proc))
    assert not any("Traceback" in line or "internal error" in line for line in errors(proc))


def test_no_stdout_at_all_is_the_output_code_not_a_silent_success():
    proc = run("scan", "samples/wire", stdout=None, preexec_fn=lambda: os.close(1))
    assert proc.returncode == exitcodes.OUTPUT
    assert any("standard output is closed" in line for line in errors(proc))


@pytest.fixture
def full_device(tmp_path: Path) -> Path:
    """A device like /dev/full that a failing run may not harm: a node of its own when the
    tests run as root (who could replace /dev/full itself), else /dev/full."""
    if os.geteuid() != 0:
        return Path("/dev/full")
    node = tmp_path / "full"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    return node


def test_a_report_on_a_full_disk_is_the_output_code_and_the_device_stays(full_device):
    proc = run("report", "samples/wire", "--html", str(full_device), "--force")
    assert proc.returncode == exitcodes.OUTPUT, errors(proc)
    assert any(str(full_device) in line and "no space" in line.lower() for line in errors(proc))
    assert full_device.is_char_device()  # written into, never replaced by a file


def test_a_report_into_an_unwritable_folder_is_the_output_code(shared_dir):
    locked = shared_dir / "locked"
    locked.mkdir()
    shutil.copy(ROOT / FLOODS, shared_dir / "story.txt")
    locked.chmod(0o555)
    proc = run(
        "report", str(shared_dir / "story.txt"), "--html", str(locked / "r.html"),
        prefix=unprivileged(),
    )  # fmt: skip
    assert proc.returncode == exitcodes.OUTPUT, errors(proc)
    assert any(str(locked / "r.html") in line for line in errors(proc))
    assert not (locked / "r.html").exists()


# -- every failure read: reported and counted ----------------------------------------------


def test_an_unreadable_subfolder_is_reported_and_counted(shared_dir):
    inbox = shared_dir / "inbox"
    (inbox / "locked").mkdir(parents=True)
    shutil.copy(ROOT / FLOODS, inbox / "floods.txt")
    shutil.copy(ROOT / FLOODS_COPY, inbox / "locked" / "copy.md")
    (inbox / "locked").chmod(0o000)
    proc = run("scan", str(inbox), "--format", "jsonl", "--singletons", prefix=unprivileged())
    assert proc.returncode == exitcodes.INPUT
    [problem] = [line for line in errors(proc) if "skipped" in line]
    assert str(inbox / "locked") in problem and "permission denied" in problem
    assert len(proc.stdout.splitlines()) == 1  # the readable story is still there


def test_a_file_under_an_unreadable_folder_is_a_problem_not_a_crash(shared_dir):
    (shared_dir / "locked").mkdir()
    shutil.copy(ROOT / FLOODS, shared_dir / "locked" / "floods.txt")
    (shared_dir / "locked").chmod(0o000)
    target = str(shared_dir / "locked" / "floods.txt")
    proc = run("scan", target, FLOODS, "--singletons", prefix=unprivileged())
    assert proc.returncode == exitcodes.INPUT, errors(proc)
    assert [line for line in errors(proc) if "skipped" in line] == [
        f"dedup: skipped {target}: permission denied"
    ]


def test_a_symlinked_folder_is_followed_and_a_loop_read_once(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(ROOT / FLOODS, elsewhere / "floods.txt")
    (inbox / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back").symlink_to(elsewhere, target_is_directory=True)  # a loop
    result = CliRunner().invoke(cli, ["scan", str(inbox), "--format", "jsonl", "--singletons"])
    assert result.exit_code == exitcodes.OK, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["mna-oss-floods"]


def test_closed_stdin_is_one_problem_line():
    proc = run("scan", "-", stdin=None, preexec_fn=lambda: os.close(0))
    assert proc.returncode == exitcodes.INPUT, errors(proc)
    assert [line for line in errors(proc) if "skipped" in line] == [
        "dedup: skipped -: standard input is closed"
    ]


def test_random_bytes_on_stdin_are_one_problem_line():
    noise = bytes(range(256)) * 40
    proc = run("scan", "-", input=noise)
    assert proc.returncode == exitcodes.INPUT
    problems = [line for line in errors(proc) if "skipped" in line]
    assert len(problems) == 1 and "binary" in problems[0]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_xml_without_a_byte_order_mark_is_read(tmp_path, codec):
    text = (SAMPLES / "formats" / "harbour-herald-tidal.xml").read_text(encoding="utf-8")
    text = re.sub(r'encoding="UTF-8"', 'encoding="UTF-16"', text, flags=re.I)
    (tmp_path / "story.xml").write_bytes(text.encode(codec))
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "jsonl", "--singletons"])
    assert result.exit_code == exitcodes.OK, result.output
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["headline"] == "Town says yes to estuary barrier"
    piped = run("scan", "-", "--format", "jsonl", "--singletons", input=text.encode(codec))
    assert piped.returncode == exitcodes.OK, errors(piped)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_a_file_name_that_is_not_utf8_keeps_the_output_utf8(fmt):
    folder = Path(tempfile.mkdtemp())
    try:
        name = os.path.join(os.fsencode(folder), b"caf\xe9 \xff.txt")
        with open(name, "w", encoding="utf-8") as story:  # no id of its own: the name is
            story.write("A headline\n\nA first paragraph of the story.\n\nAnd a second.\n")
        proc = run("scan", str(folder), "--format", fmt, "--singletons")
        assert proc.returncode == exitcodes.OK, errors(proc)
        text = proc.stdout.decode("utf-8")  # strict: raises on invalid UTF-8
        if fmt == "json":
            [row] = json.loads(text)["singletons"]
            assert os.fsencode(row["path"]) == name  # the escape gives the name back
        assert "caf\\udce9 \\udcff.txt" in text.replace("\\\\", "\\")
    finally:
        shutil.rmtree(folder)


# -- the table of codes --------------------------------------------------------------------


def test_the_readme_table_is_the_code_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", section, flags=re.M)}
    assert codes == set(exitcodes.MEANINGS)


def test_each_help_lists_the_codes_its_command_can_return():
    runner = CliRunner()
    scan_help = runner.invoke(cli, ["scan", "--help"]).output
    assert "74" in scan_help and "141" in scan_help and "internal error" in scan_help
    assert "check: the story is a copy" not in scan_help
    diff_help = runner.invoke(cli, ["diff", "--help"]).output
    assert "locked by another run" not in diff_help and "141" in diff_help
    for command in ("ingest", "prune", "stats", "report"):
        footer = runner.invoke(cli, [command, "--help"]).output.split("Exit codes:")[1]
        assert "copy" not in footer and "check" not in footer, command
    check_help = runner.invoke(cli, ["check", "--help"]).output.split("Exit codes:")[1]
    assert "the story is a copy" in check_help and "the story is new" in check_help
    everything = runner.invoke(cli, ["--help"]).output
    assert all(meaning in everything for meaning in exitcodes.MEANINGS.values())
