"""Reading inputs: format detection, compression, encodings, size limits, streaming, provenance
and NewsML-G2 versions, through real files and the real command line."""

from __future__ import annotations

import bz2
import gzip
import json
import logging
import lzma
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import cli, exitcodes
from dedup.engines.local import load, scan
from dedup.read.inputs import (
    MAX_FILE_ENV,
    ReadOptions,
    is_summary_only,
    parse_date,
    read_file,
    read_inputs,
)
from dedup.records import InputProblem, Story

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
BODY = (
    "The harbour master said on Monday that the breakwater would be rebuilt before winter.\n\n"
    "Work will start in June and close the north quay to fishing boats for six weeks."
)


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def stories(items) -> list[Story]:
    return [item for item in items if isinstance(item, Story)]


def problems(items) -> list[InputProblem]:
    return [item for item in items if isinstance(item, InputProblem)]


def fixture(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    target = tmp_path / (as_name or name)
    shutil.copy(FIXTURES / name, target)
    return target


# -- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected_id"),
    [
        ("newsml-item.xml", "urn:newsml:fixture.example:20250401:ferry"),
        ("nitf.xml", "fx-2025-0405-001"),
        ("feed.atom", "tag:fixture-times.example,2025:orchard"),
    ],
)
def test_xml_vocabulary_is_told_by_the_root_element_whatever_the_name(tmp_path, name, expected_id):
    for as_name in ("story.xml", "no-extension"):
        path = fixture(tmp_path, name, as_name)
        found = list(read_file(str(path)))
        assert stories(found)[0].id == expected_id, found


def test_an_xml_file_no_reader_knows_is_reported(tmp_path):
    (tmp_path / "sitemap.xml").write_text('<?xml version="1.0"?><urlset><url/></urlset>')
    (tmp_path / "notes.xml").write_text("just words, no markup at all")
    found = list(read_inputs([str(tmp_path)]))
    assert [p.reason.split(":")[0] for p in problems(found)] == [
        "not XML",
        "XML with root element <urlset>",
    ]


def test_xhtml_in_an_xml_file_is_read_as_a_page(tmp_path):
    page = (FIXTURES / "page.html").read_text(encoding="utf-8").replace("<!DOCTYPE html>", "")
    (tmp_path / "page.xml").write_text(page, encoding="utf-8")
    [story] = list(read_file(str(tmp_path / "page.xml")))
    assert story.headline == "Harbour crane gets a new coat of paint"


def test_json_content_without_a_json_name_and_json_lines_inside_it(tmp_path):
    (tmp_path / "export").write_text(json.dumps({"id": "e1", "body": BODY}))
    lines = "\n".join(json.dumps({"id": f"l{n}", "body": BODY}) for n in (1, 2))
    (tmp_path / "dump").write_text(lines)
    assert [s.id for s in stories(read_file(str(tmp_path / "export")))] == ["e1"]
    assert [(s.id, s.key, s.record) for s in stories(read_file(str(tmp_path / "dump")))] == [
        ("l1", f"{tmp_path / 'dump'}#1", 1),
        ("l2", f"{tmp_path / 'dump'}#2", 2),
    ]


def test_folder_walk_takes_every_story_extension_and_compressed_variants(tmp_path):
    for name in ("newsml-item.xml", "nitf.xml", "page.html", "feed.rss", "feed.atom"):
        fixture(tmp_path, name)
    data = (FIXTURES / "nitf.xml").read_bytes().replace(b"fx-2025-0405-001", b"fx-gz")
    (tmp_path / "copy.nitf.gz").write_bytes(gzip.compress(data))
    (tmp_path / "page.htm.bz2").write_bytes(bz2.compress((FIXTURES / "page.html").read_bytes()))
    (tmp_path / "story.txt.xz").write_bytes(lzma.compress(BODY.encode()))
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "labels.csv").write_text("id,cluster\n")
    (tmp_path / ".hidden.xml").write_text("<nitf/>")
    found = list(read_inputs([str(tmp_path)]))
    assert not problems(found) or all("#3" in p.source for p in problems(found)), found
    paths = {Path(s.path).name for s in stories(found)}
    assert paths == {
        "newsml-item.xml",
        "nitf.xml",
        "page.html",
        "feed.rss",
        "feed.atom",
        "copy.nitf.gz",
        "page.htm.bz2",
        "story.txt.xz",
    }
    assert "fx-gz" in {s.id for s in stories(found)}


def test_compressed_content_is_detected_after_decompression(tmp_path):
    data = gzip.compress((FIXTURES / "feed.atom").read_bytes())
    (tmp_path / "feed.gz").write_bytes(data)  # no hint of the format in the name
    (tmp_path / "lost-its-suffix").write_bytes(data)  # not even of the compression
    for name in ("feed.gz", "lost-its-suffix"):
        found = stories(read_file(str(tmp_path / name)))
        assert [s.record for s in found] == [1, 2, 3]


def test_damaged_compressed_file_is_a_problem(tmp_path):
    data = gzip.compress(BODY.encode() * 50)
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    [problem] = list(read_file(str(tmp_path / "cut.txt.gz")))
    assert isinstance(problem, InputProblem) and "end-of-stream" in problem.reason


# -- --input-format ------------------------------------------------------------------------


def test_input_format_forces_a_reader_on_scan_and_diff(tmp_path):
    nitf = fixture(tmp_path, "nitf.xml", "library.txt")
    as_text = run("scan", str(nitf), "--format", "json", "--singletons")
    assert json.loads(as_text.stdout)["singletons"][0]["id"] == "library.txt"
    forced = run("scan", str(nitf), "--input-format", "nitf", "--format", "json", "--singletons")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["singletons"][0]["id"] == "fx-2025-0405-001"
    assert stories(read_file(str(nitf)))[0].id == "library.txt"  # only for that command
    diff = run("diff", str(nitf), str(nitf), "--input-format", "nitf", "--format", "json")
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.stdout)["a"]["id"] == "fx-2025-0405-001"
    wrong = run("scan", str(nitf), "--input-format", "rss")
    assert wrong.exit_code == exitcodes.INPUT and "root element <nitf>" in wrong.stderr
    assert run("scan", str(nitf), "--input-format", "pdf").exit_code == exitcodes.USAGE


def test_read_options_force_a_format_for_one_call_only(tmp_path):
    nitf = fixture(tmp_path, "nitf.xml", "library.txt")
    forced, _ = load([str(nitf)], ReadOptions(input_format="nitf"))
    detected, _ = load([str(nitf)])
    assert forced[0].id == "fx-2025-0405-001" and detected[0].id == "library.txt"
    scanned = scan([str(nitf)], read_options=ReadOptions(input_format="nitf"))
    assert scanned.stories[0].id == "fx-2025-0405-001"
    with pytest.raises(ValueError, match="unknown input format 'docx'"):
        ReadOptions(input_format="docx")
    with pytest.raises(ValueError, match="max_file_bytes must be positive"):
        ReadOptions(max_file_bytes=0)


def test_a_forced_format_on_standard_input(tmp_path):
    data = (FIXTURES / "feed.atom").read_text(encoding="utf-8")
    result = run(
        "scan", "-", "--input-format", "rss", "--format", "jsonl", "--singletons", input=data
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["record"] for r in rows) == [1, 2, 3]
    assert all(r["path"] is None for r in rows)


# -- encodings -----------------------------------------------------------------------------

FRENCH = (
    "Le café de la place du marché a rouvert ses portes mardi après une longue fermeture.\n\n"
    "Les habitués ont salué le retour du patron, qui a promis une terrasse agrandie pour l'été."
)


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_legacy_encoded_text_is_read_correctly_with_a_note(tmp_path, caplog, encoding):
    text = FRENCH + (" “Enfin”, dit-il — soulagé." if encoding == "cp1252" else "")
    path = tmp_path / "cafe.txt"
    path.write_bytes(text.encode(encoding))
    with caplog.at_level(logging.INFO, logger="dedup.read"):
        [story] = list(read_file(str(path)))
    assert story.body == text
    assert any("not UTF-8" in r.message and "cafe.txt" in r.message for r in caplog.records)


def test_utf16_with_a_byte_order_mark_is_text(tmp_path):
    (tmp_path / "wide.txt").write_bytes(BODY.encode("utf-16"))
    [story] = list(read_file(str(tmp_path / "wide.txt")))
    assert story.body == BODY and len(story.paragraphs) == 2


def test_declared_encodings_of_xml_and_html_are_honoured(tmp_path):
    nitf = (FIXTURES / "nitf.xml").read_text(encoding="utf-8")
    nitf = nitf.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("&#8212;", "-")
    (tmp_path / "latin.xml").write_bytes(nitf.replace("&eacute;", "é").encode("latin-1"))
    [story] = list(read_file(str(tmp_path / "latin.xml")))
    assert "history café's collection" in story.body
    [page] = list(read_file(str(FIXTURES / "page-latin1.html")))
    assert page.headline == "Café reopens on the square" and "Renée Dahl" in page.body


# -- size limit and streaming --------------------------------------------------------------


def test_whole_file_formats_over_the_limit_are_skipped_but_json_lines_stream(tmp_path):
    records = [{"id": f"r{n}", "body": BODY} for n in range(30)]
    (tmp_path / "big.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    (tmp_path / "big.json").write_text(json.dumps(records))
    limit = 1024  # far below either file, far above any one line
    assert os.path.getsize(tmp_path / "big.jsonl") > 3 * limit
    streamed = list(read_file(str(tmp_path / "big.jsonl"), ReadOptions(max_file_bytes=limit)))
    assert len(stories(streamed)) == 30 and not problems(streamed)
    [refused] = list(read_file(str(tmp_path / "big.json"), ReadOptions(max_file_bytes=limit)))
    assert "too large to read whole" in refused.reason and "1024 bytes limit" in refused.reason


def test_size_limit_from_the_environment_on_the_command_line(tmp_path):
    page = fixture(tmp_path, "page.html")
    result = run("scan", str(page), env={MAX_FILE_ENV: "0.001"})
    assert result.exit_code == exitcodes.INPUT
    assert "too large to read whole" in result.stderr and MAX_FILE_ENV in result.stderr
    assert run("scan", str(page), env={MAX_FILE_ENV: "1"}).exit_code == exitcodes.OK


def test_the_limit_holds_for_decompressed_size_too(tmp_path):
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"word " * 200_000))  # 1 MB inside
    assert os.path.getsize(tmp_path / "bomb.txt.gz") < 10_000
    bounded = ReadOptions(max_file_bytes=100_000)
    [problem] = list(read_file(str(tmp_path / "bomb.txt.gz"), bounded))
    assert "over the 100000 bytes limit" in problem.reason


def test_a_two_gigabyte_file_is_refused_without_being_read(tmp_path):
    for name in ("huge.xml", "huge.html", "huge.jsonl", "huge"):
        with open(tmp_path / name, "wb") as handle:
            handle.truncate(2 * 1024**3)  # sparse: takes no disk and no time
    found = list(read_inputs([str(tmp_path / n) for n in ("huge.xml", "huge.html", "huge")]))
    assert [p.reason.split(" (")[0] for p in found] == ["too large to read whole"] * 3
    assert "2048 MiB" in found[0].reason
    [jsonl] = list(read_file(str(tmp_path / "huge.jsonl")))
    assert "binary" in jsonl.reason


def test_an_overlong_json_lines_line_is_skipped_and_the_rest_read(tmp_path):
    lines = [
        json.dumps({"id": "a", "body": BODY}),
        json.dumps({"id": "long", "body": "word " * 2000}),
        json.dumps({"id": "b", "body": BODY}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n")
    found = list(read_file(str(tmp_path / "feed.jsonl"), ReadOptions(max_file_bytes=2000)))
    assert [s.id for s in stories(found)] == ["a", "b"]
    assert [s.record for s in stories(found)] == [1, 3]
    [problem] = problems(found)
    assert problem.source.endswith("feed.jsonl:2") and "line longer than" in problem.reason


def test_one_bad_line_among_good_ones(tmp_path):
    def good(n: int) -> str:
        return json.dumps({"id": f"ok{n}", "body": f"Story number {n} of the file."})

    lines = [
        good(1),
        "{broken json",
        good(2),
        '["not", "an object"]',
        json.dumps({"id": "nobody"}),
        b"\xff\xfe not utf-8".decode("latin-1"),
        good(3),
    ]
    (tmp_path / "mixed.jsonl").write_bytes(
        b"\n".join(line.encode("latin-1" if "\xff" in line else "utf-8") for line in lines)
    )
    result = run("scan", str(tmp_path / "mixed.jsonl"), "--format", "json", "--singletons")
    assert result.exit_code == exitcodes.INPUT
    data = json.loads(result.stdout)
    assert {s["id"] for s in data["singletons"]} == {"ok1", "ok2", "ok3"}
    where = {p["source"].rsplit(":", 1)[1]: p["reason"] for p in data["problems"]}
    assert set(where) == {"2", "4", "5", "6"}
    assert where["2"].startswith("invalid JSON") and "UTF-8" in where["6"]
    assert "Traceback" not in result.stderr and result.stderr.count("mixed.jsonl:") == 4


# -- provenance ----------------------------------------------------------------------------


def test_provenance_of_one_and_many_story_files(tmp_path):
    for name in ("newsml-item.xml", "newsml-message.xml", "nitf.xml", "page.html", "feed.rss"):
        fixture(tmp_path, name)
    found = list(read_inputs([str(tmp_path)]))
    by_key = {Path(s.key).name: (s.id, s.record) for s in stories(found)}
    assert by_key == {
        "feed.rss#1": ("agg-0001", 1),
        "feed.rss#2~summary": (f"{tmp_path / 'feed.rss'}#2", 2),
        "newsml-item.xml": ("urn:newsml:fixture.example:20250401:ferry", None),
        "newsml-message.xml#1": ("urn:newsml:fixture.example:20250402:bridge", 1),
        "newsml-message.xml#3": ("urn:newsml:fixture.example:20250402:market", 3),
        "nitf.xml": ("fx-2025-0405-001", None),
        "page.html": ("https://fixture-daily.example/harbour-crane", None),
    }
    assert sorted(Path(p.source).name for p in problems(found)) == [
        "feed.rss#3",
        "newsml-message.xml#4",
    ]


def test_diff_selects_a_story_of_a_multi_story_file_by_id_or_number(tmp_path):
    message = fixture(tmp_path, "newsml-message.xml")
    feed = fixture(tmp_path, "feed.rss")
    by_id = run(
        "diff",
        f"{message}#urn:newsml:fixture.example:20250402:bridge",
        f"{feed}#agg-0001",
        "--format",
        "json",
    )
    assert by_id.exit_code == 0, by_id.output
    data = json.loads(by_id.stdout)
    assert data["a"]["id"] == "urn:newsml:fixture.example:20250402:bridge"
    assert data["b"]["id"] == "agg-0001"
    by_number = run("diff", f"{message}#3", f"{feed}#2", "--format", "json")
    assert by_number.exit_code == 0, by_number.output
    assert json.loads(by_number.stdout)["a"]["id"].endswith(":market")
    ambiguous = run("diff", str(message), f"{feed}#1")
    assert ambiguous.exit_code == exitcodes.USAGE and "#ID" in ambiguous.output


def test_summary_only_entries_are_marked_and_noted(caplog):
    with caplog.at_level(logging.INFO, logger="dedup.read"):
        found = stories(read_file(str(FIXTURES / "feed.rss")))
    assert [is_summary_only(s) for s in found] == [False, True]
    assert found[1].key.endswith("feed.rss#2~summary") and found[1].record == 2
    assert any("only a summary" in r.message for r in caplog.records)


# -- NewsML-G2 versions --------------------------------------------------------------------


@pytest.mark.parametrize("order", [("v1", "v2"), ("v2", "v1")])
def test_only_the_latest_version_of_a_guid_is_kept_in_a_run(tmp_path, caplog, order):
    names = {"v1": "newsml-item.xml", "v2": "newsml-item-v2.xml"}
    paths = [str(fixture(tmp_path, names[v], f"{n}-{v}.xml")) for n, v in enumerate(order)]
    with caplog.at_level(logging.DEBUG, logger="dedup.read"):
        found = list(read_inputs(paths))
    [story] = found
    assert "seven weeks" in story.body and story.key.endswith("-v2.xml")
    [note] = [r for r in caplog.records if "set aside" in r.message]
    assert note.levelno == logging.INFO and "version 1" in note.message


def test_versions_inside_one_delivery_and_on_the_command_line(tmp_path):
    one = (FIXTURES / "newsml-item.xml").read_text(encoding="utf-8").split("?>", 1)[1]
    two = (FIXTURES / "newsml-item-v2.xml").read_text(encoding="utf-8").split("?>", 1)[1]
    message = (
        '<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>'
        f"{two}{one}</itemSet></newsMessage>"
    )
    (tmp_path / "both.xml").write_text(message, encoding="utf-8")
    [story] = list(read_file(str(tmp_path / "both.xml")))
    assert story.record == 1 and "seven weeks" in story.body
    result = run("scan", str(tmp_path), "--format", "json", "--singletons")
    assert json.loads(result.stdout)["summary"]["stories"] == 1


def test_same_version_delivered_twice_is_one_story(tmp_path):
    fixture(tmp_path, "newsml-item.xml", "a.xml")
    fixture(tmp_path, "newsml-item.xml", "b.xml")
    assert len(list(read_inputs([str(tmp_path)]))) == 1


# -- dates ---------------------------------------------------------------------------------


def test_dates_in_every_form_the_formats_use():
    utc = timezone.utc
    assert parse_date("20250405T071500+0200") == datetime(
        2025, 4, 5, 7, 15, tzinfo=timezone(timedelta(hours=2))
    )
    assert parse_date("20250405T0715Z") == datetime(2025, 4, 5, 7, 15, tzinfo=utc)
    assert parse_date("20250405") == datetime(2025, 4, 5, tzinfo=utc)
    assert parse_date("Mon, 07 Apr 2025 06:30:00 GMT") == datetime(2025, 4, 7, 6, 30, tzinfo=utc)
    assert parse_date(datetime(2025, 1, 2, 3, 4)) == datetime(2025, 1, 2, 3, 4, tzinfo=utc)
    assert parse_date(datetime(2025, 1, 2).date()) == datetime(2025, 1, 2, tzinfo=utc)
    for nonsense in ("99999999", "2025-13-01", "soon", float("nan"), 1e300, {}, [1]):
        assert parse_date(nonsense) is None


# -- the headline: a field in every format, never a paragraph ------------------------------

HEADLINE = "Breakwater to be rebuilt before winter"


def same_story(tmp_path: Path) -> dict[str, Story]:
    """One story as plain text, Markdown (with markup in its heading), front matter and JSON."""
    files = {
        "story.txt": f"{HEADLINE}\n\n{BODY}\n",
        "story.md": f"# **Breakwater** to be rebuilt _before_ winter\n\n{BODY}\n",
        "front.md": f"---\nid: f\nheadline: {HEADLINE}\n---\n{BODY}\n",
        "story.json": json.dumps({"id": "j", "headline": HEADLINE, "body": BODY}),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return {name: next(iter(stories(read_file(str(tmp_path / name))))) for name in files}


def test_the_headline_is_a_field_and_paragraphs_number_alike_in_every_format(tmp_path):
    found = same_story(tmp_path)
    expected = [p.strip() for p in BODY.split("\n\n")]
    for name, story in found.items():
        assert story.headline == HEADLINE, name
        assert [p.text for p in story.paragraphs] == expected, name
        assert [p.index for p in story.paragraphs] == [0, 1], name
        assert HEADLINE not in story.body and "#" not in story.body, name
        for paragraph in story.paragraphs:  # offsets still point into the body
            assert story.body[paragraph.start : paragraph.end] == paragraph.text


def test_a_headline_repeated_after_web_chrome_leaves_the_body(tmp_path):
    chrome = "Listen to Harbour Radio live"
    page = tmp_path / "page.md"
    page.write_text(
        f"---\nheadline: {HEADLINE}\n---\n{chrome}\n\n# {HEADLINE}\n\n{BODY}\n", encoding="utf-8"
    )
    [story] = stories(read_file(str(page)))
    assert story.headline == HEADLINE
    assert [p.text for p in story.paragraphs][:2] == [chrome, BODY.split("\n\n")[0]]
    # Beyond the first paragraphs, a line equal to the headline is text and stays.
    late = tmp_path / "late.txt"
    late.write_text(f"---\nheadline: {HEADLINE}\n---\n{BODY}\n\nOne.\n\n{HEADLINE}\n")
    [story] = stories(read_file(str(late)))
    assert story.paragraphs[-1].text == HEADLINE


def test_what_is_not_a_headline_stays_in_the_body(tmp_path):
    cases = {
        "sentence.txt": f"The breakwater will be rebuilt.\n\n{BODY}",  # ends like a sentence
        "wrapped.txt": f"{HEADLINE}\nand more of the same block\n\n{BODY}",  # no blank line
        "alone.txt": f"{HEADLINE}\n\n",  # nothing else: the story keeps its only line
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        [story] = stories(read_file(str(tmp_path / name)))
        assert story.paragraphs[0].text.startswith(text.split("\n")[0]), name
    [alone] = stories(read_file(str(tmp_path / "alone.txt")))
    assert alone.headline == HEADLINE and [p.text for p in alone.paragraphs] == [HEADLINE]


def test_the_cli_shows_the_same_paragraphs_for_a_text_and_a_json_copy(tmp_path):
    same_story(tmp_path)
    result = run("diff", str(tmp_path / "story.md"), str(tmp_path / "story.json"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == lines[3] == f"    {HEADLINE}"  # the headline of A and of B, no markup
    assert "A  1 = B  1 [shared]" in result.stdout and "A  2 = B  2 [shared]" in result.stdout
    assert lines[-1].startswith("2 of 2 paragraphs of story.md appear in j (2 shared")
