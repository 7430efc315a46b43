"""The Apache Spark engine, run for real in ``local[2]`` mode, against the local engine.

Its promise is the same clusters as ``dedup scan``: the same member rows, byte for byte and
in the same order, and the same counts. One session serves the module (starting Spark costs
seconds); its scratch space lives under pytest's temporary folder.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from benchmarks import synth
from dedup.cli import cli, exitcodes
from dedup.engines.local import load
from dedup.records import Story

# Lines that are not stories: blank ones (Unicode spaces included) are skipped without a
# number, the others are numbered and reported, exactly as dedup.read does.
AWKWARD = [
    "",
    "\u00a0\u3000 \t",
    "\x1c",
    "{broken json",
    '{"id": "no-body", "headline": "Nothing to read"}',
    '["not", "an", "object"]',
]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.fail("the Spark tests need Java 17 or later: install a JDK (or set JAVA_HOME)")
    from dedup.engines.spark import spark_session

    scratch = tmp_path_factory.mktemp("spark")
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(scratch)
    try:
        conf = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}
        with spark_session("local[2]", temp_dir=scratch, conf=conf) as session:
            yield session
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def as_record(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "headline": story.headline,
        "body": story.body,
        "date": story.date.isoformat() if story.date else None,
        "outlet": story.outlet,
        "url": story.url,
    }


def sample_stories() -> list[Story]:
    stories, problems = load([str(SAMPLES)])
    assert stories and not problems
    return stories


def write_samples(path: Path, middle: list[str] = ()) -> Path:
    """The samples as one JSON Lines file read by dedup's own reader, ids kept."""
    lines = [json.dumps(as_record(story), ensure_ascii=False) for story in sample_stories()]
    half = len(lines) // 2
    path.write_text("\n".join([*lines[:half], *middle, *lines[half:]]) + "\n", encoding="utf-8")
    return path


def part_lines(folder: Path) -> list[str]:
    return [
        line
        for part in sorted(folder.glob("part-*"))
        for line in part.read_text(encoding="utf-8").splitlines()
    ]


def write_parquet(path: Path) -> Path:
    """The samples as Parquet, dates as UTC timestamps (Spark hands those over as instants)."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    stories = sample_stories()
    names = ("id", "headline", "body", "outlet", "url")
    table = pa.table(
        {
            **{name: [as_record(story)[name] for story in stories] for name in names},
            "date": pa.array([story.date for story in stories], pa.timestamp("us", tz="UTC")),
        }
    )
    pq.write_table(table, path, row_group_size=16)
    return path


def test_samples_give_the_local_engines_rows_problems_and_counts(spark, tmp_path):
    corpus = write_samples(tmp_path / "samples.jsonl", AWKWARD)
    # The same stories again from Parquet: twins equal in date and id, ordered by key.
    twins = write_parquet(tmp_path / "samples.parquet")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    inputs = [str(corpus), str(twins), str(empty)]
    local = run("scan", *inputs, "--format", "jsonl", "--singletons")
    local_json = json.loads(run("scan", *inputs, "--format", "json", "--jobs", "1").stdout)
    assert local.exit_code == exitcodes.INPUT

    # Small splits, so that record numbers must be carried from one chunk of the file to
    # the next, across the awkward lines.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "32k")
    try:
        assert spark.read.text(str(corpus)).rdd.getNumPartitions() > 4
        out = tmp_path / "out"
        result = run("scan", "--engine", "spark", *inputs, "--output", str(out), "--singletons")
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")

    assert result.exit_code == exitcodes.INPUT, result.output
    assert result.stdout == ""
    assert "clusters of copies" in result.stderr and f"{corpus}:" in result.stderr
    assert part_lines(out / "members") == local.stdout.splitlines()
    kinds = {json.loads(line)["kind"] for line in local.stdout.splitlines()}
    assert {"rewrite", "partial", "near-duplicate"} <= kinds  # every stage gave links
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary"] == local_json["summary"]
    assert summary["summary"]["boilerplate_texts"] > 0
    problems = [json.loads(line) for line in part_lines(out / "problems")]
    assert sorted(problems, key=str) == sorted(local_json["problems"], key=str)
    assert len(problems) == 4
    clusters = [json.loads(line) for line in part_lines(out / "clusters")]
    assert [c["id"] for c in clusters] == [c["id"] for c in local_json["clusters"]]
    assert clusters[0] == {key: local_json["clusters"][0][key] for key in clusters[0]}
    assert set(clusters[0]) == {"id", "size", "origin", "centre", "headline"}


def members_as_locally(corpus: Path) -> list[str]:
    """The member rows of a Spark scan of ``corpus``, held equal to the local scan's."""
    local = run("scan", str(corpus), "--format", "jsonl")
    out = corpus.parent / "out"
    result = run("scan", "--engine", "spark", str(corpus), "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = part_lines(out / "members")
    assert rows == local.stdout.splitlines()
    return rows


def test_an_undated_items_likely_origin_decides_its_rewrites_as_locally(spark, tmp_path):
    """An undated item's rewrites are decided on the story sharing the most with its
    other stories (``item_origins``), not on its first by id, in Spark as locally."""
    from test_detect import write_undated_relede_and_rewrite

    rows = members_as_locally(write_undated_relede_and_rewrite(tmp_path / "undated.jsonl"))
    links = {json.loads(row)["id"]: json.loads(row)["link"] for row in rows}
    assert links == {"m-wire": None, "a-relede": "copy", "t-trim": "copy", "z-radio": "rewrite"}


@pytest.mark.slow
def test_thousands_of_generated_stories_cluster_identically(spark, tmp_path):
    """The hard mix (trimmed, re-ledded, partial and rewritten copies, outlet chrome) at a
    size where every stage meets many groups: boilerplate texts, widely shared anchors,
    rewrite items and components of several stories."""
    import pyarrow.parquet as pq

    corpus = tmp_path / "corpus.jsonl"
    synth.write_corpus(corpus, 3_000, seed=5)
    local = json.loads(run("scan", str(corpus), "--format", "json", "--jobs", "0").stdout)
    out = tmp_path / "out"

    args = ["--output", str(out), "--output-format", "parquet"]
    result = run("scan", "--engine", "spark", str(corpus), *args)

    assert result.exit_code == 0, result.output
    parts = sorted((out / "members").glob("part-*.parquet"))
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    assert len(rows) > 1_500
    assert rows == [member for cluster in local["clusters"] for member in cluster["members"]]
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert summary == local["summary"]
    assert summary["boilerplate_texts"] > 100  # outlet chrome: the rule acts at scale
    clusters = pq.read_table(sorted((out / "clusters").glob("part-*.parquet"))[0])
    assert clusters.column_names == ["id", "size", "origin", "centre", "headline"]


def test_blank_lines_are_those_python_strips_away(spark):
    from pyspark.sql import functions as F

    from dedup.engines.spark import nonblank_pattern

    texts = [chr(code) for code in range(0x3001) if chr(code).isspace()]
    texts += ["\ufeff", "\u200b", "x", " a ", "\x1c\x1d\x1e\x1f", "\u3000é\u3000", "\r"]
    frame = spark.createDataFrame([(text,) for text in texts], "value string")
    kept = frame.select("value", F.col("value").rlike(nonblank_pattern()).alias("kept"))
    assert {row.value: row.kept for row in kept.collect()} == {t: bool(t.strip()) for t in texts}


def test_usage_errors_exit_2(spark, tmp_path):
    corpus = write_samples(tmp_path / "samples.jsonl")
    taken = tmp_path / "taken"
    (taken / "members").mkdir(parents=True)
    cases = {
        "--output": ["scan", "--engine", "spark", str(corpus)],
        "jsonl or parquet": [
            "scan", "--engine", "spark", str(corpus), "--output", "x", "--input-format", "text"
        ],
        "--engine spark": ["scan", str(corpus), "--output", str(tmp_path / "y")],
        "already holds": ["scan", "--engine", "spark", str(corpus), "--output", str(taken)],
    }  # fmt: skip
    for message, args in cases.items():
        result = run(*args)
        assert result.exit_code == exitcodes.USAGE, (args, result.output)
        assert message in result.stderr


def test_inputs_are_expanded_like_the_local_reader(tmp_path):
    from dedup.engines.spark import is_uri, resolve_inputs

    (tmp_path / "feeds").mkdir()
    jsonl = tmp_path / "feeds" / "a.jsonl"
    jsonl.write_text('{"body": "x"}\n')
    (tmp_path / "feeds" / "b.jsonl.gz").write_bytes(gzip.compress(b'{"body": "y"}\n'))
    (tmp_path / "feeds" / "c.txt").write_text("A story\n\nIn plain text.\n")
    (tmp_path / "feeds" / "d.parquet").write_bytes(b"PAR1 not really")
    assert is_uri("s3a://bucket/archive/") and not is_uri(str(tmp_path))
    found = resolve_inputs(
        [str(tmp_path / "feeds"), str(jsonl), "-", "s3a://bucket/archive/"], "auto"
    )
    assert found.jsonl == [
        "file://" + str(jsonl),
        "file://" + str(tmp_path / "feeds" / "b.jsonl.gz"),
        "s3a://bucket/archive/",
    ]
    assert found.parquet == ["file://" + str(tmp_path / "feeds" / "d.parquet")]
    assert found.display[str(jsonl)] == str(tmp_path / "feeds" / "a.jsonl")
    reasons = {problem.source: problem.reason for problem in found.problems}
    assert set(reasons) == {str(tmp_path / "feeds" / "c.txt"), "-"}
    assert "JSON Lines or Parquet" in reasons[str(tmp_path / "feeds" / "c.txt")]


def test_the_package_works_without_pyspark(tmp_path):
    script = (
        "import sys; sys.modules['pyspark'] = None\n"
        "import dedup.cli, dedup.engines.spark\n"
        "from click.testing import CliRunner\n"
        "result = CliRunner().invoke(dedup.cli.cli, ['scan', '--engine', 'spark', 'x.jsonl',"
        " '--output', 'out'])\n"
        "print(result.exit_code, result.stderr)\n"
    )
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import dedup.cli, dedup.engines.spark, sys; print('pyspark' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert fresh.stdout.strip() == "False"
    blocked = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert blocked.stdout.startswith(f"{exitcodes.USAGE} ")
    assert "pip install 'wire-dedup[spark]'" in blocked.stdout


def test_submit_args_pass_through_and_local_defaults(monkeypatch):
    from dedup.engines.spark import local_cores, submit_args

    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "")  # restored on teardown, however changed
    monkeypatch.setenv("SPARK_SUBMIT_ARGS", "--master yarn --num-executors 4")
    assert submit_args() == "--master yarn --num-executors 4 pyspark-shell"
    assert os.environ["PYSPARK_SUBMIT_ARGS"] == "--master yarn --num-executors 4 pyspark-shell"
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--master local[3] pyspark-shell")
    assert submit_args() == "--master local[3] pyspark-shell"
    cores = os.cpu_count()
    assert [local_cores(m) for m in ("local", "local[3]", "local[*]", "local[2,4]")] == [
        1,
        3,
        cores,
        2,
    ]
    assert local_cores("yarn") == local_cores("spark://host:7077") == 0


def test_a_session_of_its_own_keeps_stdout_clean_and_its_scratch_tidy(spark, tmp_path):
    """The command as a real process: its own JVM, logs on stderr only, temp files removed."""
    stories = sample_stories()[:4]
    corpus = tmp_path / "few.jsonl"
    corpus.write_text("".join(json.dumps(as_record(s)) + "\n" for s in stories + stories))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "dedup", "scan", "--engine", "spark", str(corpus)]
    command += ["--output", str(tmp_path / "out"), "--master", "local[1]"]

    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "8 stories: 4 clusters of copies (8 stories)" in proc.stderr
    assert " INFO " not in proc.stderr and "log4j" not in proc.stderr
    assert not [p for p in scratch.iterdir() if p.name.startswith("dedup-spark-")]
    assert not (tmp_path / "spark-warehouse").exists() and not (tmp_path / "metastore_db").exists()
    assert len(part_lines(tmp_path / "out" / "members")) == 8


def test_scan_spark_is_an_api_that_takes_read_options(spark, tmp_path):
    """Read options travel as an argument to the executors: a renamed body field is found
    there as locally, and the result object carries the local scan's counts."""
    from dedup.engines.local import scan
    from dedup.engines.spark import scan_spark
    from dedup.read.inputs import Fields, ReadOptions
    from dedup.settings import Settings

    lines = []
    for story in sample_stories():
        record = as_record(story)
        record["story_text"] = record.pop("body")
        lines.append(json.dumps(record, ensure_ascii=False))
    corpus = tmp_path / "renamed.data"  # no extension: only the forced format reads it
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = ReadOptions(fields=Fields.parse(["body=story_text"]), input_format="jsonl")
    result = scan_spark(spark, [str(corpus)], str(tmp_path / "out"), read_options=options)
    local = scan([str(corpus)], read_options=options)
    assert result.stories == len(local.stories) and result.problems == 0
    assert (result.clusters, result.matches) == (len(local.clusters), len(local.matches))
    copies = Settings(links="copy")  # no rewrite stage: the same counts as locally
    only = scan_spark(spark, [str(corpus)], str(tmp_path / "copies"), copies, read_options=options)
    local = scan([str(corpus)], copies, read_options=options)
    assert (only.clusters, only.matches) == (len(local.clusters), len(local.matches))
    assert only.candidates == local.candidates < result.candidates
    as_text = ReadOptions(input_format="text")
    with pytest.raises(ValueError, match="reads jsonl or parquet"):
        scan_spark(spark, [str(corpus)], str(tmp_path / "x"), read_options=as_text)


def test_an_outlets_own_text_again_in_a_new_story_is_no_copy_as_locally(spark, tmp_path):
    """Between two stories of one outlet, partial reuse needs a third of the smaller story,
    verbatim and as a short copy the rewrite decision finds, in Spark as locally."""
    from test_detect import write_day_two

    rows = members_as_locally(write_day_two(tmp_path / "day-two.jsonl"))
    clusters = {json.loads(row)["id"]: json.loads(row)["cluster"] for row in rows}
    assert clusters["day-one"] == clusters["write-thru"] != clusters.get("day-two")
