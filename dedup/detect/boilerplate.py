"""Boilerplate: text that stories share without being copies of one another, found from the
text alone, whatever its layout, and given no weight.

Outlets wrap their stories in the same footers, "Watch ... Live" lines, related-link lists
and newsletter blurbs. Such text is repeated across stories that otherwise have nothing in
common; a wire story's paragraph is repeated across stories that are copies of one another.
So a repeated text is boilerplate when ``boilerplate_min`` of the stories carrying it share
nothing else: once it is set aside, no two of them are linked, and in none of them is it
the larger part (a brief made of one wire paragraph is a copy of it, not a carrier).
Carriers count per outlet when the outlet is known (its ``outlet`` metadata, else the host of
its ``url``), and a story of unknown outlet counts with every outlet, as it may be that
outlet's own (``_outlet_groups``). Versions of one story (write-thrus,
near-duplicates) never count twice, since they share much else.

Repeated text is found through anchors (``Fingerprint.anchors``): the anchors carried by
the same set of stories make one *repeated text*, and its words are what all of those
stories share (the intersection of their shingles). The rule reads at most
``widely_shared`` carriers of a text, earliest first, so its cost stays bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.detect.candidates import KeyTable
from dedup.detect.fingerprint import distinct, fmix64
from dedup.detect.verify import contains, decide_all, shared_count, without
from dedup.settings import DEFAULT, Settings

MOSTLY = 0.5
"""A text that is this share of a story or more is the story itself, not a wrapper of it."""


@dataclass(frozen=True)
class Boilerplate:
    """The boilerplate of a collection: for each story, the shingles that carry no weight,
    and the anchors that bring no candidates."""

    removed: dict[int, np.ndarray]
    """Story number -> sorted shingles of the boilerplate it carries."""
    anchors: np.ndarray
    """Sorted heads (``KeyTable.heads``) of boilerplate anchors."""
    texts: int = 0
    """How many repeated texts were found to be boilerplate."""

    def of(self, story: int) -> np.ndarray:
        return self.removed.get(story, _NONE)


_NONE = np.zeros(0, dtype=np.uint32)


def is_boilerplate(
    carriers: Sequence[int],
    outlets: Sequence[str],
    shingles: Callable[[int], np.ndarray],
    settings: Settings = DEFAULT,
) -> np.ndarray | None:
    """The shingles of a repeated text when it is boilerplate, else None: the one rule every
    engine applies. ``carriers`` are the stories carrying it, earliest first, ``outlets``
    their outlets ("" when unknown), ``shingles(c)`` a carrier's sorted distinct shingles
    (called only for the carriers compared, so callers fetch them lazily, and once each:
    the call holds them, so that callers need not hold every carrier's shingles)."""
    held: dict[int, np.ndarray] = {}

    def shingles_of(carrier: int) -> np.ndarray:
        if carrier not in held:
            held[carrier] = shingles(carrier)
        return held[carrier]

    for group in _outlet_groups(carriers[: settings.widely_shared], outlets):
        if len(group) < settings.boilerplate_min:
            continue
        common = _in_all(shingles_of(group[0]), [shingles_of(carrier) for carrier in group[1:]])
        if not len(common):
            continue
        different: list[np.ndarray] = []
        for carrier in group:
            mine = shingles_of(carrier)
            if len(common) >= MOSTLY * len(mine):
                continue
            rest = without(mine, common)
            if _linked(rest, different, settings):
                continue
            different.append(rest)
            if len(different) >= settings.boilerplate_min:
                return common
    return None


def may_share_outlet(a: str, b: str) -> bool:
    """Whether stories of outlets ``a`` and ``b`` ("" when unknown) may be of one outlet: a
    page without metadata may be any outlet's own."""
    return a == b or not a or not b


def _outlet_groups(carriers: Sequence[int], outlets: Sequence[str]) -> list[list[int]]:
    """The carriers that count together, in their order: for each known outlet, those that
    may share it (``may_share_outlet``), or, when no outlet is known, all of them."""
    known = dict.fromkeys(outlet for outlet in outlets if outlet)
    if not known:
        return [list(carriers)]
    return [
        [carrier for carrier, its in zip(carriers, outlets) if may_share_outlet(its, outlet)]
        for outlet in known
    ]


def _in_all(values: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """The ``values`` found in every one of ``others`` (all sorted and distinct). What two
    stories share is small beside either, so the rest are searched in it, all at once, and
    a value is kept when every one of them holds it."""
    if not others:
        return values
    values = others[0][contains(values, others[0])]
    if len(others) == 1 or not len(values):
        return values
    found = np.concatenate(others[1:])
    found = found[contains(values, found)]
    finds = np.bincount(np.searchsorted(values, found), minlength=len(values))
    return values[finds == len(others) - 1]


def _linked(story: np.ndarray, others: list[np.ndarray], settings: Settings) -> bool:
    """Whether ``story`` is a copy of any of ``others``: one decision for them all."""
    if not others:
        return False
    shared = [shared_count(story, other) for other in others]
    sizes = np.fromiter(map(len, others), dtype=np.int64, count=len(others))
    return bool(
        decide_all(np.array(shared), np.full(len(others), len(story)), sizes, settings).any()
    )


def find_boilerplate(
    anchors: KeyTable,
    outlets: Sequence[str],
    shingles: Callable[[int], np.ndarray],
    settings: Settings = DEFAULT,
    decided: dict[tuple[int, ...], np.ndarray | None] | None = None,
) -> Boilerplate:
    """The boilerplate of a collection whose anchors are ``anchors`` (owned by story
    number, in story order): every set of anchors carried by the same ``boilerplate_min``
    stories or more is a repeated text, put to ``is_boilerplate``. ``decided``, when given,
    holds the outcome for each set of carriers already put to it (the outcome depends on
    the carriers alone), and is added to: a caller that asks again about most of the same
    collection decides only the texts whose carriers changed."""
    starts, sizes = anchors.groups(settings.boilerplate_min)
    if not len(starts):
        return Boilerplate({}, np.zeros(0, dtype=np.uint64))
    heads = anchors.heads[starts]
    # One fingerprint per set of carriers: a sum of mixed owner numbers (order-free), made
    # a slice of groups at a time, so that work arrays stay small beside the table; the
    # carriers of every group are kept, end to end, from ``offsets``.
    offsets = np.cumsum(sizes) - sizes
    owners = np.empty(int(sizes.sum()), dtype=np.int32)  # story numbers are below 2^31
    signature = np.empty(len(starts), dtype=np.uint64)
    mask = np.uint64((1 << anchors.bits) - 1)
    for low in range(0, len(starts), _GROUPS):
        high = min(low + _GROUPS, len(starts))
        begin, end = int(offsets[low]), int(offsets[high - 1] + sizes[high - 1])
        shift = starts[low:high] - (offsets[low:high] - begin)
        part = anchors.keys[np.repeat(shift, sizes[low:high]) + np.arange(end - begin)] & mask
        owners[begin:end] = part
        mixed = fmix64(part + np.uint64(1))
        signature[low:high] = np.add.reduceat(mixed, offsets[low:high] - begin)
    signature ^= sizes.astype(np.uint64)
    _, first, which = np.unique(signature, return_index=True, return_inverse=True)
    removed: dict[int, list[np.ndarray]] = defaultdict(list)
    texts = 0
    found = np.zeros(len(first), dtype=bool)
    for number, at in enumerate(first.tolist()):
        carriers = owners[offsets[at] : offsets[at] + sizes[at]].tolist()
        known = tuple(carriers)
        if decided is not None and known in decided:
            common = decided[known]
        else:
            common = is_boilerplate(carriers, [outlets[c] for c in carriers], shingles, settings)
            if decided is not None:
                decided[known] = common
        if common is None:
            continue
        found[number] = True
        texts += 1
        for carrier in carriers:
            removed[carrier].append(common)
    return Boilerplate(
        {story: _union(parts) for story, parts in removed.items()},
        np.sort(heads[found[which]]),
        texts,
    )


_GROUPS = 1 << 16
"""Groups of repeated anchors whose carriers ``find_boilerplate`` reads at a time."""


def _union(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else distinct(np.concatenate(parts), in_place=True)
