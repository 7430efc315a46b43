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
    """Exact keys of the paragraphs that are boilerplate in this collection.

    ``outlets[i]`` is the outlet of ``prints[i]`` ("" when unknown). A paragraph repeated by
    one outlet counts only across *different* stories: versions of one story (write-thrus,
    near-duplicates of each other) are counted once, so an agency's updates never turn the
    story's own text into boilerplate.
    """
    carriers: dict[int, list[int]] = defaultdict(list)
    for index, fingerprint in enumerate(prints):
        for exact in set(fingerprint.exact.tolist()) - {0}:
            carriers[exact].append(index)
    found: set[int] = set()
    for exact, stories in carriers.items():
        if len(stories) > settings.boilerplate_max_df:
            found.add(exact)
        elif len(stories) >= settings.boilerplate_min and _repeated_by_an_outlet(
            stories, prints, outlets, settings
        ):
            found.add(exact)
    return found


def _repeated_by_an_outlet(
    stories: list[int], prints: Sequence[Fingerprint], outlets: Sequence[str], settings: Settings
) -> bool:
    by_outlet: dict[str, list[int]] = defaultdict(list)
    for index in stories:
        if outlets[index]:
            by_outlet[outlets[index]].append(index)
    for same_outlet in by_outlet.values():
        if len(same_outlet) < settings.boilerplate_min:
            continue
        distinct: list[int] = []
        for index in same_outlet:
            if all(
                overlap(prints[index].shingles, prints[kept].shingles).resemblance
                < settings.near_duplicate
                for kept in distinct
            ):
                distinct.append(index)
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
    boilerplate and ``keys[i]`` its key. Pairs are checked in a fixed order."""
    matches = []
    for i, j in sorted(pairs):
        found = overlap(content[i], content[j])
        kind = decide(found, settings)
        if kind:
            matches.append(
                Match(keys[i], keys[j], found.shared, found.resemblance, found.containment, kind)
            )
    return matches
