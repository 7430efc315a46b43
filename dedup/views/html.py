"""The HTML report: one self-contained page about a day (or a year) of wire copies.

A desk opens it to see which stories travelled furthest and how, so the page has to open
quickly however many stories went in, and work wherever it is carried: offline, from an
e-mail attachment, on a phone, on paper.

- **Its size grows with the text shown, not with the diffs, and it opens at once.** Each
  cluster's detail is embedded once as compact JSON, gzipped and in base64 (``pack``), in a
  script element the browser does not run: every distinct paragraph of the cluster once,
  each diff as paragraph numbers into that list with the character spans that differ, and
  the section's tables as markup. Opening a large page is mostly the browser reading its
  bytes, and this data is repetitive markup and text: gzipped, a 20,000-story page is 45 MB
  instead of 148 MB. The page's script unpacks a cluster (``DecompressionStream``) and fills
  its section in as it nears the screen (or is linked to, or printed) and draws a diff when
  it is opened. See the README for the figures (``make bench-report``, ``--browser``).
- **It finds things.** A search box (headline, outlet, story or cluster id) and filters
  (size, outlet, the day the origin ran) over clusters sorted by reach: how many outlets
  ran the story.
- **It says things as a desk would** ("kept 9 of 12 paragraphs", "34% of its text is the
  origin's") and draws how each story travelled: every outlet on a time axis with its
  reuse share and how it reused, in words beside the marks, so nothing needs a hover and a
  390-pixel phone reads it.
- **Nothing from outside, nothing from the input as markup.** Inline CSS and script, no
  fetch of any kind; story text reaches the page escaped as HTML, then put in JSON, gzipped,
  in base64 (which no text can end); the script draws diffs by setting text only, and
  inserts no markup but the sections this module wrote.
- **Paper.** Printing draws every diff of the clusters shown (the filters choose what is
  printed) and opens them; each cluster starts a new page. Unpacking is asynchronous and a
  print dialog does not wait, so the Print button unpacks everything shown first; the
  browser's own print command draws what it can in time (the print media query starts it).
"""

from __future__ import annotations

import base64
import gzip
import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from dedup.records import Cluster, Member, ScanResult, Story
from dedup.views.align import Placement
from dedup.views.maps import (
    Cell,
    ClusterMap,
    ClusterSource,
    Column,
    ScanSource,
    clip,
    cluster_boilerplate,
    cluster_map,
    delay,
    name,
    when,
)
from dedup.views.output import summary_line
from dedup.views.words import highlighted

MARK_SYMBOL = {"kept": "✓", "reworded": "≈", "cut": "✕", "boilerplate": "·"}
"""Shown beside the colour, so the map reads in greyscale print and for colour-blind eyes."""

SIZES = (("2-2", "2 stories"), ("3-5", "3 to 5"), ("6-", "6 or more"))
"""The size filter's choices: ``low-high`` stories, an open end for "or more"."""

MAP_TEXT = 160
"""Characters of each origin paragraph in the map: enough to know it (its whole text is one
click away in the diffs), and the page does not carry the origin's text twice."""

DATA_PREFIX = "diffs-"
"""A cluster's detail and diffs are in the JSON script element ``DATA_PREFIX`` + its id."""

DATA_TYPE = "application/gzip+base64"
"""The type of those script elements: not a script type, so the browser runs nothing in them
and only the page's script reads them (``pack``)."""


def report_html(
    result: ScanResult,
    source: ClusterSource | None = None,
    *,
    inputs: Sequence[str] = (),
    title: str = "Wire copies",
    generated: datetime | None = None,
    jobs: int = 1,
) -> str:
    """The whole report as one HTML document. ``source`` supplies clusters and story text
    (the scan itself by default, or an index); ``jobs`` processes draw the clusters (each
    is aligned copy by copy, most of the build's time); 0 means all cores."""
    source = source or ScanSource(result)
    shown = sorted(_render_all(source, result, jobs), key=lambda cluster: cluster.order)
    stamp = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    settings = result.settings
    meta = (
        f"Generated {stamp} by wire-dedup {_version()}"
        + (f" from {', '.join(inputs)}" if inputs else "")
        + f". A copy repeats at least {settings.min_containment:.0%} of the smaller story "
        "word for word"
        + (
            "; only verbatim copies are linked."
            if settings.links == "copy"
            else f"; a rewrite retells at least {settings.rewrite_coverage:.0%} of it in "
            "close counterparts of the other's sentences, in order."
        )
        + " Clusters are listed by reach: the number of outlets that ran the story."
    )
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        '<header class="page-head">',
        f"<h1>{escape(title)}</h1>",
        f'<p class="summary">{escape(summary_line(result))}</p>',
        f'<p class="meta">{escape(meta)}</p>',
        "</header>",
        _controls(shown),
        _cluster_list(shown),
        "<main>",
        *(cluster.section for cluster in shown),
        _singletons(result.singletons),
        _problems(result),
        "</main>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


@dataclass(frozen=True)
class Rendered:
    """One cluster as the page shows it, drawn on its own (so in any process)."""

    order: tuple[int, int, str]
    outlets: list[str]
    day: str
    """The day the origin ran (``YYYY-MM-DD`` in its own zone), "" when undated."""
    item: str
    """Its entry in the list of clusters."""
    section: str


def render(cmap: ClusterMap) -> Rendered:
    return Rendered(
        _reach_order(cmap), _outlets(cmap), _day(cmap), _list_item(cmap), _cluster_section(cmap)
    )


def _day(cmap: ClusterMap) -> str:
    date = cmap.origin_member.date
    return date.strftime("%Y-%m-%d") if date else ""


_WORK: tuple[Sequence[Cluster], Mapping[str, Story], ScanResult] | None = None
"""What worker processes draw from: set before they fork, so nothing is pickled to them."""

CHUNK = 16
"""Clusters a worker draws at a time: enough to amortise the round trip, small enough that
one large cluster does not leave the other processes idle at the end."""


def _render_all(source: ClusterSource, result: ScanResult, jobs: int) -> list[Rendered]:
    global _WORK
    clusters, stories = list(source.clusters()), source.stories()
    jobs = min(jobs or os.cpu_count() or 1, len(clusters))
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_render_one(cluster, stories, result) for cluster in clusters]
    _WORK = (clusters, stories, result)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            size = max(1, min(CHUNK, len(clusters) // jobs))
            chunks = [(start, start + size) for start in range(0, len(clusters), size)]
            return [drawn for part in pool.map(_render_chunk, chunks) for drawn in part]
    finally:
        _WORK = None


def _render_chunk(chunk: tuple[int, int]) -> list[Rendered]:
    assert _WORK is not None
    clusters, stories, result = _WORK
    return [_render_one(c, stories, result) for c in clusters[slice(*chunk)]]


def _render_one(cluster: Cluster, stories: Mapping[str, Story], result: ScanResult) -> Rendered:
    plate = cluster_boilerplate(cluster, stories, result.boilerplate, result.settings)
    return render(cluster_map(cluster, stories, plate))


def _version() -> str:
    try:
        return version("wire-dedup")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "(development)"


def _outlets(cmap: ClusterMap) -> list[str]:
    """The outlets that ran the story, the origin's first (story ids stand in for unknown
    outlets: each is a place the story reached)."""
    return list(dict.fromkeys([name(cmap.origin_member), *(name(c.member) for c in cmap.columns)]))


def _reach_order(cmap: ClusterMap) -> tuple[int, int, str]:
    """Furthest travelled first: most outlets, then most stories; the id keeps it stable."""
    return (-len(_outlets(cmap)), -cmap.cluster.size, cmap.cluster.id)


def _title(cmap: ClusterMap) -> str:
    """The headline, else the start of the origin's first paragraph: an id says little."""
    if cmap.origin_member.headline:
        return cmap.origin_member.headline
    first = cmap.origin.paragraphs[0].text if cmap.origin.paragraphs else cmap.origin.id
    return clip(first, 90)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _controls(shown: Sequence[Rendered]) -> str:
    """Search and filters; they work on the list and the clusters alike (the script)."""
    if not shown:
        return ""
    counts = Counter(outlet for cluster in shown for outlet in cluster.outlets)
    outlets = "".join(
        f'<option value="{escape(outlet.casefold())}">{escape(outlet)} ({count})</option>'
        for outlet, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    sizes = "".join(f'<option value="{value}">{label}</option>' for value, label in SIZES)
    days = Counter(cluster.day for cluster in shown if cluster.day)
    day = (
        '<label>Day <select id="day"><option value="">any</option>'
        + "".join(f'<option value="{d}">{d} ({days[d]})</option>' for d in sorted(days))
        + "</select></label>"
        if len(days) > 1
        else ""
    )
    return (
        '<form class="controls" role="search" onsubmit="return false">'
        '<label class="q">Search <input type="search" id="q" autocomplete="off" '
        'placeholder="headline, outlet or story id"></label>'
        f'<label>Size <select id="size"><option value="">any</option>{sizes}</select></label>'
        f'<label>Outlet <select id="outlet"><option value="">any</option>{outlets}</select>'
        f"</label>{day}"
        '<button type="button" id="print" title="Every diff of the clusters shown, opened">'
        "Print</button>"
        f'<p id="shown" aria-live="polite">{_plural(len(shown), "cluster")}</p></form>'
    )


def _search_text(cmap: ClusterMap) -> str:
    """What the search box looks in: headline, outlets, story and cluster ids."""
    words = [cmap.cluster.id, _title(cmap), *_outlets(cmap)]
    words += [member.id for member in cmap.cluster.members]
    return " ".join(words).casefold()


def _filter_data(cmap: ClusterMap) -> str:
    outlets = "\x1f".join(outlet.casefold() for outlet in _outlets(cmap))
    return (
        f'data-size="{cmap.cluster.size}" data-outlets="{escape(outlets)}" '
        f'data-q="{escape(_search_text(cmap))}" data-day="{_day(cmap)}"'
    )


def _cluster_list(shown: Sequence[Rendered]) -> str:
    if not shown:
        return (
            '<nav id="clusters" class="cluster-list"><h2>Clusters</h2>'
            "<p>No copies were found among these stories.</p></nav>"
        )
    return (
        f'<nav id="clusters" class="cluster-list" aria-label="Clusters"><h2>Clusters</h2>'
        f'<ol>{"".join(c.item for c in shown)}</ol><p class="none" hidden>No cluster matches.</p>'
        "</nav>"
    )


def _list_item(cmap: ClusterMap) -> str:
    origin = cmap.origin_member
    outlets = _outlets(cmap)
    return (
        f'<li {_filter_data(cmap)}><a href="#{escape(cmap.cluster.id)}">'
        f'<span class="li-head">{escape(_title(cmap))}</span>'
        f'<span class="li-facts"><b>{_plural(len(outlets), "outlet")}</b> · '
        f"{cmap.cluster.size} stories · origin {escape(name(origin))}"
        + (f" · {escape(when(origin))}" if origin.date else "")
        + f'</span><span class="li-outlets">{escape(", ".join(outlets))}</span></a></li>'
    )


def _cluster_section(cmap: ClusterMap) -> str:
    cluster, origin = cmap.cluster, cmap.origin_member
    cid = escape(cluster.id)
    return "\n".join(
        [
            f'<section class="cluster" id="{cid}" aria-labelledby="{cid}-title" '
            f"{_filter_data(cmap)}>",
            '<header class="cluster-head">',
            f'<p class="kicker">Cluster <code>{cid}</code> · {cluster.size} stories · '
            f"{_plural(len(_outlets(cmap)), 'outlet')}</p>",
            f'<h2 id="{cid}-title">{escape(_title(cmap))}</h2>',
            '<p class="origin">Origin: '
            + (f"<b>{escape(origin.outlet)}</b> " if origin.outlet else "")
            + f"<code>{escape(origin.id)}</code>"
            + (f", {escape(when(origin))}" if origin.date else "")
            + "</p>",
            "</header>",
            '<div class="cluster-body"></div>',
            f'<script type="{DATA_TYPE}" id="{DATA_PREFIX}{cid}">{pack(cluster_data(cmap))}'
            "</script>",
            '<p class="back"><a href="#clusters">↑ All clusters</a></p>',
            "</section>",
        ]
    )


def cluster_body(cmap: ClusterMap) -> str:
    """What the script puts in a cluster's section when it comes near the screen (or is
    linked to, or printed): the browser only scans it as text until then, which is what
    lets a page of thousands of clusters open at once."""
    cid = cmap.cluster.id
    return "\n".join(
        [
            f"<h3>{'How it travelled' if cmap.timeline else 'Who ran it'}</h3>",
            _travel(cmap),
            "<h3>Copy by copy</h3>",
            _runs_table(cmap),
            "<h3>The origin’s paragraphs in each copy</h3>",
            _map_table(cmap),
            _legend(),
            "<h3>Side by side</h3>",
            *(_diff(column, k, cid) for k, column in enumerate(cmap.columns, 1)),
        ]
    )


def _unit(cmap: ClusterMap) -> str:
    return cmap.columns[0].alignment.a_unit if cmap.columns else "paragraph"


def copy_words(column: Column, unit: str = "paragraph") -> str:
    """What a copy did with the origin, as a desk says it: "kept 9 of 12 paragraphs,
    reworded 2, added 3"."""
    total = sum(1 for cell in column.cells if cell.mark != "boilerplate")
    kept, reworded = column.count("kept"), column.count("reworded")
    words = f"kept {kept} of {_plural(total, unit)}"
    if reworded:
        words += f", reworded {reworded}"
    if column.additions:
        words += f", added {len(column.additions)} of its own"
    return words


def reuse_words(member: Member, origin: bool = False) -> str:
    if origin:
        return f"{member.reuse:.0%} of its text ran in the copies"
    return f"{member.reuse:.0%} of its text is the origin’s"


LINK_WORDS = {
    "copy": "copied",
    "rewrite": "rewritten",
    "update": "updated",
}
"""How a member is tied to the origin (``Member.link``), as the travel picture says it."""


def _travel(cmap: ClusterMap) -> str:
    """Outlets on a time axis from the origin to the last copy, each mark with its words
    beside it (when, how, how much) so the picture needs no hover and fits a phone."""
    origin = cmap.origin_member
    columns = {column.member.key: column for column in cmap.columns}
    moments = [(m.member, m.after) for m in cmap.timeline] or [
        (origin, None),
        *((c.member, None) for c in cmap.columns),
    ]
    span = max((after for _, after in moments if after is not None), default=timedelta(0))
    first = min((after for _, after in moments if after is not None), default=timedelta(0))
    width = (span - first).total_seconds()
    rows = []
    for member, after in moments:
        is_origin = member.key == origin.key
        link = "origin" if is_origin else (member.link or "copy")
        if after is None:
            place, stamp = "", "time unknown" if cmap.timeline else ""
        else:
            share = (after - first).total_seconds() / width if width else 0.0
            place = f' style="--at:{share:.3f}"'
            stamp = when(member) if is_origin else delay(after) + " after the origin"
        if is_origin:
            what = ["origin", reuse_words(member, origin=True)]
        else:
            column = columns.get(member.key)
            what = [LINK_WORDS.get(link, link), reuse_words(member)]
            if column:
                what.append(copy_words(column, _unit(cmap)))
        if stamp:
            what.insert(0, stamp)
        axis = (
            f'<span class="t-axis"><i class="t-mark {escape(link)}"{place}></i></span>'
            if place
            else ""
        )
        rows.append(
            f'<li class="t-row {escape(link)}"><span class="t-who">{escape(name(member))}</span>'
            f'{axis}<span class="t-what">{escape(" · ".join(what))}</span></li>'
        )
    scale = ""
    if cmap.timeline and width:
        scale = (
            '<li class="t-scale" aria-hidden="true"><span class="t-who"></span>'
            f'<span class="t-axis"><span>{escape(delay(first) if first else "origin")}</span>'
            f"<span>{escape(delay(span))}</span></span></li>"
        )
    return f'<ol class="travel">{"".join(rows)}{scale}</ol>'


def _runs_table(cmap: ClusterMap) -> str:
    """Who ran the story, when and what each copy did with the origin's paragraphs."""
    origin, dated = cmap.origin_member, bool(cmap.timeline)

    def timing(member: Member, after: str) -> str:
        if not dated:
            return ""
        return f'<td class="when">{escape(when(member))}</td><td class="after">{after}</td>'

    rows = [
        '<tr class="is-origin"><th scope="row">O</th>'
        f'<td class="who">{_who(origin.outlet, origin.id, origin.url)}</td>'
        f"{timing(origin, 'origin')}"
        f'<td colspan="4" class="bar-cell">{escape(_origin_words(cmap))}</td>'
        '<td class="link" data-label="how">origin</td>'
        f'<td class="num reuse" data-label="reuse">{origin.reuse:.0%}</td></tr>'
    ]
    for number, column in enumerate(cmap.columns, 1):
        member = column.member
        after = next((m.after for m in cmap.timeline if m.member.key == member.key), None)
        rows.append(
            f'<tr><th scope="row">{number}</th>'
            f'<td class="who">{_who(member.outlet, member.id, member.url)}</td>'
            f"{timing(member, escape(delay(after)))}"
            f'<td class="num kept" data-label="kept">{column.count("kept")}</td>'
            f'<td class="num reworded" data-label="reworded">{column.count("reworded")}</td>'
            f'<td class="num cut" data-label="cut">{column.count("cut")}</td>'
            f'<td class="num added" data-label="added">{len(column.additions)}</td>'
            f'<td class="link" data-label="how">{escape(member.link or "")}</td>'
            f'<td class="num reuse" data-label="reuse">{member.reuse:.0%}</td></tr>'
        )
    when_head = '<th scope="col">Published</th><th scope="col">After</th>' if dated else ""
    return (
        '<div class="scroll"><table class="runs"><thead><tr><th scope="col">#</th>'
        f'<th scope="col">Outlet / story</th>{when_head}'
        '<th scope="col" class="num kept">Kept</th>'
        '<th scope="col" class="num reworded">Reworded</th>'
        '<th scope="col" class="num cut">Cut</th><th scope="col" class="num added">Added</th>'
        '<th scope="col" title="copy: reused word for word; rewrite: retold sentence by '
        'sentence; update: a later version of the same outlet’s story">How</th>'
        '<th scope="col" class="num" title="Share of the story’s text found in the origin; '
        'for the origin, found in any copy">Reuse</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _who(outlet: str, story_id: str, url: str) -> str:
    ident = escape(story_id)
    if url.startswith(("http://", "https://")):
        ident = f'<a href="{escape(url)}" rel="noreferrer">{ident}</a>'
    head = f"<b>{escape(outlet)}</b><br>" if outlet else ""
    return f'{head}<span class="id">{ident}</span>'


def _origin_words(cmap: ClusterMap) -> str:
    """How the copies used the origin's paragraphs, in words (a strip of shaded squares
    said it only on hover)."""
    copies = len(cmap.columns)
    used = [
        sum(1 for cell in marks if cell.mark in ("kept", "reworded"))
        for _, marks in cmap.rows
        if not any(cell.mark == "boilerplate" for cell in marks)
    ]
    every = sum(1 for count in used if count == copies)
    nobody = sum(1 for count in used if count == 0)
    unit = _unit(cmap)
    words = f"{_plural(len(used), unit)}: {every} ran in every copy"
    return words + (f", {nobody} in none" if nobody else "")


def _map_table(cmap: ClusterMap) -> str:
    head = "".join(
        f'<th scope="col" class="copy" title="{escape(column.member.id)}">{number}'
        f"<small>{escape(name(column.member))}</small></th>"
        for number, column in enumerate(cmap.columns, 1)
    )
    rows = []
    for unit, cells in cmap.rows:
        marks = "".join(_map_cell(cell) for cell in cells)
        rows.append(
            f'<tr><th scope="row" class="num">{unit.number}</th>'
            f'<td class="para"><span>{escape(clip(unit.text, MAP_TEXT))}</span></td>{marks}</tr>'
        )
    more = (
        '<p class="more" aria-hidden="true">scroll sideways for every copy →</p>'
        if len(cmap.columns) > 2
        else ""
    )
    return (
        f'{more}<div class="scroll"><table class="map"><thead><tr>'
        f'<th scope="col" class="num">¶</th><th scope="col">Origin paragraph</th>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _map_cell(cell: Cell) -> str:
    where = " ¶" + ",".join(map(str, cell.counterparts)) if cell.counterparts else ""
    return (
        f'<td class="mark {cell.mark}">{MARK_SYMBOL[cell.mark]} {escape(cell.label)}'
        + (f"<small>{escape(where)}</small>" if where else "")
        + "</td>"
    )


def _legend() -> str:
    return (
        '<p class="legend"><span class="mark kept">✓ kept</span> near-identical '
        '<span class="mark reworded">≈ reworded</span> trimmed, expanded, merged, split or '
        'rewritten <span class="mark cut">✕ cut</span> not in the copy '
        '<span class="mark boilerplate">· boilerplate</span> the outlet’s own chrome. '
        "¶ numbers are the copy’s own paragraphs. In the side-by-side diffs, "
        "<del>struck</del> words are the origin’s that the copy dropped or changed, "
        "<ins>underlined</ins> words the copy’s own.</p>"
    )


def _diff(column: Column, number: int, cluster_id: str) -> str:
    """A collapsed diff: its summary now, its body drawn by the script when opened."""
    b_name = name_of(column.alignment.b)
    return (
        f'<details class="diff" id="{escape(cluster_id)}-{number}" data-k="{number - 1}">'
        f"<summary><b>{number}. Origin vs {escape(b_name)}</b> "
        f'<span class="sum">{escape(column.alignment.summary())}</span></summary>'
        '<div class="diff-grid"></div></details>'
    )


def name_of(story: Story) -> str:
    return story.outlet or story.id


def cluster_data(cmap: ClusterMap) -> dict[str, Any]:
    """The cluster's detail as the page's script reads it: ``h`` its body (``cluster_body``),
    ``t`` every distinct paragraph
    text once (the origin's are shared by every diff), ``d`` one entry per copy with the
    names of its sides and its rows, each side a list of paragraphs
    ``[number, text index, kind, label, [start, end, ...]]`` (the marked spans, in UTF-16
    units as JavaScript counts)."""
    texts: dict[str, int] = {}
    diffs = []
    for column in cmap.columns:
        alignment = column.alignment
        rows = [
            [
                [_place(alignment.place("a", n), "a", texts) for n in left],
                [_place(alignment.place("b", n), "b", texts) for n in right],
            ]
            for left, right in alignment.rows
        ]
        diffs.append({"a": name_of(alignment.a), "b": name_of(alignment.b), "r": rows})
    return {"h": cluster_body(cmap), "t": list(texts), "d": diffs}


def _place(place: Placement, side: str, texts: dict[str, int]) -> list[Any]:
    status = place.status
    kind = status if status != "unique" else ("cut" if side == "a" else "added")
    label = kind if status == "unique" else status + (f", {place.how}" if place.how else "")
    if place.counterparts:
        other = "copy" if side == "a" else "origin"
        label += f" · {other} ¶" + ",".join(map(str, place.counterparts))
    spans: list[int] = []
    cursor = 0
    for marked, part in highlighted(place.text, list(place.changes), "-"):
        if marked:
            spans += [_utf16(place.text, cursor), _utf16(place.text, cursor + len(part))]
        cursor += len(part)
    index = texts.setdefault(place.text, len(texts))
    return [place.number, index, kind, label, spans]


def _utf16(text: str, offset: int) -> int:
    """A code-point offset as JavaScript's string index (astral characters count two)."""
    if text.isascii():
        return offset
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)


def pack(value: Any) -> str:
    """A cluster's data as the page carries it: JSON, gzipped, in base64. The browser reads
    every byte of the page before it shows it, and the data is repetitive markup and text, so
    this makes a 20,000-story page a fifth of the size; base64 has no ``<`` or ``&``, so
    nothing in it can end the script element. ``mtime=0``: the same scan, the same page."""
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def unpack(blob: str) -> Any:
    """The cluster data ``pack`` wrote, as the page's script reads it."""
    return json.loads(gzip.decompress(base64.b64decode(blob)))


def _singletons(stories: Sequence[Story]) -> str:
    if not stories:
        return ""
    items = "".join(
        f"<li><b>{escape(story.outlet or '—')}</b> <code>{escape(story.id)}</code> "
        f"{escape(story.headline)}</li>"
        for story in stories
    )
    return (
        f'<section class="extra" id="singletons"><details><summary><b>{len(stories)} stories '
        f"with no copy</b> among these inputs</summary><ul>{items}</ul></details></section>"
    )


def _problems(result: ScanResult) -> str:
    if not result.problems:
        return ""
    items = "".join(
        f"<li><code>{escape(p.source)}</code>: {escape(p.reason)}</li>" for p in result.problems
    )
    return (
        f'<section class="extra" id="problems"><h2>Inputs that could not be read</h2>'
        f"<ul>{items}</ul></section>"
    )


SCRIPT = """
(function () {
  'use strict';
  /* A cluster's data is gzipped JSON in base64 (a fifth of the bytes to read when the page
     opens); it is unpacked once, when first wanted. Unpacking is asynchronous, so everything
     that draws waits on a promise. */
  var cache = {};
  function data(section) {
    var n = section.id;
    if (!cache[n]) {
      var raw = atob(document.getElementById('DATA_PREFIX' + n).textContent),
          bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      cache[n] = new Response(stream).text().then(JSON.parse);
    }
    return cache[n];
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function paragraph(p, side, texts) {
    var box = el('div', 'para-box ' + p[2]);
    var label = el('p', 'label');
    label.appendChild(el('b', null, (side === 'a' ? 'O' : 'C') + p[0]));
    label.appendChild(document.createTextNode(' ' + p[3]));
    var body = el('p'), text = texts[p[1]], spans = p[4], at = 0;
    for (var i = 0; i < spans.length; i += 2) {
      if (spans[i] > at) body.appendChild(document.createTextNode(text.slice(at, spans[i])));
      body.appendChild(el(side === 'a' ? 'del' : 'ins', null, text.slice(spans[i], spans[i + 1])));
      at = spans[i + 1];
    }
    if (at < text.length) body.appendChild(document.createTextNode(text.slice(at)));
    box.appendChild(label); box.appendChild(body);
    return box;
  }
  function fill(section) {
    return data(section).then(function (all) {
      var body = section.querySelector('.cluster-body');
      if (body.dataset.filled) return;
      body.innerHTML = all.h;  /* the report's own markup, every text escaped */
      body.dataset.filled = '1';
    });
  }
  var sections = document.querySelectorAll('section.cluster');
  if ('IntersectionObserver' in window) {
    var near = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { fill(e.target); near.unobserve(e.target); }
      });
    }, {rootMargin: '1200px 0px'});
    sections.forEach(function (s) { near.observe(s); });
  } else {
    sections.forEach(fill);
  }
  function draw(details) {
    return data(details.closest('section.cluster')).then(function (all) {
      drawn(details, all);
    });
  }
  function drawn(details, all) {
    var grid = details.querySelector('.diff-grid');
    if (grid.dataset.drawn) return;
    var diff = all.d[+details.dataset.k];
    var cols = el('div', 'diff-cols');
    cols.setAttribute('aria-hidden', 'true');
    cols.appendChild(el('div', null, 'Origin · ' + diff.a));
    cols.appendChild(el('div', null, 'Copy · ' + diff.b));
    grid.appendChild(cols);
    diff.r.forEach(function (row) {
      var line = el('div', 'diff-row');
      ['a', 'b'].forEach(function (side, i) {
        var cell = el('div', 'side side-' + side);
        row[i].forEach(function (p) { cell.appendChild(paragraph(p, side, all.t)); });
        if (!row[i].length) {
          cell.appendChild(el('p', 'gap', 'not in the ' + (side === 'a' ? 'origin' : 'copy')));
        }
        line.appendChild(cell);
      });
      grid.appendChild(line);
    });
    grid.dataset.drawn = '1';
  }
  document.addEventListener('toggle', function (e) {
    if (e.target.matches && e.target.matches('details.diff') && e.target.open) draw(e.target);
  }, true);
  function opened() {
    var hash = decodeURIComponent(location.hash.slice(1));
    if (!hash) return;
    /* A diff is there once its section is filled; before, its section is. */
    var d = document.getElementById(hash),
        s = d ? d.closest('section.cluster')
              : document.getElementById(hash.replace(/-\\d+$/, ''));
    if (!s || !s.matches('section.cluster')) return;
    fill(s).then(function () {
      d = document.getElementById(hash);
      if (d && d.matches('details.diff')) { d.open = true; return draw(d); }
      d = s;
    }).then(function () {
      d.scrollIntoView();  /* again: the page has grown since the browser scrolled */
    });
  }
  addEventListener('hashchange', opened); opened();

  /* Search and filters: one pass over the list and the clusters, which share their data. */
  var q = document.getElementById('q'), size = document.getElementById('size'),
      outlet = document.getElementById('outlet'), shown = document.getElementById('shown');
  var items = document.querySelectorAll('nav.cluster-list li'),
      none = document.querySelector('nav.cluster-list .none');
  function filter() {
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean),
        range = size.value.split('-'), low = +range[0] || 0, high = +range[1] || Infinity,
        want = outlet.value, day = document.getElementById('day'),
        when = day ? day.value : '', count = 0;
    items.forEach(function (li, i) {
      var d = li.dataset, n = +d.size,
          ok = n >= low && n <= high &&
               (!want || d.outlets.split('\\x1f').indexOf(want) >= 0) &&
               (!when || d.day === when) &&
               words.every(function (w) { return d.q.indexOf(w) >= 0; });
      li.hidden = !ok; sections[i].hidden = !ok; if (ok) count++;
    });
    none.hidden = count > 0;
    shown.textContent = count === items.length
      ? items.length + (items.length === 1 ? ' cluster' : ' clusters')
      : count + ' of ' + items.length + ' clusters shown';
  }
  if (q) {
    [q, size, outlet, document.getElementById('day')].forEach(function (c) {
      if (c) c.addEventListener('input', filter);
    });
    if (q.value || size.value || outlet.value) filter();
  }

  /* Paper cannot be clicked: every diff of the clusters shown is drawn and opened for
     printing, and closed again after. */
  var printed = [];
  function forPrint() {
    var shown = document.querySelectorAll('section.cluster:not([hidden])');
    return Promise.all([].map.call(shown, function (s) {
      return fill(s).then(function () {
        return Promise.all([].map.call(s.querySelectorAll('details.diff'), function (d) {
          if (!d.open) { d.open = true; printed.push(d); }
          return draw(d);
        }));
      });
    }));
  }
  /* A print dialog cannot wait for unpacking, so the Print button unpacks, then prints. */
  var button = document.getElementById('print');
  if (button) {
    button.addEventListener('click', function () {
      button.disabled = true;
      forPrint().then(function () { button.disabled = false; print(); });
    });
  }
  addEventListener('beforeprint', forPrint);
  addEventListener('afterprint', function () {
    printed.forEach(function (d) { d.open = false; }); printed = [];
  });
  var media = matchMedia('print');
  if (media.addEventListener) {
    media.addEventListener('change', function (e) { if (e.matches) forPrint(); });
  }
})();
""".replace("DATA_PREFIX", DATA_PREFIX)
"""Draws a diff when it is opened (or linked to), filters the clusters, prepares paper."""

CSS = """
:root {
  --bg: #f6f5f1; --paper: #fff; --ink: #1d2327; --muted: #5f6b73; --line: #dedbd2;
  --accent: #0b5cad; --kept: #1e7a46; --kept-bg: #dcf1e3; --rew: #8a5a00;
  --rew-bg: #fcefc7; --cut: #a23b3b; --cut-bg: #f8e1df; --add: #1f5f99; --add-bg: #e2eefa;
  --mark: #bfe8cd; --shadow: 0 1px 2px rgba(0,0,0,.06), 0 2px 8px rgba(0,0,0,.04);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181b; --paper: #1d2125; --ink: #e6e8ea; --muted: #9aa5ad; --line: #343a40;
    --accent: #7db4ec; --kept: #7fd4a0; --kept-bg: #1d3a28; --rew: #f0c56b; --rew-bg: #3d3218;
    --cut: #f09b9b; --cut-bg: #402224; --add: #93c2f0; --add-bg: #1b3047; --mark: #2d5e40;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;
}
.page-head, nav.cluster-list, main { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
.page-head { padding-top: 28px; }
h1 { font-size: 1.9rem; margin: 0 0 4px; letter-spacing: -.01em; }
h2 { font-size: 1.35rem; margin: 0; line-height: 1.3; }
h3 {
  font-size: .8rem; text-transform: uppercase; letter-spacing: .08em; color: var(--muted);
  margin: 26px 0 8px;
}
.summary { font-size: 1.1rem; margin: 0; }
.meta { color: var(--muted); font-size: .85rem; margin: 6px 0 0; }
code, .id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: .85em; }
.id { color: var(--muted); }
a { color: var(--accent); }
nav.cluster-list h2 { margin: 26px 0 10px; }
nav.cluster-list ol {
  list-style: none; margin: 0; padding: 0; display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); counter-reset: c;
}
nav.cluster-list li { counter-increment: c; }
nav.cluster-list a {
  display: flex; flex-direction: column; gap: 2px; height: 100%; padding: 12px 14px 12px 46px;
  position: relative; background: var(--paper); border: 1px solid var(--line);
  border-radius: 10px; color: inherit; text-decoration: none; box-shadow: var(--shadow);
}
nav.cluster-list a::before {
  content: counter(c); position: absolute; left: 12px; top: 12px; width: 24px; height: 24px;
  border-radius: 50%; background: var(--accent); color: var(--paper); font-size: .8rem;
  font-weight: 700; display: grid; place-items: center;
}
nav.cluster-list a:hover, nav.cluster-list a:focus-visible {
  border-color: var(--accent); outline: none;
}
.li-head { font-weight: 650; line-height: 1.3; }
.li-facts, .li-outlets { font-size: .85rem; color: var(--muted); }
.li-outlets { font-style: italic; }
.cluster {
  background: var(--paper); border: 1px solid var(--line); border-radius: 14px;
  padding: 22px 24px; margin: 28px 0; box-shadow: var(--shadow); scroll-margin-top: 12px;
}
.cluster:target { border-color: var(--accent); box-shadow: 0 0 0 3px var(--accent); }
.kicker { margin: 0 0 4px; color: var(--muted); font-size: .85rem; }
.origin { margin: 6px 0 0; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
thead th { font-size: .78rem; color: var(--muted); font-weight: 600; white-space: nowrap;
  border-bottom: 2px solid var(--line); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.when, td.after { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.after { color: var(--muted); }
.runs td.kept, .runs th.kept { color: var(--kept); }
.runs td.reworded, .runs th.reworded { color: var(--rew); }
.runs td.cut, .runs th.cut { color: var(--cut); }
.runs td.added, .runs th.added { color: var(--add); }
.runs tr.is-origin { background: color-mix(in srgb, var(--accent) 7%, transparent); }
.runs td.bar-cell { color: var(--muted); font-size: .85rem; }
.map td.para { min-width: 14em; max-width: 34em; }
.map td.para span {
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden;
}
.map th.copy { text-align: center; min-width: 6.5em; }
.map th.copy small { display: block; font-weight: 500; white-space: normal; max-width: 9em;
  margin: 0 auto; }
td.mark { text-align: center; white-space: nowrap; font-weight: 600; font-size: .85rem;
  border-left: 3px solid var(--paper); }
td.mark small { display: block; font-weight: 400; opacity: .8; }
.mark.kept { background: var(--kept-bg); color: var(--kept); }
.mark.reworded { background: var(--rew-bg); color: var(--rew); }
.mark.cut { background: var(--cut-bg); color: var(--cut); }
.legend { font-size: .85rem; color: var(--muted); margin: 10px 0 0; line-height: 2; }
.legend .mark { padding: 2px 8px; border-radius: 6px; font-weight: 600; margin-left: 6px; }
.legend .mark:first-child { margin-left: 0; }
details.diff { border: 1px solid var(--line); border-radius: 10px; margin: 10px 0;
  background: var(--paper); }
details.diff > summary { cursor: pointer; padding: 10px 14px 10px 34px; list-style: none;
  position: relative; }
details.diff > summary::-webkit-details-marker { display: none; }
details.diff > summary::before { content: "▸"; position: absolute; left: 14px; top: 9px;
  color: var(--accent); }
details.diff[open] > summary::before { content: "▾"; }
details.diff > summary .sum { display: block; color: var(--muted); font-size: .85rem; }
details.diff[open] > summary { border-bottom: 1px solid var(--line); }
.diff-grid { padding: 6px 14px 14px; }
.diff-cols, .diff-row { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.diff-cols { position: sticky; top: 0; background: var(--paper); z-index: 1; padding: 8px 0;
  font-size: .8rem; font-weight: 700; color: var(--muted); text-transform: uppercase;
  letter-spacing: .05em; border-bottom: 1px solid var(--line); }
.diff-row { padding: 8px 0; border-bottom: 1px dashed var(--line); }
.diff-row:last-child { border-bottom: 0; }
.para-box { border-left: 4px solid var(--line); padding: 2px 0 2px 10px; margin: 0 0 8px; }
.para-box:last-child { margin-bottom: 0; }
.para-box p { margin: 0; }
.para-box .label { font-size: .75rem; color: var(--muted); margin-bottom: 2px; }
.para-box.shared { border-color: var(--kept); }
.para-box.changed { border-color: var(--rew); }
.para-box.cut { border-color: var(--cut); color: var(--muted); }
.para-box.added { border-color: var(--add); background: var(--add-bg); border-radius: 0 6px 6px 0;
  padding-right: 8px; }
.para-box del { background: var(--cut-bg); color: var(--cut); text-decoration: line-through;
  border-radius: 3px; padding: 0 1px; }
.para-box ins { background: var(--mark); color: inherit; text-decoration: underline;
  border-radius: 3px; padding: 0 1px; }
.legend del { color: var(--cut); }
.legend ins { text-decoration: underline; }
.mark.boilerplate, .para-box.boilerplate { color: var(--muted); }
.para-box.boilerplate { border-color: var(--line); font-size: .9em; }
.gap { color: var(--muted); font-style: italic; font-size: .85rem; margin: 0; }
.back { margin: 16px 0 0; font-size: .9rem; }
.extra { max-width: 1180px; margin: 28px auto; }
.extra ul { padding-left: 20px; }
.extra li { margin: 4px 0; }
.controls { max-width: 1180px; margin: 18px auto 0; padding: 0 20px; display: flex;
  flex-wrap: wrap; gap: 10px 18px; align-items: end; }
.controls label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted);
  font-weight: 600; gap: 3px; }
.controls label.q { flex: 1 1 260px; }
.controls input, .controls select { font: inherit; font-size: 1rem; color: var(--ink);
  background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 7px 10px;
  max-width: 100%; }
.controls input:focus, .controls select:focus { outline: 2px solid var(--accent); }
.controls button { font: inherit; font-size: 1rem; color: var(--paper); background: var(--accent);
  border: 0; border-radius: 8px; padding: 8px 14px; cursor: pointer; }
.controls button:disabled { opacity: .6; cursor: progress; }
#shown { margin: 0; color: var(--muted); font-size: .9rem; padding-bottom: 8px; }
[hidden] { display: none !important; }
.cluster { content-visibility: auto; contain-intrinsic-size: auto 240px; }
nav.cluster-list li { content-visibility: auto; contain-intrinsic-size: auto 96px; }
.travel { list-style: none; margin: 0; padding: 0; }
.t-row, .t-scale { display: grid; grid-template-columns: minmax(8em, 12em) minmax(120px, 1fr)
  minmax(14em, 1.4fr); gap: 4px 14px; align-items: center; padding: 5px 0;
  border-bottom: 1px solid var(--line); font-size: .9rem; }
.t-scale { border: 0; font-size: .75rem; color: var(--muted); padding-top: 2px; }
.t-scale .t-axis { display: flex; justify-content: space-between; background: none; }
.t-who { font-weight: 650; overflow-wrap: anywhere; }
.t-axis { position: relative; height: 4px; background: var(--line); border-radius: 2px;
  margin: 0 8px; }
.t-scale .t-axis { height: auto; }
.t-mark { position: absolute; top: 50%; left: calc(var(--at) * 100%); width: 14px; height: 14px;
  margin: -7px 0 0 -7px; border-radius: 50%; background: var(--kept);
  border: 2px solid var(--paper); }
.t-mark.origin { background: var(--accent); border-radius: 3px; }
.t-mark.rewrite { background: var(--paper); border: 3px solid var(--rew); }
.t-mark.update { background: var(--add); border-radius: 2px; transform: rotate(45deg); }
.t-what { color: var(--muted); font-size: .85rem; }
.t-row.origin .t-what { color: var(--ink); }
.t-row:not(:has(.t-axis)) { grid-template-columns: minmax(8em, 12em) 1fr; }
.more { display: none; margin: 0 0 4px; font-size: .8rem; color: var(--muted); }
@media (max-width: 720px) {
  .controls { padding: 0 12px; }
  .more { display: block; }
  .t-row, .t-scale { grid-template-columns: 1fr; gap: 4px; }
  .t-row:not(:has(.t-axis)) { grid-template-columns: 1fr; }
  .t-axis { margin: 6px 8px; }
  .t-scale .t-who { display: none; }
  body { font-size: 15px; }
  .page-head, nav.cluster-list, main { padding: 0 12px; }
  h1 { font-size: 1.5rem; }
  nav.cluster-list ol { grid-template-columns: 1fr; }
  .cluster { padding: 16px 14px; border-radius: 10px; margin: 18px 0; }
  .diff-cols { display: none; }
  .diff-row { grid-template-columns: 1fr; gap: 6px; }
  .side-a .gap, .side-b .gap { display: none; }
  .side-a .para-box .label b::after { content: " origin"; font-weight: 400; }
  .side-b .para-box .label b::after { content: " copy"; font-weight: 400; }
  .map td.para { min-width: 10em; }
  .map th.copy { min-width: 4.8em; }
  .runs thead { display: none; }
  .runs, .runs tbody { display: block; }
  .runs tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 12px;
    padding: 10px 4px; border-bottom: 1px solid var(--line); }
  .runs th, .runs td { border: 0; padding: 0; }
  .runs th[scope="row"] { flex: 0 0 1.2em; }
  .runs td.who { flex: 1 1 55%; }
  .runs td.reuse { order: 1; }
  .runs td.when, .runs td.after, .runs td.num:not(.reuse), .runs td.bar-cell { order: 2; }
  .runs td.when, .runs td.kept, .runs td.bar-cell { margin-left: calc(1.2em + 12px); }
  .runs td.when + td.after { flex: 1 1 auto; }
  .runs td.bar-cell { flex: 1 1 60%; }
  .runs td[data-label]::before { content: attr(data-label) " "; color: var(--muted); }
}
@media print {
  .controls { display: none; }
  .cluster, nav.cluster-list li { content-visibility: visible; }
  :root { --bg: #fff; --paper: #fff; --shadow: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10pt; }
  nav.cluster-list a { box-shadow: none; break-inside: avoid; }
  .cluster { break-before: page; border: 0; box-shadow: none; padding: 0; margin: 0; }
  .cluster:target { box-shadow: none; }
  .scroll { overflow: visible; }
  .map td.para span { -webkit-line-clamp: unset; display: block; }
  details::details-content { content-visibility: visible; }
  details.diff > summary { padding-left: 14px; }
  details.diff > summary::before { content: none; }
  .diff-cols { position: static; }
  .diff-row, .para-box, tr { break-inside: avoid; }
  .back { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""
"""One stylesheet: light and dark, wide and narrow screens, and paper."""
