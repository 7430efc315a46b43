"""The shared index on a real redis-server: same answers as SQLite, through the API and CLI.

A session fixture starts its own redis-server (the Debian package; installed with apt-get
when it is missing and the tests run as root) on a free loopback port in a temporary folder,
without persistence, and stops it at the end.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from dedup.cli import cli, exitcodes
from dedup.engines.index import COPY, INDEXED, NEW, UPDATED, IndexBusy, open_index
from dedup.engines.local import load
from dedup.views import output

redis = pytest.importorskip("redis", reason="the redis package is not installed (.[redis])")


def _server_binary() -> str | None:
    found = shutil.which("redis-server")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-qq", "redis-server"],
                    ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "redis-server"]):  # fmt: skip
        subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
        found = shutil.which("redis-server")
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    binary = _server_binary()
    if binary is None:
        pytest.skip("no redis-server binary, and it could not be installed (apt-get as root)")
    folder = tmp_path_factory.mktemp("redis")
    for _ in range(3):
        port = _free_port()
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.poll() is None:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            server.kill()
            server.wait()
            continue
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=10)
        return
    pytest.skip("redis-server did not start")


@pytest.fixture
def url(redis_server: str) -> str:
    """An index of its own on the shared server."""
    return f"{redis_server}?prefix=test-{uuid.uuid4().hex[:8]}"


def test_check_answers_the_same_with_sqlite_and_redis(url, tmp_path):
    stories, _ = load([str(SAMPLES)])
    stories = list({story.id: story for story in stories}.values())
    random.Random(8).shuffle(stories)
    half = len(stories) // 2
    answers = []
    for location in (url, str(tmp_path / "wire.db")):
        with open_index(location, create=True, window=None) as index:
            ingested = [(v.story.id, v.status, v.copies) for v in index.ingest(stories[:half])]
            checked = [
                (v.story.id, v.status, v.copies, v.cluster, v.origin, v.matches)
                for v in index.check(stories)
            ]
            clusters = output.scan_json(index.scan(), singletons=True)
        answers.append((ingested, checked, clusters))
    assert answers[0] == answers[1]
    ingested, checked, _ = answers[0]
    assert {status for _, status, _ in ingested} == {NEW, COPY, UPDATED}
    assert {row[1] for row in checked} >= {NEW, COPY, INDEXED}


def test_redis_index_is_idempotent_prunes_and_reports(url):
    stories, _ = load([str(SAMPLES / "wire"), str(SAMPLES / "radio-vell")])
    with open_index(url, create=True) as index:
        first = [v.status for v in index.ingest(stories)]
        again = [v.status for v in index.ingest(stories)]
        assert NEW in first and set(again) == {INDEXED}
        stats = index.stats()
        assert stats["backend"] == "redis" and stats["stories"] == len(stories)
        stored = index.story(stories[0].id)
        assert stored is not None and stored.body == stories[0].body
        assert index.prune(1.0) == len(stories)  # all dated 2025
        assert index.stats()["stories"] == 0
        assert [v.status for v in index.check(stories[:1])] == [NEW]


def test_redis_through_the_cli(url, tmp_path):
    runner = CliRunner()
    wire = SAMPLES / "wire" / "meridian" / "oss-floods.txt"
    radio = SAMPLES / "radio-vell" / "oss-floods.txt"
    env = {"DEDUP_DB": url}
    assert runner.invoke(cli, ["check", str(wire)], env=env).exit_code == exitcodes.INDEX
    assert runner.invoke(cli, ["ingest", str(wire)], env=env).exit_code == 0
    copy = runner.invoke(cli, ["check", str(radio), "--window", "0"], env=env)
    assert copy.exit_code == exitcodes.COPY and "copy of mna-oss-floods" in copy.stdout
    scanned = runner.invoke(cli, ["scan", "--format", "json"], env=env)
    assert scanned.exit_code == 0 and '"stories": 1' in scanned.stdout
    other = runner.invoke(cli, ["ingest", str(radio), "--shingle", "4"], env=env)
    assert other.exit_code == exitcodes.INDEX and "--shingle 4" in other.stderr
    with open_index(url, lock_timeout=0.2) as holder, holder.store.exclusive(1):
        busy = runner.invoke(cli, ["ingest", str(radio), "--lock-timeout", "0.2"], env=env)
        assert busy.exit_code == exitcodes.BUSY
        with pytest.raises(IndexBusy):
            list(holder.ingest(load([str(radio)])[0]))
    unreachable = "redis://127.0.0.1:1/0"
    down = runner.invoke(cli, ["stats", "--db", unreachable])
    assert down.exit_code == exitcodes.INDEX and "cannot reach" in down.stderr
    assert Path(tmp_path).exists()


def test_a_redis_url_with_a_bad_port_is_a_usage_error():
    runner = CliRunner()
    for url in ("redis://127.0.0.1:99999/0", "redis://127.0.0.1:port/0", "redis://h:6379/db"):
        result = runner.invoke(cli, ["stats", "--db", url])
        assert result.exit_code == exitcodes.USAGE, (url, result.output)
        assert url in result.output and "Traceback" not in result.output
