"""Verify candidates: decide which pairs are copies, from their exact shingle overlap, and
which are rewrites, from their aligned sentences (``rewrite``). Boilerplate
(``boilerplate``) is taken out of both stories first: it carries no weight.

Two stories are copies when what they share makes them near-duplicates (resemblance at
least ``near_duplicate``) or one a partial reuse of the other: at least ``min_shared``
shingles (about a 35-word passage), or ``short_share`` of a story too short to hold that
twice, being at least ``min_containment`` of the smaller story. Two stories of one outlet
are versions of one story (a write-thru, a flash and its story) only when that is at least
``short_share`` of the smaller: less is the outlet reusing its own text in a new story, a
background paragraph repeated the next day, a template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.detect.candidates import unpack_pairs
from dedup.detect.fingerprint import Fingerprint, distinct
from dedup.detect.rewrite import Sentences, decide_rewrite_many
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
REWRITE = "rewrite"
"""The kind of a link found by the rewrite decision alone."""


def decide(found: Overlap, settings: Settings = DEFAULT, same_outlet: bool = False) -> str | None:
    """The kind of link two stories have, or None when they are not copies."""
    code = decide_all(
        np.array([found.shared]),
        np.array([found.size_a]),
        np.array([found.size_b]),
        settings,
        np.array([same_outlet]),
    )
    return KINDS[int(code[0])]


def same_outlets(outlets: Sequence[str], first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Which pairs (``first[k]``, ``second[k]``) are two stories of one known outlet
    (``outlets[i]``: story i's, from ``outlet_of``; empty when unknown)."""
    number = {outlet: at for at, outlet in enumerate(dict.fromkeys(outlets))}
    code = np.fromiter(map(number.__getitem__, outlets), dtype=np.int64, count=len(outlets))
    return (code[first] == code[second]) & (code[first] != number.get("", -1))


def containment_needed(settings: Settings, same_outlet: bool) -> float:
    """The share of the smaller story that partial reuse needs: ``min_containment``, and
    ``short_share`` at least between two stories of one outlet (module docstring)."""
    if same_outlet:
        return max(settings.min_containment, settings.short_share)
    return settings.min_containment


def decide_all(
    shared: np.ndarray,
    size_a: np.ndarray,
    size_b: np.ndarray,
    settings: Settings = DEFAULT,
    same_outlet: np.ndarray | None = None,
) -> np.ndarray:
    """``decide`` for many pairs at once, as codes into ``KINDS``: the one rule every engine
    applies (see the module docstring). ``same_outlet``: which pairs are two stories of one
    outlet (none, if not given)."""
    shared = np.asarray(shared, dtype=np.float64)
    union = size_a + size_b - shared
    smaller = np.minimum(size_a, size_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        resemblance = np.where(union > 0, shared / union, 0.0)
        containment = np.where(smaller > 0, shared / smaller, 0.0)
    needed = np.maximum(
        settings.evidence_floor, np.minimum(settings.min_shared, settings.short_share * smaller)
    )
    least = settings.min_containment
    if same_outlet is not None:
        least = np.where(same_outlet, containment_needed(settings, True), least)
    partial = (shared >= needed) & (containment >= least)
    codes = np.where(resemblance >= settings.near_duplicate, 1, np.where(partial, 2, 0))
    return np.where(shared > 0, codes, 0)


def content_sets(prints: Sequence[Fingerprint], removed: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each story's distinct shingles without the boilerplate it carries (``removed[i]``)."""
    return [without(print_.shingle_set(), gone) for print_, gone in zip(prints, removed)]


def usable_units(print_: Fingerprint, removed: np.ndarray, size: int) -> np.ndarray:
    """Which of a story's units are evidence: those not mostly boilerplate (half or more of
    the shingles starting in them removed)."""
    keep = np.ones(len(print_.units), dtype=bool)
    if not removed.size or not len(keep) or not len(print_.shingles):
        return keep
    gone = contains(removed, print_.shingles).astype(np.int64)
    running = np.concatenate(([0], np.cumsum(gone)))
    low = np.minimum(print_.units[:, 0], len(gone))
    high = np.minimum(np.maximum(low + 1, print_.units[:, 1] - size + 1), len(gone))
    inside = running[high] - running[low]
    return 2 * inside < np.maximum(high - low, 1)


_FILTER_MASK = np.uint32((1 << 22) - 1)


def usable_units_all(
    prints: Sequence[Fingerprint], removed: Sequence[np.ndarray], size: int
) -> list[np.ndarray]:
    """``usable_units`` of many stories in one pass, the same as one story at a time: the
    removed shingles are found among all stories' shingles at once, then counted per unit
    with two binary searches (a story costs a few microseconds rather than a dozen small
    numpy calls)."""
    count = len(prints)
    if not count:
        return []
    lengths = np.fromiter((len(p.shingles) for p in prints), dtype=np.int64, count=count)
    unit_counts = np.fromiter((len(p.units) for p in prints), dtype=np.int64, count=count)
    gone_counts = np.fromiter((len(r) for r in removed), dtype=np.int64, count=count)
    gone = np.zeros(0, dtype=np.int64)  # where removed shingles sit, all stories end to end
    if gone_counts.any():
        every = np.concatenate([np.asarray(r, dtype=np.uint32) for r in removed])
        shingles = np.concatenate([p.shingles for p in prints]).astype(np.uint32)
        # Boilerplate is a few texts repeated: a table of their shingles' low bits finds the
        # candidates in one gather, a binary search among each story's own confirms them.
        table = np.zeros(_FILTER_MASK + 1, dtype=bool)
        table[every & _FILTER_MASK] = True
        maybe = np.flatnonzero(table[shingles & _FILTER_MASK])
        story = np.searchsorted(np.cumsum(lengths), maybe, side="right").astype(np.uint64)
        packed_removed = distinct(
            np.repeat(np.arange(count, dtype=np.uint64) << np.uint64(32), gone_counts)
            | every.astype(np.uint64)
        )
        packed = story << np.uint64(32) | shingles[maybe].astype(np.uint64)
        gone = maybe[contains(packed_removed, packed)]
    units = np.concatenate([p.units for p in prints]).astype(np.int64).reshape(-1, 2)
    story_length = np.repeat(lengths, unit_counts)
    offset = np.repeat(np.cumsum(lengths) - lengths, unit_counts)
    low = np.minimum(units[:, 0], story_length)
    high = np.minimum(np.maximum(low + 1, units[:, 1] - size + 1), story_length)
    inside = np.searchsorted(gone, high + offset) - np.searchsorted(gone, low + offset)
    usable = 2 * inside < np.maximum(high - low, 1)
    return np.split(usable, np.cumsum(unit_counts)[:-1])


def sentences(
    print_: Fingerprint,
    removed: np.ndarray,
    settings: Settings = DEFAULT,
    usable: np.ndarray | None = None,
) -> Sentences:
    """A story's usable units, prepared for the rewrite decision (``usable``: its
    ``usable_units``, when the caller has them)."""
    return _sentences([print_], [removed], settings, None if usable is None else [usable])[0]


def _sentences(
    prints: Sequence[Fingerprint],
    removed: Sequence[np.ndarray],
    settings: Settings,
    usable: Sequence[np.ndarray] | None,
) -> list[Sentences]:
    """``sentences`` of many stories, prepared together (``Sentences.many``)."""
    if usable is None:
        usable = [usable_units(p, r, settings.shingle) for p, r in zip(prints, removed)]
    return Sentences.many([p.text for p in prints], [p.units[k] for p, k in zip(prints, usable)])


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
    outlets: Sequence[str] | None = None,
) -> list[Match]:
    """Matches among candidate pairs, packed, sorted and distinct as ``find_candidates``
    gives them; ``content[i]`` is story i's shingles without boilerplate, ``keys[i]`` its
    key and ``outlets[i]`` its outlet (``outlet_of``; empty when unknown). Matches come in
    the order of the pairs."""
    first, second = unpack_pairs(pairs)
    sizes = np.fromiter(map(len, content), dtype=np.int64, count=len(content))
    shared = shared_counts(first, second, content)
    size_a, size_b = sizes[first], sizes[second]
    same = None if outlets is None else same_outlets(outlets, first, second)
    codes = decide_all(shared, size_a, size_b, settings, same)
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
    one story are looked up in its shingles together: a story's few hundred shingles stay in
    the processor's fastest cache, which beats one large search over many stories at once.
    A table of the story's shingles' low bits (``_SMALL_FILTER``) sets aside, in one gather,
    the partners' shingles it cannot hold, most of them; only the rest are searched."""
    counts = np.zeros(len(first), dtype=np.int64)
    order = np.argsort(first, kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], np.diff(first[order]) != 0)))
    table = np.zeros(int(_SMALL_FILTER) + 1, dtype=bool)
    for group in np.split(order, starts[1:]) if len(order) else ():
        arrays = [content[j] for j in second[group].tolist()]
        lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
        ends = np.cumsum(lengths)
        mine = content[first[group[0]]]
        theirs = np.concatenate(arrays)
        low = mine & _SMALL_FILTER
        table[low] = True
        maybe = np.flatnonzero(table[theirs & _SMALL_FILTER])
        table[low] = False
        found = maybe[contains(mine, theirs[maybe])]  # where shared shingles sit in theirs
        counts[group] = np.searchsorted(found, ends) - np.searchsorted(found, ends - lengths)
    return counts


_SMALL_FILTER = np.uint32((1 << 16) - 1)
"""Low bits of a shingle that ``shared_counts`` tables: a story's few hundred fill a few
hundredths of the table, so few shingles it does not hold pass it."""

_PREPARED_AT_ONCE = 32
"""Stories whose units ``verify_rewrites`` prepares together, in the order its pairs need
them: enough to share the array work, few enough to hold while they wait."""
_PREPARED_WORDS = 1 << 15
"""Words a batch of stories prepared together holds at most (but one story, however long):
the work arrays stay small whatever the stories' lengths."""
_DECIDED_AT_ONCE = 32
"""Pairs ``verify_rewrites`` decides together (``decide_rewrite_many``)."""


def verify_rewrites(
    pairs: np.ndarray,
    keys: Sequence[str],
    prints: Sequence[Fingerprint],
    content: Sequence[np.ndarray],
    removed: Sequence[np.ndarray],
    settings: Settings = DEFAULT,
    usable: Sequence[np.ndarray] | None = None,
    outlets: Sequence[str] | None = None,
) -> list[Match]:
    """Matches among rewrite candidates (packed pairs of story numbers), by the rewrite
    decision on their usable units. A link that the decision finds but whose words are
    mostly verbatim (shared shingles at least half the coverage, quotes given alike counted:
    a short copy) is a ``partial`` copy, and between two stories of one outlet (``outlets``,
    as ``verify`` reads them) only where it holds as much of the smaller story as such a
    copy needs (``containment_needed``); otherwise a ``rewrite``. ``usable[i]``: story i's
    ``usable_units``, when the caller has them."""
    prepared: dict[int, Sentences] = {}
    matches = []
    first, second = unpack_pairs(pairs)
    firsts, seconds = first.tolist(), second.tolist()
    own = (  # pairs of one outlet: a short copy between them needs more of the smaller story
        same_outlets(outlets, first, second).tolist()
        if outlets is not None
        else [False] * len(firsts)
    )
    last_use = {}
    for at, (a, b) in enumerate(zip(firsts, seconds)):
        last_use[a] = last_use[b] = at
    needed = list(dict.fromkeys(story for pair in zip(firsts, seconds) for story in pair))
    ahead = 0  # stories are needed in the order of ``needed``: made a batch at a time

    def units_of(story: int) -> Sentences:
        nonlocal ahead
        if story not in prepared:
            batch, words = [], 0
            for waiting in needed[ahead : ahead + _PREPARED_AT_ONCE]:
                units = prints[waiting].units
                words += int(units[-1, 1]) if len(units) else 0
                if batch and words > _PREPARED_WORDS:
                    break
                batch.append(waiting)
            ahead += len(batch)
            made = _sentences(
                [prints[s] for s in batch],
                [removed[s] for s in batch],
                settings,
                None if usable is None else [usable[s] for s in batch],
            )
            prepared.update(zip(batch, made))
        return prepared[story]

    for start in range(0, len(firsts), _DECIDED_AT_ONCE):
        run = range(start, min(start + _DECIDED_AT_ONCE, len(firsts)))
        decided = decide_rewrite_many(
            [(units_of(firsts[at]), units_of(seconds[at])) for at in run], settings
        )
        for at in run:  # a story's prepared units are let go after its last pair
            for story in (firsts[at], seconds[at]):
                if last_use[story] == at:
                    prepared.pop(story, None)
        for at, found in zip(run, decided):
            if not found.linked:
                continue
            a, b = firsts[at], seconds[at]
            shared = overlap(content[a], content[b])
            common = found.coverage + found.spoken  # quotes given alike are shared words too
            kind = "partial" if shared.containment >= common / 2 else REWRITE
            if kind == "partial" and shared.containment < containment_needed(settings, own[at]):
                continue  # an outlet's own text again in a new story: no link
            matches.append(
                Match(
                    keys[a],
                    keys[b],
                    shared.shared,
                    shared.resemblance,
                    shared.containment,
                    kind,
                    found.coverage,
                )
            )
    return matches
