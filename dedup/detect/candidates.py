"""Find candidates: pairs of stories that may share a passage, from MinHash LSH band keys.

Two passages are candidates when any of their LSH bands agree (the band keys of
``Fingerprinter.band_keys``, with datasketch's MinHashLSH banding for the threshold).
Grouping equal keys is one in-place sort over all keys at once; the same keys are what the
persistent index stores and what the Spark engine groups by, so every engine finds the same
candidates (here, once in a long while, one more that only shares a key's top bits; see
``_owned_keys``).

No pair of stories is compared unless a band brings them together (identical paragraphs
have identical bands), so the cost grows with the number of stories, not with its square. A
band found in more than ``widely_shared`` stories (a story picked up everywhere) yields pairs
with its earliest story only, and boilerplate passages bring no pairs at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import combinations

import numpy as np

from dedup.detect.fingerprint import Fingerprint, distinct, fmix64
from dedup.settings import DEFAULT, Settings

Pair = tuple[int, int]
_CHUNK = 1 << 12
"""Stories whose band keys are gathered at a time."""
_SLICE = 1 << 20
"""Keys compared at a time, so that work arrays stay small beside the keys themselves."""


def find_candidates(
    prints: Sequence[Fingerprint],
    settings: Settings = DEFAULT,
    boilerplate: Collection[int] = (),
) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of indexes into ``prints`` worth verifying, packed as
    ``pack_pairs`` does, sorted and distinct: 8 bytes a pair, handed to ``verify`` as is.

    ``prints`` must be in ``Story.sort_key`` order, so that "earliest" is the lowest index and
    the result does not depend on the order the inputs were read in. Passages whose exact
    key is in ``boilerplate`` carry no weight in verification and bring no pairs either.
    """
    bits = max(len(prints) - 1, 1).bit_length()
    keys = _owned_keys(prints, boilerplate, bits)
    keys.sort()
    found = [np.zeros(0, dtype=np.int64)]
    for low, high in _slices(keys, bits):
        found.append(_sharing(keys[low:high], bits, settings.widely_shared))
    return distinct(np.concatenate(found))


def pack_pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pairs of story indexes (below 2^31) as one int64 each, ``first << 32 | second``: in
    numeric order they are in pair order."""
    return (np.asarray(first, dtype=np.int64) << 32) | np.asarray(second, dtype=np.int64)


def unpack_pairs(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first and second indexes of packed pairs (``pack_pairs``), as int64 arrays."""
    packed = np.asarray(packed, dtype=np.int64)
    return packed >> 32, packed & 0xFFFFFFFF


def candidate_pairs(
    prints: Sequence[Fingerprint],
    settings: Settings = DEFAULT,
    boilerplate: Collection[int] = (),
) -> set[Pair]:
    """``find_candidates`` as a set of tuples, for callers that test membership of a few
    pairs; a scan hands the packed array on instead."""
    first, second = unpack_pairs(find_candidates(prints, settings, boilerplate))
    return set(zip(first.tolist(), second.tolist()))


def _owned_keys(
    prints: Sequence[Fingerprint], boilerplate: Collection[int], bits: int
) -> np.ndarray:
    """Every band key of every passage not in ``boilerplate``, mixed (band keys' low bits
    depend on fewer MinHash values than their high bits) and with its low ``bits`` bits
    replaced by the number of its story: one plain sort then brings equal keys together,
    their stories in order. Keys equal but for those bits (a chance of one in 2^(64 - bits)
    per pair of keys) only add a candidate that verification turns down."""
    wanted = np.fromiter(boilerplate, dtype=np.uint64, count=len(boilerplate))
    width = max((f.bands.shape[1] for f in prints if len(f.passages)), default=0)
    keys = np.empty(sum(len(f.passages) for f in prints) * width, dtype=np.uint64)
    high = ~np.uint64((1 << bits) - 1)
    filled = 0
    for start in range(0, len(prints), _CHUNK):
        part = prints[start : start + _CHUNK]
        counts = [len(f.passages) for f in part]
        if not sum(counts):
            continue
        bands = np.concatenate([f.bands for f in part])
        owner = np.repeat(np.arange(start, start + len(part), dtype=np.uint64), counts)
        if len(wanted):
            exact = np.concatenate([f.exact[f.passages] for f in part])
            useful = ~np.isin(exact, wanted)
            bands, owner = bands[useful], owner[useful]
        block = ((fmix64(bands) & high) | owner[:, None]).ravel()
        keys[filled : filled + len(block)] = block
        filled += len(block)
    return keys[:filled]


def _slices(keys: np.ndarray, bits: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of about ``_SLICE`` sorted keys, never splitting a group of keys
    equal but for their low ``bits`` bits: the work arrays of a slice stay small beside the
    keys themselves."""
    low, top = 0, 1 << (64 - bits)
    while low < len(keys):
        high = min(low + _SLICE, len(keys))
        group = (int(keys[high - 1]) >> bits) + 1
        if high < len(keys) and group < top:
            high = int(np.searchsorted(keys, np.uint64(group << bits)))
        else:
            high = len(keys)
        yield low, high
        low = high


def _sharing(keys: np.ndarray, bits: int, limit: int) -> np.ndarray:
    """The pairs of stories (``_group_pairs``) that sorted ``keys`` bring together."""
    shift = np.uint64(bits)
    equal = ((keys[1:] ^ keys[:-1]) >> shift) == 0
    near = np.zeros(len(keys), dtype=bool)
    near[1:] = equal
    near[:-1] |= equal
    keys = keys[near]  # most keys belong to one story alone
    if len(keys) > 1:
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]  # a story's repeats
    starts = np.flatnonzero(np.concatenate(([True], ((keys[1:] ^ keys[:-1]) >> shift) != 0)))
    owners = (keys & np.uint64((1 << bits) - 1)).astype(np.int64)
    return _group_pairs(owners, starts, limit)


def _group_pairs(
    owners: np.ndarray, starts: np.ndarray, limit: int, budget: int = 1 << 18
) -> np.ndarray:
    """Distinct pairs of owners within each group (groups start at ``starts``, owners
    sorted in each), packed (``pack_pairs``): every pair of a group of at most ``limit``
    owners, the earliest with each other one in a larger group (the rule of
    ``pairs_within``). Pairs are made a slice of groups at a time, at most about ``budget``
    per slice."""
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
    """The pairs of consecutive groups of sorted owners, packed (``pack_pairs``): in a
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
    return distinct(pack_pairs(low, high))


def pairs_within(stories: list[int], limit: int) -> Iterable[Pair]:
    """Every pair of a small group; the earliest story against each other one in a large
    group, which keeps a widely shared passage from costing a quadratic number of checks."""
    if len(stories) <= limit:
        return combinations(stories, 2)
    first = stories[0]
    return ((first, other) for other in stories[1:])
