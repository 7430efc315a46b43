"""Find candidates: pairs of stories worth verifying, from keys they share, never from
comparing all pairs.

Two kinds of keys bring stories together:

- **anchors** (``Fingerprint.anchors``) for verbatim reuse: two stories sharing a run of
  ``shingle + anchor_window - 1`` words always share one. An anchor carried by more than
  ``widely_shared`` stories (a story picked up everywhere) pairs each of them with its
  earliest carrier only (``group_pairs``), and boilerplate anchors bring no pairs at all;
- **sentence-unit band keys** (``Fingerprint.unit_keys``) for rewrites: groups of stories
  that are not already copies of each other (*items*: the stories linked by verbatim reuse
  count as one) become candidates when they share band keys that at most ``COMMON_KEY``
  items carry (a key that more carry is a common turn of phrase, evidence of nothing):
  ``REWRITE_KEYS`` of them, and more for longer stories (``keys_needed``); and, when dated,
  lie at most ``rewrite_window`` days apart.

Grouping equal keys is one in-place sort of plain integers: each key is mixed and its low
bits replaced by its story's number, so equal keys sit together with their stories in
order. The index stores the same keys and the Spark engine groups by them, so every engine
finds the same candidates (here, once in a long while, one more that shares only a key's
top bits; verification turns it down).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.detect.fingerprint import distinct, fmix64
from dedup.settings import DEFAULT, Settings

REWRITE_KEYS = 2
"""Band keys two items must share to be rewrite candidates at least: one is a common
sentence shape."""
COMMON_KEY = 10
"""A band key carried by more items than this brings no rewrite candidates."""
_SLICE = 1 << 18
"""Keys compared at a time, so that work arrays stay small beside the keys themselves."""


def pack_pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pairs of story indexes (below 2^31) as one int64 each, ``first << 32 | second``: in
    numeric order they are in pair order."""
    return (np.asarray(first, dtype=np.int64) << 32) | np.asarray(second, dtype=np.int64)


def unpack_pairs(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first and second indexes of packed pairs (``pack_pairs``), as int64 arrays."""
    packed = np.asarray(packed, dtype=np.int64)
    return packed >> 32, packed & 0xFFFFFFFF


@dataclass(frozen=True)
class KeyTable:
    """Every key of every story (or item), mixed, its low ``bits`` bits replaced by its
    owner's number, sorted and distinct: equal keys sit together, owners in order."""

    keys: np.ndarray
    bits: int

    @classmethod
    def of(cls, keys: Sequence[np.ndarray], owners: int | None = None) -> KeyTable:
        """The table of ``keys[i]`` owned by i (keys equal to 0 are no keys)."""
        count = len(keys) if owners is None else owners
        bits = max(count - 1, 1).bit_length()
        sizes = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        table = np.empty(int(sizes.sum()), dtype=np.uint64)
        filled = 0
        for low in range(0, len(keys), _STORIES):  # a block at a time: small work arrays
            flat = np.concatenate(keys[low : low + _STORIES])
            owner = np.repeat(
                np.arange(low, min(low + _STORIES, len(keys)), dtype=np.uint64),
                sizes[low : low + _STORIES],
            )
            wanted = flat != 0
            part = _mixed(flat[wanted], owner[wanted], bits)
            table[filled : filled + len(part)] = part
            filled += len(part)
        return cls(distinct(table[:filled], in_place=True), bits)

    @classmethod
    def packed(cls, keys: np.ndarray, owners: np.ndarray, bits: int) -> KeyTable:
        return cls(distinct(_mixed(keys, owners, bits), in_place=True), bits)

    @property
    def owners(self) -> np.ndarray:
        return (self.keys & np.uint64((1 << self.bits) - 1)).astype(np.int64)

    @property
    def heads(self) -> np.ndarray:
        """Each entry's key without its owner."""
        return self.keys >> np.uint64(self.bits)

    def groups(self, least: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """(start, size) of every run of equal keys held by at least ``least`` owners."""
        found = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))]
        shift = np.uint64(self.bits)
        for low, high in _slices(self.keys, self.bits):  # a slice at a time: small work arrays
            heads = self.keys[low:high] >> shift
            starts = np.flatnonzero(np.concatenate(([True], heads[1:] != heads[:-1])))
            sizes = np.diff(np.append(starts, len(heads)))
            keep = sizes >= least
            found.append((starts[keep] + low, sizes[keep]))
        return np.concatenate([s for s, _ in found]), np.concatenate([n for _, n in found])

    def without(self, heads: np.ndarray) -> KeyTable:
        """The table without the keys whose head is in ``heads`` (sorted)."""
        if not len(heads):
            return self
        keep = np.empty(len(self.keys), dtype=bool)
        for low in range(0, len(self.keys), _SLICE):  # a slice at a time: small work arrays
            mine = self.keys[low : low + _SLICE] >> np.uint64(self.bits)
            places = np.searchsorted(heads, mine)  # a binary search each: no sorted copies
            places[places == len(heads)] = 0
            np.not_equal(heads[places], mine, out=keep[low : low + _SLICE])
        return KeyTable(self.keys[keep], self.bits)


def _mixed(keys: np.ndarray, owners: np.ndarray, bits: int) -> np.ndarray:
    """Table entries: each key mixed, its low ``bits`` bits replaced by its owner."""
    table = fmix64(keys.astype(np.uint64, copy=False))
    table &= ~np.uint64((1 << bits) - 1)
    table |= owners.astype(np.uint64, copy=False)
    return table


def copy_candidates(table: KeyTable, settings: Settings = DEFAULT) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of stories sharing an anchor of ``table`` (anchors owned
    by story number, in ``Story.sort_key`` order, so that "earliest" is the lowest number),
    packed (``pack_pairs``), sorted and distinct: the ``group_pairs`` rule on every group."""
    found = [np.zeros(0, dtype=np.int64)]
    for low, high in _slices(table.keys, table.bits):
        found.append(_sharing(table.keys[low:high], table.bits, settings.widely_shared))
    return distinct(np.concatenate(found))


def group_pairs(stories: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """The pairs one shared key brings, its carriers given earliest first: every pair of a
    group of at most ``limit``, the earliest with each other one in a larger group, which
    keeps a widely shared text from costing a quadratic number of checks. The one rule every
    engine applies (``copy_candidates`` does the same over arrays)."""
    if len(stories) <= limit:
        return [(a, b) for at, a in enumerate(stories) for b in stories[at + 1 :]]
    return [(stories[0], other) for other in stories[1:]]


def keys_needed(
    units_a: np.ndarray, units_b: np.ndarray, settings: Settings = DEFAULT
) -> np.ndarray:
    """Band keys two items must share to be rewrite candidates, given the usable sentence units
    of each one's origin (``item_origins``: the story the decision reads): ``REWRITE_KEYS``, or
    one for every ``2 / rewrite_coverage`` units of the smaller, if more. A rewrite aligns
    sentences holding ``rewrite_coverage`` of the smaller story, and each aligned pair of
    sentences shares about one band key or more; the keys two unrelated stories share by chance
    grow with the product of their lengths instead. Under two keys alone, ten thousand generated
    hard stories of one day put 177,912 pairs to the decision and none was linked (28,569 under
    this rule); COUNTER's rewrites share at least one key for every four of the smaller story's
    units."""
    smaller = np.minimum(units_a, units_b)
    return np.maximum(REWRITE_KEYS, np.ceil(smaller * (settings.rewrite_coverage / 2)))


def item_origins(
    items: np.ndarray, undated: np.ndarray | None = None, shared: np.ndarray | None = None
) -> np.ndarray:
    """Each item's likely origin, the story that stands for it in the rewrite decision
    (``items[i]``: story i's item, stories in ``Story.sort_key`` order): its earliest story,
    or in an item whose stories are all undated (``undated[i]``), the one sharing the most
    verbatim text with the others (``shared[i]``: the shingles story i shares, summed over
    its copy matches), ties to the earliest. The copies' source holds what each copy took;
    a copy holds its own part of it and text of its own, so the story first in id order
    (a re-lede, say) would decide a rewrite of the source's part it left out."""
    count = int(items.max()) + 1 if len(items) else 0
    number = np.arange(len(items))
    if undated is None or shared is None or not undated.any():
        earliest = np.full(count, len(items), dtype=np.int64)
        np.minimum.at(earliest, items, number)
        return earliest
    # Dated stories come first in story order, so an item holding one keeps its earliest.
    held = np.where(undated, -np.asarray(shared, dtype=np.int64), 0)
    order = np.lexsort((number, held, undated))
    ranked = items[order]
    first = np.unique(ranked, return_index=True)[1]
    origins = np.empty(count, dtype=np.int64)
    origins[ranked[first]] = order[first]
    return origins


def rewrite_candidates(
    unit_keys: Sequence[np.ndarray],
    items: np.ndarray,
    days: np.ndarray,
    units: np.ndarray,
    settings: Settings = DEFAULT,
    origins: np.ndarray | None = None,
) -> np.ndarray:
    """Pairs of items worth a rewrite decision, packed (``pack_pairs``), sorted: items
    sharing ``keys_needed`` band keys that at most ``COMMON_KEY`` items carry, and whose
    dates lie within ``rewrite_window`` days (``days[i]``: story i's date in days, NaN when
    undated; an item spans its members' dates, all time when it has none).
    ``unit_keys[i]`` are story i's usable band keys, ``units[i]`` how many usable units it
    has, ``items[i]`` its item's number, ``origins[k]`` the story of item k whose units
    count (``item_origins``; its earliest when not given)."""

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for low in range(0, len(unit_keys), _STORIES):
            part = unit_keys[low : low + _STORIES]
            sizes = np.fromiter((k.size for k in part), dtype=np.int64, count=len(part))
            flat = np.concatenate([k.ravel() for k in part]) if part else _NO_KEYS
            yield flat, np.repeat(items[low : low + _STORIES], sizes)

    if origins is None:
        origins = item_origins(items)
    item_units = np.asarray(units, dtype=np.int64)[origins]
    return rewrite_candidates_of(chunks(), items, days, item_units, settings)


def rewrite_candidates_of(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]],
    items: np.ndarray,
    days: np.ndarray,
    item_units: np.ndarray,
    settings: Settings = DEFAULT,
) -> np.ndarray:
    """``rewrite_candidates`` over band keys handed on a block of stories at a time, as
    ``(keys, owners)``: each key with its story's item number; ``item_units[k]`` is how many
    usable units item k's origin has (``item_origins``). The table of keys and items
    is never whole in one array: each block's entries are mixed, sorted and cut by their
    top bits as it comes (``_KeyParts``), then one range of top bits at a time is grouped,
    so the work arrays stay a small part of the table, and the per-story key lists are
    never held all at once."""
    if not len(items):
        return np.zeros(0, dtype=np.int64)
    count = int(items.max()) + 1
    bits = max(count - 1, 1).bit_length()
    parts = _KeyParts(bits)
    for keys, owners in chunks:
        parts.add(keys, owners)
    shared = [_item_pairs(table) for table in parts.tables()]
    pairs, times = _at_least(shared, REWRITE_KEYS)
    if len(pairs):
        first, second = unpack_pairs(pairs)
        pairs = pairs[times >= keys_needed(item_units[first], item_units[second], settings)]
    if settings.rewrite_window and len(pairs):
        low = np.full(count, np.inf)
        high = np.full(count, -np.inf)
        dated = ~np.isnan(days)
        np.minimum.at(low, items[dated], days[dated])
        np.maximum.at(high, items[dated], days[dated])
        first, second = unpack_pairs(pairs)
        pairs = pairs[within_window(low[first], high[first], low[second], high[second], settings)]
    return pairs


_STORIES = 1024
"""Stories whose band keys are mixed and cut together (``rewrite_candidates``)."""
_TOP = 6
"""Top bits by which a key table is cut into parts (``_KeyParts``)."""
_NO_KEYS = np.zeros(0, dtype=np.uint64)


class _KeyParts:
    """A key table (``KeyTable.packed``) built a block of entries at a time and kept cut
    into ``2 ** _TOP`` parts by the entries' top bits: equal keys always fall in one part,
    so each range of parts can be sorted and grouped on its own."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.pieces: list[list[np.ndarray]] = [[] for _ in range(1 << _TOP)]
        self.size = 0

    def add(self, keys: np.ndarray, owners: np.ndarray) -> None:
        table = distinct(_mixed(keys, owners, self.bits), in_place=True)
        self.size += len(table)
        bounds = np.searchsorted(
            table, np.arange(1, 1 << _TOP, dtype=np.uint64) << np.uint64(64 - _TOP)
        ).tolist()
        for part, (low, high_at) in enumerate(zip([0, *bounds], [*bounds, len(table)])):
            if high_at > low:
                self.pieces[part].append(table[low:high_at].copy())

    def tables(self) -> Iterator[KeyTable]:
        """The table a range of parts at a time, each sorted and distinct, about
        ``_SLICE`` entries or more each; the pieces of a range are let go once it is made."""
        budget = max(_SLICE, self.size >> _TOP)
        run: list[np.ndarray] = []
        held = 0
        for part in range(1 << _TOP):
            pieces, self.pieces[part] = self.pieces[part], []
            run += pieces
            held += sum(len(piece) for piece in pieces)
            if run and (held >= budget or part == (1 << _TOP) - 1):
                merged = np.concatenate(run)
                run, held = [], 0
                merged = distinct(merged, in_place=True)
                yield KeyTable(merged, self.bits)
                del merged


def _item_pairs(table: KeyTable) -> np.ndarray:
    """The pairs of items that the keys of ``table`` held by at most ``COMMON_KEY`` items
    bring together, packed, once for each key that brings them."""
    shift = np.uint64(table.bits)
    keys = table.keys
    equal = ((keys[1:] ^ keys[:-1]) >> shift) == 0
    shared = np.zeros(len(keys), dtype=bool)
    shared[1:] = equal
    shared[:-1] |= equal
    del equal
    table = KeyTable(keys[shared], table.bits)  # most keys are one item's alone
    starts, lengths = table.groups()
    keep = lengths <= COMMON_KEY
    starts, lengths = starts[keep], lengths[keep]
    owners = table.owners
    firsts, seconds = [], []
    for size in distinct(lengths).tolist():
        begin = starts[lengths == size]
        block = owners[begin[:, None] + np.arange(size)[None, :]]
        upper, lower = np.triu_indices(size, 1)
        firsts.append(block[:, upper].ravel())
        seconds.append(block[:, lower].ravel())
    if not firsts:
        return np.zeros(0, dtype=np.int64)
    return pack_pairs(np.concatenate(firsts), np.concatenate(seconds))


def _at_least(found: list[np.ndarray], times: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs found ``times`` times or more among all of ``found`` (sorted where
    they lie, then let go), sorted, and how many times each was found. Taken a range of
    values at a time (``_RANGES`` of them), so that the pairs are never copied whole: a
    scan finds several for each story."""
    for pairs in found:
        pairs.sort()
    top = max((int(pairs[-1]) for pairs in found if len(pairs)), default=-1)
    kept, counts = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    width = max(top // _RANGES + 1, 1)
    for low in range(0, top + 1, width):
        bounds = [(np.searchsorted(p, low), np.searchsorted(p, low + width)) for p in found]
        part = np.concatenate([p[a:b] for p, (a, b) in zip(found, bounds)] or kept[:1])
        if not len(part):
            continue
        part.sort()
        starts = np.flatnonzero(np.concatenate(([True], part[1:] != part[:-1])))
        found_times = np.diff(np.append(starts, len(part)))
        often = found_times >= times
        kept.append(part[starts[often]])
        counts.append(found_times[often])
    found.clear()
    return np.concatenate(kept), np.concatenate(counts)


_RANGES = 64
"""Ranges of pair values ``_at_least`` counts one at a time."""


def within_window(
    low_a: np.ndarray,
    high_a: np.ndarray,
    low_b: np.ndarray,
    high_b: np.ndarray,
    settings: Settings = DEFAULT,
) -> np.ndarray:
    """Which item pairs lie at most ``rewrite_window`` days apart, given each side's earliest
    and latest dated day (inf and -inf for an item with no dated story, which then spans
    all time): the window narrows the search when dates are known, and a missing date is
    no evidence that two stories are far apart (scraped pages and feeds often carry none).
    Engines that group items elsewhere (the Spark engine) apply the window through this
    one function."""
    low_a, high_a = _all_time_if_undated(low_a, high_a)
    low_b, high_b = _all_time_if_undated(low_b, high_b)
    apart = np.maximum(low_b - high_a, low_a - high_b)
    return ~(apart > settings.rewrite_window)


def _all_time_if_undated(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An item with no dated story (no span: ``low > high``, as inf and -inf leave it) spans
    all time."""
    undated = low > high
    return np.where(undated, -np.inf, low), np.where(undated, np.inf, high)


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
    """The pairs of stories (``_group_pairs``) that sorted, distinct ``keys`` bring
    together."""
    shift = np.uint64(bits)
    equal = ((keys[1:] ^ keys[:-1]) >> shift) == 0
    near = np.zeros(len(keys), dtype=bool)
    near[1:] = equal
    near[:-1] |= equal
    keys = keys[near]  # most keys belong to one story alone
    starts = np.flatnonzero(np.concatenate(([True], ((keys[1:] ^ keys[:-1]) >> shift) != 0)))
    owners = (keys & np.uint64((1 << bits) - 1)).astype(np.int64)
    return _group_pairs(owners, starts, limit)


def _group_pairs(
    owners: np.ndarray, starts: np.ndarray, limit: int, budget: int = 1 << 18
) -> np.ndarray:
    """Distinct pairs of owners within each group (groups start at ``starts``, owners
    sorted in each), packed (``pack_pairs``), by the rule of ``group_pairs``, a slice of
    groups at a time, at most about ``budget`` pairs per slice."""
    sizes = np.diff(np.append(starts, len(owners)))
    made = np.where(sizes <= limit, sizes * (sizes - 1) // 2, sizes - 1)
    cuts = np.searchsorted(np.cumsum(made), np.arange(budget, made.sum(), budget))
    found = [np.zeros(0, dtype=np.int64)]
    for groups in np.split(np.arange(len(starts)), distinct(cuts)):
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
