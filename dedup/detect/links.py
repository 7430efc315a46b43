"""The detection core run end to end over fingerprints: boilerplate, copy candidates and
their verification, then rewrite candidates and their decision. Every engine calls this (the
local scan on a whole collection, the index on a batch and the stories around it), so the
rules are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.detect.boilerplate import Boilerplate, find_boilerplate
from dedup.detect.candidates import (
    KeyTable,
    copy_candidates,
    item_origins,
    pack_pairs,
    rewrite_candidates_of,
    unpack_pairs,
)
from dedup.detect.fingerprint import Fingerprint, distinct, held_beside
from dedup.detect.verify import (
    usable_units,
    usable_units_all,
    verify,
    verify_rewrites,
    without,
)
from dedup.read.inputs import outlet_of
from dedup.records import Match, Story
from dedup.settings import DEFAULT, Settings

_DAY = 86400.0
_NO_HASHES = np.zeros(0, dtype=np.uint32)
_NO_KEYS = np.zeros(0, dtype=np.uint64)
_NO_UNIT_KEYS = np.zeros((0, 0), dtype=np.uint64)
_NO_USABLE = np.zeros(0, dtype=bool)
_BLOCK = 1024
"""Stories whose usable units are found, and whose band keys are handed on, together."""


@dataclass(frozen=True)
class Links:
    """What the core found among a collection of stories."""

    matches: list[Match]
    content: list[np.ndarray]
    """Each story's distinct shingles without its boilerplate (for reuse shares)."""
    candidates: int
    """Pairs put to a decision: copy candidates and rewrite candidates."""
    boilerplate: Boilerplate
    scope: frozenset[str] | None = None
    """With a focus: the keys of the stories whose links were decided (``find_links``);
    None: every story's."""


def find_links(
    stories: Sequence[Story],
    prints: Sequence[Fingerprint],
    settings: Settings = DEFAULT,
    *,
    focus: Collection[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    jobs: int = 1,
    release: bool = False,
) -> Links:
    """Every link among ``stories`` (in ``Story.sort_key`` order; ``prints[i]`` is story
    i's fingerprint).

    With ``focus`` (story keys), only the links that stories in the focus can change are
    decided: the stages and rules are the same, over all of ``stories`` (boilerplate,
    candidates and items need them all), but rewrite decisions are made only for items
    (stories verbatim reuse links) holding a story of the focus or a story whose
    boilerplate the focus changes, and only matches with an end in such an item are
    returned. The matches are exactly the whole run's matches with an end in
    ``Links.scope``, the stories of those items: an index adding a batch to stored stories
    decides what is new, and keeps the stored links among the other stories.

    ``jobs`` processes share the rewrite decisions (``decide_rewrites``); the links are the
    same whatever it is. With ``release`` (and no focus), ``prints`` (a list the caller
    made for this call) is changed as the stages go: each fingerprint's parts that no
    later stage reads are let go (its shingles and anchors once its content and usable
    units are made, its unit keys once they are in the rewrite candidates' table), so that
    the fingerprints shrink while the stages' own arrays grow.
    """
    report = progress or _silent  # progress(stage, done, total), as each stage starts and ends
    count = len(stories)
    report("boilerplate", 0, count)
    keys = [story.key for story in stories]
    # Shingle sets (``content_sets``): with a focus, every story's, which it needs again;
    # else made as the boilerplate rule reads them (it holds them while it decides one
    # repeated text) and again for each story's content, so that a collection's sets are
    # never held beside its fingerprints' shingles.
    sets = [print_.shingle_set() for print_ in prints] if focus is not None else []

    def shingles(number: int) -> np.ndarray:
        return sets[number] if sets else prints[number].shingle_set()

    anchors = KeyTable.of([print_.anchors for print_ in prints])
    lighten = release and focus is None
    if lighten:
        _let_go(prints, range(count), anchors=_NO_KEYS)
    outlets = [outlet_of(story) for story in stories]
    # With a focus, the rule is put again to the texts the focus does not carry
    # (``_boilerplate_moved``): each set of carriers is decided once.
    decided: dict[tuple[int, ...], np.ndarray | None] = {}
    boilerplate = find_boilerplate(
        anchors, outlets, shingles, settings, decided if focus is not None else None
    )
    removed = [boilerplate.of(number) for number in range(len(stories))]
    content: list[np.ndarray] = [_NO_HASHES] * count
    usable: list[np.ndarray] = [_NO_USABLE] * count  # usable units, for the rewrite stages
    for block in _blocks(prints, "shingles"):  # a block at a time: work arrays hold a block's
        for number in block:
            content[number] = without(shingles(number), removed[number])
        if lighten:  # a spooled scan's content sets wait beside its keys until read
            held = held_beside(prints[block[0]], [content[at] for at in block])
            for number, array in zip(block, held):
                content[number] = array
        if settings.links == "all":
            found = usable_units_all(
                [prints[at] for at in block], [removed[at] for at in block], settings.shingle
            )
            for number, units in zip(block, found):
                usable[number] = units
        if lighten:
            _keep_usable(prints, block, usable if settings.links == "all" else None)
    report("boilerplate", count, count)
    report("copy candidates", 0, count)
    anchors = anchors.without(boilerplate.anchors)  # the table with them is let go
    pairs = copy_candidates(anchors, settings)
    del anchors
    report("copy candidates", count, count)
    report("verification", 0, len(pairs))
    matches = verify(pairs, keys, content, settings, outlets)
    spool = prints[0].key_spool if lighten and prints else None
    if spool is not None:  # content sets are read again only for rewrites and clustering
        spool.drop()
    report("verification", len(pairs), len(pairs))
    candidates = len(pairs)
    if settings.links != "all" and focus is None:
        return Links(matches, content, candidates, boilerplate)
    # Items are formed from every verbatim link, so with a focus too every copy pair is
    # verified (cheap, in arrays); what the focus saves is the rewrite decisions, made one
    # story pair at a time.
    items, origins = copy_items(stories, matches, keys)
    inside = None
    scope = None
    if focus is not None:
        wanted = set(focus)
        chosen = np.fromiter((key in wanted for key in keys), dtype=bool, count=len(keys))
        chosen = _boilerplate_moved(
            [print_.anchors for print_ in prints],
            chosen,
            outlets,
            sets,
            boilerplate,
            settings,
            decided,
        )
        held = np.zeros(int(items.max()) + 1 if len(items) else 0, dtype=bool)
        held[items[chosen]] = True
        inside = held[items]
        scope = frozenset(key for key, kept in zip(keys, inside.tolist()) if kept)
        matches = [m for m in matches if m.a in scope or m.b in scope]
        first, second = unpack_pairs(pairs)
        candidates = int(np.count_nonzero(inside[first] | inside[second]))
    if settings.links == "all":
        report("rewrite candidates", 0, count)
        rewrites = _rewrite_pairs(stories, prints, usable, items, origins, settings, lighten)
        if inside is not None:
            first, second = unpack_pairs(rewrites)
            rewrites = rewrites[inside[first] | inside[second]]
        candidates += len(rewrites)
        report("rewrite candidates", count, count)
        report("rewrite decisions", 0, len(rewrites))
        found = decide_rewrites(
            rewrites, keys, prints, content, removed, settings, usable, outlets, jobs=jobs
        )
        later = _republished(found, matches, keys, inside)
        if len(later):
            candidates += len(later)
            found += decide_rewrites(
                later, keys, prints, content, removed, settings, usable, outlets, jobs=jobs
            )
        matches += found
        report("rewrite decisions", len(rewrites), len(rewrites))
    return Links(matches, content, candidates, boilerplate, scope)


def _republished(
    rewrites: Sequence[Match],
    copies: Sequence[Match],
    keys: Sequence[str],
    inside: np.ndarray | None,
) -> np.ndarray:
    """Pairs for a second rewrite decision: the earlier story of each rewrite link with each
    near-duplicate of the later one (a rewrite republished word for word). A rewrite is
    decided once for stories verbatim reuse links (their item's origin), so its
    republications would have no link of their own to the story it rewrites."""
    twins: dict[str, list[str]] = {}
    for m in copies:
        if m.kind == "near-duplicate":
            twins.setdefault(m.a, []).append(m.b)
            twins.setdefault(m.b, []).append(m.a)
    linked = {frozenset((m.a, m.b)) for m in rewrites}
    wanted = {  # a match's ``b`` is its later story
        frozenset((m.a, twin)) for m in rewrites for twin in twins.get(m.b, ()) if twin != m.a
    } - linked
    if not wanted:
        return np.zeros(0, dtype=np.int64)
    number = {key: at for at, key in enumerate(keys)}
    first, second = np.array(
        [sorted(number[key] for key in pair) for pair in wanted], dtype=np.int64
    ).T
    if inside is not None:
        kept = inside[first] | inside[second]
        first, second = first[kept], second[kept]
    return np.sort(pack_pairs(first, second))


_SHARED: tuple = ()
"""What a forked process of ``decide_rewrites`` reads: the arguments after ``pairs``."""
_PARALLEL = 2000
"""Rewrite candidates below which one process decides them all (a fork costs more)."""


def decide_rewrites(
    pairs: np.ndarray,
    keys: Sequence[str],
    prints: Sequence[Fingerprint],
    content: Sequence[np.ndarray],
    removed: Sequence[np.ndarray],
    settings: Settings,
    usable: Sequence[np.ndarray],
    outlets: Sequence[str] | None = None,
    *,
    jobs: int = 1,
) -> list[Match]:
    """``verify_rewrites`` of ``pairs``, on ``jobs`` processes: the rewrite decisions are
    the clustering stages' largest part, made a pair at a time in Python, so with more
    than one core they are shared out. The pairs are cut into ``jobs`` runs of
    consecutive pairs (sorted by their first story, so a story's pairs as the first fall in
    one run, and its prepared units are made once there); this process decides the first
    run, forked copies of it (which read the fingerprints without copying them) the
    others, and the matches come back in pair order, as one process gives them."""
    if jobs <= 1 or len(pairs) < _PARALLEL or not _can_fork():
        return verify_rewrites(pairs, keys, prints, content, removed, settings, usable, outlets)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SHARED
    runs = np.array_split(pairs, jobs)
    _SHARED = (keys, prints, content, removed, settings, usable, outlets)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=context) as pool:
            others = [pool.submit(_decide_run, run) for run in runs[1:]]
            found = _decide_run(runs[0])
            for other in others:
                found += other.result()
    finally:
        _SHARED = ()
    return found


def _decide_run(pairs: np.ndarray) -> list[Match]:
    """A run of ``decide_rewrites``'s pairs, over the arguments it shared (``_SHARED``)."""
    return verify_rewrites(pairs, *_SHARED)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _silent(stage: str, done: int, total: int) -> None:
    """``find_links``'s progress when nobody listens."""


def _boilerplate_moved(
    anchors: Sequence[np.ndarray],
    chosen: np.ndarray,
    outlets: Sequence[str],
    sets: Sequence[np.ndarray],
    boilerplate: Boilerplate,
    settings: Settings,
    decided: dict[tuple[int, ...], np.ndarray | None],
) -> np.ndarray:
    """``chosen`` (a mask of stories) with every story whose boilerplate they change: what
    is set aside in it differs from what the other stories alone would set aside. Whether a
    repeated text is boilerplate is decided over all its carriers, so a new carrier can
    change it for the others, and with it their links. ``decided``: the outcomes
    ``boilerplate`` was found with, by set of carriers (``find_boilerplate``), which hold
    for every text whose carriers are the same without ``chosen``."""
    if not chosen.any():
        return chosen
    none = np.zeros(0, dtype=np.uint64)
    rest = KeyTable.of([none if out else keys for out, keys in zip(chosen.tolist(), anchors)])
    before = find_boilerplate(rest, outlets, sets.__getitem__, settings, decided)
    grown = chosen.copy()
    for number in set(before.removed) | set(boilerplate.removed):
        if not grown[number] and not np.array_equal(before.of(number), boilerplate.of(number)):
            grown[number] = True
    return grown


def _rewrite_pairs(
    stories: Sequence[Story],
    prints: Sequence[Fingerprint],
    usable: Sequence[np.ndarray],
    items: np.ndarray,
    origins: np.ndarray,
    settings: Settings,
    release: bool = False,
) -> np.ndarray:
    """Story pairs for the rewrite decision: the likely origins (``origins``, from
    ``item_origins``: the stories clusters form around) of candidate items
    (``rewrite_candidates``). An item is a set of stories that verbatim reuse already links
    (``items[i]``: story i's): they need no rewrite decision among themselves. With
    ``release``, the fingerprints of ``prints`` hold their usable units' keys alone
    (``_keep_usable``; spooled keys all of them), and each is replaced by one without unit
    keys once they are taken."""

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """A block of stories' usable band keys at a time, each with its item."""
        for block in _blocks(prints, "unit_keys"):
            # With release, _keep_usable kept the usable units' keys alone, unless a spool
            # holds them (then every unit's is there, as fingerprinting made them).
            kept = release and prints[block[0]].key_spool is None
            keys = [
                prints[at].unit_keys.ravel() if kept else prints[at].unit_keys[usable[at]].ravel()
                for at in block
            ]
            sizes = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
            if release:
                _let_go(prints, block, unit_keys=_NO_UNIT_KEYS)
            yield np.concatenate(keys), np.repeat(items[block], sizes)

    units = np.fromiter(map(np.count_nonzero, usable), dtype=np.int64, count=len(usable))
    pairs = rewrite_candidates_of(chunks(), items, story_days(stories), units[origins], settings)
    first, second = origins[pairs >> 32], origins[pairs & 0xFFFFFFFF]
    return distinct(pack_pairs(np.minimum(first, second), np.maximum(first, second)))


def _let_go(prints: Sequence[Fingerprint], numbers: Iterable[int], **parts: np.ndarray) -> None:
    """``prints[i]`` for each i of ``numbers`` replaced by a copy with ``parts`` emptied
    (``find_links``'s release): the old ones, no longer held, are freed."""
    if not isinstance(prints, list):
        raise TypeError("release needs the fingerprints as a list")
    for at in numbers:
        prints[at] = prints[at].replaced(**parts)


def _keep_usable(
    prints: list[Fingerprint], block: list[int], usable: Sequence[np.ndarray] | None
) -> None:
    """``find_links``'s release of a block of stories once their content and usable units
    are made: each fingerprint without its shingles, and with the unit keys of its usable
    units alone (``usable``; None: no unit keys, for a run that decides no rewrites), the
    block's kept in a few arrays (boilerplate units' keys are never read); keys a
    ``KeySpool`` holds stay there, out of memory, until the rewrite candidates read them."""
    for low in range(0, len(block), _KEPT):  # arrays smaller than those let go
        part = block[low : low + _KEPT]
        if usable is not None and prints[part[0]].key_spool is not None:  # keys stay there
            for at in part:
                prints[at] = prints[at].replaced(shingles=_NO_HASHES)
            continue
        kept = [prints[at].unit_keys[usable[at]] for at in part] if usable is not None else []
        together = np.concatenate(kept) if kept else _NO_UNIT_KEYS
        ends = np.cumsum([len(keys) for keys in kept]).tolist()
        for number, at in enumerate(part):
            keys = together[ends[number] - len(kept[number]) : ends[number]] if kept else together
            prints[at] = prints[at].replaced(shingles=_NO_HASHES, unit_keys=keys)


_KEPT = 64
"""Stories whose usable unit keys ``_keep_usable`` puts in one array: fewer than a batch of
fingerprinting, so that the array fits where a batch's keys were."""


def _blocks(prints: Sequence[Fingerprint], part: str) -> Iterator[list[int]]:
    """The story numbers of ``prints`` in blocks of ``_BLOCK``, in the order in which their
    ``part`` arrays lie in memory. Fingerprinting makes each part of a batch of stories in
    one array, and each story's part is a view of it (``Fingerprinter.texts``): taken in
    this order, a batch's stories fall in one or two blocks, so that once its block is done
    and let go the batch's array is freed whole, a large piece of memory the next stage's
    arrays can use (story order would keep nearly every batch alive to the last block). The
    stages' results do not depend on the order."""
    places = np.fromiter(
        (getattr(print_, part).__array_interface__["data"][0] for print_ in prints),
        dtype=np.uint64,
        count=len(prints),
    )
    order = np.argsort(places, kind="stable").tolist()
    for low in range(0, len(order), _BLOCK):
        yield order[low : low + _BLOCK]


def rewrite_keys(
    print_: Fingerprint, removed: np.ndarray, settings: Settings = DEFAULT
) -> tuple[np.ndarray, int]:
    """A story's evidence for rewrite candidates: the band keys of its usable units (those
    not mostly boilerplate, ``usable_units``), sorted and distinct, and how many usable units
    it has (``keys_needed``). Every engine takes them from here, so the keys an engine
    groups are the ones the local scan groups."""
    usable = print_.unit_keys[usable_units(print_, removed, settings.shingle)]
    return distinct(usable.ravel()), len(usable)


def story_days(stories: Sequence[Story]) -> np.ndarray:
    """Each story's date in days since the epoch, NaN when undated: the unit of
    ``rewrite_window``, as ``rewrite_candidates`` reads it."""
    return np.array(
        [s.date.timestamp() / _DAY if s.date else np.nan for s in stories], dtype=np.float64
    )


def copy_items(
    stories: Sequence[Story], matches: Sequence[Match], keys: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The items verbatim ``matches`` make of ``stories`` (named by ``keys``; ``components``)
    and each item's likely origin, the story its rewrite decisions read (``item_origins``,
    ranking an undated item's stories by the shingles each shares over its matches)."""
    items = components(len(stories), [(m.a, m.b) for m in matches], keys)
    number = {key: at for at, key in enumerate(keys)}
    shared = np.zeros(len(keys), dtype=np.int64)
    for m in matches:
        shared[number[m.a]] += m.shared
        shared[number[m.b]] += m.shared
    undated = np.fromiter((s.date is None for s in stories), dtype=bool, count=len(stories))
    return items, item_origins(items, undated, shared)


def components(count: int, links: Sequence[tuple[str, str]], keys: Sequence[str]) -> np.ndarray:
    """The connected component of each of ``count`` stories (named by ``keys``) under
    ``links``, numbered in order of their earliest story."""
    parent = list(range(count))
    number = {key: at for at, key in enumerate(keys)}

    def root(at: int) -> int:
        while parent[at] != at:
            parent[at] = parent[parent[at]]
            at = parent[at]
        return at

    for a, b in links:
        ra, rb = root(number[a]), root(number[b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(at) for at in range(count)], dtype=np.int64)
    _, items = np.unique(roots, return_inverse=True)
    return items.astype(np.int64)
