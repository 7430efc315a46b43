"""The Python API names a cluster's stories as the outputs do: ``Cluster.origin`` and
``Cluster.centre`` are story ids, the internal keys are ``origin_key``/``centre_key``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES, make_story, paragraphs

import dedup
from dedup import scan_stories
from dedup.cli import cli


@pytest.fixture(scope="module")
def samples_result() -> dedup.ScanResult:
    return dedup.scan([str(SAMPLES)])


@pytest.fixture(scope="module")
def samples_json() -> dict:
    result = CliRunner().invoke(cli, ["scan", str(SAMPLES), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_origin_and_centre_are_the_ids_the_json_names(samples_result, samples_json):
    first = samples_result.clusters[0]
    assert first.origin == samples_json["clusters"][0]["origin"]
    assert first.centre == samples_json["clusters"][0]["centre"]
    by_id = {cluster["id"]: cluster for cluster in samples_json["clusters"]}
    assert len(by_id) == len(samples_result.clusters) > 1
    for cluster in samples_result.clusters:
        assert (cluster.origin, cluster.centre) == (
            by_id[cluster.id]["origin"],
            by_id[cluster.id]["centre"],
        )


def test_keys_stay_available_and_differ_from_ids_in_the_samples(samples_result):
    """Sample stories are keyed by their path, so an id mistaken for a key (or the reverse)
    shows here."""
    for cluster in samples_result.clusters:
        keys = {member.key for member in cluster.members}
        assert cluster.origin_key in keys and cluster.centre_key in keys
        assert cluster.origin_member.key == cluster.origin_key
        assert cluster.centre_member.key == cluster.centre_key
        assert cluster.origin_member.id == cluster.origin
        assert cluster.origin_key != cluster.origin
        assert any(cluster.centre_key in (m.a, m.b) for m in cluster.matches)


def test_origin_id_is_a_deprecated_alias(samples_result):
    cluster = samples_result.clusters[0]
    with pytest.deprecated_call():
        assert cluster.origin_id == cluster.origin


def test_the_origin_is_the_earliest_member_by_id():
    story = paragraphs(1, 10)
    late = make_story("late", story, date="2026-01-02T10:00:00Z")
    early = make_story("early", story, date="2026-01-01T10:00:00Z")
    [cluster] = scan_stories([late, early]).clusters
    assert cluster.origin == "early" and cluster.origin_member.date is not None


def test_the_subprocess_json_agrees_with_the_api(samples_result):
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", "scan", str(SAMPLES), "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    clusters = json.loads(proc.stdout)["clusters"]
    assert [c["origin"] for c in clusters] == [c.origin for c in samples_result.clusters]
