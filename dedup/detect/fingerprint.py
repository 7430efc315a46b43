"""Fingerprint: shingles, MinHash signatures and LSH band keys of each story's passages.

A story is fingerprinted paragraph by paragraph rather than as a whole: a broadcaster's web
version that keeps a quarter of a wire story resembles it only 10% as a whole, but the
paragraphs it kept resemble their originals closely. Each paragraph long enough to be
evidence (a *passage*) gets a MinHash signature (datasketch's "affine32" scheme) and from it
one LSH band key per band; every paragraph keeps its exact shingle set for verification.

The work is vectorised per story (one numpy pass over all its tokens, one over all its
passages) and a fingerprint is a handful of flat arrays, so a million of them fit in memory
and cross process boundaries cheaply.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from dedup.read.text import PARAGRAPH_BREAK, joined_tokens
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
_FORMAT = 2
"""Version of ``Fingerprint.to_bytes``; bump it whenever fingerprints change meaning."""
_token_hashes: dict[str, int] = {}


@dataclass(frozen=True)
class Fingerprint:
    """What the later stages need to know about one story's text."""

    key: str
    flat: np.ndarray
    """Sorted distinct shingle hashes (uint32) of each paragraph, one after the other."""
    offsets: np.ndarray
    """``flat[offsets[i]:offsets[i + 1]]`` are paragraph i's shingles."""
    exact: np.ndarray
    """Per paragraph, a 64-bit hash of its normalised tokens (0 when it has none): equal text,
    equal hash. Recognises repeated paragraphs (boilerplate) without comparing text."""
    passages: np.ndarray
    """Indexes of the paragraphs with at least ``min_passage`` shingles: the LSH units."""
    bands: np.ndarray
    """LSH band keys of the passages: one row per passage, one uint64 per band."""

    def paragraph(self, index: int) -> np.ndarray:
        return self.flat[self.offsets[index] : self.offsets[index + 1]]

    @cached_property
    def shingles(self) -> np.ndarray:
        """Sorted distinct shingle hashes of the whole story."""
        return distinct(self.flat)

    @property
    def size(self) -> int:
        return int(self.shingles.size)

    def to_bytes(self) -> bytes:
        """A compact, portable encoding (for the index and the Spark engine); the key is not
        included, the caller stores it alongside."""
        header = np.array(
            [
                _FORMAT,
                len(self.flat),
                len(self.offsets),
                len(self.passages),
                self.bands.shape[1] if self.bands.ndim == 2 else 0,
            ],
            dtype="<u4",
        )
        parts = (
            header,
            self.flat.astype("<u4"),
            self.offsets.astype("<u4"),
            self.exact.astype("<u8"),
            self.passages.astype("<u4"),
            self.bands.astype("<u8"),
        )
        return b"".join(part.tobytes() for part in parts)

    @classmethod
    def from_bytes(cls, key: str, data: bytes) -> Fingerprint:
        """Inverse of ``to_bytes``; raises ValueError on data it did not write."""
        header = np.frombuffer(data, dtype="<u4", count=5)
        version, n_flat, n_offsets, n_passages, n_bands = (int(v) for v in header)
        if version != _FORMAT:
            raise ValueError(f"fingerprint format {version}, expected {_FORMAT}")
        position = header.nbytes

        def take(dtype: str, count: int) -> np.ndarray:
            nonlocal position
            array = np.frombuffer(data, dtype=dtype, count=count, offset=position)
            position += array.nbytes
            return array

        flat = take("<u4", n_flat).astype(np.uint32)
        offsets = take("<u4", n_offsets).astype(np.int64)
        exact = take("<u8", n_offsets - 1).astype(np.uint64)
        passages = take("<u4", n_passages).astype(np.int64)
        bands = take("<u8", n_passages * n_bands).astype(np.uint64).reshape(n_passages, n_bands)
        if position != len(data):
            raise ValueError("fingerprint data has trailing bytes")
        return cls(key, flat, offsets, exact, passages, bands)


def _hash_tokens(words: list[str]) -> np.ndarray:
    """A stable 33-bit hash per token (CRC-32 plus a set bit, so never 0; a paragraph break
    is 0), cached because news vocabulary repeats; Python's own str hash differs between
    processes."""
    cache = _token_hashes
    if len(cache) > 2_000_000:
        cache.clear()
    if not cache:
        cache[PARAGRAPH_BREAK] = 0
    try:
        return np.fromiter(map(cache.get, words), dtype=np.uint64, count=len(words))
    except TypeError:  # a word not seen before (cache.get gave None)
        pass
    for word in words:
        if word not in cache:
            cache[word] = zlib.crc32(word.encode("utf-8", "surrogatepass")) | 1 << 32
    return np.fromiter(map(cache.get, words), dtype=np.uint64, count=len(words))


def shingle_hashes(words: list[str], size: int) -> np.ndarray:
    """Distinct hashes of every run of ``size`` consecutive tokens, as sorted uint32; a text
    shorter than one shingle counts as a single shingle of all its tokens."""
    hashes = _hash_tokens(words)
    flat, _ = _paragraph_shingles(hashes, np.array([len(words)]), size)
    return flat


def _paragraph_shingles(
    hashes: np.ndarray, lengths: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shingles of several paragraphs in one vectorised pass: (flat, offsets). ``hashes``
    are the tokens of all paragraphs one after the other, ``lengths`` how many each has.
    Windows are hashed over the whole token stream with array slices, then those that cross
    a paragraph boundary are dropped; a paragraph shorter than a shingle is one shingle."""
    total, count = len(hashes), len(lengths)
    if not total:
        return _EMPTY32, np.zeros(count + 1, dtype=np.int64)
    owner = np.repeat(np.arange(count), lengths)
    windows = max(total - size + 1, 0)
    combined = hashes[:windows] * _MULTIPLIERS[0]
    for offset in range(1, size):
        combined += hashes[offset : offset + windows] * _MULTIPLIERS[offset % 8]
    inside = owner[:windows] == owner[size - 1 : size - 1 + windows]
    owners, values = [owner[:windows][inside]], [combined[inside]]
    short = np.flatnonzero((lengths > 0) & (lengths < size))
    if len(short):
        first = (np.cumsum(lengths) - lengths)[short]
        whole = np.zeros(len(short), dtype=np.uint64)
        for offset in range(size - 1):
            reach = lengths[short] > offset
            whole[reach] += hashes[first[reach] + offset] * _MULTIPLIERS[offset % 8]
        owners.append(short)
        values.append(whole)
    keyed = (np.concatenate(owners).astype(np.uint64) << np.uint64(32)) | (
        np.concatenate(values) >> np.uint64(32)
    )
    keyed = distinct(keyed)
    offsets = np.searchsorted(keyed >> np.uint64(32), np.arange(count + 1, dtype=np.uint64))
    return (keyed & np.uint64(0xFFFFFFFF)).astype(np.uint32), offsets.astype(np.int64)


def _exact_keys(hashes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 64-bit key per paragraph from its token hashes (a polynomial hash, mixed with the
    length): equal tokens, equal key; 0 for a paragraph without tokens."""
    keys = np.zeros(len(lengths), dtype=np.uint64)
    if not len(hashes):
        return keys
    starts = np.cumsum(lengths) - lengths
    position = np.arange(len(hashes)) - np.repeat(starts, lengths)
    terms = hashes * _powers(int(lengths.max()))[position]
    filled = np.flatnonzero(lengths)
    sums = np.add.reduceat(terms, starts[filled])
    mixed = fmix64(sums ^ (lengths[filled].astype(np.uint64) * _MULTIPLIERS[1]))
    mixed[mixed == 0] = 1
    keys[filled] = mixed
    return keys


def _powers(count: int) -> np.ndarray:
    """Powers of an odd 64-bit multiplier (wrapping), for ``_exact_keys``; grown as needed."""
    global _POWERS
    if len(_POWERS) < count:
        size = max(count, 2 * len(_POWERS))
        powers = np.full(size, _MULTIPLIERS[2], dtype=np.uint64)
        powers[0] = 1
        _POWERS = np.cumprod(powers, dtype=np.uint64)
    return _POWERS


_POWERS = np.ones(0, dtype=np.uint64)


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: spreads a polynomial hash's bits over all 64. A
    bijection, so equal after mixing means equal before."""
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values; cheaper than np.unique, which also counts and indexes."""
    if len(values) < 2:
        return values.copy()
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _identity(value: int) -> int:
    """Shingles are already well-mixed 32-bit hashes; datasketch need not hash them again."""
    return value


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, the pre-mix of datasketch's "affine32" scheme."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


class Fingerprinter:
    """Computes fingerprints with one set of MinHash permutations and one LSH banding.

    Signatures are datasketch MinHashes of the "affine32" scheme (datasketch's default),
    computed for all passages of a story in one vectorised step; ``signature`` gives the same
    values through datasketch itself, and the tests hold the two equal. The banding (bands
    and rows per band) is the one datasketch's MinHashLSH chooses for ``passage_threshold``.
    """

    def __init__(self, settings: Settings = DEFAULT) -> None:
        self.settings = settings
        self._base = MinHash(num_perm=settings.num_perm, seed=1, hashfunc=_identity)
        if self._base.scheme != "affine32":  # pragma: no cover - datasketch changed defaults
            raise RuntimeError(f"unexpected MinHash scheme {self._base.scheme!r}")
        a, b = self._base.permutations
        self._a = np.asarray(a, dtype=np.uint32)
        self._b = np.asarray(b, dtype=np.uint32)
        lsh = MinHashLSH(threshold=settings.passage_threshold, num_perm=settings.num_perm)
        self.bands, self.rows = lsh.b, lsh.r

    def signature(self, shingles: np.ndarray) -> LeanMinHash:
        """MinHash of one passage's shingles, through datasketch's own update."""
        minhash = self._base.copy()
        minhash.update_batch(shingles)
        return LeanMinHash(minhash)

    def signatures(self, fingerprint: Fingerprint) -> np.ndarray:
        """MinHash values of a fingerprint's passages: one row of ``num_perm`` per passage."""
        return self._signatures(
            *_passage_shingles(fingerprint.flat, fingerprint.offsets, fingerprint.passages)
        )

    def _signatures(self, stacked: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Signatures of consecutive passages: ``stacked`` holds their shingles one after
        the other and ``lengths`` says how many each has (at least one)."""
        count = len(lengths)
        result = np.empty((count, self.settings.num_perm), dtype=np.uint32)
        if not count:
            return result
        mixed = _fmix32(stacked)
        starts = np.cumsum(lengths) - lengths
        permuted = np.empty(len(mixed), dtype=np.uint32)
        for column, (a, b) in enumerate(zip(self._a, self._b)):
            np.multiply(mixed, a, out=permuted)
            permuted += b
            result[:, column] = np.minimum.reduceat(permuted, starts)
        return result

    def minhashes(self, fingerprint: Fingerprint) -> Iterator[tuple[int, LeanMinHash]]:
        """(paragraph index, datasketch signature) for each passage, e.g. for datasketch's
        own MinHashLSH storage."""
        for index, row in zip(fingerprint.passages, self.signatures(fingerprint)):
            yield int(index), LeanMinHash(seed=1, hashvalues=row, scheme="affine32")

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit key per band and passage: equal key, equal band of the signature (up to
        a 2^-64 chance). The band's number is part of the key, so one table holds all."""
        count = len(signatures)
        rows = signatures[:, : self.bands * self.rows].reshape(count, self.bands, self.rows)
        keys = (
            np.repeat(
                (np.arange(self.bands, dtype=np.uint64) + np.uint64(1))[None, :], count, axis=0
            )
            * _MULTIPLIERS[-1]
        )
        for row in range(self.rows):
            keys = keys * _MULTIPLIERS[0] + rows[:, :, row].astype(np.uint64)
        return keys ^ (keys >> np.uint64(31))

    def __call__(self, story: Story) -> Fingerprint:
        return self.batch([story])[0]

    def batch(self, stories: Sequence[Story]) -> list[Fingerprint]:
        """Fingerprints of several stories, computed together: every numpy step runs once
        over all their tokens, shingles and passages, so the per-story cost is the Python
        work of tokenising alone. The result is the same whatever the batch."""
        return self.texts([s.key for s in stories], [paragraph_texts(s) for s in stories])

    def texts(self, keys: Sequence[str], texts: Sequence[list[str]]) -> list[Fingerprint]:
        """``batch`` for stories given as their keys and paragraph texts (what processes
        send each other instead of whole stories)."""
        counts = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        words: list[str] = []
        for paragraphs in texts:
            if paragraphs:
                words += joined_tokens(paragraphs)
                words.append(PARAGRAPH_BREAK)
        hashes = _hash_tokens(words)
        breaks = hashes == 0
        lengths = np.bincount(np.cumsum(breaks)[~breaks], minlength=int(counts.sum()))
        hashes = hashes[~breaks]
        flat, offsets = _paragraph_shingles(hashes, lengths, self.settings.shingle)
        exact = _exact_keys(hashes, lengths)
        sizes = np.diff(offsets)
        passages = np.flatnonzero(sizes >= self.settings.min_passage)
        bands = self.band_keys(self._signatures(*_passage_shingles(flat, offsets, passages)))

        firsts = np.concatenate(([0], np.cumsum(counts)))
        cuts = np.searchsorted(passages, firsts)
        prints = []
        for number, key in enumerate(keys):
            low, high = int(firsts[number]), int(firsts[number + 1])
            start, stop = cuts[number], cuts[number + 1]
            prints.append(
                Fingerprint(
                    key,
                    flat[offsets[low] : offsets[high]].copy(),  # freed with its story
                    offsets[low : high + 1] - offsets[low],
                    exact[low:high],
                    passages[start:stop] - low,
                    bands[start:stop],
                )
            )
        return prints


def _passage_shingles(
    flat: np.ndarray, offsets: np.ndarray, passages: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The shingles of the chosen paragraphs one after the other, and how many each has."""
    sizes = np.diff(offsets)
    chosen = np.zeros(len(sizes), dtype=bool)
    chosen[passages] = True
    return flat[np.repeat(chosen, sizes)], sizes[passages]


def paragraph_texts(story: Story) -> list[str]:
    """What fingerprinting reads of a story: its paragraphs' texts."""
    return [paragraph.text for paragraph in story.paragraphs]
