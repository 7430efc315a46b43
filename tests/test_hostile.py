"""Hostile and broken input: entity attacks, binary, empty, truncated and huge files, and
property-based runs of random and mutated documents through every reader and the normaliser.

Whatever the input, the readers must only ever produce stories and ``InputProblem`` reports
(never raise), keep paragraph offsets inside the text, and give the same fingerprint for the
same input."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.cli import cli, exitcodes
from dedup.detect.fingerprint import Fingerprinter
from dedup.read.inputs import INPUT_FORMATS, ReadOptions, read_file, read_inputs
from dedup.read.text import normalise, split_paragraphs, token_spans, tokens
from dedup.records import InputProblem, Story

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
CANARIES = ("CANARY-SECRET-7f3a", "CANARY-DTD-LOADED")
REFUSED = "declares XML entities"
FINGERPRINTER = Fingerprinter()


def read_all(path: Path, **options) -> list[Story | InputProblem]:
    return list(read_file(str(path), ReadOptions(**options)))


def story_text(item: Story | InputProblem) -> str:
    if isinstance(item, InputProblem):
        return str(item)
    return " ".join((item.body, item.headline, item.id, item.outlet, item.url))


# -- entities ------------------------------------------------------------------------------


def test_billion_laughs_is_refused_before_expansion():
    # Refused on the declaration itself, so nothing is expanded (the cost is in benchmarks).
    [problem] = read_all(FIXTURES / "billion-laughs.xml")
    assert isinstance(problem, InputProblem) and REFUSED in problem.reason


def test_quadratic_blowup_is_refused_too(tmp_path):
    big = "x" * 50_000
    refs = "&big;" * 50_000
    (tmp_path / "blowup.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY big "{big}">]>'
        f"<nitf><body><body.content><p>{refs}</p></body.content></body></nitf>"
    )
    [problem] = read_all(tmp_path / "blowup.xml")
    assert isinstance(problem, InputProblem) and REFUSED in problem.reason


@pytest.mark.parametrize("name", ["xxe-file.xml", "xxe-parameter.xml", "xxe-feed.rss"])
def test_external_entities_are_refused(name):
    [problem] = read_all(FIXTURES / name)
    assert isinstance(problem, InputProblem) and REFUSED in problem.reason


@pytest.mark.parametrize(
    ("fmt", "root", "content"),
    [
        ("newsml", "newsItem", "<contentSet><inlineXML><p>&x;</p></inlineXML></contentSet>"),
        ("nitf", "nitf", "<body><body.content><p>&x;</p></body.content></body>"),
        ("rss", "rss", "<channel><item><description>&x;</description></item></channel>"),
    ],
)
def test_an_absolute_file_entity_is_refused_in_every_xml_reader(tmp_path, fmt, root, content):
    secret = (FIXTURES / "secret.canary").as_uri()
    path = tmp_path / f"{fmt}.xml"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY x SYSTEM "{secret}">]>'
        f"<{root}>{content}</{root}>"
    )
    [problem] = read_all(path, input_format=fmt)
    assert REFUSED in problem.reason


def test_no_canary_reaches_any_story_or_output():
    """Every fixture, read as its own format and as every other: the secret file and the DTD
    that documents point at never get into a story, an id, or the command's output."""
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix in (".canary", ".dtd"):
            continue
        for fmt in INPUT_FORMATS:
            for item in read_all(path, input_format=fmt):
                assert not any(c in story_text(item) for c in CANARIES), (path.name, fmt)
    result = CliRunner().invoke(cli, ["scan", str(FIXTURES), "--format", "json", "--singletons"])
    assert result.exit_code == exitcodes.INPUT  # the refused and broken fixtures
    assert not any(c in result.output for c in CANARIES)
    assert "Traceback" not in result.output


def test_a_named_dtd_is_never_loaded():
    [story] = read_all(FIXTURES / "nitf.xml")
    assert "café" in story.body
    [entry] = read_all(FIXTURES / "dtd-feed.rss")
    assert entry.headline == "Café news" and "café by the station" in entry.body


def test_html_entities_declared_in_a_page_are_not_resolved():
    [story] = read_all(FIXTURES / "xxe-page.html")
    assert "CANARY" not in story.body and "declares an entity" in story.body


# -- broken files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.xml", b"  \n\t\n", "empty file"),
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("blob.html", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "binary file"),
        ("noise.txt", bytes(range(128, 256)) * 4, "no other text encoding fits"),
        ("cut.json", b'{"id": "x", "body": "half a', "invalid JSON"),
        ("cut.nitf", b"<nitf><body><body.content><p>half a", "invalid XML"),
        ("cut.atom", b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x', "invalid XML"),
        ("deep.json", b"[" * 100_000, "invalid JSON"),
        ("deep.xml", b"<nitf>" + b"<p>" * 5_000, "invalid XML"),
        ("wrong.newsml", b"<nitf><body/></nitf>", "no NewsML-G2 newsItem"),
        ("empty.rss", b'<rss version="2.0"><channel><title>t</title></channel></rss>', "entries"),
        # UTF-16 without a byte-order mark is read as UTF-16 (not "binary"): an empty NITF
        ("utf16.xml", "<nitf>ü</nitf>".encode("utf-16-le"), "no body text"),
    ],
)
def test_broken_files_get_one_clear_line(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    [problem] = read_all(tmp_path / name)
    assert isinstance(problem, InputProblem) and reason in problem.reason, problem
    assert problem.source.startswith(str(tmp_path / name)) and "\n" not in str(problem)


def test_a_pipe_in_a_folder_is_reported_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "stuck.txt")
    (tmp_path / "good.txt").write_text("A story.")
    found = list(read_inputs([str(tmp_path)]))
    assert [type(item).__name__ for item in found] == ["Story", "InputProblem"]
    assert "not a regular file" in found[1].reason


def test_deeply_nested_html_is_no_crash(tmp_path):
    (tmp_path / "deep.html").write_text(
        "<html><body>" + "<div>" * 20_000 + "<p>Deep inside the page. " * 30 + "</body></html>"
    )
    for item in read_all(tmp_path / "deep.html"):
        assert isinstance(item, (Story, InputProblem))


def test_broken_inputs_beside_good_ones_on_the_command_line(tmp_path):
    (tmp_path / "good.txt").write_text("A good story.\n\nIt has two paragraphs.")
    (tmp_path / "cut.xml").write_bytes((FIXTURES / "nitf.xml").read_bytes()[:600])
    (tmp_path / "bomb.xml").write_bytes((FIXTURES / "billion-laughs.xml").read_bytes())
    (tmp_path / "blob.html").write_bytes(b"\x00" * 100)
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json", "--singletons"])
    assert result.exit_code == exitcodes.INPUT
    data = json.loads(result.stdout)
    assert [s["id"] for s in data["singletons"]] == ["good.txt"]
    assert sorted(Path(p["source"].split(":")[0]).name for p in data["problems"]) == [
        "blob.html",
        "bomb.xml",
        "cut.xml",
    ]
    assert result.stderr.count("dedup: skipped") == 3 and "Traceback" not in result.stderr


# -- property-based ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def check(items: list[Story | InputProblem], path: Path) -> None:
    """The invariants every reader keeps, whatever it was given."""
    for item in items:
        assert isinstance(item, (Story, InputProblem)), item
        if isinstance(item, InputProblem):
            assert item.source.startswith(str(path)) and item.reason
            continue
        assert item.key.startswith(str(path)) and item.body.strip() and item.id
        previous_end = -1
        for index, paragraph in enumerate(item.paragraphs):
            assert paragraph.index == index
            assert 0 <= paragraph.start < paragraph.end <= len(item.body)
            assert item.body[paragraph.start : paragraph.end] == paragraph.text
            assert paragraph.start >= previous_end
            previous_end = paragraph.end
        assert item.date is None or item.date.tzinfo is not None
        item.sort_key  # noqa: B018 - every stage sorts by it
        first, second = FINGERPRINTER(item), FINGERPRINTER(item)
        assert np.array_equal(first.shingles, second.shingles)
        assert same(first, second)


def same(a: object, b: object) -> bool:
    """Equal fingerprints, field by field, whatever arrays and tuples they are made of."""
    if is_dataclass(a) and is_dataclass(b):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def read_twice(path: Path, **options) -> list[Story | InputProblem]:
    items = read_all(path, **options)
    again = read_all(path, **options)
    assert items == again  # same input, same stories
    check(items, path)
    return items


SUFFIXES = [".txt", ".md", ".json", ".jsonl", ".xml", ".html", ".rss", ".atom", ".parquet", ""]
SLOW = settings(
    max_examples=int(os.environ.get("DEDUP_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SLOW
@given(
    data=st.binary(max_size=3000),
    suffix=st.sampled_from(SUFFIXES),
    fmt=st.sampled_from(INPUT_FORMATS),
)
def test_random_bytes_through_every_reader(scratch, data, suffix, fmt):
    path = scratch / f"random{suffix}"
    path.write_bytes(data)
    read_twice(path, input_format=fmt)


def _fixture_documents() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.suffix not in (".canary", ".dtd"))


def _mutate(data: bytes, edits: list[tuple[int, float, bytes]]) -> bytes:
    for kind, where, chunk in edits:
        at = int(where * len(data))
        if kind == 0:  # cut the document short
            data = data[:at]
        elif kind == 1:  # drop a stretch
            data = data[:at] + data[at + len(chunk) * 4 :]
        elif kind == 2:  # insert junk
            data = data[:at] + chunk + data[at:]
        elif kind == 3:  # overwrite
            data = data[:at] + chunk + data[at + len(chunk) :]
        else:  # repeat a stretch (markup out of balance)
            data = data[:at] + data[at : at + 200] + data[at:]
    return data


EDITS = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.floats(0, 1),
        st.one_of(
            st.binary(min_size=1, max_size=40),
            st.sampled_from(
                [
                    b"<",
                    b">",
                    b"&",
                    b"]]>",
                    b"<p>",
                    b"</p>",
                    b"\x00",
                    b"\xff",
                    b"<!ENTITY x 'y'>",
                    b'"',
                    b"{",
                    b"\n\n",
                    b"&amp;",
                    b"\xc3",
                ]
            ),
        ),
    ),
    min_size=1,
    max_size=4,
)


@SLOW
@given(
    source=st.sampled_from(_fixture_documents()),
    edits=EDITS,
    fmt=st.sampled_from(["auto", "auto", *INPUT_FORMATS]),
)
def test_mutated_documents_through_every_reader(scratch, source, edits, fmt):
    path = scratch / f"mutated-{source.name}"
    path.write_bytes(_mutate(source.read_bytes(), edits))
    read_twice(path, input_format=fmt)


@pytest.fixture(scope="module")
def parquet_bytes(scratch: Path) -> bytes:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [
        {"id": f"p{n}", "body": f"Row {n} of an archive.", "date": "2025-04-01"} for n in range(6)
    ]
    pq.write_table(pa.Table.from_pylist(rows), scratch / "valid.parquet", row_group_size=2)
    return (scratch / "valid.parquet").read_bytes()


@SLOW
@given(edits=EDITS.map(lambda edits: [(3, where, chunk) for _, where, chunk in edits]))
def test_damaged_parquet_is_reported(scratch, parquet_bytes, edits):
    """Overwrites only, so the file keeps its length and usually its magic numbers: pyarrow
    gets as far as the damaged pages."""
    path = scratch / "damaged.parquet"
    path.write_bytes(_mutate(parquet_bytes, edits)[: len(parquet_bytes)])
    read_twice(path)


XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=80,
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(max_examples=80, deadline=None)
@given(
    paragraphs=st.lists(XML_TEXT, min_size=1, max_size=6),
    wrapper=st.sampled_from(["newsml", "nitf", "rss"]),
)
def test_any_paragraph_text_survives_the_xml_readers(scratch, paragraphs, wrapper):
    body = "".join(f"<p>{_escape(p)}</p>" for p in paragraphs)
    document = {
        "newsml": '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g"><contentSet>'
        f'<inlineXML><html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>'
        "</inlineXML></contentSet></newsItem>",
        "nitf": f"<nitf><body><body.content>{body}</body.content></body></nitf>",
        "rss": "<rss version='2.0'><channel><title>t</title><item><title>x</title>"
        f"<description>{_escape(body)}</description></item></channel></rss>",
    }[wrapper]
    path = scratch / f"roundtrip-{wrapper}.xml"
    path.write_text(document, encoding="utf-8")
    items = read_twice(path)
    expected = [" ".join(p.split()) for p in paragraphs if p.split()]
    if wrapper == "rss":
        # HTML inside a feed, which feedparser sanitises (and repairs some mojibake in): plain
        # words must come through.
        kept = " ".join(s.body for s in items if isinstance(s, Story))
        words = [w for p in expected for w in p.split() if w.isascii() and w.isalnum()]
        assert all(word in kept for word in words)
        return
    if not expected:
        assert all(isinstance(item, InputProblem) for item in items)
        return
    [story] = items
    assert [p.text for p in story.paragraphs] == expected


@settings(max_examples=80, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(["id", "body", "title", "date", "source", "url", "x"]),
            st.one_of(
                st.text(max_size=60),
                st.integers(),
                st.floats(),
                st.none(),
                st.booleans(),
                st.lists(st.text(max_size=10), max_size=3),
            ),
            max_size=6,
        ),
        max_size=5,
    )
)
def test_any_json_records_through_json_and_json_lines(scratch, records):
    (scratch / "any.json").write_text(json.dumps(records))
    (scratch / "any.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    for name in ("any.json", "any.jsonl"):
        read_twice(scratch / name)


# -- the normaliser ------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=400)
PROSE = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["\n", "\n\n", " \n \n", "\r\n", "\t", "WASHINGTON (AP) — ", "“", "—"]),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(ANY_TEXT, PROSE))
def test_normaliser_invariants(text):
    folded = normalise(text)
    assert folded == folded.strip() and "  " not in folded
    assert normalise(text) == folded
    words = tokens(text)
    assert words == tokens(text) and all(word and not word.isspace() for word in words)
    previous = 0
    for start, end, token in token_spans(text):
        assert previous <= start < end <= len(text)
        assert token == normalise(text[start:end])
        previous = end


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(ANY_TEXT, PROSE))
def test_paragraph_offsets_stay_within_the_text(body):
    paragraphs = split_paragraphs(body)
    assert paragraphs == split_paragraphs(body)
    previous_end = 0
    for index, paragraph in enumerate(paragraphs):
        assert paragraph.index == index and paragraph.text == paragraph.text.strip()
        assert paragraph.text and 0 <= previous_end <= paragraph.start < paragraph.end
        assert body[paragraph.start : paragraph.end] == paragraph.text
        previous_end = paragraph.end
    covered = "".join(p.text for p in paragraphs)
    assert "".join(body.split()) == "".join(covered.split())  # no text lost between them


@settings(max_examples=100, deadline=None)
@given(body=PROSE.filter(str.strip))
def test_same_story_same_fingerprint(body):
    story = Story(key="k", id="k", body=body, paragraphs=split_paragraphs(body))
    first, second = FINGERPRINTER(story), FINGERPRINTER(story)
    assert np.array_equal(first.shingles, second.shingles) and same(first, second)
    fresh = Fingerprinter()(story)
    assert np.array_equal(first.shingles, fresh.shingles) and same(first, fresh)


def test_streamed_json_lines_never_hold_the_file(tmp_path):
    """A JSON Lines input is read line by line: a file far over the whole-file limit works,
    however many records it holds."""
    path = tmp_path / "many.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(2000):
            handle.write(json.dumps({"id": f"r{n}", "body": f"Record {n} of a long feed."}) + "\n")
    bounded = ReadOptions(max_file_bytes=4096)
    items: Iterator[Story | InputProblem] = read_inputs([str(path)], bounded)
    assert sum(1 for item in items if isinstance(item, Story)) == 2000
