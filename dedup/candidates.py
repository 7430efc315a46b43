"""Find candidates: pairs of stories that may share a passage, from MinHash LSH band keys.

Two passages are candidates when any of their LSH bands agree (the band keys of
``Fingerprinter.band_keys``, with datasketch's MinHashLSH banding for the threshold).
Grouping equal keys is a sort over all keys at once; the same keys are what the persistent
index stores and what the Spark engine groups by, so every engine finds the same candidates.

No pair of stories is compared unless a band brings them together (identical paragraphs
have identical bands), so the cost grows with the number of stories, not with its square. A
band found in more than ``widely_shared`` stories (a story picked up everywhere) yields pairs
with its earliest story only, and boilerplate passages bring no pairs at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from itertools import combinations

import numpy as np

from .fingerprint import Fingerprint, distinct
from .settings import DEFAULT, Settings

Pair = tuple[int, int]
_PARTS = 8
"""Band keys are grouped in this many parts, by their top three bits."""


def candidate_pairs(
    prints: Sequence[Fingerprint],
    settings: Settings = DEFAULT,
    boilerplate: Collection[int] = (),
) -> set[Pair]:
    """Pairs ``(i, j)``, ``i < j``, of indexes into ``prints`` worth verifying.

    ``prints`` must be in ``Story.sort_key`` order, so that "earliest" is the lowest index and
    the result does not depend on the order the inputs were read in. Passages whose exact
    key is in ``boilerplate`` carry no weight in verification and bring no pairs either.
    """
    with_passages = [(i, f) for i, f in enumerate(prints) if len(f.passages)]
    if not with_passages:
        return set()
    bands = np.concatenate([f.bands for _, f in with_passages])
    story = np.repeat(
        np.array([i for i, _ in with_passages], dtype=np.int32),
        [len(f.passages) for _, f in with_passages],
    )
    # Keys are taken an eighth at a time (by their top bits), so the work arrays stay a
    # fraction of the keys' own size; boilerplate passages' keys go in no part.
    width = bands.shape[1]
    keys = bands.ravel()
    part_of = (keys >> np.uint64(61)).astype(np.uint8)
    if len(boilerplate):
        exact = np.concatenate([f.exact[f.passages] for _, f in with_passages])
        wanted = np.fromiter(boilerplate, dtype=np.uint64, count=len(boilerplate))
        part_of[np.repeat(np.isin(exact, wanted), width)] = _PARTS
    found = [np.zeros(0, dtype=np.int64)]
    for part in range(_PARTS):
        chosen = np.flatnonzero(part_of == part)
        found.append(_sharing_part(keys[chosen], story[chosen // width], settings.widely_shared))
    pairs = distinct(np.concatenate(found))
    return set(zip((pairs >> 32).tolist(), (pairs & 0xFFFFFFFF).tolist()))


def _sharing_part(
    keys: np.ndarray, owners: np.ndarray, limit: int, budget: int = 1 << 18
) -> np.ndarray:
    """Distinct pairs of owners that share a key, packed ``low << 32 | high`` (earliest
    first): every pair of a group of at most ``limit`` owners, the earliest with each other
    one in a larger group (the rule of ``pairs_within``). Pairs are made a slice of groups
    at a time, at most about ``budget`` per slice."""
    order = np.argsort(keys)
    keys, owners = keys[order], owners[order]
    repeated = keys[1:] == keys[:-1]
    shared = np.zeros(len(keys), dtype=bool)
    shared[1:] = repeated
    shared[:-1] |= repeated
    # Most keys have a single owner and are dropped here. Each shared key becomes its rank,
    # packed above its owner: one plain sort then orders every group's owners and brings an
    # owner's repeats of a key together.
    rank = np.cumsum(np.concatenate(([False], ~repeated))[shared])
    packed = distinct((rank.astype(np.int64) << 32) | owners[shared])
    ranks, owners = packed >> 32, packed & 0xFFFFFFFF
    starts = np.flatnonzero(np.concatenate(([True], ranks[1:] != ranks[:-1])))
    sizes = np.diff(np.append(starts, len(owners)))
    made = np.where(sizes <= limit, sizes * (sizes - 1) // 2, sizes - 1)
    cuts = np.searchsorted(np.cumsum(made), np.arange(budget, made.sum(), budget))
    found = [np.zeros(0, dtype=np.int64)]
    for groups in np.split(np.arange(len(starts)), np.unique(cuts)):
        if len(groups):
            low, high = starts[groups[0]], starts[groups[-1]] + sizes[groups[-1]]
            found.append(_pairs(owners[low:high], starts[groups] - low, sizes[groups], limit))
    return distinct(np.concatenate(found))


def _pairs(owners: np.ndarray, starts: np.ndarray, sizes: np.ndarray, limit: int) -> np.ndarray:
    """The pairs of consecutive groups of sorted owners, packed ``low << 32 | high``: in a
    small group each owner with every later one, in a large group each with the first."""
    group = np.repeat(np.arange(len(starts)), sizes)
    position = np.arange(len(owners)) - starts[group]
    small = sizes[group] <= limit
    later = np.where(small, sizes[group] - 1 - position, 0)
    first = np.repeat(np.arange(len(owners)), later)
    step = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
    star = np.flatnonzero(~small & (position > 0))
    low = np.concatenate((owners[first], owners[starts[group[star]]]))
    high = np.concatenate((owners[first + 1 + step], owners[star]))
    return distinct((low << 32) | high)


def pairs_within(stories: list[int], limit: int) -> Iterable[Pair]:
    """Every pair of a small group; the earliest story against each other one in a large
    group, which keeps a widely shared passage from costing a quadratic number of checks."""
    if len(stories) <= limit:
        return combinations(stories, 2)
    first = stories[0]
    return ((first, other) for other in stories[1:])
