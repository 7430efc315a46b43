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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from dedup.detect.candidates import unpack_pairs
from dedup.detect.fingerprint import Fingerprint, distinct
from dedup.records import Match
from dedup.settings import DEFAULT, Settings


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


KINDS = (None, "near-duplicate", "partial")
"""What ``decide_all`` codes 0, 1 and 2 stand for."""


def decide(found: Overlap, settings: Settings = DEFAULT) -> str | None:
    """The kind of link two stories have, or None when they are not copies."""
    code = decide_all(
        np.array([found.shared]), np.array([found.size_a]), np.array([found.size_b]), settings
    )
    return KINDS[int(code[0])]


def decide_all(
    shared: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, settings: Settings = DEFAULT
) -> np.ndarray:
    """``decide`` for many pairs at once, as codes into ``KINDS``: the one rule every engine
    applies. A pair is a near-duplicate when its resemblance reaches ``near_duplicate``, a
    partial copy when it shares ``min_shared`` shingles that are ``min_containment`` of the
    smaller story."""
    shared = np.asarray(shared, dtype=np.float64)
    union = size_a + size_b - shared
    smaller = np.minimum(size_a, size_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        resemblance = np.where(union > 0, shared / union, 0.0)
        containment = np.where(smaller > 0, shared / smaller, 0.0)
    partial = (shared >= settings.min_shared) & (containment >= settings.min_containment)
    codes = np.where(resemblance >= settings.near_duplicate, 1, np.where(partial, 2, 0))
    return np.where(shared > 0, codes, 0)


def boilerplate_paragraphs(
    prints: Sequence[Fingerprint], outlets: Sequence[str], settings: Settings = DEFAULT
) -> set[int]:
    """Exact keys of the paragraphs that are boilerplate in this collection (see
    ``is_boilerplate``); ``outlets[i]`` is the outlet of ``prints[i]``, "" when unknown.

    Only paragraphs that could qualify are put to ``is_boilerplate``: those carried by more
    than ``boilerplate_max_df`` stories or by ``boilerplate_min`` stories of one outlet,
    counted for all paragraphs at once with sorts."""
    exact, story, _ = _paragraph_table(prints)
    keep = exact != 0
    exact, story = exact[keep], story[keep]
    if not len(exact):
        return set()
    order = np.lexsort((story, exact))
    exact, story = exact[order], story[order]
    once = np.concatenate(([True], (exact[1:] != exact[:-1]) | (story[1:] != story[:-1])))
    exact, story = exact[once], story[once]
    starts = np.flatnonzero(np.concatenate(([True], exact[1:] != exact[:-1])))
    sizes = np.diff(np.append(starts, len(exact)))
    group = np.repeat(np.arange(len(starts)), sizes)
    names, outlet = np.unique(np.asarray(outlets, dtype=object), return_inverse=True)
    named = (names != "")[outlet[story]]
    by_outlet = np.unique((group[named] << 32) | outlet[story[named]], return_counts=True)
    repeated = np.unique(by_outlet[0][by_outlet[1] >= settings.boilerplate_min] >> 32)
    crowded = np.flatnonzero(sizes > settings.boilerplate_max_df)
    found: set[int] = set()
    for g in np.union1d(repeated, crowded).tolist():
        carriers = story[starts[g] : starts[g] + sizes[g]].tolist()
        if is_boilerplate(
            [outlets[i] for i in carriers],
            lambda k, carriers=carriers: distinct(prints[carriers[k]].flat),
            settings,
        ):
            found.add(int(exact[starts[g]]))
    return found


def _paragraph_table(prints: Sequence[Fingerprint]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every paragraph of every story: its exact key, its story and its place in the story."""
    counts = np.fromiter((len(f.exact) for f in prints), dtype=np.int64, count=len(prints))
    if not counts.sum():
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), empty, empty
    exact = np.concatenate([f.exact for f in prints])
    story = np.repeat(np.arange(len(prints)), counts)
    place = np.arange(len(exact)) - np.repeat(np.cumsum(counts) - counts, counts)
    return exact, story, place


def is_boilerplate(
    outlets: Sequence[str], shingles: Callable[[int], np.ndarray], settings: Settings = DEFAULT
) -> bool:
    """Whether a paragraph is boilerplate, given the outlet of every story that carries it,
    earliest first ("" when unknown), and ``shingles(k)`` giving carrier k's shingles. The one
    rule every engine (scan, index, Spark) applies.

    It is boilerplate when more than ``boilerplate_max_df`` stories carry it, or when one
    outlet repeats it in ``boilerplate_min`` of its own *different* stories: versions of one
    story (write-thrus, near-duplicates of each other) count once, so an agency's updates
    never turn the story's own text into boilerplate. ``shingles`` is called only for the
    carriers compared, usually the first few of an outlet, so callers fetch them lazily.
    """
    if len(outlets) > settings.boilerplate_max_df:
        return True
    if len(outlets) < settings.boilerplate_min:
        return False
    by_outlet: dict[str, list[int]] = defaultdict(list)
    for carrier, outlet in enumerate(outlets):
        if outlet:
            by_outlet[outlet].append(carrier)
    for same_outlet in by_outlet.values():
        if len(same_outlet) < settings.boilerplate_min:
            continue
        different: list[np.ndarray] = []
        for carrier in same_outlet:
            mine = shingles(carrier)
            if all(overlap(mine, kept).resemblance < settings.near_duplicate for kept in different):
                different.append(mine)
                if len(different) >= settings.boilerplate_min:
                    return True
    return False


def boilerplate_shingles(prints: Sequence[Fingerprint], boilerplate: set[int]) -> np.ndarray:
    """All shingles of the boilerplate paragraphs, sorted and distinct (taken from one
    carrier of each: equal exact keys, equal shingles)."""
    if not boilerplate:
        return np.zeros(0, dtype=np.uint32)
    exact, story, place = _paragraph_table(prints)
    wanted = np.fromiter(boilerplate, dtype=np.uint64, count=len(boilerplate))
    hits = np.flatnonzero(np.isin(exact, wanted))
    _, first = np.unique(exact[hits], return_index=True)
    parts = [prints[i].paragraph(p) for i, p in zip(story[hits[first]], place[hits[first]])]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint32)


def content_sets(
    prints: Sequence[Fingerprint], removed: np.ndarray, chunk: int = 1024, *, release: bool = False
) -> list[np.ndarray]:
    """Each story's distinct shingles with the boilerplate taken out (what ``without`` gives
    for ``Fingerprint.shingles``), computed ``chunk`` stories at a time. With ``release``,
    ``prints`` (a list) is emptied a chunk at a time, so that each fingerprint can be freed
    as soon as its content set is made."""
    result: list[np.ndarray] = []
    # A 1 MiB table of which 2^12-wide ranges hold a removed shingle: most shingles are
    # cleared by one look-up in it, and only the few left need a binary search.
    near = np.zeros(1 << 20, dtype=bool)
    near[removed >> 12] = True
    for part in _chunks(prints, chunk, release):
        counts = np.fromiter((len(f.flat) for f in part), dtype=np.int64, count=len(part))
        if not counts.sum():
            result += [np.zeros(0, dtype=np.uint32)] * len(part)
            continue
        owner = np.repeat(np.arange(len(part), dtype=np.uint64), counts)
        keyed = distinct((owner << np.uint64(32)) | np.concatenate([f.flat for f in part]))
        values = (keyed & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        if removed.size:
            suspect = np.flatnonzero(near[values >> 12])
            kept = np.ones(len(values), dtype=bool)
            kept[suspect] = ~contains(removed, values[suspect])
            keyed, values = keyed[kept], values[kept]
        owners = keyed >> np.uint64(32)
        bounds = np.searchsorted(owners, np.arange(len(part) + 1, dtype=np.uint64)).tolist()
        result += [values[low:high] for low, high in pairwise(bounds)]
    return result


def _chunks(
    items: Sequence[Fingerprint], size: int, release: bool
) -> Iterator[Sequence[Fingerprint]]:
    """Consecutive slices of ``items``; with ``release``, each is taken out of the list
    (from its end, after one reversal, so that emptying it costs no more than reading it)."""
    if not release:
        for start in range(0, len(items), size):
            yield items[start : start + size]
        return
    assert isinstance(items, list)
    items.reverse()
    while items:
        part = items[-size:]
        del items[-size:]
        part.reverse()
        yield part


def without(shingles: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """A story's shingles with the boilerplate taken out."""
    if not removed.size:
        return shingles
    return shingles[~contains(removed, shingles)]


def verify(
    pairs: np.ndarray,
    keys: Sequence[str],
    content: Sequence[np.ndarray],
    settings: Settings = DEFAULT,
) -> list[Match]:
    """Matches among candidate pairs, packed, sorted and distinct as ``find_candidates``
    gives them; ``content[i]`` is story i's shingles without boilerplate and ``keys[i]`` its
    key. Matches come in the order of the pairs."""
    first, second = unpack_pairs(pairs)
    sizes = np.fromiter(map(len, content), dtype=np.int64, count=len(content))
    shared = shared_counts(first, second, content)
    size_a, size_b = sizes[first], sizes[second]
    codes = decide_all(shared, size_a, size_b, settings)
    matches = []
    for at in np.flatnonzero(codes).tolist():
        found = Overlap(int(shared[at]), int(size_a[at]), int(size_b[at]))
        matches.append(
            Match(
                keys[first[at]],
                keys[second[at]],
                found.shared,
                found.resemblance,
                found.containment,
                KINDS[codes[at]],
            )
        )
    return matches


def shared_counts(
    first: np.ndarray, second: np.ndarray, content: Sequence[np.ndarray]
) -> np.ndarray:
    """``shared_count(content[first[k]], content[second[k]])`` for every k. The partners of
    one story are looked up in its shingles together, in one binary search: a story's few
    hundred shingles stay in the processor's fastest cache, which beats one large search
    over many stories at once."""
    counts = np.zeros(len(first), dtype=np.int64)
    order = np.argsort(first, kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], np.diff(first[order]) != 0)))
    for group in np.split(order, starts[1:]) if len(order) else ():
        arrays = [content[j] for j in second[group].tolist()]
        ends = np.cumsum([len(array) for array in arrays])
        if not ends[-1]:
            continue
        hits = contains(content[first[group[0]]], np.concatenate(arrays))
        running = np.concatenate(([0], np.cumsum(hits)))
        counts[group] = running[ends] - running[np.concatenate(([0], ends[:-1]))]
    return counts
