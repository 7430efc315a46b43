"""What the index logic needs from a back end (``Store``), and the records it exchanges
with one: a stored story's metadata (``Row``), a story about to be stored (``Entry``), the
stories sharing an LSH bucket (``BandGroup``) and the carriers of a paragraph (``Carrier``).

Both back ends (``sqlite``, ``redis``) store the same things; helpers they share are here.
"""

from __future__ import annotations

import contextlib
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from dedup.detect.fingerprint import Fingerprint, Fingerprinter
from dedup.engines.index.errors import IndexUnusable
from dedup.read.text import split_paragraphs
from dedup.records import Story, story_order

SCHEMA_VERSION = 2
"""Layout of the stored index; an index with another number is refused, never misread."""

Ref = Any
"""A store's handle on one stored story: the SQLite row id, or the story id in Redis."""


@dataclass(frozen=True)
class Row:
    """A stored story's metadata (no text, no fingerprint): enough to filter and order."""

    ref: Ref
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
        """The stored story as the pipeline sees it; its key is its id."""
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
    cluster: str | None
    copy_of: str | None


class BandGroup(NamedTuple):
    """Stored stories that share one LSH bucket with a story being judged."""

    handle: Any
    """The back end's name for the bucket, for ``Store.group_in_window``."""
    refs: list[Ref]
    complete: bool
    """False when the group was cut short at the cap: read it with ``group_in_window``."""


class Carrier(NamedTuple):
    """A story carrying a paragraph, as the boilerplate rule weighs it."""

    order: tuple[float, str, str]
    """The story's ``story_order`` (in an index, a story's key is its id)."""
    ref: Ref | None
    """None for the story being judged, not stored yet."""
    outlet_key: str


class Store(ABC):
    """What the index logic needs from a backend; each method reads or writes only the rows
    it names, so no operation costs more than the stories it concerns."""

    location: str
    kind: str
    fingerprinter: Fingerprinter | None = None

    @abstractmethod
    def settings(self) -> dict[str, Any] | None:
        """The stored settings, or None for an index not initialised yet."""

    @abstractmethod
    def initialise(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Record the settings of a new index (the first writer wins); returns the stored ones."""

    def attach(self, fingerprinter: Fingerprinter) -> None:
        self.fingerprinter = fingerprinter

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
        """Called after each story written; lets a lock with a lease renew it."""

    @abstractmethod
    def by_id(self, story_id: str) -> Row | None: ...

    @abstractmethod
    def by_content(self, digest: bytes, outlet_key: str) -> Row | None: ...

    @abstractmethod
    def neighbours(
        self, fingerprint: Fingerprint, passages: Sequence[int], cap: int, exclude: Ref | None
    ) -> list[BandGroup]:
        """Groups of stored stories that share an LSH bucket with the given passages; a
        group longer than ``cap`` may be cut short (``complete`` False) and read in full by
        ``group_in_window``."""

    @abstractmethod
    def group_in_window(
        self, handle: Any, low: float, high: float, exclude: Ref | None
    ) -> list[Ref]:
        """Every story of one LSH group whose stamp lies in [low, high]."""

    @abstractmethod
    def rows(self, refs: Iterable[Ref]) -> dict[Ref, Row]: ...

    @abstractmethod
    def fingerprints(self, refs: Iterable[Ref]) -> dict[Ref, Fingerprint]: ...

    @abstractmethod
    def paragraph_counts(
        self, exacts: Iterable[int], cap: int, exclude: Ref | None
    ) -> dict[int, int]:
        """Stories carrying each paragraph key (uint64), counted up to ``cap``."""

    @abstractmethod
    def paragraph_carriers(self, exact: int) -> list[Carrier]:
        """Every stored story carrying one paragraph key, in no particular order."""

    @abstractmethod
    def cluster_members(self, cluster: str) -> list[Row]: ...

    @abstractmethod
    def add(self, entry: Entry) -> Ref: ...

    @abstractmethod
    def set_cluster(self, ref: Ref, cluster: str) -> None: ...

    @abstractmethod
    def remove(self, ref: Ref) -> None: ...

    @abstractmethod
    def select(self, since: float | None) -> Iterator[tuple[Row, Fingerprint]]:
        """Every story whose stamp is at least ``since`` (all when None)."""

    @abstractmethod
    def older_than(self, cutoff: float, limit: int) -> list[Ref]: ...

    @abstractmethod
    def text(self, ref: Ref) -> str: ...

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
        hint = "it was made by an older wire-dedup and cannot be migrated: ingest into a new index"
    return (
        f"{location} has index schema version {version}, "
        f"this wire-dedup reads {SCHEMA_VERSION}; {hint}"
    )


def stored_fingerprint(story_id: str, data: bytes, location: str) -> Fingerprint:
    """A fingerprint as stored (``Fingerprint.to_bytes``); unreadable data makes the index
    unusable rather than the run crash."""
    try:
        return Fingerprint.from_bytes(story_id, bytes(data))
    except ValueError as err:
        raise IndexUnusable(
            f"{location}: stored fingerprint of {story_id} unreadable ({err})"
        ) from None


def pack_text(body: str) -> bytes:
    """A story's text as stored: compressed, any lone surrogate kept."""
    return zlib.compress(body.encode("utf-8", "surrogatepass"), 6)


def unpack_text(data: bytes) -> str:
    """The text ``pack_text`` stored."""
    return zlib.decompress(bytes(data)).decode("utf-8", "surrogatepass")
