"""What the index logic needs from a back end (``Store``), and the records it exchanges
with one: a stored story's metadata (``Row``) and a story about to be stored (``Entry``).

Both back ends (``sqlite``, ``redis``) store the same things, and name a stored story by its
id: per story its metadata, its fingerprint (``pack_print``: its arrays, and its token text
compressed against the story's text), its text (compressed, for diffs once the source is
gone), its anchors and sentence-unit band keys (integers, looked up by key with the story's
stamp beside them, so that a window and a cap are one range read), the verified matches it
takes part in, and the cluster it belongs to.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from dedup.detect.fingerprint import Fingerprint, distinct
from dedup.engines.index.errors import IndexUnusable
from dedup.read.text import split_paragraphs
from dedup.records import Match, Story, story_order

SCHEMA_VERSION = 9
"""Layout of the stored index; an index with another number is refused, never misread.
3: anchors and sentence-unit band keys of the layout-free core, and the stored matches.
4: SQLite key tables hold 48-bit keys and whole-second stamps.
5: fingerprints stored as their arrays, uncompressed, and their token text compressed
against the story's stored text (``pack_print``).
6: SQLite ``units`` rows each hold the carriers of a key that one batch stores within a week
(Redis unchanged: one number for both back ends).
7: sentence units no longer end at paragraph breaks (fingerprint format 4): stored units and
their band keys would differ from those made now for the same text.
8: stored token texts mark quotation marks (fingerprint format 5), which the rewrite
decision reads; the content digest, made from the token text, changes with them.
9: they mark quotes in single ASCII marks too (fingerprint format 6), for the same reason;
SQLite key tables lead with the week of their stamp, so that a day's rows are written into
one week's pages."""


@dataclass(frozen=True)
class Row:
    """A stored story's metadata (no text, no fingerprint): enough to filter and order."""

    id: str
    digest: bytes
    outlet_key: str
    stamp: float
    """The window's clock: the story's date, else the time it was ingested."""
    date: datetime | None
    ingested: float
    headline: str = ""
    outlet: str = ""
    url: str = ""
    path: str | None = None
    record: int | None = None
    cluster: str | None = None
    copy_of: str | None = None

    @property
    def sort_key(self) -> tuple[float, str, str]:
        """``Story.sort_key`` of the stored story (its key is its id, unique in an index)."""
        return story_order(self.date, self.id, self.id)

    def story(self, body: str = "") -> Story:
        """The stored story as the core sees it; its key is its id."""
        return Story(
            key=self.id,
            id=self.id,
            body=body,
            headline=self.headline,
            date=self.date,
            outlet=self.outlet,
            url=self.url,
            path=self.path,
            record=self.record,
            paragraphs=split_paragraphs(body) if body else (),
        )


@dataclass(frozen=True)
class Entry:
    """A story about to be stored, with everything derived from it."""

    story: Story
    fingerprint: Fingerprint
    digest: bytes
    outlet_key: str
    stamp: float
    ingested: float
    copy_of: str | None

    @property
    def anchors(self) -> np.ndarray:
        return entry_keys(self.fingerprint)[0]

    @property
    def units(self) -> np.ndarray:
        return entry_keys(self.fingerprint)[1]


def entry_keys(fingerprint: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
    """The keys a story is found by: its anchors, and the distinct band keys of its sentence
    units (every unit's: which of them are boilerplate depends on the stories around it, so
    the core, not the lookup, leaves those out)."""
    units = distinct(fingerprint.unit_keys.ravel())
    return fingerprint.anchors, units[units != 0]


ANCHORS, UNITS = "anchors", "units"
"""The two kinds of keys a story is found by (``entry_keys``)."""


class Store(ABC):
    """What the index logic needs from a backend; each method reads or writes only the rows
    it names, so no operation costs more than the stories it concerns."""

    location: str
    kind: str

    @abstractmethod
    def settings(self) -> dict[str, Any] | None:
        """The stored settings, or None for an index not initialised yet."""

    @abstractmethod
    def initialise(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Record the settings of a new index (the first writer wins); returns the stored ones."""

    @abstractmethod
    def exclusive(self, timeout: float) -> contextlib.AbstractContextManager[None]:
        """Hold the index against other writers for a whole run, waiting ``timeout`` seconds
        at most (``IndexBusy``); released even when the process dies."""

    @abstractmethod
    def writing(self) -> contextlib.AbstractContextManager[None]:
        """One transaction: everything inside is committed together or not at all."""

    @abstractmethod
    def reading(self) -> contextlib.AbstractContextManager[None]:
        """A consistent view for a series of reads."""

    def keepalive(self) -> None:  # noqa: B027 - optional for backends whose lock never expires
        """Called after each batch written; lets a lock with a lease renew it."""

    @abstractmethod
    def rows(self, ids: Iterable[str]) -> dict[str, Row]:
        """The stored stories among ``ids``."""

    @abstractmethod
    def by_content(self, digest: bytes, outlet_key: str) -> Row | None: ...

    @abstractmethod
    def carriers(
        self, kind: str, keys: np.ndarray, low: float, high: float, cap: int
    ) -> dict[int, list[tuple[str, str | None]]]:
        """Stored stories stamped in [low, high] carrying each key (uint64) of ``kind``
        (``ANCHORS`` or ``UNITS``), with their cluster: the ``cap`` earliest at most; keys
        nobody carries are left out."""

    @abstractmethod
    def linked(self, ids: Iterable[str]) -> set[str]:
        """Stories a stored match ties to one of ``ids``."""

    @abstractmethod
    def matches(self, ids: Iterable[str]) -> list[Match]:
        """The stored matches between two of ``ids``."""

    @abstractmethod
    def fingerprints(self, ids: Iterable[str]) -> dict[str, Fingerprint]: ...

    @abstractmethod
    def add(self, entries: list[Entry]) -> None: ...

    @abstractmethod
    def remove(self, ids: Iterable[str]) -> None:
        """Stories with everything stored about them, their matches included."""

    @abstractmethod
    def replace_matches(self, ids: set[str], matches: list[Match]) -> None:
        """Drop the stored matches between two of ``ids``, then store ``matches``."""

    @abstractmethod
    def set_clusters(self, clusters: dict[str, str | None]) -> None: ...

    @abstractmethod
    def cluster_members(self, cluster: str) -> list[Row]: ...

    @abstractmethod
    def select(self, since: float | None) -> Iterator[tuple[Row, Fingerprint]]:
        """Every story whose stamp is at least ``since`` (all when None)."""

    @abstractmethod
    def older_than(self, cutoff: float, limit: int) -> list[str]: ...

    @abstractmethod
    def text(self, story_id: str) -> str: ...

    @abstractmethod
    def counts(self) -> dict[str, Any]: ...

    @abstractmethod
    def close(self) -> None: ...


def busy_message(location: str, timeout: float) -> str:
    """What a run is told when another one held the index for ``timeout`` seconds."""
    return (
        f"the index {location} is busy: another run holds it and --lock-timeout "
        f"({timeout:g} s) ran out; try again later"
    )


def version_message(location: str, version: int) -> str:
    """Why an index of another schema version is refused, and what to do about it."""
    if version > SCHEMA_VERSION:
        hint = "it was made by a newer wire-dedup: upgrade this one"
    else:
        hint = (
            "it was made by an older wire-dedup and cannot be migrated: rebuild it "
            "(ingest the stories into a new index)"
        )
    return (
        f"{location} has index schema version {version}, "
        f"this wire-dedup reads {SCHEMA_VERSION}; {hint}"
    )


_ARRAYS_LENGTH = struct.Struct("<I")
"""The length of a stored fingerprint's arrays part, before its compressed token text."""


def pack_print(fingerprint: Fingerprint, body: str) -> bytes:
    """A fingerprint as stored, beside its story's text ``body`` (``pack_text``): its arrays
    (``Fingerprint.to_bytes`` without the text), then its token text compressed. The arrays
    are hashes, which no compressor shrinks, so they are stored as they are (compressing
    them was most of an ingest's compression time); the token text repeats the story's
    words, so it is compressed with the story's text as the preset dictionary, to a quarter
    of what it takes alone."""
    arrays = replace(fingerprint, words="").to_bytes()
    words = _deflate(
        fingerprint.text.encode("utf-8", "surrogatepass"),
        _dictionary(body.encode("utf-8", "surrogatepass")),
    )
    return _ARRAYS_LENGTH.pack(len(arrays)) + arrays + words


def stored_fingerprint(
    story_id: str, data: bytes, text: bytes | None, location: str
) -> Fingerprint:
    """A fingerprint as stored (``pack_print``, beside the stored ``text``); unreadable data
    makes the index unusable rather than the run crash. Its arrays are read now; its token
    text when first asked for (``StoredWords``), as most stories a run reads are there for
    their shingles and anchors only (the boilerplate rule's context) and never for it."""
    try:
        data = bytes(data)
        if len(data) < _ARRAYS_LENGTH.size:
            raise ValueError("too short")
        (length,) = _ARRAYS_LENGTH.unpack_from(data)
        end = _ARRAYS_LENGTH.size + length
        arrays = Fingerprint.from_bytes(story_id, data[_ARRAYS_LENGTH.size : end])
    except ValueError as err:
        raise IndexUnusable(
            f"{location}: the stored fingerprint of {story_id} is damaged ({err}); "
            "rebuild the index"
        ) from None
    return arrays.replaced(words=StoredWords(story_id, data[end:], bytes(text or b""), location))


class StoredWords:
    """A stored fingerprint's token text, compressed against its story's stored text
    (``pack_print``), decompressed when first read (``Fingerprint.text``) and kept."""

    __slots__ = ("body", "location", "packed", "story_id", "words")

    def __init__(self, story_id: str, packed: bytes, body: bytes, location: str) -> None:
        self.story_id, self.packed, self.body, self.location = story_id, packed, body, location
        self.words: str | None = None

    def read(self) -> str:
        if self.words is None:
            self.words = self._unpacked()
            self.packed = self.body = b""
        return self.words

    def _unpacked(self) -> str:
        try:
            body = zlib.decompress(self.body)
        except zlib.error as err:
            raise IndexUnusable(
                f"{self.location}: the stored text of {self.story_id} is damaged ({err}); "
                "rebuild the index"
            ) from None
        try:
            unpacker = zlib.decompressobj(zdict=_dictionary(body))
            words = unpacker.decompress(self.packed) + unpacker.flush()
            if not unpacker.eof or unpacker.unused_data:
                raise ValueError("its text is cut short or followed by other bytes")
            return words.decode("utf-8", "surrogatepass")
        except (ValueError, zlib.error, UnicodeDecodeError) as err:
            raise IndexUnusable(
                f"{self.location}: the stored fingerprint of {self.story_id} is damaged "
                f"({err}); rebuild the index"
            ) from None


def _dictionary(body: bytes) -> bytes:
    """The preset dictionary a fingerprint's token text is compressed with: its story's
    text (the last 32 kB, all zlib can use; ``b"-"`` for an empty text, as zlib wants a
    non-empty one)."""
    return body[-32768:] or b"-"


def pack_text(body: str) -> bytes:
    """A story's text as stored: compressed, any lone surrogate kept."""
    return _deflate(body.encode("utf-8", "surrogatepass"))


def _deflate(data: bytes, dictionary: bytes | None = None) -> bytes:
    """``data`` as a zlib stream (with the preset ``dictionary`` if one is given), which the
    standard ``zlib`` module reads back. ISA-L (``isal``) makes it: on news text its level 3
    is about as small as zlib's level 6 and five times faster, and an ingest compresses every
    story it stores twice. Imported here, as only the runs that store stories need it."""
    from isal import isal_zlib

    packer = isal_zlib.compressobj(3, zdict=dictionary) if dictionary else isal_zlib.compressobj(3)
    return packer.compress(data) + packer.flush()


def unpack_text(data: bytes, story_id: str = "", location: str = "") -> str:
    """The text ``pack_text`` stored; damaged data makes the index unusable."""
    try:
        return zlib.decompress(bytes(data)).decode("utf-8", "surrogatepass")
    except (zlib.error, UnicodeDecodeError) as err:
        raise IndexUnusable(
            f"{location}: the stored text of {story_id} is damaged ({err}); rebuild the index"
        ) from None
