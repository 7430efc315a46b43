"""Terminal views with rich: the cluster table and the side-by-side diff.

Only used when output goes to a terminal; pipes and files get the plain formats of
``output``. rich itself honours ``NO_COLOR`` and the terminal's width.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .align import Alignment, Placement
from .output import summary_line
from .pipeline import ScanResult

STATUS_STYLE = {"shared": "green", "changed": "yellow", "unique": "cyan"}
"""Colour of each paragraph status; the words that differ are shown in bold reverse."""


def scan_table(result: ScanResult, console: Console, singletons: bool = False) -> None:
    """One row per cluster: size, origin, headline, and each member's share of reused text."""
    table = Table(box=box.SIMPLE_HEAVY, show_lines=False, expand=False)
    table.add_column("cluster", style="bold", no_wrap=True)
    table.add_column("size", justify="right")
    table.add_column("origin", overflow="fold")
    table.add_column("headline", overflow="fold", ratio=2)
    table.add_column("members (outlet, share from origin)", overflow="fold", ratio=3)
    for cluster in result.clusters:
        origin = next(m for m in cluster.members if m.key == cluster.origin)
        members = Text()
        for member in cluster.members:
            if member.key == cluster.origin:
                continue
            members.append(f"{member.id}", style="bold")
            members.append(f" {member.outlet or '-'} ")
            members.append(f"{member.reuse:.0%}\n", style=_share_style(member.reuse))
        members.rstrip()
        origin_text = Text(origin.id, style="bold")
        if origin.outlet:
            origin_text.append(f"\n{origin.outlet}", style="dim")
        table.add_row(cluster.id, str(cluster.size), origin_text, origin.headline or "", members)
    if result.clusters:
        console.print(table)
    if singletons and result.singletons:
        single = Table("singleton", "outlet", "headline", box=box.SIMPLE, title="Singletons")
        for story in result.singletons:
            single.add_row(story.id, story.outlet or "-", story.headline or "")
        console.print(single)
    console.print(summary_line(result), style="bold")


def _share_style(share: float) -> str:
    return "green" if share >= 0.5 else "yellow" if share >= 0.2 else "red"


def _paragraph(place: Placement, side: str) -> Text:
    style = STATUS_STYLE.get(place.status, "")
    label = place.status + (f", {place.how}" if place.how else "")
    if place.counterparts:
        other = "B" if side == "A" else "A"
        label += f" ~ {other} " + ",".join(map(str, place.counterparts))
    text = Text(f"{side}{place.number} ", style="bold")
    text.append(f"[{label}]\n", style=f"{style} italic")
    body = Text(place.text)
    if place.status != "unique":
        cursor = 0
        for start, end in place.kept:
            if start > cursor:
                body.stylize("bold reverse", cursor, start)
            cursor = max(cursor, end)
        if cursor < len(place.text):
            body.stylize("bold reverse", cursor, len(place.text))
        body.stylize(style)
    else:
        body.stylize("dim")
    return text + body


def diff_view(alignment: Alignment, console: Console) -> None:
    """Side by side when the terminal is wide enough, stacked otherwise."""
    a, b = alignment.a_paragraphs, alignment.b_paragraphs
    side_by_side = console.width >= 100
    if side_by_side:
        table = Table(box=box.SIMPLE, expand=True, show_lines=True)
        table.add_column(f"A  {alignment.a.id}", ratio=1, overflow="fold")
        table.add_column(f"B  {alignment.b.id}", ratio=1, overflow="fold")
        for left, right in alignment.rows:
            table.add_row(
                Group(*(_paragraph(a[n - 1], "A") for n in left)) if left else "",
                Group(*(_paragraph(b[n - 1], "B") for n in right)) if right else "",
            )
        console.print(table)
    else:
        for left, right in alignment.rows:
            for n in left:
                console.print(_paragraph(a[n - 1], "A"))
            for n in right:
                console.print(_paragraph(b[n - 1], "B"))
            console.print()
    console.print(alignment.summary(), style="bold")
