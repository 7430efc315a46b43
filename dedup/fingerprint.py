"""Fingerprint: shingles and MinHash signatures of each story's passages.

A story is fingerprinted paragraph by paragraph rather than as a whole: a broadcaster's web
version that keeps a quarter of a wire story resembles it only 10% as a whole, but the
paragraphs it kept resemble their originals closely. Each paragraph long enough to be
evidence (a *passage*) gets a MinHash signature for the LSH index; every paragraph keeps its
exact shingle set for verification and the diff.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash

from .records import Story
from .settings import DEFAULT, Settings
from .text import tokens

# Odd 64-bit multipliers, one per position in a shingle (polynomial hashing of token hashes).
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
_EMPTY = np.zeros(0, dtype=np.uint32)
_token_hashes: dict[str, int] = {}


@dataclass(frozen=True)
class Fingerprint:
    """What the later stages need to know about one story's text."""

    key: str
    paragraphs: tuple[np.ndarray, ...]
    """Sorted distinct shingle hashes (uint32) of each paragraph; empty for paragraphs with
    no words."""
    exact: tuple[int, ...]
    """Per paragraph, a hash of its normalised tokens (0 when empty): equal text, equal hash.
    Used to recognise repeated paragraphs (boilerplate) without comparing text."""
    shingles: np.ndarray
    """Sorted distinct shingle hashes of the whole story."""
    passages: tuple[int, ...]
    """Indexes of the paragraphs with at least ``min_passage`` shingles: the units the LSH
    index works on."""
    signatures: np.ndarray
    """MinHash values of those passages, one row each (datasketch "affine32" scheme)."""

    def passage_signatures(self) -> Iterator[tuple[int, LeanMinHash]]:
        """(paragraph index, datasketch signature) for each passage."""
        for index, row in zip(self.passages, self.signatures):
            yield index, LeanMinHash(seed=1, hashvalues=row, scheme="affine32")

    @property
    def size(self) -> int:
        return int(self.shingles.size)


def _hash_tokens(words: list[str]) -> np.ndarray:
    cache = _token_hashes
    if len(cache) > 2_000_000:
        cache.clear()
    out = np.empty(len(words), dtype=np.uint64)
    for i, word in enumerate(words):
        value = cache.get(word)
        if value is None:
            value = cache[word] = zlib.crc32(word.encode("utf-8", "surrogatepass")) | 1 << 32
        out[i] = value
    return out


def shingle_hashes(words: list[str], size: int) -> np.ndarray:
    """Distinct hashes of every run of ``size`` consecutive tokens, as sorted uint32.

    A text shorter than one shingle counts as a single shingle of all its tokens, so a short
    line still has a fingerprint. Hashing is vectorised over the whole paragraph.
    """
    if not words:
        return _EMPTY
    token_hashes = _hash_tokens(words)
    width = min(size, len(token_hashes))
    count = len(token_hashes) - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        combined += token_hashes[offset : offset + count] * _MULTIPLIERS[offset % len(_MULTIPLIERS)]
    return np.unique((combined >> np.uint64(32)).astype(np.uint32))


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
    """Computes fingerprints with one set of MinHash permutations, reused for every story.

    Signatures are datasketch MinHashes of the "affine32" scheme (datasketch's default),
    computed for all passages of a story in one vectorised step instead of one MinHash object
    per paragraph; ``signature`` gives the same values through datasketch itself, and the
    tests hold the two equal.
    """

    def __init__(self, settings: Settings = DEFAULT) -> None:
        self.settings = settings
        self._base = MinHash(num_perm=settings.num_perm, seed=1, hashfunc=_identity)
        if self._base.scheme != "affine32":  # pragma: no cover - datasketch changed defaults
            raise RuntimeError(f"unexpected MinHash scheme {self._base.scheme!r}")
        a, b = self._base.permutations
        self._a = np.asarray(a, dtype=np.uint32)
        self._b = np.asarray(b, dtype=np.uint32)

    def signature(self, shingles: np.ndarray) -> LeanMinHash:
        """MinHash of one passage's shingles, through datasketch's own update."""
        minhash = self._base.copy()
        minhash.update_batch(shingles)
        return LeanMinHash(minhash)

    def signatures(self, passages: list[np.ndarray]) -> np.ndarray:
        """MinHash values of several passages at once: one row of ``num_perm`` per passage."""
        if not passages:
            return np.zeros((0, self.settings.num_perm), dtype=np.uint32)
        stacked = _fmix32(np.concatenate(passages))
        permuted = stacked[:, None] * self._a[None, :] + self._b[None, :]
        starts = np.cumsum([0] + [len(p) for p in passages[:-1]])
        return np.minimum.reduceat(permuted, starts, axis=0)

    def __call__(self, story: Story) -> Fingerprint:
        size = self.settings.shingle
        per_paragraph: list[np.ndarray] = []
        exact: list[int] = []
        indexed: list[int] = []
        for paragraph in story.paragraphs:
            words = tokens(paragraph.text)
            shingles = shingle_hashes(words, size)
            per_paragraph.append(shingles)
            exact.append(_exact_key(words) if words else 0)
            if shingles.size >= self.settings.min_passage:
                indexed.append(paragraph.index)
        values = self.signatures([per_paragraph[i] for i in indexed])
        whole = np.unique(np.concatenate(per_paragraph)) if per_paragraph else _EMPTY
        return Fingerprint(
            story.key, tuple(per_paragraph), tuple(exact), whole, tuple(indexed), values
        )


def _exact_key(words: list[str]) -> int:
    digest = hashlib.blake2b("\x1f".join(words).encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") or 1
