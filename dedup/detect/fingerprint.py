"""Fingerprint: what the later stages need to know about a story's text, from its token
stream alone, whatever its layout.

Real input arrives laid out every way (paragraphs, one block, a sentence a line, hard-wrapped
lines), so nothing here depends on paragraph breaks:

- **shingles**: a hash of every run of ``shingle`` consecutive words of the whole story, in
  text order; verification compares their sets exactly.
- **anchors**: in every window of ``anchor_window`` consecutive shingles, the smallest hash
  (winnowing, Schleimer et al. 2003: a one-permutation MinHash of each window). Two stories
  that share a verbatim run of ``shingle + anchor_window - 1`` words share the windows inside
  it, so they always share an anchor, wherever the run sits and however the text is laid
  out; about one shingle in twelve is an anchor.
- **sentence units**: the story cut into sentences (``read.text.sentence_units``; paragraph
  breaks end none, so a headline-like paragraph runs on into the next sentence), each with
  a MinHash signature of its distinct words (datasketch's "affine32" scheme, numbers left
  out) cut into LSH band keys. A rewrite keeps the source's sentences recognisable but few of
  its five-word runs, so its candidates come from these keys; the units' words are kept for
  the rewrite decision.

The work runs over a batch of stories at a time: each story's text is normalised and marked
as bytes (``read.text.marked_bytes``), then one numpy pass over the batch's bytes finds the
tokens, hashes them, finds the sentence marks, and makes shingles, anchors and units; Python
works per story and per sentence, never per word.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dedup.detect.spool import KeySpool, Spooled, TextSpool
from dedup.read.text import (
    CLAUSE,
    MARK_CODES,
    PARAGRAPH_BREAK,
    QUOTE,
    STOP,
    UNIT_MAX,
    UNIT_MIN,
    cut_sentence,
    marked_bytes,
)
from dedup.records import Story
from dedup.settings import DEFAULT, Settings

# Odd 64-bit multipliers, one per position in a shingle or a band (polynomial hashing).
_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
    ],
    dtype=np.uint64,
)
_EMPTY32 = np.zeros(0, dtype=np.uint32)
_EMPTY64 = np.zeros(0, dtype=np.uint64)
FORMAT = 6
"""Version of ``Fingerprint.to_bytes``; bump it whenever fingerprints change meaning (5: the
token text marks quotation marks, ``QUOTE``; 6: single ASCII marks too, in a story with no
double ones)."""
ROWS = 2
"""MinHash values per LSH band of a sentence unit: with ``num_perm`` 32, 16 bands of 2 rows,
so two units whose word sets have a resemblance of 0.3 share a band key 80% of the time, and
one sentence in three of a rewrite is enough (measured on real agency copy and the
newspaper stories made from it)."""
CHUNK = 128
"""Stories ``Fingerprinter.batch`` works on together: enough for its array passes to cost
little per story, few enough that their working arrays stay small (an ingest batch of
thousands fingerprinted at once took hundreds of megabytes more at its peak)."""
MIN_FEATURES = 3
"""Distinct words (numbers apart) a unit needs for a signature."""
_DIGIT_BIT = 1 << 33
"""Set in the hash of a token holding a digit: numbers are no evidence of rewriting."""
_DIGIT = re.compile(r"\d")
_CLAUSE, _BREAK, _QUOTE = (MARK_CODES[mark] for mark in (CLAUSE, PARAGRAPH_BREAK, QUOTE))
_MARK_LIMIT = np.uint64(max(MARK_CODES.values()) + 1)
"""Hashes below this are marks' (``hash_tokens``)."""
_token_hashes: dict[str, int] = {}


class Deferred(Protocol):
    """A token text held elsewhere, read when needed."""

    def read(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One story's shingles, anchors and sentence units (see the module docstring)."""

    key: str
    shingles: np.ndarray
    """uint32 hash of every run of ``shingle`` words, in text order (one for a story shorter
    than a shingle, none for an empty one)."""
    anchors: np.ndarray
    """Sorted distinct uint64 anchors."""
    units: np.ndarray
    """int32 (n, 2): each sentence unit's first and last-plus-one word."""
    unit_keys: np.ndarray
    """uint64 (n, bands): each unit's LSH band keys (0 for a unit with too few words);
    read-only, over a file, once a ``TextSpool`` holds the fingerprint (``KeySpool``)."""
    words: str | Deferred
    """The token text as held (``text``): the text itself, or where it can be read when
    needed (a ``TextSpool``'s ``Spooled``, an index's stored text), so that ``replaced``
    keeps it there."""

    @property
    def text(self) -> str:
        """The story's tokens (words and sentence marks), one space between each: what the
        rewrite decision compares, unit by unit, so a scan need not keep the story's text;
        read back from where it is held when it is not held as it is."""
        words = self.words
        return words if isinstance(words, str) else words.read()

    def replaced(
        self,
        *,
        shingles: np.ndarray | None = None,
        anchors: np.ndarray | None = None,
        unit_keys: np.ndarray | None = None,
        words: str | Deferred | None = None,
    ) -> Fingerprint:
        """A copy with the parts given changed: ``dataclasses.replace`` at about half its
        cost, which counts where a scan lets go of parts of every fingerprint (several times
        each, as the stages end)."""
        return Fingerprint(
            self.key,
            self.shingles if shingles is None else shingles,
            self.anchors if anchors is None else anchors,
            self.units,
            self.unit_keys if unit_keys is None else unit_keys,
            self.words if words is None else words,
        )

    @property
    def key_spool(self) -> KeySpool | None:
        """The ``KeySpool`` holding this fingerprint's unit keys when a ``TextSpool`` holds
        it (see ``held_beside``), else None."""
        words = self.words
        return words.spool.keys if isinstance(words, Spooled) else None

    def unit_words(self) -> list[list[str]]:
        """Each unit's words, numbers left out (two reports of one event share numbers
        without sharing a sentence)."""
        # Marks are tokens of their own: without their characters, split() drops them.
        text = self.text
        for mark in MARK_CODES:
            text = text.replace(mark, " ")
        words = text.split()
        spans = self.units.tolist()
        if not _DIGIT.search(text):
            return [words[low:high] for low, high in spans]
        has_digit = _DIGIT.search  # a word of letters only holds none: a quick test first
        evidence = [word if word.isalpha() or not has_digit(word) else None for word in words]
        return [[word for word in evidence[low:high] if word is not None] for low, high in spans]

    def shingle_set(self) -> np.ndarray:
        """Sorted distinct shingles."""
        return distinct(self.shingles)

    def unit_shingles(self, unit: int, size: int) -> np.ndarray:
        """The shingles that start inside a unit (``size`` words a shingle)."""
        low, high = (int(v) for v in self.units[unit])
        return self.shingles[low : max(low + 1, high - size + 1)]

    def to_bytes(self) -> bytes:
        """A compact, portable encoding (for the index and the Spark engine); the key is not
        included, the caller stores it alongside."""
        text = self.text.encode("utf-8", "surrogatepass")
        bands = self.unit_keys.shape[1] if self.unit_keys.ndim == 2 else 0
        header = np.array(
            [FORMAT, len(self.shingles), len(self.anchors), len(self.units), bands, len(text)],
            dtype="<u4",
        )
        parts = (
            header,
            self.shingles.astype("<u4"),
            self.anchors.astype("<u8"),
            self.units.astype("<u4"),
            self.unit_keys.astype("<u8"),
        )
        return b"".join(part.tobytes() for part in parts) + text

    @classmethod
    def from_bytes(cls, key: str, data: bytes) -> Fingerprint:
        """Inverse of ``to_bytes``; raises ValueError on data it did not write."""
        if len(data) < 24:
            raise ValueError("fingerprint data is too short")
        header = np.frombuffer(data, dtype="<u4", count=6)
        version, n_shingles, n_anchors, n_units, n_bands, n_text = (int(v) for v in header)
        if version != FORMAT:
            raise ValueError(f"fingerprint format {version}, expected {FORMAT}")
        position = header.nbytes

        def take(dtype: str, count: int) -> np.ndarray:
            nonlocal position
            array = np.frombuffer(data, dtype=dtype, count=count, offset=position)
            position += array.nbytes
            return array

        shingles = take("<u4", n_shingles).astype(np.uint32)
        anchors = take("<u8", n_anchors).astype(np.uint64)
        units = take("<u4", 2 * n_units).astype(np.int32).reshape(n_units, 2)
        keys = take("<u8", n_units * n_bands).astype(np.uint64).reshape(n_units, n_bands)
        text = data[position : position + n_text].decode("utf-8", "surrogatepass")
        if position + n_text != len(data):
            raise ValueError("fingerprint data has trailing bytes")
        return cls(key, shingles, anchors, units, keys, text)


def spooled(prints: Sequence[Fingerprint], spool: TextSpool) -> list[Fingerprint]:
    """``prints`` with their texts written to ``spool``, and their unit keys to its
    ``KeySpool`` where the system has one (``TextSpool``)."""
    places = spool.write([print_.text for print_ in prints])
    keys = [print_.unit_keys for print_ in prints]
    if spool.keys is not None:
        keys = spool.keys.hold(keys)
    return [
        print_.replaced(words=place, unit_keys=held)
        for print_, place, held in zip(prints, places, keys)
    ]


def held_beside(print_: Fingerprint, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """``arrays`` (of one dtype) held where ``print_``'s unit keys are: in its
    ``KeySpool``, out of the process's memory from when ``KeySpool.drop`` drops them until
    they are read again; as they are when its keys are in memory."""
    spool = print_.key_spool
    return spool.hold(arrays) if spool is not None else arrays


def hash_tokens(tokens: list[str]) -> np.ndarray:
    """A stable hash per token: CRC-32 with bit 32 set (so never below 2^32), bit 33 too for
    a token holding a digit; marks (``STOP``, ``CLAUSE``, ``PARAGRAPH_BREAK``, ``QUOTE``) hash
    to their ``MARK_CODES``, 1 to 4. Cached because news vocabulary repeats; Python's own
    str hash differs between processes."""
    cache = _token_hashes
    if len(cache) > 2_000_000:
        cache.clear()
    if not cache:
        cache.update(MARK_CODES)
    try:
        return np.fromiter(map(cache.get, tokens), dtype=np.uint64, count=len(tokens))
    except TypeError:  # a token not seen before (cache.get gave None)
        pass
    for token in set(tokens).difference(cache):  # each distinct new token, once
        digit = _DIGIT_BIT if _DIGIT.search(token) else 0
        cache[token] = zlib.crc32(token.encode("utf-8", "surrogatepass")) | 1 << 32 | digit
    return np.fromiter(map(cache.get, tokens), dtype=np.uint64, count=len(tokens))


_KERNEL_BYTES = 16
"""ASCII tokens up to this long are hashed by ``_crc32``; longer and non-ASCII ones (rare in
most text) by ``hash_tokens``."""
_crc_tables: list[np.ndarray] = []


def _crc_parts() -> list[np.ndarray]:
    """The tables of ``_crc32``, made on first use: [0-7] what each 16-bit chunk of a
    16-byte block adds to the CRC register, [8] the register's start for each length, [9]
    and [10] masks keeping the last n bytes of a 16-byte block's low and high halves."""
    if not _crc_tables:
        size = _KERNEL_BYTES
        # CRC-32 is linear: a zero-started register over a block is the XOR of each byte's
        # part, leading zero bytes change nothing, and zlib's start value adds a term that
        # depends on the length alone.
        ends = [zlib.crc32(bytes(size - at)) for at in range(size)]
        single = np.array(
            [
                [
                    zlib.crc32(bytes([value]) + bytes(size - 1 - at)) ^ ends[at]
                    for value in range(256)
                ]
                for at in range(size)
            ],
            dtype=np.uint32,
        )
        value = np.arange(1 << 16)
        _crc_tables.extend(
            single[2 * c][value & 255] ^ single[2 * c + 1][value >> 8] for c in range(8)
        )
        _crc_tables.append(
            np.array([zlib.crc32(bytes(n)) for n in range(size + 1)], dtype=np.uint32)
        )
        full = (1 << 64) - 1
        keep = [full ^ ((1 << 8 * (8 - n)) - 1) if n else 0 for n in range(9)]
        _crc_tables.append(
            np.array([keep[max(n - 8, 0)] for n in range(size + 1)], dtype=np.uint64)
        )
        _crc_tables.append(np.array([keep[min(n, 8)] for n in range(size + 1)], dtype=np.uint64))
    return _crc_tables


def _crc32(padded: bytes, ends: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``zlib.crc32`` of the byte runs of ``padded`` (a stream after 16 zero bytes) that end
    at ``ends`` (offsets in the stream) and are ``lengths`` long, at most 16 bytes each: the
    two 8-byte words ending a run, masked to the run, looked up 16 bits at a time."""
    *chunks, start, low_mask, high_mask = _crc_parts()
    words = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    high = (words[ends + 8] & high_mask[lengths]).astype("<u8", copy=False).view("<u2")
    high = high.reshape(-1, 4)
    crc = start[lengths]
    for chunk in range(4):
        crc ^= chunks[4 + chunk][high[:, chunk]]
    long = np.flatnonzero(lengths > 8)  # most words fit in the high half
    if len(long):
        low = (words[ends[long]] & low_mask[lengths[long]]).astype("<u8", copy=False).view("<u2")
        low = low.reshape(-1, 4)
        part = chunks[0][low[:, 0]]
        for chunk in range(1, 4):
            part ^= chunks[chunk][low[:, chunk]]
        crc[long] ^= part
    return crc


_BYTE_LETTER = np.array([chr(c).isalpha() if c < 128 else False for c in range(256)])
"""Which bytes are ASCII letters: a full stop after one of them alone is an initial's."""


@dataclass
class _Tokens:
    """A batch's tokens found in its bytes (``marked_bytes`` of each story joined by a
    newline): where each starts and ends, its hash (``hash_tokens``), and the cut between
    stories in token numbers."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    cuts: np.ndarray
    digits: np.ndarray
    """How many digit bytes each token holds."""
    wide: np.ndarray
    """How many non-ASCII bytes each token holds."""
    hashes: np.ndarray
    """Each token's ``hash_tokens`` value."""

    @classmethod
    def of(cls, streams: list[bytes]) -> _Tokens:
        data = b"\n".join(streams)
        codes = np.frombuffer(data, dtype=np.uint8)
        word = codes > 32  # words are the runs of other bytes than spaces, newlines and marks
        mark = codes < 8
        inner = np.zeros(len(codes) + 1, dtype=bool)
        inner[1:-1] = word[1:] & word[:-1]  # the byte and the one before are of one word
        starts = np.flatnonzero(mark | (word & ~inner[:-1]))
        ends = np.flatnonzero(mark | (word & ~inner[1:])) + 1

        def count(where: np.ndarray) -> np.ndarray:  # bytes of a kind per token
            owner = np.searchsorted(starts, np.flatnonzero(where), side="right") - 1
            return np.bincount(owner, minlength=len(starts))

        story_starts = np.cumsum([0] + [len(stream) + 1 for stream in streams])
        found = cls(
            data,
            starts,
            ends,
            np.searchsorted(starts, story_starts),
            count(codes - np.uint8(48) < 10),
            count(codes >= 128) if not data.isascii() else np.zeros(len(starts), dtype=np.int64),
            _EMPTY64,
        )
        found.hashes = found._hashes(codes)  # rare words are hashed from their token()
        return found

    def _hashes(self, codes: np.ndarray) -> np.ndarray:
        """``hash_tokens`` of the tokens: marks by their code, ASCII words up to 16 bytes by
        ``_crc32`` with the digit flag from their count of digit bytes, the rest (long or
        non-ASCII words) through ``hash_tokens``."""
        starts, ends = self.starts, self.ends
        lengths = ends - starts
        first = codes[starts]
        hashes = np.zeros(len(starts), dtype=np.uint64)
        marks = first < 8
        hashes[marks] = _MARK_HASH[first[marks]]
        plain = ~marks & (lengths <= _KERNEL_BYTES) & (self.wide == 0)
        short = np.flatnonzero(plain)
        digit = self.digits[short] > 0
        flags = np.where(digit, np.uint64(_DIGIT_BIT | 1 << 32), np.uint64(1 << 32))
        padded = bytes(_KERNEL_BYTES) + self.data + bytes(8)
        hashes[short] = _crc32(padded, ends[short], lengths[short]).astype(np.uint64) | flags
        rest = np.flatnonzero(~plain & ~marks).tolist()
        if rest:
            hashes[rest] = hash_tokens([self.token(number) for number in rest])
        return hashes

    def token(self, number: int) -> str:
        """One token as text (for the rare words and marks that need Python's rules)."""
        return self.data[self.starts[number] : self.ends[number]].decode("utf-8", "surrogatepass")

    def texts(self) -> list[str]:
        """Each story's tokens joined by one space (``Fingerprint.text``): the batch's bytes
        with a space either side of each mark, then each run of spaces made one."""
        data = self.data
        for mark in _MARK_BYTES:
            if mark in data:
                data = data.replace(mark, b" " + mark + b" ")
        codes = np.frombuffer(data, dtype=np.uint8)
        keep = np.ones(len(codes), dtype=bool)
        np.not_equal(codes[1:], 32, out=keep[1:])
        keep[1:] |= codes[:-1] != 32  # a space after another goes
        joined = codes[keep].tobytes()
        return [text.strip(b" ").decode("utf-8", "surrogatepass") for text in joined.split(b"\n")]


_MARK_BYTES = [mark.encode() for mark in MARK_CODES]


def _mark_hashes() -> np.ndarray:
    table = np.zeros(8, dtype=np.uint64)
    for mark, code in MARK_CODES.items():
        table[ord(mark)] = code
    return table


_MARK_HASH = _mark_hashes()


def shingle_hashes(words: list[str], size: int) -> np.ndarray:
    """Sorted distinct shingles of a list of words (as ``Fingerprint.shingle_set``)."""
    shingles, _ = _shingles(hash_tokens(words), np.array([len(words)]), size)
    return distinct((shingles >> np.uint64(32)).astype(np.uint32))


def _shingles(hashes: np.ndarray, lengths: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit shingle hashes of several stories' words (one after the other, ``lengths``
    each), in text order, and how many each story has: windows are hashed over the whole
    stream with array slices, then those crossing from one story into the next dropped; a
    story shorter than a shingle is one shingle of all its words."""
    total, count = len(hashes), len(lengths)
    if not total:
        return _EMPTY64, np.zeros(count, dtype=np.int64)
    owner = np.repeat(np.arange(count), lengths)
    windows = max(total - size + 1, 0)
    combined = hashes[:windows] * _MULTIPLIERS[0]
    for offset in range(1, size):
        combined += hashes[offset : offset + windows] * _MULTIPLIERS[offset % 8]
    inside = owner[:windows] == owner[size - 1 : size - 1 + windows]
    values, owners = combined[inside], owner[:windows][inside]
    short = np.flatnonzero((lengths > 0) & (lengths < size))
    if len(short):
        first = (np.cumsum(lengths) - lengths)[short]
        whole = np.zeros(len(short), dtype=np.uint64)
        for offset in range(size - 1):
            reach = lengths[short] > offset
            whole[reach] += hashes[first[reach] + offset] * _MULTIPLIERS[offset % 8]
        order = np.argsort(np.concatenate((owners, short)), kind="stable")
        values = np.concatenate((values, whole))[order]
        owners = np.concatenate((owners, short))[order]
    return fmix64(values), np.bincount(owners, minlength=count)


def window_minima(values: np.ndarray, width: int) -> np.ndarray:
    """The smallest of ``values[i : i + width]`` for every i, in about log2(width) passes of
    np.minimum (each doubles the span covered)."""
    found, span = values, 1
    while span * 2 <= width:
        found = np.minimum(found[:-span], found[span:])
        span *= 2
    if span < width:
        rest = width - span
        found = np.minimum(found[: len(found) - rest], found[rest:])
    return found


def _anchors(shingles: np.ndarray, counts: np.ndarray, width: int) -> np.ndarray:
    """Anchors of several stories' shingles (``counts`` each), packed story << 40 | the top
    40 bits of the anchor, sorted distinct: window minima that lie inside one story, and the
    smallest shingle of a story shorter than a window."""
    owner = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    parts = []
    if len(shingles) >= width:
        minima = window_minima(shingles, width)
        inside = owner[: len(minima)] == owner[width - 1 :]
        parts.append((owner[: len(minima)][inside] << np.uint64(40)) | (minima[inside] >> 24))
    filled = np.flatnonzero(counts > 0)
    small = counts[filled] < width
    if small.any():  # each filled story's own range: their starts strictly increase
        smallest = np.minimum.reduceat(shingles, (np.cumsum(counts) - counts)[filled])[small]
        owners = filled[small].astype(np.uint64)
        parts.append((owners << np.uint64(40)) | (smallest >> np.uint64(24)))
    return distinct(np.concatenate(parts)) if parts else _EMPTY64


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: spreads a polynomial hash's bits over all 64. A
    bijection, so equal after mixing means equal before."""
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


def distinct(values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """Sorted distinct values; cheaper than np.unique, which also counts and indexes. With
    ``in_place`` (an array the caller lets go), ``values`` is sorted where it lies, so that
    no second copy is made before the distinct values are taken out."""
    if len(values) < 2:
        return values if in_place else values.copy()
    if in_place:
        values.sort()
        ordered = values
    else:
        ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered if keep.all() else ordered[keep]


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, the pre-mix of datasketch's "affine32" scheme."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


_DRAWN = {
    (32, 1): (
        "4be883d5d7018ffe195fce70912878ddfffd0e00138799419755cb9a0b3d82ff9f96234b81a7e078"
        "2101472f03a10ccb997f5d5f8f3c9cc6db55edb0f9f3e8560d1b25cb33fafede65c9df1329aa4fb1"
        "fda9a0d6cb6265a02517d55ea993910c17f7ad68f9410ce3d59b98c139258b753bbf050e1db39e11"
        "6584475789d4f2d3",
        "d77cd46ad75f0b75e94b068ff142426ef765f023dead6af060c7b632568444c78d98fdcce9d749b7"
        "89fddff7078481cd3f913c503dcbc117160e3cb139a5a584010a5be080f771dd3cf104e5d1f842d4"
        "0875c515d8e260d48d7eff09739ae645af017a2bea8f2a0f79f2cde0c8b9a7ab1e422d194724d397"
        "83b5cd6bc685f1ab",
    ),
}
"""``permutations`` of the default settings as drawn, in little-endian hexadecimal (the
tests hold them equal to the draws): drawing needs ``numpy.random``, whose import would add
a tenth to a cron job's ``check`` of one story."""


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of datasketch's "affine32" MinHash permutations for ``num_perm`` and
    ``seed``, drawn as ``datasketch.MinHash`` draws them (the tests hold the two equal), so
    fingerprinting needs no import of datasketch and its LSH module's scipy."""
    drawn = _DRAWN.get((num_perm, seed))
    if drawn is not None:
        a, b = (np.frombuffer(bytes.fromhex(part), dtype="<u4").astype(np.uint32) for part in drawn)
        return a, b
    return drawn_permutations(num_perm, seed)


def drawn_permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``permutations`` drawn from numpy's Mersenne Twister, as datasketch draws them."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


class Fingerprinter:
    """Computes fingerprints with one set of sizes and MinHash permutations.

    Unit signatures are datasketch MinHashes of the "affine32" scheme (seed 1, the
    hash of each word as the value to hash), computed for all units of a batch in one
    vectorised step; the tests hold them equal to ``datasketch.MinHash.update_batch``.
    """

    def __init__(self, settings: Settings = DEFAULT) -> None:
        self.settings = settings
        self._a, self._b = permutations(settings.num_perm)
        self.bands = settings.num_perm // ROWS

    def signatures(self, stacked: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """MinHash values of consecutive sets: ``stacked`` holds their uint32 values one
        after the other, ``lengths`` says how many each has (at least one); one row of
        ``num_perm`` per set."""
        count = len(lengths)
        result = np.empty((self.settings.num_perm, count), dtype=np.uint32)
        if not count:
            return result.T
        # The sets side by side, one column each, padded to the longest: each permutation's
        # minima are then one element-wise np.minimum down the rows (vectorised), cheaper
        # than a reduceat over many short runs even with the padding (sets are sentence
        # units: the longest is about twice the typical one). Pads are ORed to the largest
        # value after permuting, so they are never a minimum.
        width = int(lengths.max())
        place = np.arange(len(stacked)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        place *= count
        place += np.repeat(np.arange(count), lengths)
        values = np.zeros((width, count), dtype=np.uint32)
        values.ravel()[place] = _fmix32(stacked)
        pads = (np.arange(width)[:, None] >= lengths).astype(np.uint32)
        pads *= np.uint32(0xFFFFFFFF)
        permuted = np.empty((width, count), dtype=np.uint32)
        for row, (a, b) in enumerate(zip(self._a, self._b)):
            np.multiply(values, a, out=permuted)
            permuted += b
            permuted |= pads
            np.minimum.reduce(permuted, axis=0, out=result[row])
        return result.T

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit key per band: equal key, equal band of the signature (up to a 2^-64
        chance). The band's number is part of the key, so one table holds all bands."""
        count = len(signatures)
        rows = signatures[:, : self.bands * ROWS].reshape(count, self.bands, ROWS)
        keys = np.repeat(
            (np.arange(self.bands, dtype=np.uint64) + np.uint64(1))[None, :], count, axis=0
        ) * np.uint64(_MULTIPLIERS[-1])
        for row in range(ROWS):
            keys = keys * _MULTIPLIERS[0] + rows[:, :, row].astype(np.uint64)
        keys = fmix64(keys)
        keys[keys == 0] = 1
        return keys

    def __call__(self, story: Story) -> Fingerprint:
        return self.batch([story])[0]

    def batch(self, stories: Sequence[Story]) -> list[Fingerprint]:
        """Fingerprints of several stories, computed together ``CHUNK`` at a time; the
        result is the same whatever the batch."""
        found: list[Fingerprint] = []
        for low in range(0, len(stories), CHUNK):
            part = stories[low : low + CHUNK]
            found += self.texts([s.key for s in part], [paragraph_texts(s) for s in part])
        return found

    def texts(self, keys: Sequence[str], texts: Sequence[list[str]]) -> list[Fingerprint]:
        """``batch`` for stories given as their keys and paragraph texts (what processes
        send each other instead of whole stories)."""
        size, width = self.settings.shingle, self.settings.anchor_window
        found = _Tokens.of(
            [marked_bytes(paragraphs) if paragraphs else b"" for paragraphs in texts]
        )
        texts_of = found.texts()
        hashes, token_cuts = found.hashes, found.cuts
        marks = np.flatnonzero(hashes < _MARK_LIMIT)
        cuts = np.searchsorted(marks, token_cuts)
        units, unit_counts = _story_units(found, marks, cuts)
        lengths_array = np.diff(token_cuts - cuts)
        hashes = hashes[hashes >= _MARK_LIMIT]
        shingles64, counts = _shingles(hashes, lengths_array, size)
        anchors = _anchors(shingles64, counts, width)
        shingles = (shingles64 >> np.uint64(32)).astype(np.uint32)
        word_starts = np.cumsum(lengths_array) - lengths_array
        unit_keys = self._unit_keys(hashes, units + np.repeat(word_starts, unit_counts)[:, None])

        shingle_ends = np.cumsum(counts)
        anchor_cuts = np.searchsorted(
            anchors >> np.uint64(40), np.arange(len(keys) + 1, dtype=np.uint64)
        )
        anchor_values = anchors & np.uint64((1 << 40) - 1)
        unit_ends = np.cumsum(unit_counts).tolist()
        units = units.astype(np.int32)
        prints = []
        for number, key in enumerate(keys):
            low, high = int(shingle_ends[number] - counts[number]), int(shingle_ends[number])
            first = unit_ends[number] - int(unit_counts[number])
            prints.append(
                Fingerprint(  # views of the batch's arrays, each freed with its batch
                    key,
                    shingles[low:high],
                    anchor_values[anchor_cuts[number] : anchor_cuts[number + 1]],
                    units[first : unit_ends[number]],
                    unit_keys[first : unit_ends[number]],
                    texts_of[number],
                )
            )
        return prints

    def _unit_keys(self, hashes: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """Band keys of every unit of the batch (``spans``: word ranges in ``hashes``), one
        row each: the MinHash of the unit's distinct words, numbers left out; a row of zeros
        (no key) for a unit with fewer than ``MIN_FEATURES`` of them."""
        keys = np.zeros((len(spans), self.bands), dtype=np.uint64)
        if not len(spans):
            return keys
        sizes = spans[:, 1] - spans[:, 0]
        offsets = np.cumsum(sizes) - sizes
        positions = np.repeat(spans[:, 0] - offsets, sizes) + np.arange(int(sizes.sum()))
        unit = np.repeat(np.arange(len(spans), dtype=np.uint64), sizes)
        values = hashes[positions]
        evidence = (values & np.uint64(_DIGIT_BIT)) == 0
        packed = distinct(
            (unit[evidence] << np.uint64(32)) | (values[evidence] & np.uint64(0xFFFFFFFF))
        )
        owner = (packed >> np.uint64(32)).astype(np.int64)
        per_unit = np.bincount(owner, minlength=len(spans))
        enough = per_unit >= MIN_FEATURES
        keep = enough[owner]
        signatures = self.signatures(
            (packed[keep] & np.uint64(0xFFFFFFFF)).astype(np.uint32), per_unit[enough]
        )
        keys[enough] = self.band_keys(signatures)
        return keys


def _story_units(
    found: _Tokens, marks: np.ndarray, cuts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``read.text.sentence_units`` of each story of a batch, from its marks: (n, 2) word
    ranges, story after story, and how many each story has. Which full stops end nothing
    (after an initial, inside a decimal number) is decided in arrays as ``sentence_units``
    decides it, and so is the joining of short units (``_merged_short``); the few sentences
    longer than ``UNIT_MAX`` words are cut in Python (``cut_sentence``)."""
    hashes, starts, ends = found.hashes, found.starts, found.ends
    kinds = hashes[marks]
    stops = marks[kinds == np.uint64(MARK_CODES[STOP])]
    stops = stops[stops > 0]
    codes = np.frombuffer(found.data, dtype=np.uint8)
    before, after = stops - 1, np.minimum(stops + 1, len(starts) - 1)
    size_before = ends[before] - starts[before]
    initial = (size_before == 1) & _BYTE_LETTER[codes[starts[before]]]
    all_digits = found.digits[before] == size_before
    story_end = found.cuts[np.searchsorted(found.cuts, stops, side="right")]
    followed = (stops + 1 < story_end) & (codes[starts[after]] - np.uint8(48) < 10)
    skip = initial | (all_digits & followed)
    # Non-ASCII neighbours: str.isdigit knows the digits of every script.
    wide = np.flatnonzero((found.wide[before] > 0) | (codes[starts[after]] >= 128))
    for at in wide.tolist():
        stop = int(stops[at])
        skip[at] = initial[at] or (
            found.token(stop - 1).isdigit()
            and stop + 1 < story_end[at]
            and found.token(stop + 1)[:1].isdigit()
        )
    # Units depend neither on paragraph breaks nor on quotation marks.
    keep = (kinds != np.uint64(_BREAK)) & (kinds != np.uint64(_QUOTE))
    keep[np.searchsorted(marks, stops[skip])] = False
    count = len(cuts) - 1
    mark_story = np.repeat(np.arange(count), np.diff(cuts))[keep]
    # Words before each mark: its token number less the marks before it, from its story's start.
    words_before = (
        marks - np.arange(len(marks)) - np.repeat(found.cuts[:-1] - cuts[:-1], np.diff(cuts))
    )
    kinds, words_before = kinds[keep].astype(np.int64), words_before[keep]
    words = np.diff(found.cuts) - np.diff(cuts)
    # Sentences: from one sentence end to the next, or to the story's end.
    ends_at = np.flatnonzero(kinds != _CLAUSE)
    last = np.searchsorted(mark_story[ends_at], np.arange(count), side="right")
    story = np.insert(mark_story[ends_at], last, np.arange(count))
    end = np.insert(words_before[ends_at], last, words)
    opens = np.ones(len(story), dtype=bool)
    opens[1:] = story[1:] != story[:-1]
    begin = np.where(opens, 0, np.roll(end, 1))
    filled = end > begin
    story, begin, end = story[filled], begin[filled], end[filled]
    units = np.stack((story, begin, end), axis=1)
    long = np.flatnonzero(end - begin > UNIT_MAX)
    if len(long):  # rare: cut at clause marks (``cut_sentence``) in Python, pieces in place
        clauses = np.flatnonzero(kinds == _CLAUSE)
        width = int(words.max()) + 1
        at = mark_story[clauses] * width + words_before[clauses]
        low = np.searchsorted(at, story[long] * width + begin[long], side="right")
        high = np.searchsorted(at, story[long] * width + end[long], side="left")
        clause_words = words_before[clauses].tolist()
        cut = [
            cut_sentence(first, last, clause_words[lo:hi])
            for first, last, lo, hi in zip(
                begin[long].tolist(), end[long].tolist(), low.tolist(), high.tolist()
            )
        ]
        pieces = np.array([piece for found in cut for piece in found], dtype=np.int64)
        per = np.ones(len(units), dtype=np.int64)
        per[long] = [len(found) for found in cut]
        units = np.repeat(units, per, axis=0)
        taken = per[long]
        rows = np.repeat((np.cumsum(per) - per)[long] - (np.cumsum(taken) - taken), taken)
        units[rows + np.arange(len(pieces)), 1:] = pieces
    units = _merged_short(units)
    return units[:, 1:], np.bincount(units[:, 0], minlength=count)


def _merged_short(units: np.ndarray) -> np.ndarray:
    """``read.text``'s joining of short units, on a batch's units ((story, first word, end)
    rows, each story's in order, end to end): a unit shorter than ``UNIT_MIN`` joins the
    one before (the one after, when first), and a story shorter than that altogether has
    none. A story's first units form one group until a long unit comes after at least
    ``UNIT_MIN`` words of them; from then on every long unit starts a group and every short
    one joins the group before."""
    if not len(units):
        return units
    story, low, high = units[:, 0], units[:, 1], units[:, 2]
    first = np.ones(len(units), dtype=bool)
    first[1:] = story[1:] != story[:-1]
    long = high - low >= UNIT_MIN
    if long.all():
        return units
    # Words of the story before each unit (units are end to end: its first word's number).
    before = low - low[np.maximum.accumulate(np.where(first, np.arange(len(units)), 0))]
    closes = long & ~first & (before >= UNIT_MIN)  # the unit that ends the first group
    # Units from a story's first closing unit on: a cumulative count within each story.
    seen = np.cumsum(closes)
    seen -= np.repeat((seen - closes)[first], np.diff(np.append(np.flatnonzero(first), len(units))))
    starts = first | (long & (seen > 0))
    ends = np.append(np.flatnonzero(starts)[1:], len(units)) - 1
    merged = np.stack((story[starts], low[starts], high[ends]), axis=1)
    return merged[merged[:, 2] - merged[:, 1] >= UNIT_MIN]


def paragraph_texts(story: Story) -> list[str]:
    """What fingerprinting reads of a story: its paragraphs' texts."""
    return [paragraph.text for paragraph in story.paragraphs]
