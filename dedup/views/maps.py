"""The cluster map: how one wire story travelled, paragraph by paragraph and outlet by outlet.

The origin's paragraphs are the rows and the copies the columns; each cell says whether the
copy *kept* the paragraph, *reworded* it (trimmed, expanded, merged, split or rewritten) or
*cut* it, from ``dedup.align.align(origin, copy)``. Each copy's own additions (its paragraphs
found nowhere in the origin) and a timeline of who published when complete the picture.

Plain data and plain text only: ``render`` draws it with rich and ``html`` writes it as a
page, so the CLI, the HTML report and scripts (``--format json``) all show the same thing.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import numpy as np

from dedup.detect.fingerprint import Fingerprint, Fingerprinter, distinct
from dedup.detect.links import Links, find_links
from dedup.detect.verify import contains
from dedup.records import Cluster, Member, ScanResult, Story
from dedup.settings import DEFAULT, Settings
from dedup.views.align import Alignment, Placement, Unit, align, paragraph_words, story_units
from dedup.views.output import SCHEMA, after_origin, cluster_record, delay, when

MARKS = {"shared": "kept", "changed": "reworded", "unique": "cut", "boilerplate": "boilerplate"}
"""A copy's treatment of an origin paragraph, from the paragraph's status in the diff."""


class ClusterSource(Protocol):
    """Where ``show`` and ``report`` get clusters and the stories' text. A fresh scan is one
    source (``ScanSource``); a persistent index (``--db``) only has to provide the same two
    things to plug into every view."""

    def clusters(self) -> Sequence[Cluster]: ...

    def stories(self) -> Mapping[str, Story]:
        """Stories by ``Story.key``; at least every cluster member."""
        ...


@dataclass
class ScanSource:
    """The clusters of a scan just made."""

    result: ScanResult

    def clusters(self) -> Sequence[Cluster]:
        return self.result.clusters

    def stories(self) -> Mapping[str, Story]:
        return {story.key: story for story in self.result.stories}


def find_cluster(clusters: Iterable[Cluster], wanted: str) -> Cluster:
    """The cluster named by its id, a unique prefix of it, or one of its members' ids (or
    paths), so a user can go from any story they know to its cluster."""
    clusters = list(clusters)
    for test in (
        lambda c: c.id == wanted,
        lambda c: any(wanted in (m.id, m.key) for m in c.members),
        lambda c: any(m.path and m.path.endswith(wanted) for m in c.members),
    ):
        found = [c for c in clusters if test(c)]
        if len(found) == 1:
            return found[0]
    if len(wanted) >= 4:
        found = [c for c in clusters if c.id.startswith(wanted)]
        if len(found) == 1:
            return found[0]
    known = ", ".join(c.id for c in clusters[:8]) + (" ..." if len(clusters) > 8 else "")
    raise LookupError(
        f"no cluster {wanted!r}: give a cluster id or the id of a clustered story"
        + (f" (clusters: {known})" if clusters else " (these inputs hold no copies)")
    )


@dataclass(frozen=True)
class Cell:
    """What one copy did with one paragraph of the origin."""

    mark: str
    """"kept", "reworded" or "cut"; "boilerplate" for the origin's boilerplate."""
    how: str
    """For "reworded": "trimmed", "expanded", "merged", "split", "reworded" or
    "rewritten"."""
    counterparts: tuple[int, ...]
    """1-based numbers of the copy's paragraphs it went into."""
    similarity: float

    @property
    def label(self) -> str:
        """One word for a narrow cell: the kind of rewording says more than "reworded"."""
        return self.how if self.mark == "reworded" and self.how else self.mark


@dataclass
class Column:
    """One copy: its treatment of each origin paragraph, and what it added."""

    member: Member
    story: Story
    alignment: Alignment
    """``align(origin, copy)``: side A is the origin."""
    cells: list[Cell]
    additions: list[Placement]
    """The copy's paragraphs found nowhere in the origin (boilerplate left out)."""

    def count(self, mark: str) -> int:
        return sum(1 for cell in self.cells if cell.mark == mark)


@dataclass(frozen=True)
class Moment:
    """One publication in the timeline."""

    member: Member
    role: str
    """"origin" or "copy"."""
    after: timedelta | None
    """Time since the origin was published (None when either date is unknown)."""


@dataclass
class ClusterMap:
    """A cluster, seen from its origin."""

    cluster: Cluster
    origin: Story
    origin_member: Member
    columns: list[Column]
    timeline: list[Moment]
    """Dated members, earliest first, then undated ones; empty when no date is known."""

    @property
    def units(self) -> list[Unit]:
        """The origin's units (paragraphs, or sentences for a story in one block), as every
        alignment of the map compares them: the headline is not among them."""
        return story_units(self.origin)[0]

    @property
    def rows(self) -> list[tuple[Unit, list[Cell]]]:
        return [
            (unit, [column.cells[index] for column in self.columns])
            for index, unit in enumerate(self.units)
        ]


def cluster_map(
    cluster: Cluster,
    stories: Mapping[str, Story],
    boilerplate: Mapping[str, Collection[int]] | None = None,
) -> ClusterMap:
    """Align the origin with each copy and read the map off the alignments. ``boilerplate``
    gives, by story key, the 0-based indexes of a story's boilerplate paragraphs (as
    ``align`` takes them): they are neither cut nor added."""
    origin = stories[cluster.origin_key]
    by_key = {member.key: member for member in cluster.members}
    plates = boilerplate or {}
    columns = []
    for member in cluster.members:
        if member.key == cluster.origin_key:
            continue
        alignment = align(
            origin,
            stories[member.key],
            boilerplate_a=plates.get(origin.key, ()),
            boilerplate_b=plates.get(member.key, ()),
        )
        cells = [
            Cell(MARKS[p.status], p.how, tuple(p.counterparts), p.similarity)
            for p in alignment.a_paragraphs
            if p.status != "headline"
        ]
        additions = [p for p in alignment.b_paragraphs if p.status == "unique"]
        columns.append(Column(member, stories[member.key], alignment, cells, additions))
    origin_member = by_key[cluster.origin_key]
    return ClusterMap(cluster, origin, origin_member, columns, _timeline(cluster, origin_member))


def _timeline(cluster: Cluster, origin: Member) -> list[Moment]:
    if not any(member.date for member in cluster.members):
        return []
    dated = sorted((m for m in cluster.members if m.date), key=lambda m: (m.date, m.id))
    undated = [m for m in cluster.members if not m.date]
    return [
        Moment(
            member,
            "origin" if member.key == origin.key else "copy",
            after_origin(member.date, origin.date),
        )
        for member in (*dated, *undated)
    ]


def name(member: Member) -> str:
    """The outlet when known (what an editor recognises), else the story id."""
    return member.outlet or member.id


# -- plain data and plain text -------------------------------------------------------------


def map_json(cmap: ClusterMap) -> dict[str, Any]:
    """The map as one JSON object (``dedup show --format json``); additions are always
    listed, scripts can ignore them."""
    cluster = cmap.cluster
    return {
        "schema": SCHEMA,
        "cluster": cluster_record(cluster, {m.key: m for m in cluster.members}),
        "origin": {
            "id": cmap.origin.id,
            "outlet": cmap.origin.outlet or None,
            "unit": story_units(cmap.origin)[1],
            "paragraphs": [{"number": u.number, "text": u.text} for u in cmap.units],
        },
        "copies": [_column_json(column) for column in cmap.columns],
        "timeline": [
            {
                "id": moment.member.id,
                "outlet": moment.member.outlet or None,
                "role": moment.role,
                "date": moment.member.date.isoformat() if moment.member.date else None,
                "after_origin_seconds": (
                    int(moment.after.total_seconds()) if moment.after is not None else None
                ),
            }
            for moment in cmap.timeline
        ],
    }


def _column_json(column: Column) -> dict[str, Any]:
    member = column.member
    return {
        "id": member.id,
        "outlet": member.outlet or None,
        "date": member.date.isoformat() if member.date else None,
        "reuse": member.reuse,
        "link": member.link,
        "paragraphs": len(story_units(column.story)[0]),
        "kept": column.count("kept"),
        "reworded": column.count("reworded"),
        "cut": column.count("cut"),
        "added": len(column.additions),
        "cells": [
            {
                "origin_paragraph": number,
                "mark": cell.mark,
                "how": cell.how or None,
                "counterparts": list(cell.counterparts),
                "similarity": cell.similarity,
            }
            for number, cell in zip(
                (u.number for u in story_units(column.alignment.a)[0]), column.cells
            )
        ],
        "additions": [{"number": p.number, "text": p.text} for p in column.additions],
    }


SYMBOL = {
    "kept": "=",
    "cut": "-",
    "trimmed": "t",
    "expanded": "e",
    "merged": "m",
    "split": "s",
    "reworded": "r",
    "rewritten": "w",
    "boilerplate": "b",
}
"""Cell symbols for plain text, where colour cannot carry the meaning."""
LEGEND = (
    "= kept, - cut, b boilerplate; reworded: t trimmed, e expanded, m merged, s split, "
    "r reworded, w rewritten"
)


def map_text(cmap: ClusterMap, additions: bool = False, width: int = 100) -> str:
    """The map as plain, stable text for pipes and files: copies as numbered columns, one
    symbol per cell (``LEGEND``)."""
    cluster, origin = cmap.cluster, cmap.origin_member
    lines = [
        f"cluster {cluster.id}  {cluster.size} stories  origin {origin.id}"
        + (f" ({origin.outlet})" if origin.outlet else ""),
    ]
    if origin.headline:
        lines.append(origin.headline)
    lines += ["", "copies:"]
    for number, column in enumerate(cmap.columns, start=1):
        outlet = f"  ({column.member.outlet})" if column.member.outlet else ""
        link = f"  {column.member.link}" if column.member.link else ""
        lines.append(f"  {number:>2}  {column.member.id}{outlet}{link}  {tally(column)}")
    if cmap.timeline:
        lines += ["", "timeline:"]
        for moment in cmap.timeline:
            after = "origin" if moment.role == "origin" else delay(moment.after)
            outlet = f" ({moment.member.outlet})" if moment.member.outlet else ""
            lines.append(f"  {when(moment.member):<20} {after:>9}  {moment.member.id}{outlet}")
    count = len(cmap.columns)
    lines += ["", f"origin paragraphs by copy ({LEGEND}):"]
    header = " ".join(f"{n:>2}" for n in range(1, count + 1))
    lines.append(f"  {'¶':>3}  {header}  text")
    room = max(20, width - 8 - 3 * count)
    for unit, cells in cmap.rows:
        marks = " ".join(f" {SYMBOL[cell.label]}" for cell in cells)
        lines.append(f"  {unit.number:>3}  {marks}  {clip(unit.text, room)}")
    if additions:
        for number, column in enumerate(cmap.columns, start=1):
            lines += ["", f"added by {number} {column.member.id}:"]
            lines += [f"  ¶{p.number:<3} {p.text}" for p in column.additions] or ["  nothing"]
    elif any(column.additions for column in cmap.columns):
        lines += ["", "(--additions lists each copy's own paragraphs)"]
    return "\n".join(lines) + "\n"


def tally(column: Column) -> str:
    """One line per copy: what it kept, reworded, cut and added."""
    return (
        f"kept {column.count('kept')}, reworded {column.count('reworded')}, "
        f"cut {column.count('cut')}, added {len(column.additions)}"
    )


def clip(text: str, room: int) -> str:
    """One line of at most ``room`` characters, cut between words where there are any."""
    text = " ".join(text.split())
    if len(text) <= room:
        return text
    cut = text[: room - 1]
    space = cut.rfind(" ")
    if space > room // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


# -- boilerplate, as the views show it -------------------------------------------------------


def boilerplate_units(
    story: Story, print_: Fingerprint, removed: np.ndarray, settings: Settings = DEFAULT
) -> tuple[list[Unit], list[np.ndarray]]:
    """The units of ``story`` (its paragraphs, or sentences for a story in one block, as
    ``align`` compares them) that are mostly boilerplate, with the boilerplate shingles of
    each. ``removed`` is the story's boilerplate as the core found it
    (``detect.links.find_links``' ``Boilerplate.of``); a unit is mostly boilerplate when at
    least half the shingles starting in it are removed, as ``usable_units`` judges a
    sentence unit, so what a view shows as boilerplate is what weighed nothing in the scan.
    """
    if not removed.size or not len(print_.shingles):
        return [], []
    units, _ = story_units(story)
    starts = _paragraph_starts(story)
    gone = contains(removed, print_.shingles)
    found, shingles = [], []
    cursor: dict[int, int] = {}
    for unit in units:
        paragraph = story.paragraphs[unit.paragraph].text
        begin = paragraph.find(unit.text, cursor.get(unit.paragraph, 0))
        begin = max(begin, 0)
        cursor[unit.paragraph] = begin + len(unit.text)
        low, high = _word_range(paragraph, begin, begin + len(unit.text), starts[unit.paragraph])
        low = min(low, len(gone))
        top = min(max(low + 1, high - settings.shingle + 1), len(gone))
        if top > low and 2 * int(gone[low:top].sum()) >= top - low:
            found.append(unit)
            part = print_.shingles[low:top]
            shingles.append(distinct(part[gone[low:top]]))
    return found, shingles


def boilerplate_paragraphs(
    story: Story, print_: Fingerprint, removed: np.ndarray, settings: Settings = DEFAULT
) -> set[int]:
    """0-based indexes of the paragraphs of ``story`` that are mostly boilerplate (see
    ``boilerplate_units``), as ``align`` and ``cluster_map`` take them. A story compared
    sentence by sentence has none: ``align`` marks whole paragraphs only."""
    units, _ = story_units(story)
    if units and any(unit.number != unit.paragraph + 1 for unit in units):
        return set()
    return {unit.paragraph for unit in boilerplate_units(story, print_, removed, settings)[0]}


def core_links(
    stories: Sequence[Story], settings: Settings = DEFAULT
) -> tuple[list[Fingerprint], Links]:
    """Fingerprints and links of ``stories`` (in ``Story.sort_key`` order), by the scan's
    own core: what boilerplate the views show is judged from."""
    prints = Fingerprinter(settings).batch(stories)
    return prints, find_links(stories, prints, settings)


def _paragraph_starts(story: Story) -> list[int]:
    """Where each paragraph's words start in the story's word stream (``Fingerprint``)."""
    starts, total = [], 0
    for paragraph in story.paragraphs:
        starts.append(total)
        total += len(paragraph_words(paragraph.text).spans)
    return starts


def _word_range(paragraph: str, begin: int, end: int, first: int) -> tuple[int, int]:
    """The range, in the story's word stream, of the words of ``paragraph[begin:end]``
    (the paragraph's words start at ``first``)."""
    spans = paragraph_words(paragraph).spans
    inside = [k for k, (low, _, _) in enumerate(spans) if begin <= low < end]
    if not inside:
        return first, first
    return first + inside[0], first + inside[-1] + 1


def cluster_boilerplate(
    cluster: Cluster,
    stories: Mapping[str, Story],
    removed: Mapping[str, object],
    settings: Settings = DEFAULT,
) -> dict[str, set[int]]:
    """The boilerplate paragraphs (``boilerplate_paragraphs``) of each member of a scanned
    cluster, by story key, from the boilerplate the scan found (``ScanResult.boilerplate``):
    what ``cluster_map`` takes. Members are fingerprinted again, which gives the same
    fingerprints the scan made."""
    keys = [member.key for member in cluster.members if member.key in removed]
    if not keys:
        return {}
    prints = Fingerprinter(settings).batch([stories[key] for key in keys])
    return {
        key: boilerplate_paragraphs(stories[key], print_, np.asarray(removed[key]), settings)
        for key, print_ in zip(keys, prints)
    }


def pair_boilerplate(
    a: Story, b: Story, context: Sequence[Story], settings: Settings = DEFAULT
) -> tuple[set[int], set[int]]:
    """The boilerplate paragraphs of A and B judged over A, B and ``context`` by the scan's
    own core, as ``align`` takes them (for ``dedup diff --context``)."""
    own = {_source(a), _source(b)}
    context = [story for story in context if _source(story) not in own]
    if not context:
        return set(), set()
    stories = sorted([a, b, *context], key=lambda story: story.sort_key)
    prints, links = core_links(stories, settings)
    found = []
    for story in (a, b):
        number = next(n for n, other in enumerate(stories) if other.key == story.key)
        found.append(
            boilerplate_paragraphs(story, prints[number], links.boilerplate.of(number), settings)
        )
    return found[0], found[1]


def _source(story: Story) -> tuple[str, int | None] | str:
    """Where a story was read from, whatever the spelling of its path: A and B found again
    among the context stories are the same stories, not two more of the corpus."""
    if story.path is None:
        return story.key
    return (os.path.realpath(story.path), story.record)
