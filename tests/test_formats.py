"""Each format's reader on invented documents modelled on the public specifications, and the
format samples end to end through the command line."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import cli, exitcodes
from dedup.read.formats.html import html_paragraphs
from dedup.read.inputs import Fields, ReadOptions, is_summary_only, read_file
from dedup.records import InputProblem, Story
from dedup.views.evaluate import read_labels, score

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
SAMPLES = ROOT / "samples" / "formats"
LABELS = ROOT / "samples" / "labels.csv"
UTC = timezone.utc


def read(name: str, **options) -> list[Story | InputProblem]:
    return list(read_file(str(FIXTURES / name), **options))


def texts(story: Story) -> list[str]:
    return [p.text for p in story.paragraphs]


def check_offsets(story: Story) -> None:
    for paragraph in story.paragraphs:
        assert story.body[paragraph.start : paragraph.end] == paragraph.text


# -- NewsML-G2 -----------------------------------------------------------------------------


def test_newsml_item_fields_and_body():
    [story] = read("newsml-item.xml")
    assert story.id == "urn:newsml:fixture.example:20250401:ferry"
    assert story.headline == "Island ferry returns to service after repairs"  # not the short one
    assert story.date == datetime(2025, 4, 1, 8, 0, tzinfo=UTC)
    assert story.outlet == "FXW"  # provider qcode nprov:FXW
    assert texts(story) == [
        "SKARVIK, April 1 — The island ferry returned to service on Tuesday after six weeks in "
        "dry dock, the operator said, ending a detour that had added an hour to every crossing.",
        "Engineers replaced a cracked propeller shaft and two of the vessel's four generators. "
        "The work cost more than planned.",
        "Timetable",
        "First sailing at 06:10",
        "Last sailing at 22:40",
    ]
    assert "not part of the story" not in story.body
    check_offsets(story)


def test_newsml_message_reads_text_items_and_reports_an_empty_one():
    found = read("newsml-message.xml")
    [problem] = [item for item in found if isinstance(item, InputProblem)]
    assert problem.source.endswith("newsml-message.xml#4") and "no body text" in problem.reason
    bridge, market = (item for item in found if isinstance(item, Story))
    assert (bridge.record, market.record) == (1, 3)  # the picture (#2) is passed over
    assert texts(bridge) == [
        "By A. Writer",
        "The old stone bridge over the Lund river will close for a month from Monday while "
        "masons repoint its arches.",
        "Cyclists and walkers will be able to use a temporary footbridge.",
    ]
    assert "abstract" not in bridge.body
    assert bridge.outlet == "fixture-wire.example"  # provider given by uri only
    assert bridge.date == datetime(2025, 4, 2, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    assert texts(market) == [
        "The Saturday market will move to the harbour car park for the summer.",
        "Stallholders asked for the change to catch passengers from the ferry.",
    ]


def test_newsml_package_and_truncated_item_are_clear_problems():
    [package] = read("newsml-package.xml")
    assert isinstance(package, InputProblem) and "only refers to its items" in package.reason
    [cut] = read("newsml-truncated.xml")
    assert isinstance(cut, InputProblem)
    assert cut.source.endswith("newsml-truncated.xml:8") and cut.reason.startswith(
        "NewsML-G2: invalid XML"
    )


# -- NITF ----------------------------------------------------------------------------------


def test_nitf_fields_body_and_an_undeclared_entity():
    [story] = read("nitf.xml")
    assert story.id == "fx-2025-0405-001"
    assert story.headline == "Library reopens after flood"
    assert story.date == datetime(2025, 4, 5, 7, 15, tzinfo=timezone(timedelta(hours=2)))
    assert story.outlet == "The Fixture Gazette"  # the publication, not the copyright holder
    assert story.url == "https://gazette.example/library"
    assert texts(story) == [
        "By Jo Example, Staff Writer",
        "NORDHAVN, April 4 — The town library reopened on Friday, three months after a burst "
        "pipe flooded its basement and soaked the local history café's collection.",
        "Volunteers dried more than 4,000 books by hand — page by page.",
        "What was lost",
        "About 300 volumes could not be saved.",
    ]
    assert "Books drying" not in story.body and "Books saved" not in story.body  # media, table
    assert "CANARY" not in story.body  # the DTD it names was never loaded
    check_offsets(story)


def test_nitf_outlet_falls_back_to_the_copyright_holder(tmp_path):
    data = (FIXTURES / "nitf.xml").read_text(encoding="utf-8")
    start = data.index("<pubdata")
    (tmp_path / "n.xml").write_text(data[:start] + data[data.index("/>", start) + 2 :])
    [story] = list(read_file(str(tmp_path / "n.xml")))
    assert story.outlet == "Fixture Wire" and story.url == ""


def test_nitf_without_body_is_a_problem():
    [problem] = read("nitf-no-body.xml")
    assert isinstance(problem, InputProblem) and "no body text" in problem.reason


# -- HTML ----------------------------------------------------------------------------------


def test_html_article_without_the_site_around_it():
    [story] = read("page.html")
    assert story.headline == "Harbour crane gets a new coat of paint"
    assert story.outlet == "Fixture Daily"
    assert story.url == story.id == "https://fixture-daily.example/harbour-crane"
    assert story.date == datetime(2025, 4, 6, 11, 20, tzinfo=timezone(timedelta(hours=2)))
    assert len(story.paragraphs) == 3
    assert story.paragraphs[0].text.startswith("The old harbour crane, a landmark")
    for chrome in ("NAV-LINK", "ADVERT-TEXT", "RELATED-LINK", "FOOTER-TEXT", "NAVIGATION-SCRIPT"):
        assert chrome not in story.body
    check_offsets(story)


def test_html_page_without_a_canonical_address_is_known_by_its_path():
    [story] = read("page-latin1.html")
    assert story.id == "page-latin1.html" and story.url == ""


def test_html_page_without_an_article_is_a_problem():
    [problem] = read("page-empty.html")
    assert isinstance(problem, InputProblem) and "no article text" in problem.reason


def test_html_fragments_become_paragraphs_at_blocks_and_breaks():
    fragment = (
        "Lead line<br>second line<p>A <b>bold</b> move.</p><ul><li>one</li><li>two</li></ul>"
        "<script>hidden()</script><div>tail <span>text</span></div>after"
    )
    assert html_paragraphs(fragment) == [
        "Lead line",
        "second line",
        "A bold move.",
        "one",
        "two",
        "tail text",
        "after",
    ]
    assert html_paragraphs("") == [] and html_paragraphs("   ") == []


# -- feeds ---------------------------------------------------------------------------------


def test_rss_full_content_summary_only_and_empty_entries():
    found = read("feed.rss")
    first, second, empty = found
    assert isinstance(empty, InputProblem) and empty.source.endswith("feed.rss#3")
    assert first.id == "agg-0001" and first.record == 1
    assert first.outlet == "Fixture Wire"  # the entry's source, not the aggregator
    assert first.date == datetime(2025, 4, 7, 6, 30, tzinfo=timezone(timedelta(hours=2)))
    assert texts(first) == [
        "The last keeper of the Kalv lighthouse retired on Sunday after forty years of climbing "
        "its 212 steps.",
        "The light has been automatic since 1999, but the keeper stayed on to look after the "
        "building.",
        "Built in 1874",
        "Height 31 metres",
    ]
    assert "teaser" not in first.body and "SCRIPT-IN-FEED" not in first.body
    assert not is_summary_only(first)
    assert is_summary_only(second) and second.outlet == "Fixture Aggregator"
    assert texts(second) == ["The school roof damaged in the February storm has been repaired."]


def test_atom_content_kinds_source_and_links():
    orchard, choir, parking = read("feed.atom")
    assert orchard.outlet == "Fixture Times"  # an HTML feed title, as plain text
    assert texts(orchard) == [
        "Volunteers planted 120 apple and pear trees on the old rail yard.",
        "The first fruit is expected in three years.",
    ]
    assert orchard.url == "https://fixture-times.example/orchard"
    assert choir.outlet == "Fixture Wire" and choir.url == ""  # an Atom id is no address
    assert choir.date == datetime(2025, 4, 8, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    assert texts(choir) == [
        "The town choir will tour three cities in May.",
        "Tickets go on sale on Friday.",
    ]
    assert is_summary_only(parking) and not is_summary_only(choir)


def test_rss_1_0_is_a_feed_too(tmp_path):
    (tmp_path / "rdf.rss").write_text(
        '<?xml version="1.0"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/">'
        '<channel rdf:about="https://r.example/"><title>R</title><link>https://r.example/</link>'
        "<description>d</description></channel>"
        '<item rdf:about="https://r.example/1"><title>One</title><link>https://r.example/1</link>'
        "<description>Only the description of item one.</description></item></rdf:RDF>"
    )
    [story] = list(read_file(str(tmp_path / "rdf.rss")))
    assert story.headline == "One" and story.url == "https://r.example/1"


def test_a_feed_that_is_not_well_formed_is_reported_not_half_read(tmp_path):
    data = (FIXTURES / "feed.rss").read_bytes()
    (tmp_path / "cut.rss").write_bytes(data[: data.index(b"<item>", 400)])
    [problem] = list(read_file(str(tmp_path / "cut.rss")))
    assert isinstance(problem, InputProblem) and "invalid XML" in problem.reason
    # HTML entities are not XML, but feeds use them and feedparser reads them.
    (tmp_path / "nbsp.rss").write_bytes(data.replace(b"for tests.", b"for&nbsp;tests&hellip;"))
    assert len([s for s in read_file(str(tmp_path / "nbsp.rss")) if isinstance(s, Story)]) == 2


# -- Parquet -------------------------------------------------------------------------------


@pytest.fixture
def write_parquet():
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")

    def write(path: Path, rows: list[dict]) -> Path:
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=2)
        return path

    return write


def test_parquet_rows_with_configurable_fields(tmp_path, write_parquet):
    when = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)
    rows = [
        {
            "doc": f"p{n}",
            "story_text": f"Archive story {n}.\n\nSecond paragraph {n}.",
            "published": when,
            "site": "Archive",
            "extra": b"\x00" * 10,
        }
        for n in range(5)
    ]
    rows[3]["story_text"] = None
    path = write_parquet(tmp_path / "archive.parquet", rows)
    fields = Fields.parse(["body=story_text", "id=doc"])
    found = list(read_file(str(path), ReadOptions(fields=fields)))
    good = [item for item in found if isinstance(item, Story)]
    assert [(s.id, s.record, s.key) for s in good] == [
        (f"p{n}", n + 1, f"{path}#{n + 1}") for n in (0, 1, 2, 4)
    ]
    assert good[0].date == when and good[0].outlet == "Archive"
    assert texts(good[0]) == ["Archive story 0.", "Second paragraph 0."]
    [problem] = [item for item in found if isinstance(item, InputProblem)]
    assert problem.source == f"{path}#4" and "no story text" in problem.reason


def test_parquet_detected_by_content_and_compressed(tmp_path, write_parquet):
    path = write_parquet(tmp_path / "a.parquet", [{"id": "x", "body": "Some text."}])
    (tmp_path / "renamed.dat").write_bytes(path.read_bytes())
    (tmp_path / "b.parquet.gz").write_bytes(gzip.compress(path.read_bytes()))
    for name in ("renamed.dat", "b.parquet.gz"):
        [story] = list(read_file(str(tmp_path / name)))
        assert story.id == "x"


def test_parquet_problems_are_clear(tmp_path, monkeypatch, write_parquet):
    no_body = write_parquet(tmp_path / "nobody.parquet", [{"id": "x", "words": "w"}])
    [problem] = list(read_file(str(no_body)))
    assert "no story text column" in problem.reason and "--field body=" in problem.reason
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 this is not really parquet PAR1")
    [junk] = list(read_file(str(tmp_path / "junk.parquet")))
    assert junk.reason.startswith("invalid Parquet file")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    [missing] = list(read_file(str(no_body)))
    assert missing.reason == "Parquet needs: pip install wire-dedup[parquet]"


# -- the format samples --------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_format_samples_cluster_as_labelled():
    result = run("scan", str(SAMPLES), "--format", "json", "--singletons")
    assert result.exit_code == exitcodes.OK, result.output
    data = json.loads(result.stdout)
    predicted = {m["id"]: c["id"] for c in data["clusters"] for m in c["members"]}
    predicted.update({s["id"]: "single:" + s["id"] for s in data["singletons"]})
    truth = {i: c for i, c in read_labels(LABELS).items() if i in predicted}
    scores = score(predicted, truth)
    assert not scores.missing_from_prediction and not scores.unlabelled
    assert scores.pairwise_precision == scores.pairwise_recall == 1.0
    origins = {c["origin"] for c in data["clusters"]}
    assert all(origin.startswith("urn:newsml:halden-press.example") for origin in origins)
    assert len(truth) == data["summary"]["stories"] == 10


def test_format_samples_cover_every_format():
    suffixes = {path.suffix for path in SAMPLES.iterdir()}
    assert {".xml", ".html", ".rss", ".atom", ".parquet"} <= suffixes
    roots = {
        path.read_text(encoding="utf-8").split("-->", 1)[1].lstrip()[:12]
        for path in SAMPLES.glob("*.xml")
    }
    assert {"<newsItem xm", "<nitf xmlns=", "<newsMessage"} <= roots


def test_diff_across_formats_on_the_samples():
    bundle = SAMPLES / "wire-bundle.xml"
    atom = SAMPLES / "skyline-times.atom"
    result = run(
        "diff",
        f"{bundle}#urn:newsml:halden-press.example:20250318:observatory-lens",
        f"{atom}#1",
        "--format",
        "json",
    )
    assert result.exit_code == exitcodes.OK, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["a_in_b"] >= 5
    page = run(
        "diff", str(SAMPLES / "wire-tidal-barrier.xml"), str(SAMPLES / "coastline-news-tidal.html")
    )
    assert page.exit_code == exitcodes.OK, page.output
    assert "6 of 9 paragraphs" in page.stdout and "Related stories" not in page.stdout
