"""The cluster map (``dedup show``), the HTML report file, and terminal care: width, pager,
colour, plain output in pipes."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, make_story, paragraphs
from rich.console import Console

from dedup import scan
from dedup.cli import cli, exitcodes
from dedup.cli.render import cluster_map_view, diff_view
from dedup.views.align import align
from dedup.views.html import DATA_TYPE, report_html, unpack
from dedup.views.maps import ScanSource, cluster_map, find_cluster

COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|38;[0-9;]+|9[0-7])m")
"""An SGR sequence that sets a foreground colour (bold or dim alone are not colour)."""


def run(*args: str, env: dict[str, str | None] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture(scope="module")
def samples_scan():
    return scan([str(SAMPLES)])


def test_show_json_agrees_with_scan_and_diff(samples_scan):
    result = run("show", "radiovell-oss-floods", str(SAMPLES), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cluster = find_cluster(samples_scan.clusters, "radiovell-oss-floods")
    assert data["cluster"]["id"] == cluster.id and data["cluster"]["origin"] == "mna-oss-floods"
    origin_paragraphs = len(data["origin"]["paragraphs"])
    assert [c["id"] for c in data["copies"]] == [m.id for m in cluster.members[1:]]
    for copy in data["copies"]:
        assert len(copy["cells"]) == origin_paragraphs
        assert copy["kept"] + copy["reworded"] + copy["cut"] == origin_paragraphs
        assert {cell["mark"] for cell in copy["cells"]} <= {"kept", "reworded", "cut"}
        assert copy["added"] == len(copy["additions"])
    # The radio station's partial rewrite, cell by cell, is the pairwise diff of the two.
    radio = next(c for c in data["copies"] if c["id"] == "radiovell-oss-floods")
    diff = run(
        "diff",
        str(SAMPLES / "wire/meridian/oss-floods.txt"),
        str(SAMPLES / "radio-vell/oss-floods.txt"),
        "--format",
        "json",
    )
    pairs = [p for p in json.loads(diff.stdout)["a"]["paragraphs"] if p["status"] != "headline"]
    marks = {"shared": "kept", "changed": "reworded", "unique": "cut"}
    assert [(c["mark"], c["counterparts"]) for c in radio["cells"]] == [
        (marks[p["status"]], p["counterparts"]) for p in pairs
    ]
    assert radio["kept"] >= 3 and radio["added"] == 7  # its chrome is boilerplate, not added
    assert radio["link"] == "copy"
    assert {c["link"] for c in data["copies"]} <= {"copy", "rewrite", "update"}
    # Timeline: who published when, origin first, the rest after it.
    timeline = data["timeline"]
    assert timeline[0]["role"] == "origin" and timeline[0]["after_origin_seconds"] == 0
    assert [t["date"] for t in timeline] == sorted(t["date"] for t in timeline)
    assert all(t["after_origin_seconds"] > 0 for t in timeline[1:])


def test_show_marks_a_rewritten_copy(samples_scan):
    cluster = find_cluster(samples_scan.clusters, "ebc-grisling-coal")
    assert cluster.origin == "mna-grisling-coal" and cluster.origin_member.link is None
    assert [m.link for m in cluster.members] == [None, "rewrite"]
    text = run("show", "ebc-grisling-coal", str(SAMPLES)).output
    assert "ebc-grisling-coal  (EBC News)  rewrite  kept 0" in text
    data = json.loads(run("show", "ebc-grisling-coal", str(SAMPLES), "--format", "json").stdout)
    assert [c["link"] for c in data["copies"]] == ["rewrite"]
    for width in (80, 120):
        console = Console(width=width, record=True, color_system=None)
        cluster_map_view(cluster_map(cluster, ScanSource(samples_scan).stories()), console)
        assert "rewrite" in console.export_text()


def test_show_on_the_seed_pair_reads_the_correspondence_table(seeds):
    ap, cbs = map(str, seeds)
    result = run("show", "ap-original.txt", ap, cbs, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["origin"]["id"] == "ap-original.txt" and data["timeline"] == []
    cells = {n: c for n, c in enumerate(data["copies"][0]["cells"], start=1)}
    # CBS numbers are the seeds' README's less one: the reader takes "Watch CBSN Live" as the
    # headline, out of the body.
    assert [(cells[n]["mark"], cells[n]["counterparts"]) for n in (4, 7, 9)] == [
        ("kept", [9]),
        ("kept", [10]),
        ("kept", [5]),
    ]
    assert cells[1]["how"] == cells[3]["how"] == "merged" and cells[1]["counterparts"] == [8]
    assert [cells[n]["mark"] for n in (2, 5, 6, 10)] == ["cut"] * 4
    assert (cells[8]["mark"], cells[8]["how"], cells[8]["counterparts"]) == (
        "reworded",
        "rewritten",
        [7],
    )
    text = run("show", "cbs-rewrite.txt", ap, cbs, "--additions")
    assert text.exit_code == 0 and "added by 1 cbs-rewrite.txt" in text.output
    assert "Updated at 11:59" in text.output  # the copy's own web chrome, listed as added
    added = text.output.split("added by 1 cbs-rewrite.txt")[1]
    assert "Watch CBSN Live" not in added  # its headline, not an addition


def test_show_finds_clusters_by_id_and_says_what_it_cannot_find(samples_scan):
    cluster = find_cluster(samples_scan.clusters, "mna-oss-floods")
    by_id = run("show", cluster.id, str(SAMPLES), "--format", "json")
    assert json.loads(by_id.stdout)["cluster"]["id"] == cluster.id
    missing = run("show", "no-such-story", str(SAMPLES))
    assert missing.exit_code == exitcodes.USAGE and "no cluster 'no-such-story'" in missing.output
    assert run("show", cluster.id).exit_code == exitcodes.USAGE  # nothing to scan


def test_show_and_diff_are_plain_and_stable_when_piped(seeds):
    ap, cbs = map(str, seeds)
    for command in (["show", "ap-original.txt", ap, cbs], ["diff", ap, cbs]):
        first, again, paged = run(*command), run(*command), run(*command, "--pager")
        assert first.exit_code == 0, first.output
        assert "\x1b[" not in first.output and "━" not in first.output
        assert first.output == again.output == paged.output  # no pager outside a terminal
    assert "= kept" in run("show", "ap-original.txt", ap, cbs).output


def test_color_and_no_color(seeds):
    ap, cbs = map(str, seeds)
    args = ("show", "ap-original.txt", ap, cbs)
    coloured = run(*args, "--color", env={"NO_COLOR": None})
    assert "who ran it" in coloured.output and COLOUR.search(coloured.output)
    honoured = run(*args, "--color", env={"NO_COLOR": "1"})
    assert "who ran it" in honoured.output and not COLOUR.search(honoured.output)
    plain = run(*args, "--no-color", env={"NO_COLOR": None})
    assert "\x1b[" not in plain.output and plain.output == run(*args).output
    diff = run("diff", ap, cbs, "--color", env={"NO_COLOR": "1"})
    assert diff.exit_code == 0 and not COLOUR.search(diff.output)


def test_pager_is_used_on_request_only(seeds, monkeypatch):
    ap, cbs = map(str, seeds)
    paged: list[str] = []
    monkeypatch.setattr("pydoc.pager", paged.append)
    run("show", "ap-original.txt", ap, cbs, "--color")
    run("diff", ap, cbs, "--color")
    assert paged == []
    run("show", "ap-original.txt", ap, cbs, "--color", "--pager")
    run("diff", ap, cbs, "--color", "--pager")
    assert len(paged) == 2 and "who ran it" in paged[0] and "appear in" in paged[1]


def _lines(console: Console) -> list[str]:
    return console.export_text().splitlines()


def test_diff_is_side_by_side_when_wide_and_stacked_when_narrow(seeds):
    from dedup.read.inputs import read_file

    alignment = align(*(next(read_file(str(p))) for p in seeds))
    wide = Console(width=160, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    diff_view(alignment, wide)
    lines = _lines(wide)
    assert any("A  ap-original.txt" in line and "B  cbs-rewrite.txt" in line for line in lines)
    assert any("A4 " in line and "B9 " in line for line in lines)  # one row, two columns
    assert max(map(len, lines)) <= 160
    narrow = Console(width=60, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    diff_view(alignment, narrow)
    lines = _lines(narrow)
    # The header's paths are never wrapped (they are copied into commands); the rest fits.
    assert max(map(len, lines[2:])) <= 60
    # Stacked, a linked pair is printed once, its differences marked.
    assert sum(line.startswith("A4 = B9 [shared]") for line in lines) == 1
    assert not any(line.startswith(("A4 [", "B9 [")) for line in lines)
    assert any(line.startswith("B8 [changed, merged ~ A 1,3]") for line in lines)
    assert lines[0].startswith("--- A  ap-original.txt  (") and lines[1].startswith("+++ B  cbs")


def test_cluster_map_fits_the_terminal(samples_scan):
    source = ScanSource(samples_scan)
    cmap = cluster_map(find_cluster(source.clusters(), "mna-oss-floods"), source.stories())
    for width in (60, 100, 160):
        console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
        cluster_map_view(cmap, console, additions=True)
        lines = _lines(console)
        assert max(map(len, lines)) <= width, width
        text = "\n".join(lines)
        assert "who ran it" in text and "added by 2 Radio Vell" in text
        if width >= 100:
            assert "kept ¶" in text and "Vellmar Courier" in text
        for column in range(1, len(cmap.columns) + 1):  # every copy keeps its column
            header = next(line for line in lines if line.lstrip().startswith("¶"))
            assert f" {column} " in header + " "


def details(page: str) -> list[dict]:
    """Each cluster's detail as the report embeds it for its script: ``h`` the section's
    body, ``t`` the texts and ``d`` the diffs."""
    return [
        unpack(blob)
        for blob in re.findall(
            rf'<script type="{re.escape(DATA_TYPE)}" id="diffs-[^"]+">(.*?)</script>', page
        )
    ]


def bodies(page: str) -> str:
    """The clusters' sections as the report's script fills them in."""
    return "\n".join(data["h"] for data in details(page))


def drawn_diffs(page: str) -> str:
    """The report's side-by-side diffs as its script draws them (marked words in ``<del>``
    on the origin's side, ``<ins>`` on the copy's), read from the JSON the page embeds."""
    out = []
    for data in details(page):
        for diff in data["d"]:
            for row in diff["r"]:
                for tag, places in zip(("del", "ins"), row):
                    for _number, index, _kind, label, spans in places:
                        text, at, parts = data["t"][index], 0, [label, ": "]
                        for start, end in zip(spans[::2], spans[1::2]):
                            parts += [text[at:start], f"<{tag}>{text[start:end]}</{tag}>"]
                            at = end
                        out.append("".join([*parts, text[at:]]))
    return "\n".join(out)


def test_report_writes_one_self_contained_file_and_never_overwrites(tmp_path, samples_scan):
    out = tmp_path / "out.html"
    result = run("report", "--html", str(out), str(SAMPLES))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for cluster in samples_scan.clusters:
        assert (
            f'<a href="#{cluster.id}">' in page
            and f'<section class="cluster" id="{cluster.id}"' in page
        )
    drawn = bodies(page)
    assert drawn.count('<details class="diff"') == sum(c.size - 1 for c in samples_scan.clusters)
    assert "<details" not in page.replace("<details><summary><b>", "")  # all in the JSON
    # Nothing is fetched: no stylesheet, script or image from elsewhere.
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\(", page)
    assert "@media print" in page and "@media (max-width" in page and 'name="viewport"' in page

    out.write_text("keep me")
    refused = run("report", "--html", str(out), str(SAMPLES))
    assert refused.exit_code == exitcodes.USAGE and "--force" in refused.output
    assert out.read_text() == "keep me"
    forced = run("report", "--html", str(out), "--force", str(SAMPLES))
    assert forced.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html"]  # no temporary left
    assert run("report", "--html", str(tmp_path / "no" / "x.html"), str(SAMPLES)).exit_code == 2


def test_report_rows_say_how_each_copy_reused_and_leave_boilerplate_out(samples_scan):
    page = bodies(report_html(samples_scan))
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", page)
    radio = next(row for row in rows if "radiovell-oss-floods" in row)
    # As in show: the station's chrome is its boilerplate, so only its own reporting is added.
    assert 'data-label="added">7<' in radio and 'data-label="how">copy<' in radio
    links = [m.link for c in samples_scan.clusters for m in c.members if m.link]
    assert sorted(re.findall(r'data-label="how">(\w+)<', page)) == sorted(
        links + ["origin"] * len(samples_scan.clusters)
    )


def test_report_lists_by_reach_speaks_in_words_and_embeds_each_text_once(samples_scan):
    page = report_html(samples_scan)
    assert 'id="q"' in page and 'id="size"' in page and 'id="outlet"' in page
    listed = re.findall(r'<li data-size="(\d+)" data-outlets="([^"]*)"', page)
    reach = [len(outlets.split("\x1f")) for _, outlets in listed]
    assert len(listed) == len(samples_scan.clusters) and reach == sorted(reach, reverse=True)
    drawn = bodies(page)
    assert "shingle" not in page.lower() and "shingle" not in drawn.lower()
    assert re.search(r"kept \d+ of \d+ paragraphs", drawn)
    assert re.search(r"\d+% of its text is the origin’s", drawn)
    assert re.search(r"copied · \d+% of its text|rewritten · \d+% of its text", drawn)
    # Every diff is drawn from its cluster's JSON, where each distinct paragraph is written
    # once: the origin's paragraphs are not repeated for every copy.
    assert len(details(page)) == len(samples_scan.clusters)
    for data in details(page):
        assert len(data["t"]) == len(set(data["t"]))
        used = {
            place[1] for diff in data["d"] for row in diff["r"] for side in row for place in side
        }
        assert used == set(range(len(data["t"])))
    assert '<div class="para-box' not in page + drawn  # no diff drawn before it is opened
    # Clusters drawn in several processes make the same page, in the same order.
    stamp = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert report_html(samples_scan, generated=stamp, jobs=2) == report_html(
        samples_scan, generated=stamp
    )


def test_report_escapes_story_text(tmp_path):
    shared = paragraphs(1, 4)
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    stories = [
        make_story("a<b>", [*shared, hostile], outlet="Evil & Co"),
        make_story("b", [*shared, paragraphs(2, 1)[0]], outlet="Plain"),
    ]
    page = report_html(scan(stories))
    assert "<script>alert" not in page
    assert "Evil &amp; Co" in page and 'id="a<b>' not in page
    assert page.count("<script>") == 1  # the report's own print helper only
    # The embedded data is base64, which no story text can end; inside, the sections'
    # markup carries the text escaped and the diffs carry it as plain text for the script.
    blobs = re.findall(r'<script type="[^"]+" id="diffs-[^"]+">(.*?)</script>', page)
    assert blobs and all(re.fullmatch(r"[A-Za-z0-9+/=]+", blob) for blob in blobs)
    assert "&lt;script&gt;alert" in bodies(page) and "<script>alert" not in bodies(page)
    assert any(hostile in text for data in details(page) for text in data["t"])


# -- the diff in every output: header, word marks, changes only, operations --------------

WIRE = str(SAMPLES / "wire/meridian/oss-floods.txt")
COURIER = str(SAMPLES / "vellmar-courier/oss-floods.md")
STRUCK = re.compile(r"\x1b\[[0-9;]*\b9\b[0-9;]*m")
"""An SGR sequence that strikes text through: how words only in A are shown."""


def test_diff_text_names_a_and_b_and_marks_words_as_git_word_diff(seeds):
    ap, cbs = map(str, seeds)
    result = run("diff", ap, cbs)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"--- A  ap-original.txt  ({ap})"
    assert lines[1] == f"+++ B  cbs-rewrite.txt  ({cbs})" and lines[2] == "    Watch CBSN Live"
    pair = next(line for line in lines if line.startswith("A  4 = B  9"))
    assert pair.startswith('A  4 = B  9 [shared] She said [-it-]{+this+} shows that "those')
    assert sum(line.startswith(("A  4", "B  9")) for line in lines) == 1  # printed once
    assert any(
        line.startswith("A  8 = B  7 [changed, rewritten]")
        and "been friends since childhood" in line
        for line in lines
    )
    merged = next(line for line in lines if line.startswith("B  8 [changed, merged ~ A 1,3]"))
    assert "{+In Paris at the so-called Friends of Syria conference, U.S+}" in merged
    assert "[-" not in merged  # B's text carries B's additions only
    assert lines[-1].startswith("5 of 10 paragraphs of ap-original.txt appear in cbs-rewrite.txt")


def test_identical_paragraphs_carry_no_mark_in_any_output(tmp_path):
    text = run("diff", WIRE, COURIER).stdout
    assert "[-" not in text and "{+" not in text
    assert text.count(" [shared] ") == 9 and "A  1 = B  1 [shared] BRESKA" in text
    assert text.count("Seven dead as River Oss") == 1  # the headline is a header, no row
    assert text.splitlines()[1] == "    Seven dead as River Oss floods towns in Vellmar province"
    coloured = run("diff", WIRE, COURIER, "--color", env={"NO_COLOR": None, "COLUMNS": "80"})
    assert COLOUR.search(coloured.output) and not STRUCK.search(coloured.output)
    data = json.loads(run("diff", WIRE, COURIER, "--format", "json").stdout)
    shared = [p for p in data["a"]["paragraphs"] if p["status"] == "shared"]
    assert len(shared) == 9 and all(p["changes"] == [] for p in shared)
    assert all(
        {op["op"] for op in group["ops"]} == {"equal"}
        for group in data["groups"]
        if group["status"] == "shared"
    )
    page = report_html(scan([WIRE, COURIER]))
    assert '<section class="cluster"' in page
    assert bodies(page).count("<del>") == bodies(page).count("<ins>") == 1  # the legend's
    drawn = drawn_diffs(page)
    assert drawn.count("shared · ") == 18 and "<del>" not in drawn and "<ins>" not in drawn


def test_changes_only_leaves_out_identical_rows(seeds):
    full = run("diff", WIRE, COURIER).stdout
    changes = run("diff", WIRE, COURIER, "--changes-only").stdout
    assert " [shared] " in full and " [shared] " not in changes
    assert "(9 rows of identical text not shown)" in changes
    assert changes.count("[unique]") == full.count("[unique]") == 4
    ap, cbs = map(str, seeds)
    seed = run("diff", ap, cbs, "--changes-only").stdout
    assert "A  4 = B  9 [shared] She said [-it-]{+this+}" in seed  # shared, but one word differs
    assert "A  7 = B 10" in seed  # "Tlas" / "Tlass"
    wide = run("diff", ap, cbs, "--changes-only", "--color", env={"COLUMNS": "160"})
    assert wide.exit_code == 0 and "rows of identical text not shown" not in wide.output


def test_diff_json_keeps_its_fields_and_adds_word_operations(seeds):
    ap, cbs = map(str, seeds)
    data = json.loads(run("diff", ap, cbs, "--format", "json").stdout)
    assert data["schema"] == 1 and {"a", "b", "summary", "rows", "groups"} <= set(data)
    assert data["a"]["unit"] == data["b"]["unit"] == "paragraph"
    assert data["b"]["headline"] == "Watch CBSN Live"
    first = data["b"]["paragraphs"][0]  # the headline is no paragraph
    assert (first["number"], first["status"]) == (1, "unique")
    assert first["text"].startswith("Brig. Gen. Manaf Tlass")
    summary = data["summary"]
    assert (summary["a_in_b"], summary["shared"], summary["changed"], summary["rewritten"]) == (
        5,
        3,
        2,
        1,
    )
    for place in data["a"]["paragraphs"]:
        assert {"number", "paragraph", "status", "how", "counterparts", "similarity", "text"} <= (
            set(place)
        )
    texts = {
        side: {p["number"]: p["text"] for p in data[side]["paragraphs"]} for side in ("a", "b")
    }
    group = next(g for g in data["groups"] if g["a"] == [4])
    assert group["b"] == [9] and group["status"] == "shared"
    changed = [op for op in group["ops"] if op["op"] != "equal"]
    assert len(changed) == 1 and changed[0]["op"] == "replace"
    (a_number, a_start, a_end), (b_number, b_start, b_end) = changed[0]["a"], changed[0]["b"]
    assert texts["a"][a_number][a_start:a_end] == "it"
    assert texts["b"][b_number][b_start:b_end] == "this"
    # B's text is made, in order, of the B side of the operations and what lies between.
    rebuilt = "".join(
        texts["b"][op["b"][0]][op["b"][1] : op["b"][2]] for op in group["ops"] if op["b"]
    )
    assert rebuilt.replace(" ", "") in texts["b"][9].replace(" ", "")
    place = next(p for p in data["a"]["paragraphs"] if p["number"] == 4)
    assert [place["text"][s:e] for s, e in place["changes"]] == ["it"]


def test_rich_and_html_mark_the_words_that_differ(seeds):
    from dedup.read.inputs import read_file

    alignment = align(*(next(read_file(str(p))) for p in seeds))
    console = Console(width=70, record=True, force_terminal=True, file=open(os.devnull, "w"))  # noqa: SIM115
    diff_view(alignment, console)
    shown = console.export_text(styles=True)
    assert STRUCK.search(shown)  # A's words struck through, even without colour
    assert "\x1b[4" in shown or ";4m" in shown or ";4;" in shown  # B's underlined
    page = report_html(scan([str(p) for p in seeds]))
    drawn = drawn_diffs(page)
    assert "said <del>it</del> shows" in drawn and "said <ins>this</ins> shows" in drawn
    assert "rewritten" in drawn


def test_boilerplate_given_to_the_map_and_the_diff_is_neither_cut_nor_added():
    from dedup.views.output import diff_json, diff_text

    shared, footer = paragraphs(31, 4), paragraphs(32, 2)
    stories = [
        make_story("wire", [*shared, paragraphs(33, 1)[0]], "Wire", "2026-01-01T08:00:00Z"),
        make_story("copy", [*shared, *footer], "Paper", "2026-01-01T10:00:00Z"),
    ]
    result = scan(stories)
    source = ScanSource(result)
    (cluster,) = source.clusters()
    plain = cluster_map(cluster, source.stories())
    judged = cluster_map(cluster, source.stories(), boilerplate={"copy": {4, 5}})
    assert len(plain.columns[0].additions) == 2 and judged.columns[0].additions == []
    judged = cluster_map(cluster, source.stories(), boilerplate={"wire": {4}, "copy": {4, 5}})
    assert [cell.mark for cell in judged.columns[0].cells] == ["kept"] * 4 + ["boilerplate"]
    assert judged.columns[0].count("cut") == 0
    alignment = judged.columns[0].alignment
    text = diff_text(alignment)
    assert text.count("[boilerplate]") == 3 and "boilerplate left out: 1 of wire, 2 of copy" in text
    assert "[boilerplate]" not in diff_text(alignment, changes_only=True)
    data = diff_json(alignment)["summary"]
    assert (data["a_boilerplate"], data["b_boilerplate"], data["b_unique"]) == (1, 2, 0)


def test_boilerplate_judged_from_the_context_is_shown_as_boilerplate(tmp_path):
    radio = [str(SAMPLES / "radio-vell/oss-floods.txt"), str(SAMPLES / "radio-vell/bus-routes.txt")]
    alone = json.loads(run("diff", *radio, "--format", "json").stdout)
    result = run("diff", *radio, "--context", str(SAMPLES), "--format", "json")
    assert result.exit_code == 0, result.output
    judged = json.loads(result.stdout)
    chrome = {p["number"] for p in judged["a"]["paragraphs"] if p["status"] == "boilerplate"}
    # The station's chrome: the "Listen live" line, the related links and the footer.
    assert chrome == {1, 13, 14, 15, 16, 17, 18}
    assert alone["summary"]["shared"] > 0 and alone["summary"]["a_boilerplate"] == 0
    assert judged["summary"]["shared"] == 0 and judged["summary"]["b_boilerplate"] == 7
    text = run("diff", *radio, "--context", str(SAMPLES)).output
    assert "[boilerplate] © 2026 Radio Vell. All rights reserved." in text
    # A and B found again among the context are not counted twice; bad context is reported.
    again = run("diff", *radio, "--context", radio[0], radio[1], str(SAMPLES), "--format", "json")
    assert json.loads(again.stdout)["summary"] == judged["summary"]
    gone = run("diff", *radio, "--context", str(SAMPLES), str(tmp_path / "gone.txt"))
    assert gone.exit_code == exitcodes.INPUT and "gone.txt" in gone.output
    stray = run("diff", *radio, str(SAMPLES))
    assert stray.exit_code == exitcodes.USAGE and "--context" in stray.output
    # show takes the scan's own boilerplate: the copy's chrome is not an addition.
    shown = json.loads(run("show", "radiovell-oss-floods", str(SAMPLES), "--format", "json").stdout)
    added = next(c for c in shown["copies"] if c["id"] == "radiovell-oss-floods")["additions"]
    assert added and not any("Radio Vell live" in p["text"] or "©" in p["text"] for p in added)
    assert not any(p["text"].startswith("- ") for p in added)
