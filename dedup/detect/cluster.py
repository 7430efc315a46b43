"""Cluster: group verified matches into copies of one story, without chaining.

Linking every pair that matches and taking connected components lets clusters grow by
transitive links (A shares a paragraph with B, B another with C, A and C are different
stories). Here each cluster instead forms around a *centre*, the story with the most matches
among those not yet placed, and takes only the stories matched *directly* to that centre.
Anything matched only to a member but not to the centre starts or joins another cluster.

The centre is the earliest dated story (the likely origin: a round-up that mixes two wire
stories comes after both), or, among undated stories, the one with the most matches. An
undated centre may itself be such a round-up, or a story quoting one statement from each
of two others. Its matches then fall into groups that never match each other and share
different parts of the centre: the copies of two different stories, or single stories. It
keeps only the largest of them; groups sharing the same part of it are copies of one story.

A story matched to a centre is not always a copy of it: it may be tied more strongly to
another story the centre does not match (an agency's follow-up, retelling part of its first
story, and the newspaper story made from the follow-up). It then declines the centre and
waits to form a cluster with that story.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from dedup.detect.fingerprint import distinct
from dedup.detect.verify import contains, shared_count
from dedup.read.inputs import outlet_of
from dedup.records import Cluster, Match, Member, Story


def form_clusters(
    stories: Sequence[Story],
    matches: Sequence[Match],
    content: Mapping[str, np.ndarray],
    repeated_ids: Collection[str] = (),
) -> list[Cluster]:
    """Clusters of two or more stories; ``content`` maps story key to its shingles without
    boilerplate (for the reuse shares). Deterministic whatever the input order.
    ``repeated_ids``: ids that other stories of the run share, for an engine that clusters
    a part of the run at a time (ids repeated within ``stories`` are found here); their
    clusters' ids also hash the centre's key (``cluster_id``)."""
    by_key = {story.key: story for story in stories}
    ids = Counter(story.id for story in by_key.values())
    ids.update({story_id: 1 for story_id in repeated_ids})
    neighbours: dict[str, dict[str, Match]] = defaultdict(dict)
    for match in matches:
        neighbours[match.a][match.b] = match
        neighbours[match.b][match.a] = match

    # Centres are taken greedily: dated stories first, earliest first, then undated ones by
    # current degree (matches to unplaced stories). Degrees only fall as stories are placed,
    # so a heap with lazy updates keeps this near-linear.
    unplaced = set(neighbours)
    heap = [centre_rank(by_key[key], len(neighbours[key])) for key in unplaced]
    heapq.heapify(heap)
    clusters = []
    while heap:
        entry = heapq.heappop(heap)
        centre = entry.key
        if centre not in unplaced:
            continue
        joined = [key for key in neighbours[centre] if key in unplaced]
        current = centre_rank(by_key[centre], len(joined))
        if current != entry:
            heapq.heappush(heap, current)
            continue
        joined = _claimed(centre, joined, neighbours, unplaced)
        if by_key[centre].date is None:
            joined = _one_story_only(centre, joined, neighbours, by_key, content)
        unplaced.discard(centre)
        if not joined:
            continue
        joined.sort(key=lambda key: by_key[key].sort_key)
        unplaced.difference_update(joined)
        own = tuple(neighbours[centre][key] for key in joined)
        repeated = ids[by_key[centre].id] > 1
        clusters.append(_cluster(centre, [centre, *joined], own, by_key, content, repeated))
    return sorted(clusters, key=lambda c: (-c.size, by_key[c.origin_key].sort_key))


class CentreRank(NamedTuple):
    """A story's claim to be the next centre; the smallest wins (it compares as a tuple)."""

    undated: bool
    """Dated stories come first, in ``story_order``."""
    stamp: float
    fewer_matches: int
    """Minus the number of matches to unplaced stories: among undated stories, the one with
    the most matches comes first."""
    id: str
    key: str


def centre_rank(story: Story, degree: int) -> CentreRank:
    """The rank of ``story`` with ``degree`` matches to stories not yet placed."""
    stamp, story_id, key = story.sort_key
    if story.date is not None:
        return CentreRank(False, stamp, 0, story_id, key)
    return CentreRank(True, 0.0, -degree, story_id, key)


def _strength(match: Match) -> float:
    """How much of the smaller story a match ties to the other: its verbatim containment,
    or its rewrite coverage when that is larger."""
    return max(match.containment, match.coverage)


def _claimed(
    centre: str,
    joined: list[str],
    neighbours: Mapping[str, Mapping[str, Match]],
    unplaced: Collection[str],
) -> list[str]:
    """The stories of ``joined`` (a centre's unplaced matches) that the centre keeps: a story
    tied more strongly (``_strength``) to an unplaced story the centre does not match
    declines, and forms a cluster of its own with it later. A newspaper story made from an
    agency's follow-up is tied to the follow-up, not to the agency's first story of the
    event, which the follow-up only retells in part. A near-duplicate of the story is no
    other story: the two share their links, though only one of them was decided (a rewrite
    is decided once for stories verbatim reuse already links)."""
    kept = []
    for key in joined:
        tie = _strength(neighbours[centre][key])
        if not any(
            _strength(match) > tie
            for other, match in neighbours[key].items()
            if other != centre
            and other in unplaced
            and match.kind != "near-duplicate"
            and centre not in neighbours[other]
        ):
            kept.append(key)
    return kept


def _one_story_only(
    centre: str,
    joined: list[str],
    neighbours: Mapping[str, Mapping[str, Match]],
    by_key: Mapping[str, Story],
    content: Mapping[str, np.ndarray],
) -> list[str]:
    """Keep the largest of the different stories an undated centre's matches hold (the
    most stories; among as many, the one tied most strongly to the centre, ``_strength``):
    groups that never match each other and share different parts of the centre
    (``_overlap``), however many stories each holds; groups sharing one part of it are
    copies of one story (the copies and the rewrites of a wire story). A group holding a
    copy of the centre (the centre holds ``HELD`` of it or more), or sharing no verbatim
    text with it (a rewrite), shows no part and stays."""
    inside = set(joined)
    groups: list[list[str]] = []
    seen: set[str] = set()
    for start in sorted(joined, key=lambda key: by_key[key].sort_key):
        if start in seen:
            continue
        group, stack = [], [start]
        seen.add(start)
        while stack:
            key = stack.pop()
            group.append(key)
            for other in neighbours[key]:
                if other in inside and other not in seen:
                    seen.add(other)
                    stack.append(other)
        groups.append(group)
    if len(groups) < 2:
        return joined
    mine = content[centre]
    parts = [
        _NO_PART
        if any(_held_share(key, centre, neighbours[centre][key], content) >= HELD for key in group)
        else _part(mine, [content[key] for key in group])
        for group in groups
    ]
    stories: list[list[int]] = []  # groups sharing a part of the centre: copies of one story
    for number, part in enumerate(parts):
        if len(part):
            meeting = [s for s in stories if any(_overlap(part, parts[n]) for n in s)]
            stories = [s for s in stories if s not in meeting]
            stories.append([n for s in meeting for n in s] + [number])
    if len(stories) < 2:
        return joined
    largest = max(
        stories,
        key=lambda s: (
            sum(len(groups[n]) for n in s),
            max(_strength(neighbours[centre][key]) for n in s for key in groups[n]),
            -min(s),
        ),
    )
    keep = set(largest) | {n for n, part in enumerate(parts) if not len(part)}
    return [key for n, group in enumerate(groups) if n in keep for key in group]


HELD = 0.75
"""Share of a story that an undated centre holds from which the story is a copy of the
centre (a brief, a trim, either half of it), whatever part of it the story took. A
round-up takes part of each story it mixes, rarely three quarters of one."""
_NO_PART = np.zeros(0, dtype=np.uint32)


def _held_share(key: str, centre: str, match: Match, content: Mapping[str, np.ndarray]) -> float:
    """The share of story ``key`` (boilerplate excluded) that its link to ``centre`` holds:
    the shingles they share, or for a rewrite, the aligned share of the smaller story in
    ``key``'s terms."""
    size = len(content[key])
    if not size:
        return 1.0
    if match.coverage:
        return match.coverage * min(1.0, len(content[centre]) / size)
    return match.shared / size


def _part(centre: np.ndarray, others: Sequence[np.ndarray]) -> np.ndarray:
    """The centre's shingles (boilerplate excluded) that any of ``others`` shares."""
    return distinct(np.concatenate([centre[contains(other, centre)] for other in others]))


def _overlap(part: np.ndarray, other: np.ndarray) -> bool:
    """Whether two parts of one story are the same part: half of the smaller is in both. A
    round-up's parts from two stories have nothing in common; two copies of one story
    share most of the part they took."""
    return 2 * int(contains(part, other).sum()) >= min(len(part), len(other))


def _cluster(
    centre: str,
    member_keys: list[str],
    matches: tuple[Match, ...],
    by_key: Mapping[str, Story],
    content: Mapping[str, np.ndarray],
    repeated: bool = False,
) -> Cluster:
    dated = [key for key in member_keys if by_key[key].date is not None]
    origin = min(dated, key=lambda key: by_key[key].sort_key) if dated else centre
    ordered = [
        origin,
        *sorted((k for k in member_keys if k != origin), key=lambda k: by_key[k].sort_key),
    ]
    linked = {m.b if m.a == origin else m.a: m for m in matches if origin in (m.a, m.b)}
    with_centre = {m.b if m.a == centre else m.a: m for m in matches if centre in (m.a, m.b)}
    members = tuple(
        _member(
            by_key[key],
            _reuse(key, origin, member_keys, content, linked.get(key)),
            None
            if key == origin
            else member_link(linked.get(key) or with_centre[key], by_key[key], by_key[origin]),
        )
        for key in ordered
    )
    return Cluster(
        id=cluster_id(by_key[centre], repeated),
        origin_key=origin,
        centre_key=centre,
        members=members,
        matches=matches,
    )


def _reuse(
    key: str,
    origin: str,
    member_keys: list[str],
    content: Mapping[str, np.ndarray],
    match: Match | None,
) -> float:
    """Share of a member's text found in the origin; for the origin, found in any copy.
    ``match`` is the member's match with the origin when there is one: it has the count."""
    mine = content[key]
    if not mine.size:
        return 0.0
    if key != origin:
        shared = match.shared if match is not None else shared_count(content[origin], mine)
        return shared / mine.size
    others = [content[k] for k in member_keys if k != key]
    if not others:
        return 0.0
    # Sorting is cheap beside a binary search per shingle: what the copies hold, once each,
    # put beside the member's own, holds twice each shingle they share.
    held = distinct(np.concatenate(others), in_place=True)
    together = distinct(np.concatenate((mine, held)), in_place=True)
    return float((mine.size + held.size - together.size) / mine.size)


def member_link(match: Match, story: Story, origin: Story) -> str:
    """How a member is tied to its origin, from its match with the origin (with the centre
    when it has none: an undated centre's members need not match the earliest dated one):
    a near-duplicate of its own outlet's earlier story is a later version of it, an
    "update"; otherwise the match's link, "copy" or "rewrite"."""
    outlet = outlet_of(story)
    if match.kind == "near-duplicate" and outlet and outlet == outlet_of(origin):
        return "update"
    return match.link


def _member(story: Story, reuse: float, link: str | None) -> Member:
    return Member(
        key=story.key,
        id=story.id,
        reuse=round(reuse, 4),
        path=story.path,
        headline=story.headline,
        outlet=story.outlet,
        date=story.date,
        record=story.record,
        url=story.url,
        link=link,
    )


def cluster_id(centre: Story, repeated: bool = False) -> str:
    """Stable across runs and input orders: derived from the centre story's id, so a
    cluster keeps its id when other stories come and go. ``repeated`` says that another
    story of the run has the same id (two archives numbered from 1): then the centre's key
    (its path and record number, unique in a run) is hashed too, so that two clusters never
    share an id. File names that are not UTF-8 hash by their original bytes."""
    name = centre.id if not repeated else f"{centre.id}\0{centre.key}"
    return "c" + hashlib.blake2b(name.encode("utf-8", "surrogateescape"), digest_size=5).hexdigest()
