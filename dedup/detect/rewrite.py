"""The rewrite decision: is one story the other rewritten sentence by sentence?

A newspaper that rewrites an agency story keeps its sentences recognisable and mostly in
order, but few of its five-word runs. Two independent reports of one event share names,
numbers and vocabulary, but few sentences survive as sentences, and those that do are not a
chain in order. So the decision aligns sentences, not bags of words:

1. each sentence unit (``Fingerprint.units``) of the smaller story is compared with each unit
   of the other by *character 4-gram containment*: the share of the unit's 4-grams (numbers
   left out) found in the other unit, either way round; character grams survive inflection,
   spelling variants and words split or joined ("کیخلاف" / "کے خلاف");
2. counterparts holding at least ``rewrite_similarity`` are aligned in order (dynamic
   programming; a unit may also match two adjacent units, a sentence split in two);
3. the pair is a rewrite when the aligned units cover ``rewrite_coverage`` of the smaller
   story's words (each unit weighted by its similarity) in ``rewrite_sentences`` units or
   more: one shared sentence is never a rewrite;
4. a unit quoted in both stories and alike in both (``SPOKEN_ALIKE``) is not aligned, nor
   is either unit with any other: a speaker's words are quoted word for word by every
   report of what they said, so they tell of a common speaker, not of one story made from
   the other.

Measured on real agency stories and the newspaper stories made from them (README, "Quality"):
character 4-grams separated rewrites from independent reports better than word overlap,
edit distance or token-set ratios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dedup.detect.fingerprint import distinct, fmix64
from dedup.read.text import MARK_CODES, PARAGRAPH_BREAK, QUOTE
from dedup.settings import DEFAULT, Settings

GRAM = 4
"""Characters per gram."""
_UNIT_BITS = 10
_UNIT_SHIFT = np.uint64(_UNIT_BITS)
_UNIT_MASK = np.uint64((1 << _UNIT_BITS) - 1)
_GRAM_MASK = ~_UNIT_MASK
_PRIME = np.uint64(0x100000001B3)
_EXACT_BITS = 13
"""Code points below ``2**13`` are a gram's key exactly: four of them and the unit's number
fit in 62 bits."""
_EXACT_LIMIT = 1 << _EXACT_BITS
_SHIFTS = [np.uint64(_EXACT_BITS * (GRAM - 1 - offset)) for offset in range(GRAM)]
_HASHED = np.uint64(1 << 63)
"""Set in the key of a gram that is hashed (never in an exact one)."""
UNITS = 1 << _UNIT_BITS
"""Units of a story compared at most (the first ones)."""
_MARK = 2
_SPACES = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
    (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
"""The code points ``str.isspace`` holds white space (where ``str.split`` splits), as
ranges; the tests hold the two equal. Testing all 12,290 below U+3002 in Python instead
would add 2 ms to every process's start-up."""


def _kinds() -> np.ndarray:
    """What each code point is: 1 white space (``str.split``'s, up to the last, U+3000; the
    entry after stands for any larger), ``_MARK`` a sentence or clause mark, 0 a word's."""
    kind = np.zeros(0x3002, dtype=np.uint8)
    for low, high in _SPACES:
        kind[low : high + 1] = 1
    kind[[ord(mark) for mark in MARK_CODES]] = _MARK
    return kind


_KIND = _kinds()


def _inside_quotes(codes: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which characters of texts joined end to end (each ending before ``ends``) are inside
    quotation marks: after an odd number of ``QUOTE`` marks since the start of their text
    or their paragraph (a quote running into the next paragraph opens it again, as news
    style has it, and a mark left unclosed reaches no further)."""
    quote = codes == ord(QUOTE)
    seen = np.cumsum(quote, dtype=np.int64)
    reset = codes == ord(PARAGRAPH_BREAK)
    starts = np.concatenate(([0], ends[:-1]))
    reset[starts[starts < len(codes)]] = True
    since = np.maximum.accumulate(np.where(reset, seen - quote, 0))
    return (seen - since) % 2 == 1


@dataclass(frozen=True)
class Sentences:
    """A story prepared for the decision: its units' word counts and their distinct
    character grams, packed (gram hash with the unit's number in its low bits), sorted."""

    sizes: np.ndarray
    grams: np.ndarray
    counts: np.ndarray
    """Distinct grams per unit."""
    units: np.ndarray
    """Each packed gram's unit (``UNITS`` at most: two bytes each)."""
    quoted: np.ndarray
    """Which units are quotes: a third or more of their words (numbers apart) inside
    quotation marks (``QUOTE``), counted from the start of the story or of the paragraph (a
    quote and its attribution, "..., the minister said", make one unit)."""

    @classmethod
    def of(cls, units: Sequence[Sequence[str]], quoted: Sequence[bool] = ()) -> Sentences:
        """From each unit's words (``Fingerprint.unit_words``) and which of them are quotes
        (none, if not given)."""
        units = list(units)[:UNITS]
        grams = _grams([" ".join(words) for words in units])
        given = list(quoted)[: len(units)]
        flags = np.zeros(len(units), dtype=bool)
        flags[: len(given)] = given
        return cls._made(np.array([len(w) for w in units], dtype=np.float64), grams, flags)

    @classmethod
    def _made(cls, sizes: np.ndarray, grams: np.ndarray, quoted: np.ndarray) -> Sentences:
        unit = (grams & _UNIT_MASK).astype(np.uint16)
        return cls(sizes, grams, np.bincount(unit, minlength=len(sizes)), unit, quoted)

    @classmethod
    def many(cls, texts: Sequence[str], spans: Sequence[np.ndarray]) -> list[Sentences]:
        """Many stories at once, from each one's token text (``Fingerprint.text``) and the
        word spans of the units to compare (rows of ``Fingerprint.units``): what ``of``
        makes of those units' ``Fingerprint.unit_words``, with the words found, the
        numbers left out and the units' texts put together in arrays over all the stories'
        characters rather than word by word in Python. The units are disjoint runs of words
        in order, and no word holds a code 0, as in every text the fingerprints hold."""
        count = len(texts)
        spans = [np.asarray(s, dtype=np.int64).reshape(-1, 2)[:UNITS] for s in spans]
        kept = np.fromiter(map(len, spans), dtype=np.int64, count=count)
        if not count:
            return []
        codes = _codes(" ".join(texts))
        kind = _KIND[codes if codes.dtype == np.uint8 else np.minimum(codes, len(_KIND) - 1)]
        # Where each story's words end: its text and the space after it.
        ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=count) + 1)
        inside = _inside_quotes(codes, ends)
        marks = np.flatnonzero(kind == _MARK)
        if len(marks):  # marks are tokens of their own: without them, words are what is left
            codes, inside = codes[kind != _MARK], inside[kind != _MARK]
            kind = kind[kind != _MARK]
            ends -= np.searchsorted(marks, ends)
        else:
            codes = codes.copy()
        space = kind.view(bool)
        word = ~space
        begins = word.copy()
        begins[1:] &= space[:-1]
        first = np.flatnonzero(begins)  # each word's first character
        numbered = np.cumsum(begins, dtype=np.int32)  # each character's word (a space:
        numbered -= 1  # the one before)
        per_story = np.diff(np.searchsorted(first, ends), prepend=0)
        before = np.cumsum(per_story) - per_story  # words of the stories before
        # Each word's unit (-1: in none), units being disjoint runs of words in order.
        unit_story = np.repeat(np.arange(count), kept)
        every = np.concatenate(spans)
        low = np.minimum(every[:, 0], per_story[unit_story])
        width = np.maximum(np.minimum(every[:, 1], per_story[unit_story]) - low, 0)
        units = len(width)
        in_unit = np.repeat(low + before[unit_story] - np.cumsum(width) + width, width)
        in_unit += np.arange(len(in_unit))
        word_unit = np.full(len(first) + 1, -1, dtype=np.int32)  # the last: before any word
        word_unit[in_unit] = np.repeat(np.arange(units, dtype=np.int32), width)
        number = np.zeros(len(first) + 1, dtype=bool)  # words holding a digit: no evidence
        number[numbered[_digits(codes)]] = True
        evidence = (word_unit >= 0) & ~number
        evidence[-1] = False
        kept_words = np.flatnonzero(evidence)
        sizes = np.bincount(word_unit[kept_words], minlength=units).astype(np.float64)
        spoken = kept_words[inside[first[kept_words]]]
        quoted = 3 * np.bincount(word_unit[spoken], minlength=units) >= np.maximum(sizes, 1)
        # The units' texts end to end: the evidence words' characters, each word after the
        # first of its unit with the space before it.
        take = word & evidence[numbered]
        joins = kept_words[1:][word_unit[kept_words[1:]] == word_unit[kept_words[:-1]]]
        take[first[joins] - 1] = True
        codes[first[joins] - 1] = ord(" ")
        owner = word_unit[numbered[take]]  # in order: each unit's characters in one run
        text_length = np.diff(np.searchsorted(owner, np.arange(units + 1)))
        keys, owner = _keys(
            codes[take], owner[GRAM - 1 :] == owner[: max(len(owner) - GRAM + 1, 0)], owner
        )
        base = np.cumsum(kept) - kept  # each story's first unit
        local = (np.arange(units) - base[unit_story]).astype(np.uint64)[owner]
        packed = (keys << _UNIT_SHIFT) | local
        bounds = np.searchsorted(owner, np.append(base, units)).tolist()
        short: dict[int, list[tuple[int, str]]] = {}
        if ((text_length > 0) & (text_length < GRAM)).any():
            text = codes[take]
            starts = np.cumsum(text_length) - text_length
            for unit in np.flatnonzero((text_length > 0) & (text_length < GRAM)).tolist():
                found = text[starts[unit] : starts[unit] + text_length[unit]].tolist()
                at_story = int(unit_story[unit])
                short.setdefault(at_story, []).append(
                    (unit - int(base[at_story]), "".join(map(chr, found)))
                )
        made = []
        for story in range(count):
            part = packed[bounds[story] : bounds[story + 1]]
            if story in short:
                part = np.concatenate((part, _short(*zip(*short[story]))))
            grams = distinct(part, in_place=True)
            first_unit = int(base[story])
            made.append(
                cls._made(
                    sizes[first_unit : first_unit + int(kept[story])].copy(),
                    grams if grams.base is None else grams.copy(),  # not a view of the batch
                    quoted[first_unit : first_unit + int(kept[story])].copy(),
                )
            )
        return made

    @cached_property
    def words(self) -> float:
        """Words in all units (a story meets several others: computed once)."""
        return self.sizes.sum()

    @cached_property
    def lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """(the distinct grams; where each one's run of packed grams starts in ``grams``):
        what ``_shared_units`` searches, made once per story. A story waits prepared until
        its last pair is decided, where the stories of one day meet thousands of others,
        so what it keeps is kept small: positions in four bytes, no copy of ``keys``."""
        gram = self.keys
        starts = np.flatnonzero(np.concatenate(([True], gram[1:] != gram[:-1])))[: len(gram)]
        return gram[starts], starts.astype(np.int32)

    @cached_property
    def runs(self) -> np.ndarray:
        """How many units hold each of the distinct grams (``lookup``)."""
        return np.diff(self.lookup[1], append=np.int32(len(self.grams)))

    @property
    def keys(self) -> np.ndarray:
        """Each packed gram without its unit, sorted (what ``_shared_units`` looks up)."""
        return self.grams & _GRAM_MASK

    @cached_property
    def divisors(self) -> np.ndarray:
        """Distinct grams per unit, at least 1: what a unit's shared grams are a share of."""
        return np.maximum(self.counts, 1).astype(np.float64)

    def pairs(self) -> np.ndarray:
        """Packed grams of each pair of adjacent units (j, j + 1), numbered j."""
        unit = self.grams & _UNIT_MASK
        gram = self.grams & _GRAM_MASK
        last = np.uint64(max(len(self.sizes) - 2, 0))
        lower = gram[unit > 0] | (unit[unit > 0] - np.uint64(1))
        same = gram[unit <= last] | unit[unit <= last]
        return distinct(np.concatenate((lower, same)))


@dataclass(frozen=True)
class Rewrite:
    """The outcome of a rewrite decision."""

    linked: bool
    coverage: float
    """Share of the smaller story's words in units aligned with the other, each weighted by
    its similarity."""
    pairs: tuple[tuple[int, int, float], ...] = ()
    """Aligned (unit of a, unit of b, similarity)."""
    spoken: float = 0.0
    """Share of the smaller story's words in quotes the other gives alike (each weighted by
    its best similarity): left out of ``coverage``, as no evidence of rewriting, though the
    two stories share those words all the same."""


NOT_LINKED = Rewrite(False, 0.0)

SPOKEN_ALIKE = 0.8
"""Similarity from which two units quoted in both stories (``Sentences.quoted``) are one
speaker's words quoted alike: independent reports of one event quote a statement word for
word, so such a pair is no evidence of rewriting. A quote reworded or translated apart
(below this) still is."""


def _spoken(small: Sentences, large: Sentences) -> np.ndarray:
    """Which pairs of units (rows: the smaller story's) are quoted in both stories."""
    return small.quoted[:, None] & large.quoted[None, :]


def decide_rewrite(a: Sentences, b: Sentences, settings: Settings = DEFAULT) -> Rewrite:
    """The rewrite rule (module docstring) on two stories' units. Its shares are of the
    smaller story; two stories of as many words are each the smaller, so such a pair is
    decided both ways and the lower outcome kept (not linked before linked, then the lower
    coverage): the outcome never depends on which story is given first, as the engines
    number stories each their own way."""
    if a.words == b.words:
        return min(
            _decide(a, b, settings, swapped=False),
            _decide(a, b, settings, swapped=True),
            key=lambda found: (found.linked, found.coverage, found.pairs),
        )
    return _decide(a, b, settings, swapped=a.words > b.words)


def _decide(a: Sentences, b: Sentences, settings: Settings, swapped: bool) -> Rewrite:
    """``decide_rewrite`` with b read as the smaller story if ``swapped``, else a."""
    small, large = (b, a) if swapped else (a, b)
    total = small.words
    if not total or not large.words or len(small.sizes) < settings.rewrite_sentences:
        return NOT_LINKED
    least = settings.rewrite_similarity
    shared = _shared_units(small, large)
    held = shared / small.divisors[:, None]
    holds = shared / large.divisors
    similar = np.maximum(held, holds)  # containment either way round
    # A speaker's words quoted alike in both are no evidence: reports of one event do so.
    spoken = _spoken(small, large)
    alike = spoken & (similar >= SPOKEN_ALIKE)
    # Such a quote is accounted for: neither unit stands for another of the other story
    # (where it would align on the quote's attribution, or on part of the quote).
    given_rows, given_columns = alike.any(1), alike.any(0)
    blocked = given_rows[:, None] | given_columns[None, :]
    eligible = (similar >= least) & ~blocked
    single = held
    # A bound first, without order or split sentences' pairs: most candidates end here.
    split_bound = (
        np.minimum(1.0, held[:, :-1] + held[:, 1:]) if len(large.sizes) > 1 else held[:, :0]
    )
    best = np.maximum(
        np.where(eligible, single, 0).max(1, initial=0),
        np.where(split_bound >= least, split_bound, 0).max(1, initial=0),
    )
    if (best * small.sizes).sum() / total < settings.rewrite_coverage or (
        (best > 0).sum() < settings.rewrite_sentences
    ):
        return NOT_LINKED
    if len(large.sizes) > 1:
        split = _shared(small.grams, large.pairs(), len(small.sizes), len(large.sizes) - 1)
        split = split / np.maximum(small.counts, 1)[:, None]
    else:
        split = np.zeros((len(small.sizes), 0))
    one = np.where(eligible & (single > 0), single * small.sizes[:, None], 0.0)
    # Nor is a unit's match with two of the other's where one is such a quote, or which
    # holds one across the two.
    split_alike = (blocked[:, :-1] | blocked[:, 1:]) | (
        (spoken[:, :-1] | spoken[:, 1:]) & (split >= SPOKEN_ALIKE)
    )
    two = np.where((split >= least) & ~split_alike, split * small.sizes[:, None], 0.0)
    credit, links = _align(one, two)
    coverage = credit / total
    pairs = tuple(
        (j, i, round(float(single[i, j] if span == 1 else split[i, j]), 3))
        if swapped
        else (i, j, round(float(single[i, j] if span == 1 else split[i, j]), 3))
        for i, j, span in links
    )
    linked = (
        bool(coverage >= settings.rewrite_coverage) and len(pairs) >= settings.rewrite_sentences
    )
    spoken = (np.where(alike, held, 0).max(1, initial=0) * small.sizes).sum() / total
    return Rewrite(linked, round(float(coverage), 4), pairs, round(float(spoken), 4))


_ROUNDING = 1e-9
"""Far more than the rounding of a sum of at most ``UNITS`` shares in another order."""
_CELLS = 1 << 12
"""Unit pairs above which ``decide_rewrite_many`` decides a pair on its own: its arrays
stay small, however long the stories (two of ~650 words make about 1,200)."""


def decide_rewrite_many(
    pairs: Sequence[tuple[Sentences, Sentences]], settings: Settings = DEFAULT
) -> list[Rewrite]:
    """``decide_rewrite`` of each pair. The bound most pairs end at is worked out for all
    of them together: each pair's shared gram counts are made apart, but the bound's dozen
    operations on every pair's small matrix are a dozen on all the matrices end to end.
    Its sum over a story's units is taken in another order than ``decide_rewrite``'s, so a
    pair ends here only when its bound falls short by more than any rounding
    (``_ROUNDING``); any other pair is decided by ``decide_rewrite`` itself. A pair of
    stories of as many words is bounded read one way only: the outcome kept is the lower of
    the two readings, never above this one's bound."""
    least = settings.rewrite_similarity
    found = [NOT_LINKED] * len(pairs)
    taken, matrices, smalls, larges = [], [], [], []
    for number, (a, b) in enumerate(pairs):
        small, large = (b, a) if a.words > b.words else (a, b)
        if len(small.sizes) * len(large.sizes) > _CELLS:
            found[number] = decide_rewrite(a, b, settings)
        elif small.words and large.words and len(small.sizes) >= settings.rewrite_sentences:
            taken.append(number)
            matrices.append(_shared_units(small, large).ravel())
            smalls.append(small)
            larges.append(large)
    if taken:
        rows = np.array([len(s.sizes) for s in smalls])
        columns = np.array([len(s.sizes) for s in larges])
        cells = rows * columns
        pair = np.repeat(np.arange(len(taken)), cells)
        inside = np.arange(int(cells.sum())) - np.repeat(np.cumsum(cells) - cells, cells)
        column = inside % columns[pair]
        row = inside // columns[pair] + (np.cumsum(rows) - rows)[pair]
        shared = np.concatenate(matrices)
        held = shared / np.concatenate([s.divisors for s in smalls])[row]
        at_large = column + (np.cumsum(columns) - columns)[pair]
        holds = shared / np.concatenate([s.divisors for s in larges])[at_large]
        spoken = np.concatenate([s.quoted for s in smalls])[row]
        spoken &= np.concatenate([s.quoted for s in larges])[at_large]
        similar = np.maximum(held, holds)
        value = np.where((similar >= least) & ~(spoken & (similar >= SPOKEN_ALIKE)), held, 0)
        split = np.minimum(1.0, held[:-1] + held[1:])  # with the next column of the row
        split = np.where((split >= least) & (column[:-1] + 1 < columns[pair[:-1]]), split, 0)
        np.maximum(value[:-1], split, out=value[:-1])
        owner = np.repeat(np.arange(len(taken)), rows)  # each row's pair
        width = columns[owner]
        best = np.maximum.reduceat(value, np.cumsum(width) - width)  # each row's best
        sizes = np.concatenate([s.sizes for s in smalls])
        words = np.array([s.words for s in smalls])
        coverage = np.bincount(owner, weights=best * sizes, minlength=len(taken)) / words
        enough = np.bincount(owner, weights=best > 0, minlength=len(taken))
        maybe = (coverage >= settings.rewrite_coverage - _ROUNDING) & (
            enough >= settings.rewrite_sentences
        )
        for at in np.flatnonzero(maybe).tolist():
            number = taken[at]
            found[number] = decide_rewrite(*pairs[number], settings)
    return found


def _grams(texts: Sequence[str]) -> np.ndarray:
    """Distinct character grams of each text, packed: the gram's key with the text's number
    in its low bits, sorted. A gram of code points below ``2**_EXACT_BITS`` (every
    alphabetic script but the CJK ones) is its key exactly, the code points side by side, so
    most texts need no hashing; any other gram is a 64-bit hash with the top bit set, so the
    two kinds never meet. A non-empty text shorter than a gram is one gram of itself."""
    if not texts:
        return np.zeros(0, dtype=np.uint64)
    codes = _codes("\x00".join(texts))
    breaks = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(codes == 0, out=breaks[1:])
    clean = breaks[GRAM:] == breaks[: max(len(breaks) - GRAM, 0)]  # no break inside the gram
    keys, owner = _keys(codes, clean, breaks)
    parts = [(keys << _UNIT_SHIFT) | owner.astype(np.uint64)]
    short = [number for number, text in enumerate(texts) if 0 < len(text) < GRAM]
    if short:
        parts.append(_short(short, [texts[n] for n in short]))
    return distinct(parts[0] if len(parts) == 1 else np.concatenate(parts), in_place=True)


def _codes(text: str) -> np.ndarray:
    """A text's code points: a byte each when it is ASCII (the common case, and cheaper to
    read); a lone surrogate (JSON can hold one) is a character like any other."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _keys(codes: np.ndarray, clean: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the grams starting at each code point but the last ``GRAM - 1`` (see
    ``_grams``), of those ``clean`` (inside one text), with their texts' numbers
    (``owner``, a code point's)."""
    count = len(codes) - GRAM + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    wide = codes.astype(np.uint64)
    keys = wide[:count] << _SHIFTS[0]
    for offset in range(1, GRAM):
        keys |= wide[offset : offset + count] << _SHIFTS[offset]
    if codes.dtype != np.uint8:
        large = np.zeros(len(codes) + 1, dtype=np.int32)
        np.cumsum(codes >= _EXACT_LIMIT, out=large[1:])
        hashed = large[GRAM:] != large[:count]  # a code point too large for its place
        if hashed.any():
            keys[hashed] = _hashed(wide, count)[hashed]
    return keys[clean], owner[:count][clean].astype(np.int64)


def _short(numbers: Sequence[int], texts: Sequence[str]) -> np.ndarray:
    """The packed gram of each text shorter than a gram (``numbers``: the texts' own)."""
    whole = np.array([hash_text(text) for text in texts], dtype=np.uint64)
    return (fmix64(whole) & _GRAM_MASK) | _HASHED | np.array(numbers, dtype=np.uint64)


def _digits(codes: np.ndarray) -> np.ndarray:
    """Which code points are decimal digits in any script (what ``\\d`` matches)."""
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    if codes.dtype != np.uint8:
        others = [c for c in np.unique(codes[codes > 127]).tolist() if chr(c).isdecimal()]
        if others:
            digit |= np.isin(codes, others)
    return digit


def _hashed(wide: np.ndarray, count: int) -> np.ndarray:
    """Keys of the grams starting at the first ``count`` code points, hashed: a polynomial
    hash mixed by ``fmix64``, shifted down to the key's place, top bit set."""
    hashes = wide[:count] + 1
    for offset in range(1, GRAM):
        hashes = hashes * _PRIME + (wide[offset : offset + count] + 1)
    return (fmix64(hashes) >> _UNIT_SHIFT) | (_HASHED >> _UNIT_SHIFT)


def hash_text(text: str) -> int:
    """A stable 64-bit hash of a short text (FNV-1a over its code points)."""
    value = 0xCBF29CE484222325
    for char in text:
        value = ((value ^ ord(char)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _shared(packed_a: np.ndarray, packed_b: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Matrix of shared gram counts between the units of a and of b."""
    gram_a, gram_b = packed_a & _GRAM_MASK, packed_b & _GRAM_MASK
    left = np.searchsorted(gram_b, gram_a, "left")
    right = np.searchsorted(gram_b, gram_a | _UNIT_MASK, "right")
    hits = right - left
    total = int(hits.sum())
    if not total:
        return np.zeros((rows, columns))
    row = np.repeat((packed_a & _UNIT_MASK).astype(np.int64), hits)
    start = np.repeat(left - (np.cumsum(hits) - hits), hits)
    column = (packed_b[np.arange(total) + start] & _UNIT_MASK).astype(np.int64)
    return np.bincount(row * columns + column, minlength=rows * columns).reshape(rows, columns)


def _shared_units(a: Sentences, b: Sentences) -> np.ndarray:
    """``_shared(a.grams, b.grams, ...)``, searching among b's distinct grams (made once per
    story, ``Sentences.lookup``) with one merge instead of two binary searches."""
    rows, columns = len(a.sizes), len(b.sizes)
    distinct_b, starts_b = b.lookup
    if not len(distinct_b) or not len(a.grams):
        return np.zeros((rows, columns))
    gram_a = a.keys
    # Both are sorted: a stable sort of the two end to end is one merge, about three times
    # cheaper than a binary search per gram. a's grams come out after b's equal ones and in
    # their own order, so their places less their numbers count b's grams up to each: the
    # last of them (-1 for none, which wraps to b's largest gram, never equal) is the one
    # that may be equal.
    order = np.argsort(np.concatenate((distinct_b, gram_a)), kind="stable")
    at = np.flatnonzero(order >= len(distinct_b))
    at -= np.arange(1, len(gram_a) + 1)
    found = np.flatnonzero(distinct_b[at] == gram_a)
    if not len(found):
        return np.zeros((rows, columns))
    at = at[found]
    hits = b.runs[at]  # b's units holding each found gram
    ends = np.cumsum(hits)
    # Each found gram of a, once for each of b's units holding it: a's unit (its row) and
    # the place of b's packed gram, whose unit is the column.
    place = np.repeat(starts_b[at] - ends + hits, hits)
    place += np.arange(int(ends[-1]))
    cell = np.repeat(a.units[found].astype(np.int64) * columns, hits)
    cell += b.units[place]
    return np.bincount(cell, minlength=rows * columns).reshape(rows, columns)


def _align(one: np.ndarray, two: np.ndarray) -> tuple[float, list[tuple[int, int, int]]]:
    """Best order-preserving alignment of the smaller story's units (rows) with the other's
    (columns): each row to at most one column (credit ``one``) or one pair of adjacent
    columns (``two``), each column to at most one row or two adjacent rows (a merge).
    Returns (total credit, [(row, column, span)]); dynamic programming a row at a time, each
    row in numpy."""
    n, m = one.shape
    best = np.zeros((n + 1, m + 1))
    move = np.zeros((n + 1, m + 1), dtype=np.int8)
    for i in range(1, n + 1):
        row = best[i - 1].copy()  # this row aligned with nothing
        how = np.zeros(m + 1, dtype=np.int8)
        options = [(1, one[i - 1], 2)]
        if m >= 2:
            options.append((2, two[i - 1], 3))
        for width, credit, code in options:
            value = np.full(m + 1, -1.0)
            value[width:] = np.where(credit > 0, best[i - 1, :-width] + credit, -1.0)
            better = value > row
            row[better], how[better] = value[better], code
        if i >= 2:  # two rows merged into one column
            both = (one[i - 1] > 0) & (one[i - 2] > 0)
            value = np.full(m + 1, -1.0)
            value[1:] = np.where(both, best[i - 2, :-1] + one[i - 1] + one[i - 2], -1.0)
            better = value > row
            row[better], how[better] = value[better], 4
        carried = np.maximum.accumulate(row)
        how[carried > row] = 1  # a column aligned with nothing
        best[i], move[i] = carried, how
        move[i, 0] = 0
    links: list[tuple[int, int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        step = move[i, j]
        if step == 0:
            i -= 1
        elif step == 1:
            j -= 1
        elif step == 2:
            links.append((i - 1, j - 1, 1))
            i, j = i - 1, j - 1
        elif step == 3:
            links.append((i - 1, j - 2, 2))
            i, j = i - 1, j - 2
        else:
            links += [(i - 1, j - 1, 1), (i - 2, j - 1, 1)]
            i, j = i - 2, j - 1
    links.reverse()
    return float(best[n, m]), links
