"""Cluster ids: unique in a run whatever the story ids, the same in every run of the same
inputs, and unchanged for clusters whose centre's id is unique (so saved links and scripts
that name a cluster keep working)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner
from conftest import paragraphs

from dedup.cli import cli, exitcodes


def archive(path: Path, ids: list[str], seeds: list[int]) -> None:
    """A JSON Lines archive: two copies of each seed's story, with the ids given in order."""
    rows = []
    for seed in seeds:
        text = "\n\n".join(paragraphs(seed, 6))
        rows += [{"body": text}, {"body": text + "\n\nA line of its own at the end."}]
    path.write_text(
        "".join(json.dumps({"id": i, **row}) + "\n" for i, row in zip(ids, rows, strict=True)),
        encoding="utf-8",
    )


def scan(*inputs: Path) -> dict:
    result = CliRunner().invoke(cli, ["scan", *map(str, inputs), "--format", "json"])
    assert result.exit_code == exitcodes.OK, result.output
    return json.loads(result.stdout)


def test_archives_numbered_from_one_give_distinct_ids_that_show_finds(tmp_path):
    archive(tmp_path / "monday.jsonl", ["1", "2"], [11])
    archive(tmp_path / "tuesday.jsonl", ["1", "2"], [12])
    archive(tmp_path / "own.jsonl", ["own-a", "own-b"], [13])
    first = scan(tmp_path)
    ids = [cluster["id"] for cluster in first["clusters"]]
    assert len(first["clusters"]) == 3 and len(set(ids)) == 3
    assert [cluster["id"] for cluster in scan(tmp_path)["clusters"]] == ids  # stable
    for cluster in first["clusters"]:
        shown = CliRunner().invoke(cli, ["show", cluster["id"], str(tmp_path), "--format", "json"])
        assert shown.exit_code == exitcodes.OK, shown.output
        members = {m["path"] + "#" + str(m["record"]) for m in cluster["members"]}
        shown_members = json.loads(shown.stdout)
        assert members <= {
            f"{row['path']}#{row['record']}"
            for row in _rows(shown_members)
            if row.get("path") is not None
        }


def test_an_id_unique_in_the_run_keeps_the_id_it_always_had(tmp_path):
    archive(tmp_path / "own.jsonl", ["own-a", "own-b"], [13])
    [cluster] = scan(tmp_path)["clusters"]
    centre = cluster["centre"]
    assert cluster["id"] == "c" + hashlib.blake2b(centre.encode(), digest_size=5).hexdigest()


def _rows(value: object) -> list[dict]:
    """Every object with a path and a record anywhere in show's JSON (its layout is the
    view's business; this test needs only which stories it shows)."""
    found: list[dict] = []
    if isinstance(value, dict):
        if "path" in value and "record" in value:
            found.append(value)
        for item in value.values():
            found += _rows(item)
    elif isinstance(value, list):
        for item in value:
            found += _rows(item)
    return found


def test_an_engine_clustering_part_of_a_run_names_the_ids_repeated_elsewhere():
    """Spark clusters one component at a time: an id that stories of another component
    share is passed in, so the cluster gets the id it would get from the whole run."""
    from conftest import make_story

    from dedup.detect.cluster import cluster_id, form_clusters
    from dedup.detect.fingerprint import Fingerprinter
    from dedup.detect.links import find_links
    from dedup.settings import DEFAULT

    text = paragraphs(31, 6)
    stories = sorted(
        [make_story("a.txt", text), make_story("b.txt", [*text, "Its own last line here."])],
        key=lambda story: story.sort_key,
    )
    links = find_links(stories, Fingerprinter(DEFAULT).batch(stories), DEFAULT)
    content = dict(zip([story.key for story in stories], links.content, strict=True))
    [alone] = form_clusters(stories, links.matches, content)
    centre = next(story for story in stories if story.key == alone.centre_key)
    assert alone.id == cluster_id(centre)
    [told] = form_clusters(stories, links.matches, content, repeated_ids={centre.id})
    assert told.id == cluster_id(centre, repeated=True) != alone.id
