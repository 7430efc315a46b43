"""Verify candidates: decide, from exact shingle overlap, which pairs are copies.

Boilerplate is decided first, because it must carry no weight: a paragraph that an outlet
repeats across several of its own, otherwise different, stories (footers, "Watch ... Live",
related-link lists, newsletter blurbs) or that turns up in very many stories. Its shingles are
removed from every story before two stories are compared.

Two stories are linked when what they share (boilerplate excluded) makes them either
near-duplicates (resemblance at least ``near_duplicate``) or one a partial reuse of the other
(at least ``min_shared`` shingles, being at least ``min_containment`` of the smaller story).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .fingerprint import Fingerprint
from .records import Match
from .settings import DEFAULT, Settings


@dataclass(frozen=True)
class Overlap:
    """How much two stories share, boilerplate excluded."""

    shared: int
    size_a: int
    size_b: int

    @property
    def resemblance(self) -> float:
        union = self.size_a + self.size_b - self.shared
        return self.shared / union if union else 0.0

    @property
    def containment(self) -> float:
        smaller = min(self.size_a, self.size_b)
        return self.shared / smaller if smaller else 0.0


def overlap(a: np.ndarray, b: np.ndarray) -> Overlap:
    """Exact overlap of two sorted, distinct shingle arrays."""
    return Overlap(shared_count(a, b), int(a.size), int(b.size))


def contains(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_values`` (sorted): a binary search each, cheaper
    than np.isin for one story's few hundred shingles."""
    if not sorted_values.size:
        return np.zeros(len(values), dtype=bool)
    places = np.searchsorted(sorted_values, values)
    places[places == sorted_values.size] = 0
    return sorted_values[places] == values


def shared_count(a: np.ndarray, b: np.ndarray) -> int:
    """Number of values two sorted, distinct arrays have in common."""
    if a.size > b.size:
        a, b = b, a
    return int(np.count_nonzero(contains(b, a)))


def decide(found: Overlap, settings: Settings = DEFAULT) -> str | None:
    """The kind of link two stories have, or None when they are not copies."""
    if found.shared == 0:
        return None
    if found.resemblance >= settings.near_duplicate:
        return "near-duplicate"
    if found.shared >= settings.min_shared and found.containment >= settings.min_containment:
        return "partial"
    return None


def boilerplate_paragraphs(
    prints: Sequence[Fingerprint], outlets: Sequence[str], settings: Settings = DEFAULT
) -> set[int]:
    """Exact keys of the paragraphs that are boilerplate in this collection (see
    ``is_boilerplate``); ``outlets[i]`` is the outlet of ``prints[i]``, "" when unknown."""
    keys = [np.unique(f.exact[f.exact != 0]) for f in prints]
    if not keys or not sum(len(k) for k in keys):
        return set()
    exact = np.concatenate(keys)
    story = np.repeat(np.arange(len(prints)), [len(k) for k in keys])
    order = np.argsort(exact, kind="stable")
    exact, story = exact[order], story[order]
    edges = np.flatnonzero(np.diff(exact)) + 1
    starts, ends = np.concatenate(([0], edges)), np.concatenate((edges, [len(exact)]))
    common = (ends - starts) >= min(settings.boilerplate_min, settings.boilerplate_max_df + 1)
    found: set[int] = set()
    for start, end in zip(starts[common], ends[common]):
        carriers = [(outlets[i], prints[i].shingles) for i in story[start:end].tolist()]
        if is_boilerplate(carriers, settings):
            found.add(int(exact[start]))
    return found


def is_boilerplate(
    carriers: Sequence[tuple[str, np.ndarray]], settings: Settings = DEFAULT
) -> bool:
    """Whether a paragraph is boilerplate, given the (outlet, shingles) of every story that
    carries it, earliest first. The one rule every engine (scan, index, Spark) applies.

    It is boilerplate when more than ``boilerplate_max_df`` stories carry it, or when one
    outlet repeats it in ``boilerplate_min`` of its own *different* stories: versions of one
    story (write-thrus, near-duplicates of each other) count once, so an agency's updates
    never turn the story's own text into boilerplate.
    """
    if len(carriers) > settings.boilerplate_max_df:
        return True
    if len(carriers) < settings.boilerplate_min:
        return False
    by_outlet: dict[str, list[np.ndarray]] = defaultdict(list)
    for outlet, shingles in carriers:
        if outlet:
            by_outlet[outlet].append(shingles)
    for same_outlet in by_outlet.values():
        if len(same_outlet) < settings.boilerplate_min:
            continue
        distinct: list[np.ndarray] = []
        for shingles in same_outlet:
            if all(
                overlap(shingles, kept).resemblance < settings.near_duplicate for kept in distinct
            ):
                distinct.append(shingles)
                if len(distinct) >= settings.boilerplate_min:
                    return True
    return False


def boilerplate_shingles(prints: Sequence[Fingerprint], boilerplate: set[int]) -> np.ndarray:
    """All shingles of the boilerplate paragraphs, sorted and distinct."""
    parts = [
        fingerprint.paragraph(index)
        for fingerprint in prints
        for index, exact in enumerate(fingerprint.exact.tolist())
        if exact in boilerplate
    ]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint32)


def without(shingles: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """A story's shingles with the boilerplate taken out."""
    if not removed.size:
        return shingles
    return shingles[~contains(removed, shingles)]


def verify(
    pairs: Iterable[tuple[int, int]],
    keys: Sequence[str],
    content: Sequence[np.ndarray],
    settings: Settings = DEFAULT,
) -> list[Match]:
    """Matches among candidate pairs; ``content[i]`` is story i's shingles without
    boilerplate and ``keys[i]`` its key. All partners of a story are checked against it in
    one vectorised step; the result is in a fixed order."""
    partners: dict[int, list[int]] = defaultdict(list)
    for i, j in pairs:
        partners[i].append(j)
    matches = []
    for i in sorted(partners):
        others = sorted(partners[i])
        arrays = [content[j] for j in others]
        ends = np.cumsum([len(array) for array in arrays])
        hits = contains(content[i], np.concatenate(arrays)) if ends[-1] else np.zeros(0, bool)
        running = np.concatenate(([0], np.cumsum(hits)))
        shared = running[ends] - running[np.concatenate(([0], ends[:-1]))]
        for j, count in zip(others, shared.tolist()):
            found = Overlap(count, int(content[i].size), int(content[j].size))
            kind = decide(found, settings)
            if kind:
                matches.append(
                    Match(
                        keys[i], keys[j], found.shared, found.resemblance, found.containment, kind
                    )
                )
    return matches
