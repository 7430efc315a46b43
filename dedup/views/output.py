"""Report: scan results and diffs as plain data (JSON, JSON Lines, CSV, plain text).

Nothing here draws on a terminal; ``render`` does that with rich. The shapes below are the
documented schema (README, "Output formats"); change them only with a new ``schema`` number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from dedup.records import (  # the row format lives with the records, for every engine
    MEMBER_COLUMNS,
    SCHEMA,
    Cluster,
    Member,
    ScanResult,
    Story,
    member_record,
)
from dedup.views.align import Alignment, Placement, headline
from dedup.views.words import Edit, highlighted, marked, merged


def after_origin(when: datetime | None, origin: datetime | None) -> timedelta | None:
    """How long after the origin's date a story came out; None when either is undated."""
    if when is None or origin is None:
        return None
    try:
        return when - origin
    except TypeError:  # one date has a time zone and the other not: compare as UTC-naive
        return when.replace(tzinfo=None) - origin.replace(tzinfo=None)


def delay(after: timedelta | None) -> str:
    """ "+2h 10m" after the origin: the spread of a story is read in hours, not seconds."""
    if after is None:
        return ""
    sign = "-" if after < timedelta(0) else "+"
    minutes = int(abs(after).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m"


def when(member: Member | Story) -> str:
    """A publication time as an editor reads it (minutes, with its zone when known)."""
    if member.date is None:
        return "date unknown"
    stamp = member.date.strftime("%Y-%m-%d %H:%M")
    return stamp + (" UTC" if member.date.utcoffset() == timedelta(0) else "")


def cluster_record(cluster: Cluster, by_key: dict[str, Member]) -> dict[str, Any]:
    origin = by_key[cluster.origin_key]
    return {
        "id": cluster.id,
        "size": cluster.size,
        "origin": origin.id,
        "centre": cluster.centre,
        "headline": origin.headline or None,
        "members": [member_record(cluster, m) for m in cluster.members],
    }


def summary(result: ScanResult) -> dict[str, int]:
    clustered = sum(cluster.size for cluster in result.clusters)
    return {
        "stories": len(result.stories),
        "clusters": len(result.clusters),
        "clustered": clustered,
        "singletons": len(result.stories) - clustered,
        "problems": len(result.problems),
        "candidates": result.candidates,
        "matches": len(result.matches),
        "boilerplate_texts": result.boilerplate_texts,
    }


def scan_json(result: ScanResult, singletons: bool = False) -> dict[str, Any]:
    """The whole scan as one JSON object (``--format json``)."""
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "summary": summary(result),
        "settings": result.settings.as_dict(),
        "clusters": [cluster_record(c, {m.key: m for m in c.members}) for c in result.clusters],
        "problems": [{"source": p.source, "reason": p.reason} for p in result.problems],
    }
    if singletons:
        data["singletons"] = [member_record(None, s) for s in result.singletons]
    return data


def scan_rows(result: ScanResult, singletons: bool = False) -> Iterator[dict[str, Any]]:
    """One row per clustered story (and per singleton on request): JSON Lines and CSV."""
    for cluster in result.clusters:
        for member in cluster.members:
            yield member_record(cluster, member)
    if singletons:
        for story in result.singletons:
            yield member_record(None, story)


def to_jsonl(rows: Iterator[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def to_csv(rows: Iterator[dict[str, Any]], columns: tuple[str, ...] = MEMBER_COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def scan_text(result: ScanResult, singletons: bool = False) -> str:
    """Plain, stable text for pipes and logs: no colour, no box drawing, one line per
    story with its id last, whole, so it can be copied into ``dedup show``. The summary
    line is not part of it: it goes to stderr (``summary_line``)."""
    lines = []
    for cluster in result.clusters:
        origin = cluster.origin_member
        lines.append(
            f"cluster {cluster.id}  {cluster.size} stories  origin {origin.id}"
            + (f"  {origin.headline}" if origin.headline else "")
        )
        for member in cluster.members:
            lines.append("  " + member_line(member, origin))
    if singletons:
        for story in result.singletons:
            lines.append(
                f"singleton  {story.id}" + (f"  {story.headline}" if story.headline else "")
            )
    return "\n".join(lines) + "\n" if lines else ""


def member_line(member: Member, origin: Member) -> str:
    """One member as a line: role, link to the origin, reuse, date, delay after the
    origin, then its id and outlet."""
    is_origin = member.key == origin.key
    role = "origin" if is_origin else "copy"
    after = "" if is_origin else delay(after_origin(member.date, origin.date))
    where = member.outlet or "-"
    return (
        f"{role:<6} {member.link or '':<7} {member.reuse:>4.0%}  {when(member):<20} "
        f"{after:>9}  {member.id}  ({where})"
    )


def summary_line(result: ScanResult) -> str:
    counts = summary(result)
    line = (
        f"{_count(counts['stories'], 'story', 'stories')}: "
        f"{_count(counts['clusters'], 'cluster')} of copies "
        f"({_count(counts['clustered'], 'story', 'stories')}), "
        f"{_count(counts['singletons'], 'singleton')}"
    )
    if counts["problems"]:
        line += f"; {_count(counts['problems'], 'input')} could not be read"
    return line


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def label(place: Placement) -> str:
    """A unit's status as one phrase: "changed, rewritten"."""
    return place.status + (f", {place.how}" if place.how else "")


def where(story: Story) -> str:
    """Where a story was read: its path (with ``#N`` for a record of a multi-story file), or
    standard input."""
    if story.path is None:
        return "standard input"
    return story.path + (f"#{story.record}" if story.record else "")


def _placement(place: Placement) -> dict[str, Any]:
    return {
        "number": place.number,
        "paragraph": place.paragraph,
        "status": place.status,
        "how": place.how or None,
        "counterparts": place.counterparts,
        "similarity": place.similarity,
        "text": place.text,
        "changes": [list(span) for span in place.changes],
    }


def _side(story: Story, places: list[Placement], unit: str) -> dict[str, Any]:
    return {
        "id": story.id,
        "path": story.path,
        "record": story.record,
        "headline": headline(story) or None,
        "unit": unit,
        "paragraphs": [_placement(p) for p in places],
    }


def _edit(edit: Edit) -> dict[str, Any]:
    return {
        "op": edit.op,
        "a": list(edit.a) if edit.a else None,
        "b": list(edit.b) if edit.b else None,
    }


def diff_json(alignment: Alignment) -> dict[str, Any]:
    """The diff as one JSON object (``dedup diff --format json``)."""
    a, b = alignment.a_paragraphs, alignment.b_paragraphs
    return {
        "schema": SCHEMA,
        "a": _side(alignment.a, a, alignment.a_unit),
        "b": _side(alignment.b, b, alignment.b_unit),
        "summary": {
            "text": alignment.summary(),
            "a_paragraphs": len(a),
            "b_paragraphs": len(b),
            "a_in_b": alignment.appears(),
            "shared": alignment.count("a", "shared"),
            "changed": alignment.count("a", "changed"),
            "rewritten": alignment.rewritten(),
            "a_unique": alignment.count("a", "unique"),
            "b_unique": alignment.count("b", "unique"),
            "a_boilerplate": alignment.count("a", "boilerplate"),
            "b_boilerplate": alignment.count("b", "boilerplate"),
        },
        "rows": [{"a": left, "b": right} for left, right in alignment.rows],
        "groups": [
            {
                "a": group.a,
                "b": group.b,
                "status": group.status,
                "how": group.how or None,
                "similarity": round(group.similarity, 3),
                "ops": [_edit(edit) for edit in group.edits],
            }
            for group in alignment.groups
        ],
    }


def diff_header(alignment: Alignment) -> list[str]:
    """Which story is A and which is B, their headlines, and the unit they are compared in
    when it is not the paragraph."""
    lines = []
    for side, story, unit in (
        ("A", alignment.a, alignment.a_unit),
        ("B", alignment.b, alignment.b_unit),
    ):
        lines.append(f"{'---' if side == 'A' else '+++'} {side}  {story.id}  ({where(story)})")
        if headline(story):
            lines.append(f"    {headline(story)}")
        if unit != "paragraph":
            lines.append(f"    (one block, or paragraphs too long: compared {unit} by {unit})")
    return lines


def hidden(alignment: Alignment, left: list[int], right: list[int]) -> bool:
    """Whether ``--changes-only`` leaves a row out: every unit in it is boilerplate, or
    shared with not a word changed."""
    places = [alignment.place("a", n) for n in left] + [alignment.place("b", n) for n in right]
    return all(
        p.status == "boilerplate" or (p.status == "shared" and not p.changes) for p in places
    )


def diff_text(alignment: Alignment, changes_only: bool = False) -> str:
    """The diff as plain text, stacked: a header naming A and B, then one block per row.
    A unit of A linked to one of B is printed once, as ``A  4 = B 10``, with the words that
    differ marked as ``git diff --word-diff`` does (``[-only in A-]{+only in B+}``); other
    units are printed one by one, A's words missing from B marked ``[-…-]`` and B's additions
    ``{+…+}``."""
    lines = [*diff_header(alignment), ""]
    left_out = 0
    for left, right in alignment.rows:
        if changes_only and hidden(alignment, left, right):
            left_out += 1
            continue
        pair = alignment.pair(left, right)
        if pair is not None:
            a, b = alignment.place("a", left[0]), alignment.place("b", right[0])
            text = marked(merged(a.text, b.text, pair.edits))
            lines.append(f"A{a.number:>3} = B{b.number:>3} [{label(a)}] {text}")
        for side, numbers in (("A", left), ("B", right)):
            if pair is not None:
                break
            for number in numbers:
                place = alignment.place(side.lower(), number)
                other = "B" if side == "A" else "A"
                tie = (
                    f" ~ {other} " + ",".join(map(str, place.counterparts))
                    if place.counterparts
                    else ""
                )
                text = marked(highlighted(place.text, place.changes, "-" if side == "A" else "+"))
                lines.append(f"{side}{number:>3} [{label(place)}{tie}] {text}")
        lines.append("")
    if left_out:
        lines += [f"({left_out} rows of identical text not shown)", ""]
    lines.append(alignment.summary())
    return "\n".join(lines) + "\n"
