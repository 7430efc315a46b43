"""show, report, diff and explain over an index (``--db``) through the real CLI: the same
clusters, maps and diffs as over the files the index was built from, without the files."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES, paragraphs

from benchmarks import synth
from dedup.cli import cli, exitcodes
from dedup.engines.index import open_index
from dedup.engines.index.source import IndexSource
from dedup.engines.local import load, scan_stories

try:  # the real redis-server of the Redis tests, when the redis package is there
    from test_index_redis import redis_server
except pytest.skip.Exception:
    redis_server = None

ENV = {"DEDUP_DB": "", "NO_COLOR": "1", "XDG_CONFIG_HOME": "/nonexistent/wire-dedup-tests"}
WIRE = SAMPLES / "wire" / "meridian" / "oss-floods.txt"
RADIO = SAMPLES / "radio-vell" / "oss-floods.txt"


def run(*args: str):
    return CliRunner().invoke(cli, [str(arg) for arg in args], env=ENV)


def ingest(db: str) -> None:
    # --window 0: the index links stories however far apart, as a scan of the files does
    done = run("ingest", "--db", db, "--window", "0", "-q", SAMPLES)
    assert done.exit_code in (exitcodes.OK, exitcodes.COPY), done.output


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    """The samples in an SQLite index."""
    path = str(tmp_path_factory.mktemp("index") / "wire.db")
    ingest(path)
    return path


@pytest.fixture(scope="module")
def scanned():
    stories, _ = load([str(SAMPLES)])
    return scan_stories(stories)


def shape(clusters) -> list:
    return sorted(
        (c.id, c.origin, sorted((m.id, m.link, round(m.reuse, 6)) for m in c.members))
        for c in clusters
    )


def test_index_source_gives_the_scans_clusters(db, scanned):
    with open_index(db) as index:
        source = IndexSource.load(index)
    assert shape(source.clusters()) == shape(scanned.clusters)
    assert len(source.clusters()) > 10
    members = {m.id for c in source.clusters() for m in c.members}
    assert set(source.stories()) == members
    story = source.stories()["radiovell-oss-floods"]
    assert "Listen to Radio Vell live" in story.body  # the stored text


def test_stored_clusters_equal_a_scan_of_generated_batches(tmp_path):
    """Stories ingested in several runs, in shuffled order: the stored clusters, with their
    members' links and reuse shares, are the scan's of all the files."""
    records = list(synth.generate(600, seed=5, words=160))
    for record in records:
        record.pop("cluster")
    random.Random(3).shuffle(records)
    batches = []
    for number in range(3):
        batch = tmp_path / f"batch{number}.jsonl"
        batch.write_text("".join(json.dumps(r) + "\n" for r in records[number::3]))
        batches.append(batch)
    path = str(tmp_path / "wire.db")
    for batch in batches:
        done = run("ingest", "--db", path, "--window", "0", "-q", batch)
        assert done.exit_code in (exitcodes.OK, exitcodes.COPY), done.output
    stories, _ = load([str(batch) for batch in batches])
    expected = scan_stories(stories).clusters
    with open_index(path) as index:
        source = IndexSource.load(index)
    assert len(expected) > 50
    assert shape(source.clusters()) == shape(expected)
    biggest = max(expected, key=lambda cluster: cluster.size)
    over_db = run("show", biggest.id, "--db", path, "--format", "json")
    over_files = run("show", biggest.id, *batches, "--format", "json")
    assert json.loads(over_db.stdout) == json.loads(over_files.stdout)


def test_show_over_db_equals_show_over_files(db, scanned):
    for cluster in scanned.clusters:
        over_db = run("show", cluster.id, "--db", db, "--format", "json")
        over_files = run("show", cluster.id, SAMPLES, "--format", "json")
        assert over_db.exit_code == 0, over_db.output
        assert json.loads(over_db.stdout) == json.loads(over_files.stdout), cluster.id
    # boilerplate is judged as the scan judges it: Radio Vell's lines are not "added"
    text = run("show", "radiovell-oss-floods", "--db", db, "--additions").stdout
    assert text == run("show", "radiovell-oss-floods", SAMPLES, "--additions").stdout
    assert "Radio Vell reporter Ida Kestrel" in text
    assert "Listen to Radio Vell live" not in text


def test_show_names_a_cluster_by_any_member_and_refuses_an_unknown_one(db):
    found = run("show", "vellmar-courier-oss-floods", "--db", db, "--format", "json")
    assert json.loads(found.stdout)["cluster"]["origin"] == "mna-oss-floods"
    missing = run("show", "no-such-story", "--db", db)
    assert missing.exit_code == exitcodes.USAGE
    assert "no cluster 'no-such-story'" in missing.output
    assert "Traceback" not in missing.output


def test_diff_over_db_equals_diff_with_context(db):
    for fmt in ("text", "json"):
        over_db = run("diff", "mna-oss-floods", "radiovell-oss-floods", "--db", db, "--format", fmt)
        over_files = run("diff", WIRE, RADIO, "--context", SAMPLES, "--format", fmt)
        assert over_db.exit_code == 0, over_db.output
        assert over_db.stdout == over_files.stdout
    assert "[boilerplate] Listen to Radio Vell live" in over_db.stdout or "boilerplate" in (
        over_db.stdout
    )
    changes = run("diff", "mna-oss-floods", "radiovell-oss-floods", "--db", db, "--changes-only")
    assert "Listen to Radio Vell live" not in changes.stdout


def test_diff_over_db_refuses_unknown_ids_and_mixed_sources(db):
    unknown = run("diff", "mna-oss-floods", "nope", "--db", db)
    assert unknown.exit_code == exitcodes.USAGE
    assert "holds no story 'nope'" in unknown.output
    same = run("diff", "mna-oss-floods", "mna-oss-floods", "--db", db)
    assert same.exit_code == exitcodes.USAGE and "same story" in same.output
    mixed = run("diff", "mna-oss-floods", "radiovell-oss-floods", "--db", db, "--context", SAMPLES)
    assert mixed.exit_code == exitcodes.USAGE and "not both" in mixed.output


def test_report_over_db_equals_report_over_files(db, tmp_path):
    over_db = run("report", "--html", tmp_path / "db.html", "--db", db)
    over_files = run("report", "--html", tmp_path / "files.html", SAMPLES)
    assert over_db.exit_code == 0 and over_files.exit_code == 0, over_db.output
    pages = [
        re.sub(r"Generated .*? from .*?\. A copy", "", (tmp_path / name).read_text())
        for name in ("db.html", "files.html")
    ]
    assert pages[0] == pages[1]
    assert "mna-oss-floods" in pages[0]
    assert f"from the index {db}" in (tmp_path / "db.html").read_text()


def test_input_and_db_are_exclusive(db, tmp_path):
    for args in (
        ("show", "mna-oss-floods", SAMPLES, "--db", db),
        ("report", "--html", tmp_path / "r.html", SAMPLES, "--db", db),
    ):
        done = run(*args)
        assert done.exit_code == exitcodes.USAGE
        assert "give INPUT or --db, not both" in done.output
    assert not (tmp_path / "r.html").exists()
    alone = run("show", "mna-oss-floods", SAMPLES, "--since", "24h")
    assert alone.exit_code == exitcodes.USAGE and "give --db" in alone.output
    bad = run("show", "mna-oss-floods", "--db", db, "--since", "soon")
    assert bad.exit_code == exitcodes.USAGE and "--since" in bad.output
    # the stored clusters were formed with the index's settings: another threshold is refused
    judged = run("show", "mna-oss-floods", "--db", db, "--near-duplicate", "0.3")
    assert judged.exit_code == exitcodes.USAGE
    assert "--near-duplicate: with --db the clusters are the ones the index stored" in (
        judged.output
    )


def test_without_input_the_configured_index_is_read(db):
    """As for scan: cron sets $DEDUP_DB once for every command."""
    env = {**ENV, "DEDUP_DB": db}
    found = CliRunner().invoke(cli, ["show", "mna-oss-floods", "--format", "json"], env=env)
    assert found.exit_code == 0, found.output
    assert found.stdout == run("show", "mna-oss-floods", "--db", db, "--format", "json").stdout
    nothing = run("show", "mna-oss-floods")
    assert nothing.exit_code == exitcodes.USAGE
    assert "give the INPUT stories to scan, or --db to read an index" in nothing.output


def test_report_over_db_to_standard_output(db):
    done = run("report", "--html", "-", "--db", db, "--title", "Today")
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("<!doctype html>") and "<title>Today" in done.stdout
    assert "mna-oss-floods" in done.stdout


def test_a_missing_index_is_one_line_and_its_exit_code(tmp_path):
    done = run("show", "x", "--db", tmp_path / "none.db")
    assert done.exit_code not in (0, 1, exitcodes.USAGE)
    assert "Traceback" not in done.output
    assert str(tmp_path / "none.db") in done.output
    assert len(done.output.strip().splitlines()) == 1


def _story(folder: Path, name: str, date: datetime, seed: int, extra: str = "") -> None:
    """A story of ``paragraphs(seed)`` dated ``date``, with ``extra`` as its last paragraph."""
    paras = paragraphs(seed, 6) + ([extra] if extra else [])
    meta = f"id: {name}\ndate: {date.strftime('%Y-%m-%dT%H:%M:%SZ')}\noutlet: {name.split('-')[0]}"
    (folder / f"{name}.txt").write_text(
        f"---\n{meta}\n---\nStory {seed}\n\n" + "\n\n".join(paras) + "\n"
    )


@pytest.fixture
def dated(tmp_path) -> str:
    """Two clusters: one run two hours ago, one ten days ago."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    now = datetime.now(UTC)
    _story(folder, "alpha-today", now - timedelta(hours=2), 1)
    _story(folder, "beta-today", now - timedelta(hours=1), 1, "Beta's own closing line here.")
    _story(folder, "alpha-old", now - timedelta(days=10), 2)
    _story(folder, "beta-old", now - timedelta(days=10, hours=-1), 2, "Beta adds this at the end.")
    path = str(tmp_path / "dated.db")
    done = run("ingest", "--db", path, "-q", folder)
    assert done.exit_code in (exitcodes.OK, exitcodes.COPY), done.output
    return path


def test_since_selects_the_clusters_of_that_span(dated, tmp_path):
    everything = run("report", "--html", tmp_path / "all.html", "--db", dated)
    day = run("report", "--html", tmp_path / "day.html", "--db", dated, "--since", "24h")
    assert everything.exit_code == 0 and day.exit_code == 0, day.output
    assert "2 clusters" in everything.output and "1 cluster" in day.output
    page = (tmp_path / "day.html").read_text()
    assert "alpha-today" in page and "alpha-old" not in page
    assert "the last 24h" in page
    assert run("show", "alpha-old", "--db", dated).exit_code == 0
    old = run("show", "alpha-old", "--db", dated, "--since", "24h")
    assert old.exit_code == exitcodes.USAGE and "no cluster 'alpha-old'" in old.output


def test_daily_report_from_cron_replaces_its_file_only_when_forced(dated, tmp_path):
    """The README's cron line, as a process."""
    out = tmp_path / "daily.html"
    out.write_text("yesterday")
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "dedup", "report", "--html", str(out), "--db", dated,
               "--since", "24h"]  # fmt: skip
    refused = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert refused.returncode == exitcodes.USAGE
    assert out.read_text() == "yesterday"
    done = subprocess.run([*command, "--force"], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "wrote" in done.stderr and "alpha-today" in out.read_text()


def test_explain_over_db_equals_explain_with_context(db):
    """The same evidence and verdict, the stored stories around the pair as the context (a
    few, not the whole index)."""
    over_db = run("explain", "mna-oss-floods", "radiovell-oss-floods", "--db", db, "--format",
                  "json")  # fmt: skip
    over_files = run("explain", WIRE, RADIO, "--context", SAMPLES, "--format", "json")
    assert over_db.exit_code == 0, over_db.output
    found, expected = json.loads(over_db.stdout), json.loads(over_files.stdout)
    assert (
        0
        < found["boilerplate"].pop("context_stories")
        < expected["boilerplate"].pop("context_stories")
    )
    assert found == expected
    assert found["verdict"].startswith("linked: partial reuse")
    text = run("explain", "mna-oss-floods", "ebc-grisling-coal", "--db", db).stdout
    assert "not linked" in text
    mixed = run("explain", "mna-oss-floods", "x", "--db", db, "--context", SAMPLES)
    assert mixed.exit_code == exitcodes.USAGE and "not both" in mixed.output
    unknown = run("explain", "mna-oss-floods", "x", "--db", db)
    assert unknown.exit_code == exitcodes.USAGE and "holds no story 'x'" in unknown.output


@pytest.mark.skipif(redis_server is None, reason="the redis package is not installed (.[redis])")
def test_show_over_redis_equals_show_over_sqlite(request, db):
    url = f"{request.getfixturevalue('redis_server')}?prefix=views-{uuid.uuid4().hex[:8]}"
    ingest(url)
    for ref in ("mna-oss-floods", "al-satellite-launch"):
        over_redis = run("show", ref, "--db", url, "--format", "json")
        assert over_redis.exit_code == 0, over_redis.output
        assert over_redis.stdout == run("show", ref, "--db", db, "--format", "json").stdout
