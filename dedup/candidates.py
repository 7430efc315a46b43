"""Find candidates: pairs of stories that may share a passage, from MinHash LSH band keys.

Two passages are candidates when any of their LSH bands agree (the band keys of
``Fingerprinter.band_keys``, with datasketch's MinHashLSH banding for the threshold).
Grouping equal keys is a sort over all keys at once; the same keys are what the persistent
index stores and what the Spark engine groups by, so every engine finds the same candidates.

No pair of stories is compared unless a band (or an identical paragraph) brings them
together, so the cost grows with the number of stories, not with its square. Identical
paragraphs are grouped first; a passage found in more than ``widely_shared`` stories (a
boilerplate footer, a story picked up everywhere) yields pairs with its earliest story only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import combinations

import numpy as np

from .fingerprint import Fingerprint
from .settings import DEFAULT, Settings

Pair = tuple[int, int]


def candidate_pairs(prints: Sequence[Fingerprint], settings: Settings = DEFAULT) -> set[Pair]:
    """Pairs ``(i, j)``, ``i < j``, of indexes into ``prints`` worth verifying.

    ``prints`` must be in ``Story.sort_key`` order, so that "earliest" is the lowest index and
    the result does not depend on the order the inputs were read in.
    """
    with_passages = [(i, f) for i, f in enumerate(prints) if len(f.passages)]
    if not with_passages:
        return set()
    story = np.concatenate([np.full(len(f.passages), i) for i, f in with_passages])
    exact = np.concatenate([f.exact[f.passages] for _, f in with_passages])
    bands = np.concatenate([f.bands for _, f in with_passages])

    # Distinct passage texts and the stories that carry each (sorted, earliest first).
    texts, first, text_of = np.unique(exact, return_index=True, return_inverse=True)
    carried = np.unique(np.stack((text_of, story), axis=1), axis=0)
    bounds = np.searchsorted(carried[:, 0], np.arange(len(texts) + 1))
    carriers = [carried[bounds[t] : bounds[t + 1], 1] for t in range(len(texts))]

    pairs: set[Pair] = set()
    for stories in carriers:
        if len(stories) > 1:
            pairs.update(_pairs_within(stories.tolist(), settings.widely_shared))
    single = np.array([len(stories) == 1 for stories in carriers])
    only = np.array([stories[0] for stories in carriers])
    for group in _buckets(bands[first]):
        if len(group) == 2 and single[group].all():  # the common case, without a union
            low, high = sorted(only[group].tolist())
            if low != high:
                pairs.add((low, high))
            continue
        neighbourhood = np.unique(np.concatenate([carriers[t] for t in group]))
        pairs.update(_pairs_within(neighbourhood.tolist(), settings.widely_shared))
    return pairs


def _buckets(bands: np.ndarray) -> Iterator[np.ndarray]:
    """Groups of two or more rows (passage texts) that share a band key, each group once."""
    keys = bands.ravel()
    rows = np.repeat(np.arange(len(bands)), bands.shape[1])
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    edges = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(keys)]))
    sizes = ends - starts
    # Pairs (most buckets) are deduplicated with numpy; larger groups one by one.
    two = starts[sizes == 2]
    if len(two):
        couples = np.sort(np.stack((rows[two], rows[two + 1]), axis=1), axis=1)
        couples = couples[couples[:, 0] != couples[:, 1]]
        yield from np.unique(couples, axis=0)
    seen: set[tuple[int, ...]] = set()
    for start, end in zip(starts[sizes > 2], ends[sizes > 2]):
        group = tuple(sorted(set(rows[start:end].tolist())))
        if len(group) > 1 and group not in seen:
            seen.add(group)
            yield np.array(group)


def _pairs_within(stories: list[int], limit: int) -> Iterable[Pair]:
    """Every pair of a small group; the earliest story against each other one in a large
    group, which keeps a widely shared passage from costing a quadratic number of checks."""
    if len(stories) <= limit:
        return combinations(stories, 2)
    first = stories[0]
    return ((first, other) for other in stories[1:])
