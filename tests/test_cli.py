"""The command line, through click's CliRunner and as a real subprocess."""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES

from dedup.cli import cli, exitcodes
from dedup.views.evaluate import read_labels, score


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_scan_json_reproduces_the_sample_labels_exactly():
    result = run("scan", str(SAMPLES), "--format", "json", "--singletons")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == 1
    predicted = {}
    for cluster in data["clusters"]:
        assert cluster["id"] and cluster["size"] == len(cluster["members"]) >= 2
        roles = [m["role"] for m in cluster["members"]]
        assert roles.count("origin") == 1
        for member in cluster["members"]:
            assert member["id"] and member["path"]
            assert 0.0 <= member["reuse"] <= 1.0
            predicted[member["id"]] = cluster["id"]
    for single in data["singletons"]:
        predicted[single["id"]] = "single:" + single["id"]
    truth = read_labels(SAMPLES / "labels.csv")
    scores = score(predicted, truth)
    assert not scores.missing_from_prediction and not scores.unlabelled
    assert scores.pairwise_precision == 1.0 and scores.pairwise_recall == 1.0
    assert data["summary"]["stories"] == len(truth)


def test_scan_jsonl_and_csv_have_one_row_per_clustered_story():
    as_json = json.loads(run("scan", str(SAMPLES), "--format", "json").stdout)
    clustered = sum(c["size"] for c in as_json["clusters"])
    lines = run("scan", str(SAMPLES), "--format", "jsonl").stdout.splitlines()
    assert len(lines) == clustered
    assert {json.loads(line)["cluster"] for line in lines} == {c["id"] for c in as_json["clusters"]}
    rows = list(csv.DictReader(io.StringIO(run("scan", str(SAMPLES), "--format", "csv").stdout)))
    assert len(rows) == clustered and {"cluster", "id", "path", "reuse"} <= set(rows[0])


def test_every_member_carries_the_kind_of_its_link_to_the_origin():
    """copy (verbatim reuse), rewrite, or update (a near-duplicate of the same outlet's
    earlier story), in every output format; none for the origin."""
    data = json.loads(run("scan", str(SAMPLES), "--format", "json").stdout)
    links = {m["id"]: m["link"] for c in data["clusters"] for m in c["members"]}
    for cluster in data["clusters"]:
        for member in cluster["members"]:
            if member["role"] == "origin":
                assert member["link"] is None and member["id"] == cluster["origin"]
            else:
                assert member["link"] in ("copy", "rewrite", "update")
    assert links["ebc-grisling-coal"] == "rewrite"  # EBC's rewrite of the wire story
    assert links["mna-oss-floods-v2"] == "update"  # the agency's own later version
    assert links["al-museum-theft-v2"] == "update"
    assert links["radiovell-oss-floods"] == "copy"  # another outlet's partial reuse
    lines = run("scan", str(SAMPLES), "--format", "jsonl").stdout.splitlines()
    assert {json.loads(line)["id"]: json.loads(line)["link"] for line in lines} == links
    table = run("scan", str(SAMPLES), "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert {row["id"]: row["link"] or None for row in rows} == links


def test_plain_table_when_not_a_terminal(seeds):
    result = run("scan", *map(str, seeds))
    assert result.exit_code == 0
    assert "\x1b[" not in result.output and "━" not in result.output
    ap, cbs = (path.name for path in seeds)
    assert result.stdout.splitlines()[1:] == [
        f"  origin          24%  date unknown                    {ap}  (-)",
        f"  copy   copy     14%  date unknown                    {cbs}  (-)",
    ]


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_the_summary_line_goes_to_stderr_in_every_format_and_quiet_silences_it(fmt, seeds):
    line = "2 stories: 1 cluster of copies (2 stories), 0 singletons"
    for extra in ((), ("--color",)):
        result = run("scan", *map(str, seeds), "--format", fmt, *extra)
        assert result.exit_code == 0, result.output
        assert result.stderr.strip() == line and line not in result.stdout
        quiet = run("scan", *map(str, seeds), "--format", fmt, "-q", *extra)
        assert quiet.stderr == "" and quiet.stdout == result.stdout


@pytest.fixture(scope="module")
def samples_scan():
    from dedup import scan

    return scan([str(SAMPLES)])


@pytest.mark.parametrize("width", [80, 200])
def test_the_terminal_table_never_breaks_an_id(width, samples_scan):
    from rich.console import Console

    from dedup.cli.render import scan_table

    console = Console(width=width, record=True, color_system=None)
    scan_table(samples_scan, console, singletons=True)
    lines = console.export_text().splitlines()
    ids = [m.id for c in samples_scan.clusters for m in c.members]
    ids += [s.id for s in samples_scan.singletons]
    # Every id is whole on one line (the longest is a 69-character URL), so it can be
    # copied into dedup show; nothing else runs past the width.
    assert max(map(len, ids)) > 60
    for story_id in ids:
        assert any(story_id in line.split() for line in lines), story_id
    assert all(len(line) <= width or line.strip() in ids for line in lines)
    text = "\n".join(lines)
    rewrite = next(line for line in lines if "ebc-grisling-coal" in line)
    later = next(line for line in lines if "mna-oss-floods-v2" in line)
    if width == 200:  # one row per story: date, delay after the origin, link, reuse
        assert rewrite.split()[1:] == [
            "EBC",
            "News",
            "2026-11-10",
            "13:30",
            "UTC",
            "+2h",
            "45m",
            "rewrite",
            "2%",
        ]
        assert "+12h 25m   update" in later
    else:  # each id alone on its line, its details below
        assert rewrite.strip() == "ebc-grisling-coal"
        details = lines[lines.index(rewrite) + 1]
        assert details.split() == [
            "rewrite",
            "+2h",
            "45m",
            "·",
            "EBC",
            "News",
            "·",
            "2026-11-10",
            "13:30",
            "UTC",
            "·",
            "reuse",
            "2%",
        ]
    assert "Three killed as passenger train derails near Hollin" in text


def test_unreadable_input_is_reported_skipped_and_exit_code_says_so(tmp_path, seeds):
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x", "body": "truncated')
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    result = run(
        "scan",
        *map(str, seeds),
        str(broken),
        str(binary),
        str(tmp_path / "missing.txt"),
        "--format",
        "json",
    )
    assert result.exit_code == exitcodes.INPUT
    data = json.loads(result.stdout)
    assert data["summary"]["clusters"] == 1  # the good inputs still ran
    sources = " ".join(p["source"] for p in data["problems"])
    assert "broken.json" in sources and "blob.txt" in sources and "missing.txt" in sources
    assert "Traceback" not in result.stderr
    assert "broken.json" in result.stderr


def test_jsonl_on_stdin_with_configurable_fields(seeds):
    ap, cbs = (p.read_text(encoding="utf-8") for p in seeds)
    lines = "\n".join(
        json.dumps({"guid": n, "story_text": t}) for n, t in (("ap", ap), ("cbs", cbs))
    )
    result = run("scan", "-", "--field", "body=story_text", "--format", "jsonl", input=lines)
    assert result.exit_code == 0, result.output
    assert {json.loads(line)["id"] for line in result.stdout.splitlines()} == {"ap", "cbs"}
    bad = run("scan", "-", "--field", "nonsense", input=lines)
    assert bad.exit_code == exitcodes.USAGE


def test_settings_are_options_and_bad_values_are_usage_errors(seeds):
    strict = run(
        "scan", *map(str, seeds), "--min-containment", "0.9", "--links", "copy", "--format", "json"
    )
    assert json.loads(strict.stdout)["summary"]["clusters"] == 0
    assert run("scan", *map(str, seeds), "--near-duplicate", "1.5").exit_code == exitcodes.USAGE
    assert run("scan").exit_code == exitcodes.USAGE


def test_settings_check_their_own_values_and_the_refused_option_is_named(seeds, tmp_path):
    before = {
        "show": ["x"],
        "report": ["--html", "-"],
        "eval": ["--labels", str(SAMPLES / "labels.csv")],
        "check": ["--db", str(tmp_path / "none.db")],
    }
    for option, value in (("--boilerplate-min", "1"), ("--num-perm", "8")):
        for command in ("scan", "show", "report", "explain", "eval", "check"):
            args = before.get(command, [])
            result = run(command, *args, *map(str, seeds), option, value)
            assert result.exit_code == exitcodes.USAGE, (command, result.output)
            assert f"Invalid value for {option}:" in result.stderr
            assert "Traceback" not in result.stderr


def test_diff_json_on_the_seed_pair(seeds):
    result = run("diff", *map(str, seeds), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    a = {p["number"]: p for p in data["a"]["paragraphs"]}
    # CBS numbers are those of the seeds' README less one: "Watch CBSN Live" is the headline.
    assert len(a) == 10 and len(data["b"]["paragraphs"]) == 25
    assert [a[n]["counterparts"] for n in (4, 7, 9)] == [[9], [10], [5]]
    assert a[1]["status"] == a[3]["status"] == "changed" and a[1]["counterparts"] == [8]
    assert [a[n]["status"] for n in (2, 5, 6, 10)] == ["unique"] * 4
    assert data["summary"]["a_in_b"] == 5


def test_diff_text_and_record_selection(tmp_path, seeds):
    text = run("diff", *map(str, seeds))
    assert text.exit_code == 0 and "appear in cbs-rewrite.txt" in text.output
    feed = tmp_path / "feed.jsonl"
    records = [
        {"id": name, "body": p.read_text(encoding="utf-8")} for name, p in zip(("ap", "cbs"), seeds)
    ]
    feed.write_text("\n".join(json.dumps(r) for r in records))
    by_id = run("diff", f"{feed}#ap", f"{feed}#cbs", "--format", "json")
    assert by_id.exit_code == 0, by_id.output
    assert json.loads(by_id.stdout)["summary"]["a_in_b"] == 5
    ambiguous = run("diff", str(feed), f"{feed}#2")
    assert ambiguous.exit_code == exitcodes.USAGE and "#ID" in ambiguous.output


def test_help_documents_exit_codes():
    for command in ([], ["scan"], ["diff"]):
        output = run(*command, "--help").output
        assert "Exit codes" in output and "some input could not be read" in output


@pytest.mark.parametrize("how", ["console script", "python -m", "script"])
def test_real_subprocess_keeps_stdout_for_results_and_stderr_for_problems(how, tmp_path, seeds):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n")
    command = {
        "console script": [os.path.join(os.path.dirname(sys.executable), "dedup")],
        "python -m": [sys.executable, "-m", "dedup"],
        "script": [sys.executable, str(ROOT / "dedup" / "__main__.py")],  # as spark-submit runs it
    }[how]
    proc = subprocess.run(
        [*command, "scan", *map(str, seeds), str(bad), "--format", "jsonl"],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == exitcodes.INPUT
    assert len(proc.stdout.splitlines()) == 2
    assert all(json.loads(line)["cluster"] for line in proc.stdout.splitlines())
    assert "bad.jsonl:1" in proc.stderr and "Traceback" not in proc.stderr


def test_eval_scores_a_scan_and_a_saved_prediction(tmp_path):
    scanned = run("eval", "--labels", str(SAMPLES / "labels.csv"), str(SAMPLES), "--format", "json")
    assert scanned.exit_code == 0, scanned.output
    scores = json.loads(scanned.stdout)["scores"]
    assert scores["pairwise_f1"] == 1.0 and scores["ari"] == 1.0 and scores["stories"] > 40
    saved = tmp_path / "clusters.jsonl"
    saved.write_text(run("scan", str(SAMPLES), "--format", "jsonl").stdout)
    replay = run("eval", "--labels", str(SAMPLES / "labels.csv"), "--predicted", str(saved))
    assert replay.exit_code == 0 and "pairwise F1           1.0000" in replay.output
    strict = run(
        "eval",
        "--labels",
        str(SAMPLES / "labels.csv"),
        str(SAMPLES),
        "--min-containment",
        "0.6",
        "--links",
        "copy",
    )
    assert "missed pair" in strict.output and "radiovell-oss-floods" in strict.output
    assert run("eval", "--labels", str(tmp_path / "none.csv"), str(SAMPLES)).exit_code == 2


def test_verbose_logs_reader_notes_on_stderr():
    formats = SAMPLES / "formats"
    quiet = run("scan", str(formats), "--format", "jsonl")
    loud = run("-v", "scan", str(formats), "--format", "jsonl")
    assert quiet.stdout == loud.stdout
    assert "dedup: " in loud.stderr and len(loud.stderr) > len(quiet.stderr)


def test_importing_the_package_loads_neither_click_nor_rich():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, dedup; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    modules = {name.split(".")[0] for name in ast.literal_eval(loaded)}
    assert "dedup" in modules and not modules & {"click", "rich"}


def test_command_modules_share_only_public_helpers_and_never_import_the_group():
    package = ROOT / "dedup" / "cli"
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("dedup"):
                continue
            names = [alias.name for alias in node.names]
            assert not [name for name in names if name.startswith("_")], (path.name, node.module)
            if path.name not in ("__init__.py", "app.py"):
                assert node.module != "dedup.cli.app", path.name
                assert not (node.module == "dedup.cli" and {"cli", "main"} & set(names)), path.name


def test_library_errors_map_to_exit_codes_by_type():
    from dedup.engines.index import ConfigProblem, IndexBusy, IndexUnusable

    assert exitcodes.failure(ConfigProblem("no index")) == (exitcodes.USAGE, "no index")
    assert exitcodes.failure(IndexBusy("held")) == (exitcodes.BUSY, "held")
    assert exitcodes.failure(IndexUnusable("damaged")) == (exitcodes.INDEX, "damaged")
    locked = exitcodes.failure(sqlite3.OperationalError("database is locked"))
    assert locked is not None and locked.code == exitcodes.BUSY
    broken = exitcodes.failure(sqlite3.DatabaseError("file is not a database"))
    assert broken is not None and broken.code == exitcodes.INDEX and "damaged" in broken.message
    assert exitcodes.failure(KeyError("a bug")) is None
