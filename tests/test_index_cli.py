"""ingest, check, prune, stats and scan --db through the real CLI: CliRunner and processes."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES, paragraphs

from benchmarks import synth
from dedup.cli import cli, exitcodes
from dedup.engines.index import SCHEMA_VERSION, open_index
from dedup.engines.local import load, scan_stories
from dedup.files import place

WIRE = SAMPLES / "wire" / "meridian" / "oss-floods.txt"
RADIO = SAMPLES / "radio-vell" / "oss-floods.txt"
ENV = {"DEDUP_DB": "", "NO_COLOR": "1", "XDG_CONFIG_HOME": "/nonexistent/wire-dedup-tests"}


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env={**ENV, **(env or {})})


def dedup(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "dedup", *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,
    )  # fmt: skip


def write_text(path: Path, headline: str, paras: list[str], meta: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    front = f"---\n{meta}\n---\n" if meta else ""
    path.write_text(front + headline + "\n\n" + "\n\n".join(paras) + "\n")
    return path


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """2,000 generated stories, shuffled into four batch files, ingested one run each."""
    folder = tmp_path_factory.mktemp("generated")
    records = list(synth.generate(2000, seed=21, words=200))
    for record in records:
        record.pop("cluster")
    random.Random(4).shuffle(records)
    batches = [write_jsonl(folder / f"batch{i}.jsonl", records[i::4]) for i in range(4)]
    db = str(folder / "wire.db")
    for batch in random.Random(9).sample(batches, 4):
        result = run("ingest", "--db", db, str(batch), "--quiet")
        assert result.exit_code == 0, result.output
    return db, batches


def test_scan_over_the_index_equals_scan_of_the_files(generated):
    db, batches = generated
    files = [str(b) for b in batches]
    scanned = run("scan", *files, "--format", "json", "--singletons")
    indexed = run("scan", "--db", db, "--format", "json", "--singletons")
    assert scanned.exit_code == indexed.exit_code == 0, indexed.output
    expected, got = json.loads(scanned.stdout), json.loads(indexed.stdout)
    assert got["summary"]["stories"] == 2000 and got["summary"]["clusters"] > 100
    assert got["clusters"] == expected["clusters"]
    assert got["singletons"] == expected["singletons"]


def test_check_agrees_with_the_scan_links(generated):
    """Asked about a story it holds, the index finds exactly the stories the scan linked it
    with: same candidates, same boilerplate, same decision."""
    db, batches = generated
    stories, _ = load([str(b) for b in batches])
    expected = scan_stories(stories)
    ids = {story.key: story.id for story in stories}
    linked: dict[str, set[str]] = {}
    for match in expected.matches:
        linked.setdefault(ids[match.a], set()).add(ids[match.b])
        linked.setdefault(ids[match.b], set()).add(ids[match.a])
    sample = random.Random(2).sample(stories, 60)
    with open_index(db, window=None) as index:
        verdicts = index.check(sample)
    assert sum(bool(v.matches) for v in verdicts) > 40
    for verdict in verdicts:
        assert verdict.status == "indexed"
        assert set(verdict.matches) == linked.get(verdict.story.id, set()), verdict.story.id


def test_check_exit_codes_and_jsonl(tmp_path):
    db = str(tmp_path / "wire.db")
    assert run("ingest", "--db", db, str(WIRE), "--window", "0").exit_code == 0
    copy = run("check", "--db", db, str(RADIO), "--window", "0")
    assert copy.exit_code == exitcodes.COPY
    assert copy.stdout.startswith("copy") and "copy of mna-oss-floods" in copy.stdout
    new = run("check", "--db", db, str(SAMPLES / "channel9" / "hockey-final.md"))
    assert new.exit_code == exitcodes.OK and new.stdout.startswith("new")
    both = run("check", "--db", db, str(RADIO), str(SAMPLES / "channel9" / "hockey-final.md"),
               "--window", "0", "--format", "jsonl")  # fmt: skip
    rows = [json.loads(line) for line in both.stdout.splitlines()]
    assert both.exit_code == exitcodes.COPY
    assert [r["status"] for r in rows] == ["copy", "new"]
    assert rows[0]["copies"] == rows[0]["origin"] == "mna-oss-floods"
    assert rows[0]["kind"] == "partial" and rows[0]["shared"] > 30
    missing = run("check", "--db", db, str(tmp_path / "gone.txt"))
    assert missing.exit_code == exitcodes.INPUT and "gone.txt" in missing.stderr
    # The strongest finding wins: a copy is not hidden by an input that could not be read.
    mixed = run("check", "--db", db, str(tmp_path / "gone.txt"), str(RADIO), "--window", "0")
    assert mixed.exit_code == exitcodes.COPY and "gone.txt" in mixed.stderr
    assert mixed.stdout.startswith("copy")
    new_and_missing = run("check", "--db", db, str(SAMPLES / "channel9" / "hockey-final.md"),
                          str(tmp_path / "gone.txt"))  # fmt: skip
    assert new_and_missing.exit_code == exitcodes.INPUT
    assert run("check", "--db", db, str(WIRE)).exit_code == exitcodes.COPY  # already indexed
    # nothing was written by check
    with open_index(db) as index:
        assert index.stats()["stories"] == 1


def test_check_diff_uses_the_stored_text(tmp_path):
    db = str(tmp_path / "wire.db")
    original = write_text(tmp_path / "in" / "a.txt", "Storm closes port", paragraphs(31, 6),
                          "id: storm-a")  # fmt: skip
    assert run("ingest", "--db", db, str(original)).exit_code == 0
    original.unlink()
    kept = paragraphs(31, 4) + paragraphs(32, 2)
    copy = write_text(tmp_path / "b.txt", "Port shut by storm", kept, "id: storm-b")
    result = run("check", "--db", db, str(copy), "--diff")
    assert result.exit_code == exitcodes.COPY, result.output
    assert "copy of storm-a" in result.stdout and "shared" in result.stdout
    assert paragraphs(31, 1)[0][:40] in result.stdout


def test_ingest_emit_move_and_copy_never_overwrite(tmp_path):
    db = str(tmp_path / "wire.db")
    inbox = tmp_path / "inbox"
    wire = paragraphs(41, 6)
    write_text(inbox / "a.txt", "Bridge collapse", wire, "id: a\ndate: 2025-03-01T08:00:00Z")
    write_text(inbox / "b.txt", "Bridge falls", wire[:5],
               "id: b\noutlet: Paper\ndate: 2025-03-01T09:00:00Z")  # fmt: skip
    write_text(inbox / "c.txt", "Choir wins", paragraphs(42, 5), "id: c")
    moved, fresh = tmp_path / "moved", tmp_path / "fresh"
    moved.mkdir()
    (moved / "b.txt").write_text("already here")
    result = run("ingest", "--db", db, str(inbox), "--emit", "all", "--format", "jsonl",
                 "--move-copies", str(moved), "--copy-new", str(fresh))  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert {k: r["status"] for k, r in rows.items()} == {"a": "new", "b": "copy", "c": "new"}
    assert rows["b"]["copies"] == "a" and rows["b"]["moved_to"] == str(moved / "b.1.txt")
    assert (moved / "b.txt").read_text() == "already here"
    assert not (inbox / "b.txt").exists() and (moved / "b.1.txt").exists()
    assert (fresh / "a.txt").read_bytes() == (inbox / "a.txt").read_bytes()
    assert (inbox / "a.txt").exists() and (fresh / "c.txt").exists()
    # a second run: what is left is already indexed; nothing new to emit or copy
    again = run("ingest", "--db", db, str(inbox), "--emit", "new", "--copy-new", str(fresh))
    assert again.exit_code == 0 and again.stdout == ""
    assert sorted(p.name for p in fresh.iterdir()) == ["a.txt", "c.txt"]
    # a new story with a taken name gets a suffix; plain --emit prints paths for xargs
    other = write_text(tmp_path / "later" / "a.txt", "Fire drill", paragraphs(43, 5), "id: d")
    emitted = run("ingest", "--db", db, str(other), "--emit", "new", "--copy-new", str(fresh))
    assert emitted.stdout.splitlines() == [str(fresh / "a.1.txt")]
    assert "1 story: 1 new" in emitted.stderr


def test_stories_inside_a_shared_file_are_reported_not_moved(tmp_path):
    db = str(tmp_path / "wire.db")
    wire = paragraphs(44, 6)
    feed = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": "w", "body": "\n\n".join(wire), "date": "2025-03-01T08:00:00Z"},
        {"id": "c", "body": "\n\n".join(wire[:5]), "date": "2025-03-01T09:00:00Z"},
    ])  # fmt: skip
    result = run("ingest", "--db", db, str(feed), "--emit", "copies", "--move-copies",
                 str(tmp_path / "moved"))  # fmt: skip
    assert result.exit_code == exitcodes.INPUT and result.stdout.splitlines() == ["c"]
    assert "one of several stories" in result.stderr and feed.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run("check", "--db", db, str(empty))
    assert nothing.exit_code == exitcodes.INPUT and "no story" in nothing.stderr


def test_place_is_atomic_and_suffixes_collisions(tmp_path, monkeypatch):
    source = tmp_path / "feed.txt.gz"
    source.write_bytes(b"data")
    target = tmp_path / "out"
    target.mkdir()
    (target / "feed.txt.gz").write_bytes(b"old")
    assert place(str(source), str(target), move=False) == str(target / "feed.1.txt.gz")
    assert source.exists()

    link = os.link

    def other_device(src: str, dst: str) -> None:
        if os.path.dirname(src) != os.path.dirname(dst):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        link(src, dst)

    monkeypatch.setattr(os, "link", other_device)  # moving to another file system copies
    assert place(str(source), str(target), move=True) == str(target / "feed.2.txt.gz")
    assert not source.exists() and (target / "feed.2.txt.gz").read_bytes() == b"data"

    def no_links(*_args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # no hard links at all: reserve, then replace
    source.write_bytes(b"more")
    assert place(str(source), str(target), move=False) == str(target / "feed.3.txt.gz")
    assert (target / "feed.3.txt.gz").read_bytes() == b"more"
    assert (target / "feed.txt.gz").read_bytes() == b"old"
    assert not [p for p in target.iterdir() if p.name.startswith(".")]


def test_prune_and_stats(tmp_path):
    db = str(tmp_path / "wire.db")
    assert run("ingest", "--db", db, str(SAMPLES / "wire")).exit_code == 0
    stats = json.loads(run("stats", "--db", db, "--format", "json").stdout)
    assert (
        stats["stories"] >= 9 and stats["schema"] == SCHEMA_VERSION and stats["backend"] == "sqlite"
    )
    assert stats["settings"]["shingle"] == 5 and stats["bytes"] > 0
    text = run("stats", "--db", db)
    assert text.exit_code == 0 and "stories" in text.stdout
    # the samples are dated 2025: everything is older than a day
    pruned = run("prune", "--db", db, "--older-than", "1d", "--vacuum")
    assert pruned.exit_code == 0 and f"pruned {stats['stories']} stories" in pruned.stdout
    assert json.loads(run("stats", "--db", db, "--format", "json").stdout)["stories"] == 0
    assert run("prune", "--db", db, "--older-than", "soon").exit_code == exitcodes.USAGE


def test_prune_of_everything_asks_for_yes_and_stats_dates_are_iso(tmp_path):
    db = str(tmp_path / "wire.db")
    assert run("ingest", "--db", db, str(SAMPLES / "wire")).exit_code == 0
    stats = json.loads(run("stats", "--db", db, "--format", "json").stdout)
    for name in ("oldest", "newest", "last_ingest"):
        assert datetime.fromisoformat(stats[name]).tzinfo is not None, name
    refused = run("prune", "--db", db, "--older-than", "0")
    assert refused.exit_code == exitcodes.USAGE and "--yes" in refused.output
    kept = json.loads(run("stats", "--db", db, "--format", "json").stdout)["stories"]
    assert kept == stats["stories"] > 0
    emptied = run("prune", "--db", db, "--older-than", "0", "--yes")
    assert emptied.exit_code == 0 and f"pruned {kept} stories" in emptied.stdout


def test_index_errors_are_one_line_with_their_exit_code(tmp_path):
    db = tmp_path / "wire.db"
    assert run("check", "--db", str(db), str(WIRE)).exit_code == exitcodes.INDEX  # not made
    assert run("ingest", "--db", str(db), str(WIRE)).exit_code == 0
    mismatch = run("ingest", "--db", str(db), str(RADIO), "--num-perm", "128")
    assert mismatch.exit_code == exitcodes.INDEX and "--num-perm 128" in mismatch.stderr
    # settings that only judge links may change per run: --links copy leaves rewrites out
    assert run("check", "--db", str(db), str(RADIO), "--window", "0").exit_code == exitcodes.COPY
    judged = ("--links", "copy", "--min-containment", "1", "--window", "0")
    assert run("check", "--db", str(db), str(RADIO), *judged).exit_code == exitcodes.OK
    with sqlite3.connect(db) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    refused = run("check", "--db", str(db), str(RADIO))
    assert refused.exit_code == exitcodes.INDEX
    assert f"schema version {SCHEMA_VERSION + 1}" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert "Traceback" not in refused.output
    with open_index(str(tmp_path / "held.db"), create=True) as index, index.store.exclusive(1):
        busy = run("ingest", "--db", str(tmp_path / "held.db"), str(WIRE), "--lock-timeout", "0.2")
        assert busy.exit_code == exitcodes.BUSY and "busy" in busy.stderr
    unset = run("stats")
    assert unset.exit_code == exitcodes.USAGE and "DEDUP_DB" in unset.output


def test_db_from_environment_and_local_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path(".dedup.toml").write_text('db = "local.db"\n')
    assert run("ingest", str(WIRE)).exit_code == 0
    assert (tmp_path / "local.db").exists()
    assert run("ingest", str(WIRE), env={"DEDUP_DB": str(tmp_path / "env.db")}).exit_code == 0
    assert (tmp_path / "env.db").exists()
    assert run("ingest", "--db", "opt.db", str(WIRE), env={"DEDUP_DB": "env.db"}).exit_code == 0
    assert (tmp_path / "opt.db").exists()
    # without INPUT, scan runs over the configured index
    scanned = run("scan", "--format", "json")
    assert scanned.exit_code == 0 and json.loads(scanned.stdout)["summary"]["stories"] == 1
    assert run("scan", "--since", "nonsense").exit_code == exitcodes.USAGE


def test_two_runs_at_once_never_double_insert(tmp_path):
    records = list(synth.generate(240, seed=31, words=150))
    for record in records:
        record.pop("cluster")
    first = write_jsonl(tmp_path / "first.jsonl", records[:160])
    second = write_jsonl(tmp_path / "second.jsonl", records[80:])
    db = str(tmp_path / "wire.db")
    options = ("--format", "jsonl", "--batch", "10", "--lock-timeout", "60", "--window", "0")
    runs = [dedup("ingest", "--db", db, str(path), *options) for path in (first, second)]
    outputs = [proc.communicate(timeout=120) for proc in runs]
    assert [proc.returncode for proc in runs] == [0, 0], outputs
    decided: dict[str, int] = {}
    for stdout, _ in outputs:
        for row in map(json.loads, stdout.splitlines()):
            decided[row["id"]] = decided.get(row["id"], 0) + (row["status"] != "indexed")
    assert len(decided) == 240 and set(decided.values()) == {1}  # judged once, by one run
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone() == (
            240,
            240,
        )


def test_a_new_index_is_created_under_the_writers_lock(tmp_path):
    """A run that creates the index waits for the lock like any writer, so two first runs
    at once never see each other's half-made schema."""
    import fcntl

    feed = write_jsonl(tmp_path / "feed.jsonl", [{"id": "a", "body": paragraphs(3, 4)[0]}])
    db = tmp_path / "wire.db"
    with open(f"{db}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = dedup("ingest", "--db", str(db), str(feed), "--lock-timeout", "30", "--quiet")
        time.sleep(1.5)
        assert proc.poll() is None  # waiting for the lock ...
        with sqlite3.connect(db) as raw:  # ... before making any table
            assert raw.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM stories").fetchone() == (1,)


def test_sigkill_during_ingest_leaves_an_index_the_next_run_completes(tmp_path):
    records = list(synth.generate(700, seed=41, words=150))
    for record in records:
        record.pop("cluster")
    feed = write_jsonl(tmp_path / "feed.jsonl", records)
    db = tmp_path / "wire.db"
    proc = dedup("ingest", "--db", str(db), str(feed), "--batch", "20", "--quiet")
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 60:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as raw:
                    stored = raw.execute("SELECT count(*) FROM stories").fetchone()[0]
            except sqlite3.OperationalError:
                stored = 0
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL and 60 <= stored < len(records)
    again = run("ingest", "--db", str(db), str(feed), "--format", "jsonl")
    assert again.exit_code == 0, again.output
    statuses = [json.loads(line)["status"] for line in again.stdout.splitlines()]
    assert statuses.count("indexed") >= stored and len(statuses) == len(records)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("SELECT count(*), count(DISTINCT id) FROM stories").fetchone() == (
            len(records),
            len(records),
        )
        for table, column in (("texts", "sid"), ("anchors", "story"),
                              ("units", "story"), ("matches", "a"), ("matches", "b")):  # fmt: skip
            orphans = raw.execute(
                f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT sid FROM stories)"
            ).fetchone()[0]
            assert orphans == 0, table
        assert raw.execute("SELECT count(*) FROM texts").fetchone()[0] == len(records)


@pytest.mark.parametrize("batch", ["1000", "9"])
def test_the_readme_crontab_emits_exactly_the_stories_with_no_earlier_copy(tmp_path, batch):
    """The README's cron line, run by hand twice over the samples copied into an inbox in
    an order that is not their date order: the first run emits each story no earlier story
    is linked to within the default window of 72 hours (what a scan of the inbox says, an
    undated story being placed at the time it is ingested), the second emits nothing."""
    import shutil

    inbox, copies = tmp_path / "inbox", tmp_path / "copies"
    files = sorted(path for path in SAMPLES.rglob("*") if path.is_file())
    for path in random.Random(3).sample(files, len(files)):
        target = inbox / path.relative_to(SAMPLES)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    stories, _ = load([str(inbox)])
    expected = scan_stories(stories)
    now = time.time()
    stamps = {s.key: s.date.timestamp() if s.date else now for s in stories}
    later = {m.b for m in expected.matches if abs(stamps[m.a] - stamps[m.b]) <= 72 * 3600}
    wanted = {
        story.path if story.record is None else story.id
        for story in stories
        if story.key not in later
    }
    assert 10 < len(wanted) < len(stories)
    env = {"DEDUP_DB": str(tmp_path / "wire.db")}
    line = ("ingest", str(inbox), "--emit", "new", "--move-copies", str(copies),
            "--lock-timeout", "60", "--batch", batch)  # fmt: skip
    first = run(*line, env=env)
    assert first.exit_code in (0, exitcodes.INPUT), first.output  # feeds are not moved
    assert set(first.stdout.splitlines()) == wanted
    assert len(first.stdout.splitlines()) == len(wanted)
    second = run(*line, env=env)
    assert second.exit_code == 0 and second.stdout == "", second.output
    moved = {path.name for path in copies.rglob("*")}
    assert moved and all(Path(where).exists() for where in wanted if os.sep in where)


def test_verdicts_that_cannot_be_written_leave_their_batch_uncommitted(tmp_path):
    """A full disk or a closed standard output fails the run (exit 74) before the batch
    whose verdicts were lost is committed: the next run reports those stories again."""
    db = tmp_path / "wire.db"
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        failed = subprocess.run(
            [sys.executable, "-m", "dedup", "ingest", "--db", str(db), str(SAMPLES / "wire"),
             "--batch", "1"], env=env, stdout=full, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    assert failed.returncode == exitcodes.OUTPUT, failed.stderr
    assert "Traceback" not in failed.stderr and len(failed.stderr.splitlines()) == 1
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM stories").fetchone() == (0,)
    closed = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -m dedup ingest --db "{db}" "{WIRE}" >&-'],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert closed.returncode == exitcodes.OUTPUT, closed.stderr
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM stories").fetchone() == (0,)
    again = run("ingest", "--db", str(db), str(WIRE))
    assert again.exit_code == 0 and again.stdout.startswith("new")


def test_a_db_path_that_is_not_an_index_is_left_untouched(tmp_path):
    """No lock file is made beside a file that is not an index, nothing is written into
    it, and a folder that does not exist is an error, not created."""
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    for command in (("ingest", str(WIRE)), ("check", str(WIRE)), ("prune", "--older-than", "1d"),
                    ("stats",)):  # fmt: skip
        result = run(command[0], "--db", str(passwd), *command[1:])
        assert result.exit_code == exitcodes.INDEX, result.output
        assert "not a wire-dedup index" in result.stderr and "Traceback" not in result.output
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE notes (text TEXT)")
    for version in (0, SCHEMA_VERSION - 1):
        with sqlite3.connect(other) as raw:
            raw.execute(f"PRAGMA user_version = {version}")
        result = run("ingest", "--db", str(other), str(WIRE))
        assert result.exit_code == exitcodes.INDEX, result.output
    assert "rebuild" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db", "passwd"]
    assert passwd.read_text() == "root:x:0:0:root:/root:/bin/bash\n"
    folder = run("ingest", "--db", str(tmp_path / "no" / "such" / "wire.db"), str(WIRE))
    assert folder.exit_code == exitcodes.INDEX and "no folder" in folder.stderr
    assert not (tmp_path / "no").exists()
    directory = run("ingest", "--db", str(tmp_path), str(WIRE))
    assert directory.exit_code == exitcodes.INDEX and "not a file" in directory.stderr


def test_damaged_index_rows_exit_5_with_one_line(tmp_path):
    db = tmp_path / "wire.db"
    assert run("ingest", "--db", str(db), str(WIRE), str(RADIO), "--window", "0").exit_code == 0
    with sqlite3.connect(db) as raw:
        texts = raw.execute("SELECT sid, body FROM texts").fetchall()
        raw.execute("UPDATE texts SET body = x'00112233'")
    diff = run("check", "--db", str(db), str(RADIO), "--diff", "--window", "0")
    assert diff.exit_code == exitcodes.INDEX and "stored text" in diff.stderr, diff.output
    with sqlite3.connect(db) as raw:  # the texts whole again, the fingerprints damaged
        raw.executemany("UPDATE texts SET body = ? WHERE sid = ?", [(b, s) for s, b in texts])
        raw.execute("UPDATE texts SET print = x'00112233'")
    printed = run("check", "--db", str(db), str(RADIO), "--window", "0")
    assert printed.exit_code == exitcodes.INDEX and "fingerprint" in printed.stderr
    for settings in ("{not json", "[1, 2]", '{"shingle": "five"}'):
        with sqlite3.connect(db) as raw:
            raw.execute("UPDATE meta SET value = ? WHERE name = 'settings'", (settings,))
        result = run("check", "--db", str(db), str(RADIO))
        assert result.exit_code == exitcodes.INDEX, (settings, result.output)
        assert "settings" in result.stderr and len(result.stderr.splitlines()) == 1
        assert "Traceback" not in result.output


def test_an_index_in_a_read_only_folder_can_be_read_but_not_written():
    import shutil
    import tempfile

    prefix: list[str] = []
    if os.geteuid() == 0:  # root ignores permissions: run as nobody
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        prefix = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    folder = Path(tempfile.mkdtemp(prefix="dedup-ro-"))
    try:
        db = str(folder / "wire.db")
        assert run("ingest", "--db", db, str(SAMPLES / "wire"), str(RADIO)).exit_code == 0
        before = (folder / "wire.db").read_bytes()
        folder.chmod(0o555)
        for path in folder.iterdir():
            path.chmod(0o444)

        def dedup(*args: str) -> subprocess.CompletedProcess[str]:
            command = [*prefix, sys.executable, "-m", "dedup", *args]
            return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

        stats = dedup("stats", "--db", db, "--format", "json")
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["stories"] > 0
        checked = dedup("check", "--db", db, str(RADIO))
        assert checked.returncode == exitcodes.COPY, checked.stderr
        scanned = dedup("scan", "--db", db, "--format", "json")
        assert scanned.returncode == 0 and json.loads(scanned.stdout)["summary"]["clusters"] > 0
        refused = dedup("ingest", "--db", db, str(WIRE))
        assert refused.returncode == exitcodes.INDEX and len(refused.stderr.splitlines()) == 1
        assert (folder / "wire.db").read_bytes() == before
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
