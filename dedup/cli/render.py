"""Terminal views with rich: the cluster table, the side-by-side diff, the cluster map and
the explanation of a decision.

Only used when output goes to a terminal; pipes and files get the plain formats of
``output``. rich itself honours ``NO_COLOR`` and the terminal's width.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from dedup.records import Member, ScanResult
from dedup.views.align import Alignment, Placement
from dedup.views.explain import Explanation, explain_lines
from dedup.views.maps import LEGEND, SYMBOL, ClusterMap, Column, delay, name, when
from dedup.views.output import after_origin, diff_header, hidden, label
from dedup.views.words import highlighted, merged

STATUS_STYLE = {"shared": "green", "changed": "yellow", "unique": "cyan", "boilerplate": "dim"}
"""Colour of each paragraph status."""
LINK_STYLE = {"copy": "", "rewrite": "bold magenta", "update": "blue"}
"""How a copy is tied to its origin; a rewrite stands out, since few of its words match."""
MARK = {"-": "bold red strike", "+": "bold green underline", "": ""}
"""Words only in A are struck through, words only in B underlined: both read without colour
too (``NO_COLOR``)."""


def scan_table(result: ScanResult, console: Console, singletons: bool = False) -> None:
    """Each cluster under a heading (its id, size and headline), one row per story: its id,
    outlet, date, delay after the origin, link to the origin and share reused. Ids are never
    broken (they are what ``dedup show`` takes): when the table cannot hold the longest id
    on one line, each story is listed on two lines instead, its id alone on the first. The
    summary line is the caller's, on stderr."""
    if result.clusters:
        table = _members_table(result, console.width)
        if table is not None:
            console.print(table)
        else:
            _members_list(result, console)
    if singletons and result.singletons:
        single = Table(box=box.SIMPLE, title="Singletons")
        single.add_column("singleton", no_wrap=True)
        single.add_column("outlet")
        single.add_column("headline", ratio=1)
        for story in result.singletons:
            single.add_row(story.id, story.outlet or "-", story.headline or "")
        longest = max(len(story.id) for story in result.singletons)
        if longest + 3 * _WORD <= console.width:
            console.print(single)
        else:
            console.print(Text("singletons", style="bold underline"))
            for story in result.singletons:
                console.print(Text(story.id, style="bold"), soft_wrap=True)
                details = " · ".join(part for part in (story.outlet, story.headline) if part)
                if details:
                    console.print(Text(f"    {details}", style="dim"))


_EDGES = 17
"""Characters of a six-column table that are not text: padding, separators and edges."""
_WORD = 12
"""Least room for the outlet, which wraps between words."""


def _members_table(result: ScanResult, width: int) -> Table | None:
    """The table of clustered stories at ``width`` columns, every column sized here so
    that the story ids are whole; None when they cannot be at this width."""
    rows = [(cluster, member) for cluster in result.clusters for member in cluster.members]
    ids = max(
        max(len(member.id) for _, member in rows),
        max(len(f"{cluster.id}  {cluster.size} stories") for cluster in result.clusters),
    )
    afters = max(
        len(delay(after_origin(member.date, cluster.origin_member.date)) or "origin")
        for cluster, member in rows
    )
    dates = max(len(when(member)) for _, member in rows)
    outlets = max(_WORD, *(len(member.outlet or "-") for _, member in rows))
    room = width - _EDGES - ids - afters - len("rewrite") - len("reuse")
    if room < _WORD + len("2026-01-01"):
        return None
    published = dates if room - dates >= min(outlets, 2 * _WORD) else len("2026-01-01")
    table = Table(box=box.SIMPLE_HEAD, expand=False, pad_edge=False)
    table.add_column("story", width=ids)
    table.add_column("outlet", width=min(outlets, room - published))
    table.add_column("published", width=published)
    table.add_column("after", justify="right", no_wrap=True, width=afters)
    table.add_column("link", no_wrap=True, width=len("rewrite"))
    table.add_column("reuse", justify="right", no_wrap=True, width=len("reuse"))
    for cluster in result.clusters:
        origin = cluster.origin_member
        heading = Text(cluster.id, style="bold cyan")
        heading.append(f"  {cluster.size} stories", style="dim")
        if origin.headline:
            heading.append(f"\n{origin.headline}", style="bold")
        table.add_row(heading)
        for number, member in enumerate(cluster.members, start=1):
            is_origin = member.key == origin.key
            after = "origin" if is_origin else delay(after_origin(member.date, origin.date))
            table.add_row(
                Text(member.id, style="bold" if is_origin else "", no_wrap=True),
                member.outlet or "-",
                when(member),
                Text(after, style="dim" if is_origin else ""),
                Text(member.link or "", style=LINK_STYLE.get(member.link or "", "")),
                Text(f"{member.reuse:.0%}", style=_share_style(member.reuse)),
                end_section=number == cluster.size,
            )
    return table


def _members_list(result: ScanResult, console: Console) -> None:
    """The clusters for a terminal too narrow for the table: each id alone on its line,
    printed without wrapping, its details below."""
    for cluster in result.clusters:
        origin = cluster.origin_member
        heading = Text(cluster.id, style="bold cyan")
        heading.append(f"  {cluster.size} stories  ", style="dim")
        heading.append(origin.headline or "", style="bold")
        console.print(heading)
        for member in cluster.members:
            is_origin = member.key == origin.key
            console.print(Text("  ") + Text(member.id, style="bold"), soft_wrap=True)
            details = Text("      ")
            if is_origin:
                details.append("origin", style="dim")
            else:
                details.append(member.link or "copy", style=LINK_STYLE.get(member.link or "", ""))
                after = delay(after_origin(member.date, origin.date))
                if after:
                    details.append(f" {after}")
            details.append(f" · {member.outlet or '-'} · {when(member)} · reuse ")
            details.append(f"{member.reuse:.0%}", style=_share_style(member.reuse))
            console.print(details)
        console.print()


def _share_style(share: float) -> str:
    return "green" if share >= 0.5 else "yellow" if share >= 0.2 else "red"


def _marked(segments: Iterable[tuple[str, str]]) -> Text:
    text = Text()
    for kind, part in segments:
        text.append(part, style=MARK[kind])
    return text


def _head(places: list[Placement], sides: str) -> Text:
    """ "A4 = B10 [shared]" for a pair, "B9 [changed, merged ~ A 1,3]" for one unit."""
    place = places[0]
    names = " = ".join(f"{side}{p.number}" for side, p in zip(sides, places))
    text = Text()
    text.append(names + " ", style="bold")
    tie = ""
    if len(places) == 1 and place.counterparts:
        other = "B" if sides == "A" else "A"
        tie = f" ~ {other} " + ",".join(map(str, place.counterparts))
    text.append(f"[{label(place)}{tie}]", style=f"{STATUS_STYLE.get(place.status, '')} italic")
    return text


def _paragraph(place: Placement, side: str) -> Text:
    """One unit: its head, then its text with the words the other side lacks marked."""
    body = _marked(highlighted(place.text, place.changes, "-" if side == "A" else "+"))
    if place.status == "boilerplate":
        body.stylize("dim")
    return _head([place], side) + Text("\n") + body


def diff_view(alignment: Alignment, console: Console, changes_only: bool = False) -> None:
    """A header naming A and B, then the rows side by side when the terminal is wide enough,
    stacked otherwise, where a pair of linked units is printed once with its differences
    marked (as ``git diff --color-words``)."""
    for line in diff_header(alignment):
        console.print(Text(line, style="bold" if line[:1] in "-+" else "dim"), soft_wrap=True)
    rows = [
        (left, right)
        for left, right in alignment.rows
        if not (changes_only and hidden(alignment, left, right))
    ]
    if console.width >= 100:
        table = Table(box=box.SIMPLE, expand=True, show_lines=True)
        table.add_column(f"A  {alignment.a.id}", ratio=1, overflow="fold")
        table.add_column(f"B  {alignment.b.id}", ratio=1, overflow="fold")
        for left, right in rows:
            table.add_row(
                Group(*(_paragraph(alignment.place("a", n), "A") for n in left)) if left else "",
                Group(*(_paragraph(alignment.place("b", n), "B") for n in right)) if right else "",
            )
        console.print(table)
    else:
        console.print()
        for left, right in rows:
            pair = alignment.pair(left, right)
            if pair is not None:
                a, b = alignment.place("a", left[0]), alignment.place("b", right[0])
                console.print(_head([a, b], "AB"))
                console.print(_marked(merged(a.text, b.text, pair.edits)))
            else:
                for n in left:
                    console.print(_paragraph(alignment.place("a", n), "A"))
                for n in right:
                    console.print(_paragraph(alignment.place("b", n), "B"))
            console.print()
    left_out = len(alignment.rows) - len(rows)
    if left_out:
        console.print(f"({left_out} rows of identical text not shown)", style="dim")
    console.print(alignment.summary(), style="bold")


# -- cluster map, explain, paging ----------------------------------------------------------

MARK_STYLE = {"kept": "green", "reworded": "yellow", "cut": "red", "boilerplate": "dim"}
"""Colour of each cell of the cluster map."""


def cluster_map_view(cmap: ClusterMap, console: Console, additions: bool = False) -> None:
    """Who ran the story and when, then the origin's paragraphs against each copy."""
    cluster, origin = cmap.cluster, cmap.origin_member
    title = Text(f"cluster {cluster.id}", style="bold")
    title.append(f"  {cluster.size} stories, origin {origin.id}")
    if origin.outlet:
        title.append(f" ({origin.outlet})", style="dim")
    console.print(title)
    if origin.headline:
        console.print(origin.headline, style="bold")

    _who_ran_it(cmap, console)
    _paragraph_grid(cmap, console)
    if additions:
        for number, column in enumerate(cmap.columns, start=1):
            console.print(Text(f"added by {number} {name(column.member)}", style="bold cyan"))
            if not column.additions:
                console.print("  nothing", style="dim")
            for place in column.additions:
                console.print(Text(f"  ¶{place.number} ", style="dim") + Text(place.text))
    elif any(column.additions for column in cmap.columns):
        console.print("--additions lists each copy's own paragraphs", style="dim")


def _who_ran_it(cmap: ClusterMap, console: Console) -> None:
    """A table of the members, with when each ran and what it did with the origin's text;
    a list on narrow terminals, where eight columns would not fit."""
    origin = cmap.origin_member
    rows = [("O", origin, None), *((str(n), c.member, c) for n, c in enumerate(cmap.columns, 1))]
    console.print(Text("who ran it", style="bold underline"))
    if console.width < 96:
        for number, member, column in rows:
            after = _delay_of(member, cmap) if column else "origin"
            line = Text(f"{number:>2} ", style="bold") + Text(name(member), style="bold")
            line.append(f"  {after}  ")
            if member.link:
                line.append(member.link, style=LINK_STYLE[member.link])
                line.append("  ")
            line.append(f"reuse {member.reuse:.0%}")
            console.print(line)
            ident = f"{member.id}  " if member.outlet else ""
            console.print(Text(f"   {ident}{when(member)}", style="dim"))
            if column:
                console.print(Text("   ") + _tally(column))
        console.print()
        return
    table = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
    table.add_column("#", justify="right", style="bold")
    table.add_column("outlet / story", overflow="fold")
    table.add_column("published", no_wrap=True)
    table.add_column("after", justify="right", no_wrap=True)
    table.add_column("link", no_wrap=True)
    for heading in ("kept", "reworded", "cut", "added", "reuse"):
        table.add_column(heading, justify="right", style=MARK_STYLE.get(heading, ""))
    for number, member, column in rows:
        who = Text(name(member), style="bold")
        if member.outlet:
            who.append(f"\n{member.id}", style="dim")
        counts = (
            [str(column.count(mark)) for mark in ("kept", "reworded", "cut")]
            + [str(len(column.additions))]
            if column
            else ["", "", "", ""]
        )
        delay_text = _delay_of(member, cmap) if column else "origin"
        link = Text(member.link or "", style=LINK_STYLE.get(member.link or "", ""))
        table.add_row(number, who, when(member), delay_text, link, *counts, f"{member.reuse:.0%}")
    console.print(table)


def _tally(column: Column) -> Text:
    text = Text()
    for mark in ("kept", "reworded", "cut"):
        text.append(f"{mark} {column.count(mark)}", style=MARK_STYLE[mark])
        text.append(", ")
    text.append(f"added {len(column.additions)}", style="cyan")
    return text


def _delay_of(member: Member, cmap: ClusterMap) -> str:
    return delay(next((m.after for m in cmap.timeline if m.member.key == member.key), None))


def _paragraph_grid(cmap: ClusterMap, console: Console) -> None:
    """The origin's paragraphs as rows, the copies as columns. Cells name what the copy did
    and, when there is room, which of its paragraphs took the text; on a narrow terminal
    they shrink to one symbol each, with a legend."""
    rows = cmap.rows
    labels = [
        [
            cell.label + (" ¶" + ",".join(map(str, cell.counterparts)) if cell.counterparts else "")
            for cell in cells
        ]
        for _, cells in rows
    ]
    count = len(cmap.columns)

    def widths(texts: list[list[str]]) -> list[int]:
        return [max([len(str(n + 1)), *(len(row[n]) for row in texts)]) for n in range(count)]

    number_width = max((len(str(unit.number)) for unit, _ in rows), default=1)
    # Columns are three characters apart (padding, separator, padding), none at the edges.
    room = console.width - number_width - 3 * (count + 1)

    def text_room(texts: list[list[str]]) -> int:
        return room - sum(widths(texts))

    if text_room(labels) < 24:
        labels = [[cell.label for cell in cells] for _, cells in rows]
    symbols = text_room(labels) < 16
    if symbols:
        labels = [[SYMBOL[cell.label] for cell in cells] for _, cells in rows]
    console.print(Text("the origin's paragraphs in each copy", style="bold underline"))
    if symbols:
        console.print(LEGEND, style="dim")
    grid = Table(box=box.SIMPLE, pad_edge=False, show_edge=False, expand=False)
    grid.add_column("¶", justify="right", style="dim", width=number_width)
    grid.add_column(
        "origin", no_wrap=True, overflow="ellipsis", width=min(90, max(8, text_room(labels)))
    )
    for number, width in enumerate(widths(labels), start=1):
        grid.add_column(str(number), no_wrap=True, width=width)
    for (unit, cells), row in zip(rows, labels):
        marks = [Text(label, style=MARK_STYLE[cell.mark]) for cell, label in zip(cells, row)]
        grid.add_row(str(unit.number), " ".join(unit.text.split()), *marks)
    console.print(grid)


EXPLAIN_STYLE = {"head": "bold", "good": "green", "bad": "red", "dim": "dim", "": ""}


def explain_view(found: Explanation, console: Console) -> None:
    """The explanation with its tests coloured: green passed, red failed."""
    lines = explain_lines(found)
    for style, line in lines[:-1]:
        console.print(Text(line, style=EXPLAIN_STYLE[style]), soft_wrap=True)
    style, verdict = lines[-1]
    console.print(Text(verdict, style=f"bold {EXPLAIN_STYLE[style]}"), soft_wrap=True)


@contextmanager
def paged(console: Console, enabled: bool) -> Iterator[None]:
    """Send what is printed inside through the pager (``$PAGER``, else less) when asked;
    less is told to show colours, as git does, unless the user set ``LESS`` already."""
    if not enabled:
        yield
        return
    os.environ.setdefault("LESS", "-R")
    with console.pager(styles=True):
        yield
