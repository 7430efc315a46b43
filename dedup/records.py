"""The records that flow through the pipeline: stories in, matches and clusters out.

They are plain dataclasses so that every stage, the CLI, the index and the Spark engine share
one vocabulary and none of them needs click or rich to use another.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dedup.settings import DEFAULT, Settings


def story_order(
    date: datetime | float | None, story_id: str, key: str = ""
) -> tuple[float, str, str]:
    """The order of stories wherever "earliest" or a tie-break is decided: by date (a
    ``datetime`` or a POSIX timestamp), undated stories last; then by id, then by key. Every
    engine sorts by it, so results never depend on the order inputs were given in."""
    if date is None:
        stamp = math.inf
    elif isinstance(date, datetime):
        stamp = date.timestamp()
    else:
        stamp = float(date)
    return (stamp, story_id, key)


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of a story, as displayed, with its place in the body."""

    index: int
    """0-based position in the story (outputs print it 1-based)."""
    text: str
    start: int
    """Character offset of the paragraph in ``Story.body``."""
    end: int


@dataclass(frozen=True, slots=True)
class Story:
    """A story as read from its source, before any matching."""

    key: str
    """Unique within a run: the provenance (path, and ``#record`` inside multi-record files)."""
    id: str
    """The story's own id (from its metadata), else derived from its path."""
    body: str
    headline: str = ""
    date: datetime | None = None
    outlet: str = ""
    url: str = ""
    path: str | None = None
    record: int | None = None
    """1-based record number inside a multi-record file (JSON array, JSON Lines)."""
    paragraphs: tuple[Paragraph, ...] = ()

    def without_text(self) -> Story:
        """The same story with only its metadata: what a scan keeps once it is
        fingerprinted, so memory does not grow with the text read."""
        return Story(
            key=self.key,
            id=self.id,
            body="",
            headline=self.headline,
            date=self.date,
            outlet=self.outlet,
            url=self.url,
            path=self.path,
            record=self.record,
        )

    @property
    def sort_key(self) -> tuple[float, str, str]:
        """The story's place in ``story_order``."""
        return story_order(self.date, self.id, self.key)


@dataclass(frozen=True, slots=True)
class InputProblem:
    """An input that could not be read: reported and skipped, and the run goes on."""

    source: str
    """Path (with ``:line`` or ``#record`` when known) or ``-`` for standard input."""
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Match:
    """A verified link between two stories: they share enough text to be copies."""

    a: str
    """Key of the first story (the one earlier in ``Story.sort_key`` order)."""
    b: str
    shared: int
    """Shingles the two share, boilerplate excluded."""
    resemblance: float
    """shared / all distinct shingles of both (Jaccard)."""
    containment: float
    """shared / shingles of the smaller story."""
    kind: str
    """"near-duplicate", "partial" (one reuses a passage of the other) or "rewrite" (one
    is the other rewritten sentence by sentence)."""
    coverage: float = 0.0
    """For a link found by the rewrite decision: the share of the smaller story in sentences
    aligned with the other (0 for verbatim copies, which need no alignment)."""

    @property
    def link(self) -> str:
        """How the two are tied: "copy" (verbatim reuse) or "rewrite"."""
        return "rewrite" if self.kind == "rewrite" else "copy"


@dataclass(frozen=True, slots=True)
class Member:
    """A story's place in a cluster."""

    key: str
    id: str
    reuse: float
    """Share of the story's text (boilerplate excluded) found in the cluster's origin; for the
    origin itself, the share found in at least one other member."""
    path: str | None = None
    headline: str = ""
    outlet: str = ""
    date: datetime | None = None
    record: int | None = None
    url: str = ""
    link: str | None = None
    """How it is tied to the origin: "copy" (verbatim reuse), "rewrite", or "update" (a
    near-duplicate of its own outlet's earlier story: a later version); None for the
    origin."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """Copies of one story, formed around a centre every member is directly linked to."""

    id: str
    origin_key: str
    """Key of the likely origin: the earliest dated member, else the centre. Keys, not ids,
    are what ``Match.a``/``b`` and ``Member.key`` hold, and are unique where ids may repeat."""
    centre_key: str
    """Key of the story every other member was verified against."""
    members: tuple[Member, ...]
    matches: tuple[Match, ...] = field(default=())

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def origin(self) -> str:
        """The origin's story id, as every output names it."""
        return self.origin_member.id

    @property
    def centre(self) -> str:
        """The centre's story id, as every output names it."""
        return self.centre_member.id

    @property
    def origin_member(self) -> Member:
        return next(member for member in self.members if member.key == self.origin_key)

    @property
    def centre_member(self) -> Member:
        return next(member for member in self.members if member.key == self.centre_key)

    @property
    def origin_id(self) -> str:
        """Deprecated alias of ``origin`` (the origin's story id), kept because it was
        documented before ``origin`` became the id."""
        warnings.warn(
            "Cluster.origin_id is deprecated: use Cluster.origin", DeprecationWarning, stacklevel=2
        )
        return self.origin


@dataclass
class ScanResult:
    """Everything a scan found, ready for any output format."""

    clusters: list[Cluster]
    stories: list[Story]
    """All stories read, in ``Story.sort_key`` order."""
    matches: list[Match]
    problems: list[InputProblem] = field(default_factory=list)
    settings: Settings = DEFAULT
    candidates: int = 0
    boilerplate_texts: int = 0
    boilerplate: dict[str, object] = field(default_factory=dict)
    """Story key -> the sorted shingles (a numpy array) of the boilerplate it carries, for
    the views that show it (``views.maps.cluster_boilerplate``); stories with none are
    absent."""

    @property
    def singletons(self) -> list[Story]:
        """Stories that are copies of nothing else in the collection."""
        clustered = {member.key for cluster in self.clusters for member in cluster.members}
        return [story for story in self.stories if story.key not in clustered]


# -- output rows: one shape for every engine ------------------------------------------------

SCHEMA = 1
"""Version of the output rows' shape (README, "Output formats")."""
MEMBER_COLUMNS = (
    "cluster",
    "role",
    "id",
    "path",
    "record",
    "outlet",
    "date",
    "headline",
    "url",
    "reuse",
    "link",
    "kind",
    "shared",
    "resemblance",
    "containment",
)


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def member_record(cluster: Cluster | None, member: Member | Story) -> dict[str, Any]:
    """One story's row: identity, provenance, role in its cluster and the evidence for it."""
    record: dict[str, Any] = {
        "cluster": cluster.id if cluster else None,
        "role": _role(cluster, member.key),
        "id": member.id,
        "path": member.path,
        "record": member.record,
        "outlet": member.outlet or None,
        "date": _date(member.date),
        "headline": member.headline or None,
        "url": member.url or None,
        "reuse": getattr(member, "reuse", None),
        "link": getattr(member, "link", None),
    }
    match = _match_with_centre(cluster, member.key) if cluster else None
    record.update(
        kind=match.kind if match else None,
        shared=match.shared if match else None,
        resemblance=round(match.resemblance, 4) if match else None,
        containment=round(match.containment, 4) if match else None,
    )
    return record


def _role(cluster: Cluster | None, key: str) -> str:
    if cluster is None:
        return "singleton"
    return "origin" if key == cluster.origin_key else "copy"


def _match_with_centre(cluster: Cluster, key: str) -> Match | None:
    if key == cluster.centre_key:
        return None
    for match in cluster.matches:
        if key in (match.a, match.b) and cluster.centre_key in (match.a, match.b):
            return match
    return None
