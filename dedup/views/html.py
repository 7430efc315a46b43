"""The HTML report: one self-contained page with every cluster's map and side-by-side diffs.

The page must open anywhere a desk editor or a researcher may carry it: offline, from an
e-mail attachment, on a phone, on paper. So it has no external asset of any kind (inline CSS
and a few lines of inline JS that open the collapsed diffs before printing), a layout that
stacks the two sides of a diff on narrow screens, and print rules that keep the colours and
start each cluster on a new page. Every piece of story text is escaped; nothing from the
input reaches the page as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from html import escape
from importlib.metadata import PackageNotFoundError, version

from dedup.records import Member, ScanResult, Story
from dedup.views.align import Alignment, Placement
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


def report_html(
    result: ScanResult,
    source: ClusterSource | None = None,
    *,
    inputs: Sequence[str] = (),
    title: str = "Wire copies",
    generated: datetime | None = None,
) -> str:
    """The whole report as one HTML document. ``source`` supplies clusters and story text
    (the scan itself by default; an index later)."""
    source = source or ScanSource(result)
    stories = source.stories()
    maps = [
        cluster_map(
            cluster,
            stories,
            cluster_boilerplate(cluster, stories, result.boilerplate, result.settings),
        )
        for cluster in source.clusters()
    ]
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
        _cluster_list(maps),
        "<main>",
        *(_cluster_section(cmap) for cmap in maps),
        _singletons(result.singletons),
        _problems(result),
        "</main>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _version() -> str:
    try:
        return version("wire-dedup")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "(development)"


def _title(cmap: ClusterMap) -> str:
    """The headline, else the start of the origin's first paragraph: an id says little."""
    if cmap.origin_member.headline:
        return cmap.origin_member.headline
    first = cmap.origin.paragraphs[0].text if cmap.origin.paragraphs else cmap.origin.id
    return clip(first, 90)


def _cluster_list(maps: Sequence[ClusterMap]) -> str:
    if not maps:
        return (
            '<nav id="clusters" class="cluster-list"><h2>Clusters</h2>'
            "<p>No copies were found among these stories.</p></nav>"
        )
    items = []
    for cmap in maps:
        origin = cmap.origin_member
        outlets = ", ".join(dict.fromkeys(name(c.member) for c in cmap.columns))
        items.append(
            f'<li><a href="#{escape(cmap.cluster.id)}">'
            f'<span class="li-head">{escape(_title(cmap))}</span>'
            f'<span class="li-facts"><b>{cmap.cluster.size} stories</b> · origin '
            f"{escape(name(origin))}"
            + (f" · {escape(when(origin))}" if origin.date else "")
            + f'</span><span class="li-outlets">{escape(outlets)}</span></a></li>'
        )
    return (
        f'<nav id="clusters" class="cluster-list" aria-label="Clusters"><h2>Clusters</h2>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def _cluster_section(cmap: ClusterMap) -> str:
    cluster, origin = cmap.cluster, cmap.origin_member
    cid = escape(cluster.id)
    return "\n".join(
        [
            f'<section class="cluster" id="{cid}" aria-labelledby="{cid}-title">',
            '<header class="cluster-head">',
            f'<p class="kicker">Cluster <code>{cid}</code> · {cluster.size} stories</p>',
            f'<h2 id="{cid}-title">{escape(_title(cmap))}</h2>',
            '<p class="origin">Origin: '
            + (f"<b>{escape(origin.outlet)}</b> " if origin.outlet else "")
            + f"<code>{escape(origin.id)}</code>"
            + (f", {escape(when(origin))}" if origin.date else "")
            + "</p>",
            "</header>",
            f"<h3>{'Who ran it, and when' if cmap.timeline else 'Who ran it'}</h3>",
            _runs_table(cmap),
            "<h3>The origin’s paragraphs in each copy</h3>",
            _map_table(cmap),
            _legend(),
            "<h3>Side by side</h3>",
            *(_diff(column, number, cluster.id) for number, column in enumerate(cmap.columns, 1)),
            '<p class="back"><a href="#clusters">↑ All clusters</a></p>',
            "</section>",
        ]
    )


def _runs_table(cmap: ClusterMap) -> str:
    """Who ran the story, when (a timeline, when dates are known) and what each copy did
    with the origin's paragraphs."""
    origin, dated = cmap.origin_member, bool(cmap.timeline)

    def timing(member: Member, after: str) -> str:
        if not dated:
            return ""
        return f'<td class="when">{escape(when(member))}</td><td class="after">{after}</td>'

    rows = [
        '<tr class="is-origin"><th scope="row">O</th>'
        f'<td class="who">{_who(origin.outlet, origin.id, origin.url)}</td>'
        f"{timing(origin, 'origin')}"
        f'<td colspan="4" class="bar-cell">{_bar_origin(cmap)}</td>'
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


def _bar_origin(cmap: ClusterMap) -> str:
    """How many copies ran each of the origin's paragraphs, as a tiny strip of cells."""
    copies = len(cmap.columns) or 1
    cells = []
    for unit, marks in cmap.rows:
        used = sum(1 for cell in marks if cell.mark in ("kept", "reworded"))
        cells.append(
            f'<span style="opacity:{0.15 + 0.85 * used / copies:.2f}" '
            f'title="¶{unit.number}: run by {used} of {copies} copies"></span>'
        )
    return f'<span class="strip" aria-label="copies running each paragraph">{"".join(cells)}</span>'


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
            f'<td class="para"><span>{escape(unit.text)}</span></td>{marks}</tr>'
        )
    return (
        '<div class="scroll"><table class="map"><thead><tr><th scope="col" class="num">¶</th>'
        f'<th scope="col">Origin paragraph</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _map_cell(cell: Cell) -> str:
    where = " ¶" + ",".join(map(str, cell.counterparts)) if cell.counterparts else ""
    return (
        f'<td class="mark {cell.mark}" title="{escape(cell.label + where)}">'
        f'<span aria-hidden="true">{MARK_SYMBOL[cell.mark]}</span> {escape(cell.label)}'
        f"<small>{escape(where)}</small></td>"
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
    alignment = column.alignment
    a_name = name_of(alignment.a)
    b_name = name_of(alignment.b)
    rows = "".join(_diff_row(alignment, left, right) for left, right in alignment.rows)
    return (
        f'<details class="diff" id="{escape(cluster_id)}-{number}">'
        f"<summary><b>{number}. Origin vs {escape(b_name)}</b> "
        f'<span class="sum">{escape(column.alignment.summary())}</span></summary>'
        f'<div class="diff-grid"><div class="diff-cols" aria-hidden="true">'
        f"<div>Origin · {escape(a_name)}</div><div>Copy · {escape(b_name)}</div></div>"
        f"{rows}</div></details>"
    )


def name_of(story: Story) -> str:
    return story.outlet or story.id


def _diff_row(alignment: Alignment, left: list[int], right: list[int]) -> str:
    a = "".join(_paragraph(alignment.place("a", n), "a") for n in left)
    b = "".join(_paragraph(alignment.place("b", n), "b") for n in right)
    return (
        f'<div class="diff-row"><div class="side side-a">{a or _gap("origin")}</div>'
        f'<div class="side side-b">{b or _gap("copy")}</div></div>'
    )


def _gap(side: str) -> str:
    return f'<p class="gap">not in the {side}</p>'


def _paragraph(place: Placement, side: str) -> str:
    status = place.status
    if status == "unique":
        label = "cut" if side == "a" else "added"
    else:
        label = status + (f", {place.how}" if place.how else "")
    if place.counterparts:
        other = "copy" if side == "a" else "origin"
        label += f" · {other} ¶" + ",".join(map(str, place.counterparts))
    marker = "O" if side == "a" else "C"
    text = _marked(place.text, place.changes, "del" if side == "a" else "ins")
    kind = status if status != "unique" else ("cut" if side == "a" else "added")
    return (
        f'<div class="para-box {kind}"><p class="label"><b>{marker}{place.number}</b> '
        f"{escape(label)}</p><p>{text}</p></div>"
    )


def _marked(text: str, spans: Iterable[tuple[int, int]], tag: str) -> str:
    """The text with the words the other side lacks in ``<del>`` (the origin's) or
    ``<ins>`` (the copy's); identical text carries no mark."""
    return "".join(
        f"<{tag}>{escape(part)}</{tag}>" if kind else escape(part)
        for kind, part in highlighted(text, list(spans), "-")
    )


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
  var opened = [];
  addEventListener('beforeprint', function () {
    document.querySelectorAll('details:not([open])').forEach(function (d) {
      d.open = true; opened.push(d);
    });
  });
  addEventListener('afterprint', function () {
    opened.forEach(function (d) { d.open = false; }); opened = [];
  });
})();
"""
"""Paper cannot be clicked: every collapsed diff is opened for printing, and closed again."""

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
.strip { display: flex; gap: 2px; height: 14px; margin-top: 5px; }
.strip span { flex: 1; background: var(--kept); border-radius: 2px; min-width: 4px; }
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
@media (max-width: 720px) {
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
