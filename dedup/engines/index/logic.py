"""The index logic: ingest stories, judge them against what is stored, and scan.

Judging a batch reads only what concerns it: its *neighbourhood*, the stored stories within
the window that share an anchor or a sentence-unit band key with the batch (each key's
``widely_shared`` earliest carriers at most), together with the stories stored matches tie
them to (their whole components, so clusters are re-formed whole). The decision is the
scan's own: ``find_links`` over batch and neighbourhood (boilerplate, copy candidates,
verification, rewrites) with the batch as its focus, then ``form_clusters`` (the scan's
centre rule) over the result. Only the links the batch can change are decided: those of the
items (stories verbatim reuse ties) that hold a batch story or a stored story sharing a
repeated text with one. The latter is how boilerplate found later is applied: a text becomes
boilerplate (or stops being one) when a new carrier arrives, and every stored carrier's links
are then decided again. The stored links among the other stories stand as they were decided
when those came. The new matches replace the stored ones among the stories judged, and their
cluster ids are stored. A
whole scan over the index (``Index.scan``) runs ``cluster_fingerprints``, the code ``dedup
scan`` runs, on the stored fingerprints.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cached_property
from typing import Any

import numpy as np

from dedup.detect.candidates import COMMON_KEY, REWRITE_KEYS
from dedup.detect.cluster import cluster_id, form_clusters
from dedup.detect.fingerprint import Fingerprint, Fingerprinter, distinct
from dedup.detect.links import find_links
from dedup.engines.index.config import (
    DEFAULT_BATCH,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_WINDOW,
    is_url,
)
from dedup.engines.index.errors import IndexUnusable
from dedup.engines.index.sqlite import SQLiteStore
from dedup.engines.index.store import (
    ANCHORS,
    SCHEMA_VERSION,
    UNITS,
    Entry,
    Row,
    Store,
    entry_keys,
)
from dedup.engines.local import cluster_fingerprints, cycle_collector_paused
from dedup.read.inputs import outlet_of
from dedup.read.text import tokens
from dedup.records import Cluster, Match, ScanResult, Story
from dedup.settings import DEFAULT, DETECTION, Settings

FINGERPRINT_SETTINGS = DETECTION
"""Settings that change fingerprints or keys: a run must use the index's values."""
NEW, COPY, INDEXED, UPDATED = "new", "copy", "indexed", "updated"
STATUSES = (NEW, COPY, INDEXED, UPDATED)
_NO_CONTENT = np.zeros(0, dtype=np.uint32)
_NO_KEYS = np.zeros(0, dtype=np.uint64)
BATCH_SPAN = 56 * 86400
"""Seconds the stories of one batch span at most (by their stamps): a batch's neighbourhood
is read over its whole span, one range read a key in each week of it (``sqlite``), while
stories more than a window apart never meet. A run's few stories spread over a year are
judged in batches of eight weeks (1,000 of them against 100,000 stored: 74 s and 0.98 GB
at most, where one batch took 194 s and 3 GB), and a dense run's batches are cut by their
count long before."""


@dataclass(frozen=True)
class Verdict:
    """What the index says about one incoming story.

    ``status``: ``new`` (linked to nothing seen before it: nothing indexed, nothing earlier
    in the same run), ``copy`` (linked to a story seen before it; ``copies`` names the
    earliest of them, which may be dated *after* this one when the original arrives after
    its copies: ``origin`` then names this very story), ``indexed`` (this very story, by
    id or by content from the same outlet, is already there) or ``updated`` (a new version
    of a story already seen: the same id with a changed text, which replaces the old one, or
    a near-duplicate of an earlier story of the same outlet, a write-thru).
    """

    story: Story
    status: str
    copies: str | None = None
    cluster: str | None = None
    origin: str | None = None
    """Id of the cluster's origin: its earliest dated member (else its centre)."""
    match: Match | None = None
    """The verified link with ``copies``."""
    matches: tuple[str, ...] = ()
    """Ids of every indexed story it is linked to, earliest first."""
    indexed_as: str | None = None
    """For ``indexed``: the id it is stored under (another id for a re-delivery)."""

    @property
    def is_new(self) -> bool:
        return self.status == NEW

    def record(self) -> dict[str, Any]:
        """One JSON Lines row (``--format jsonl``)."""
        match = self.match
        return {
            "id": self.story.id,
            "path": self.story.path,
            "record": self.story.record,
            "status": self.status,
            "copies": self.copies,
            "cluster": self.cluster,
            "origin": self.origin,
            "kind": match.kind if match else None,
            "shared": match.shared if match else None,
            "resemblance": round(match.resemblance, 4) if match else None,
            "containment": round(match.containment, 4) if match else None,
            "matches": list(self.matches),
            "indexed_as": self.indexed_as,
        }


@dataclass(frozen=True)
class _Fresh:
    """A story to be judged (not already indexed)."""

    story: Story
    """Keyed by its id, as every story in an index is."""
    given: Story
    """The story as the caller gave it, for its verdict."""
    fingerprint: Fingerprint
    digest: bytes
    outlet_key: str
    stamp: float
    replaces: Row | None = None
    """The stored version a new version of the same id replaces."""


@dataclass(frozen=True)
class _Judged:
    """The core's answer over a batch and its neighbourhood."""

    ids: set[str]
    """Every story judged: batch and neighbourhood."""
    order: dict[str, tuple[float, str, str]]
    outlets: dict[str, str]
    matches: list[Match]
    clusters: list[Cluster]

    def partners(self, story_id: str) -> dict[str, Match]:
        return self._partners.get(story_id, {})

    def cluster_of(self) -> dict[str, Cluster]:
        return self._cluster_of

    @cached_property
    def _partners(self) -> dict[str, dict[str, Match]]:
        found: dict[str, dict[str, Match]] = {}
        for match in self.matches:
            found.setdefault(match.a, {})[match.b] = match
            found.setdefault(match.b, {})[match.a] = match
        return found

    @cached_property
    def _cluster_of(self) -> dict[str, Cluster]:
        return {member.key: c for c in self.clusters for member in c.members}


def content_digest(story: Story, fingerprint: Fingerprint) -> bytes:
    """Same headline and words after normalisation, same digest: a re-delivery of a story
    under another name is recognised even when its whitespace, quotes or layout changed."""
    headline = "\x1f".join(tokens(story.headline)).encode("utf-8", "surrogatepass")
    body = fingerprint.text.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(headline + b"\x1e" + body, digest_size=16).digest()


def open_store(location: str, *, create: bool, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Store:
    """The backend a location names: a ``redis://`` URL, else an SQLite file path."""
    if is_url(location):
        from dedup.engines.index.redis import RedisStore  # only for Redis: SQLite is the usual

        return RedisStore(location, create=create, timeout=timeout)
    return SQLiteStore(location, create=create, timeout=timeout)


def open_index(
    location: str,
    *,
    create: bool = False,
    changes: Mapping[str, Any] | None = None,
    window: float | None = DEFAULT_WINDOW,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Index:
    """Open (or, with ``create``, make) the index at ``location``.

    The index's stored settings are the run's defaults; ``changes`` override the ones that
    only judge matches (``near_duplicate``, ``links``...). A change to a setting that shapes
    fingerprints (``FINGERPRINT_SETTINGS``) is refused with ``IndexUnusable``: the new
    fingerprints could not be compared with the stored ones.
    """
    wanted = {key: value for key, value in (changes or {}).items() if value is not None}
    store = open_store(location, create=create, timeout=lock_timeout)
    try:
        stored = store.settings()
        if stored is None:
            stored = store.initialise(DEFAULT.with_changes(**wanted).as_dict())
        known = {f.name for f in fields(Settings)}
        try:
            base = replace(DEFAULT, **{k: v for k, v in stored.items() if k in known})
        except (ValueError, TypeError) as err:
            raise IndexUnusable(f"{location}: its stored settings are invalid ({err})") from None
        differing = [
            f"--{name.replace('_', '-')} {wanted[name]} (the index uses {getattr(base, name)})"
            for name in FINGERPRINT_SETTINGS
            if name in wanted and wanted[name] != getattr(base, name)
        ]
        if differing:
            raise IndexUnusable(
                f"{location} was built with other fingerprint settings: "
                + "; ".join(differing)
                + ". Fingerprints would not be comparable: drop the option or use a new index"
            )
        settings = base.with_changes(**wanted)
        return Index(store, settings, window=window, lock_timeout=lock_timeout)
    except BaseException:
        store.close()
        raise


class Index:
    """Ingest stories into, and ask questions of, one persistent index."""

    def __init__(
        self,
        store: Store,
        settings: Settings = DEFAULT,
        *,
        window: float | None = DEFAULT_WINDOW,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.store = store
        self.settings = settings
        self.window = window or None
        self.lock_timeout = lock_timeout
        self.fingerprinter = Fingerprinter(settings)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- questions -------------------------------------------------------------------------

    def check(self, stories: Iterable[Story], *, now: float | None = None) -> list[Verdict]:
        """The verdict on each story, writing nothing: what ``ingest`` would say of it were
        it the only story of its run. A story already indexed is ``indexed``, with the
        stories it is linked to."""
        now = time.time() if now is None else now
        verdicts = []
        with self.store.reading(), cycle_collector_paused():
            for story in stories:
                verdicts.append(self._check_one(story, now))
        return verdicts

    def _check_one(self, story: Story, now: float) -> Verdict:
        fingerprint = self.fingerprinter(story)
        fresh = self._fresh(story, fingerprint, now)
        existing = self.store.rows([story.id]).get(story.id)
        twin = None
        if existing is None:
            twin = self.store.by_content(fresh.digest, fresh.outlet_key)
        elif existing.digest == fresh.digest:
            twin = existing
        if twin is not None:  # asked about a story it holds: judged as it was ingested
            fresh = replace(fresh, stamp=twin.stamp)
            judged = self._judge([fresh], exclude={twin.id})
            verdict = self._verdict(fresh, judged, set())
            return replace(
                verdict, status=INDEXED, indexed_as=twin.id, **self._copied(twin, judged)
            )
        exclude = {existing.id} if existing is not None else set()
        judged = self._judge([fresh], exclude=exclude)
        verdict = self._verdict(fresh, judged, set())
        return replace(verdict, status=UPDATED) if existing is not None else verdict

    def _copied(self, row: Row, judged: _Judged) -> dict[str, Any]:
        """What an indexed story was found to copy when it was ingested, and the link."""
        match = judged.partners(row.id).get(row.copy_of) if row.copy_of else None
        return {"copies": row.copy_of, "match": match}

    def story(self, story_id: str) -> Story | None:
        """A stored story with its text, as it was ingested: the source file may be gone."""
        with self.store.reading():
            row = self.store.rows([story_id]).get(story_id)
            return row.story(self.store.text(row.id)) if row else None

    def scan(self, since: float | None = None) -> ScanResult:
        """Clusters over the stories whose stamp is at least ``since`` (all when None),
        computed by the scan's own ``cluster_fingerprints`` on the stored fingerprints: the
        same clusters a scan of those stories gives."""
        with self.store.reading():
            loaded = [(row.story(), fingerprint) for row, fingerprint in self.store.select(since)]
        loaded.sort(key=lambda pair: pair[0].sort_key)
        stories = [story for story, _ in loaded]
        prints = [fingerprint for _, fingerprint in loaded]
        del loaded  # so that each fingerprint goes once it is used
        return cluster_fingerprints(stories, prints, self.settings, release=True)

    def stats(self) -> dict[str, Any]:
        """Counts and settings, for ``dedup stats``."""
        with self.store.reading():
            counts = self.store.counts()
        return {
            "index": self.store.location,
            "backend": self.store.kind,
            "schema": SCHEMA_VERSION,
            **counts,
            "settings": self.settings.as_dict(),
        }

    # -- changes ---------------------------------------------------------------------------

    def ingest(
        self, stories: Iterable[Story], *, batch: int = DEFAULT_BATCH, now: float | None = None
    ) -> Iterator[Verdict]:
        """Add stories, yielding each one's verdict before its batch is committed: a caller
        that cannot take a verdict (a closed output) stops the run with that batch unwritten.

        The run's stories are judged in publication order (``Story.sort_key``), a batch of
        ``batch`` at a time, each batch one transaction, so that an ingest of a folder says
        what a scan of it says. The whole run holds the index (``Store.exclusive``); a run
        killed mid-way loses only its open batch.
        """
        now = time.time() if now is None else now
        ordered = sorted(stories, key=lambda story: story.sort_key)
        with self.store.exclusive(self.lock_timeout):
            for part in _batches(ordered, batch, now):
                yield from self._ingest_batch(part, now)

    def _ingest_batch(self, stories: list[Story], now: float) -> Iterator[Verdict]:
        # As in a scan, the cycle collector waits while a batch is worked on: it would walk
        # every object of the batch and its neighbourhood again and again, for no cycle.
        with cycle_collector_paused():
            prints = self.fingerprinter.batch(stories)
        with self.store.writing():
            with cycle_collector_paused():
                verdicts = self._ingest_stories(stories, prints, now)
            self.store.keepalive()
            yield from verdicts

    def _ingest_stories(
        self, stories: Sequence[Story], prints: Sequence[Fingerprint], now: float
    ) -> list[Verdict]:
        """Judge and store stories (within one transaction); a story repeated within them
        (same id, or same content from one outlet) waits until the first one is stored."""
        store = self.store
        existing = store.rows(story.id for story in stories)
        seen: set[Any] = set()
        fresh: list[_Fresh] = []
        indexed: list[tuple[Story, Row]] = []
        later: list[int] = []
        for at, (story, fingerprint) in enumerate(zip(stories, prints)):
            item = self._fresh(story, fingerprint, now)
            content = (item.digest, item.outlet_key)
            if story.id in seen or content in seen:
                later.append(at)
                continue
            seen.update((story.id, content))
            old = existing.get(story.id)
            if old is not None and old.digest == item.digest:
                indexed.append((story, old))
            elif old is None and (twin := store.by_content(*content)) is not None:
                indexed.append((story, twin))
            else:
                fresh.append(replace(item, replaces=old))
        verdicts = self._store_fresh(fresh, now) if fresh else []
        if indexed:
            rows = store.rows(row.id for _, row in indexed)
            verdicts += [self._indexed(story, rows.get(row.id, row)) for story, row in indexed]
        if later:
            verdicts += self._ingest_stories(
                [stories[at] for at in later], [prints[at] for at in later], now
            )
        return verdicts

    def _store_fresh(self, fresh: list[_Fresh], now: float) -> list[Verdict]:
        store = self.store
        replaced = [item.replaces.id for item in fresh if item.replaces is not None]
        seeds: set[str] = set()
        if replaced:  # the stories an old version was linked to are re-clustered too
            seeds = store.linked(replaced) - set(replaced)
            store.remove(replaced)
        judged = self._judge(fresh, exclude=set(), seeds=seeds)
        store.keepalive()  # a lock with a lease outlives a long decision
        mine = {item.story.id for item in fresh}
        verdicts = [self._verdict(item, judged, mine) for item in fresh]
        store.add(
            [
                Entry(
                    story=item.story,
                    fingerprint=item.fingerprint,
                    digest=item.digest,
                    outlet_key=item.outlet_key,
                    stamp=item.stamp,
                    ingested=now,
                    copy_of=verdict.copies,
                )
                for item, verdict in zip(fresh, verdicts)
            ]
        )
        store.replace_matches(judged.ids, judged.matches)
        cluster_of = judged.cluster_of()
        store.set_clusters(
            {story_id: _id(cluster_of.get(story_id)) for story_id in sorted(judged.ids)}
        )
        return verdicts

    def prune(self, older_than: float, *, now: float | None = None, batch: int = 500) -> int:
        """Remove the stories whose stamp is more than ``older_than`` seconds old; the
        clusters of the stories they were linked to are formed again without them."""
        cutoff = (time.time() if now is None else now) - older_than
        removed = 0
        with self.store.exclusive(self.lock_timeout):
            while True:
                with self.store.writing():
                    ids = self.store.older_than(cutoff, batch)
                    if ids:
                        seeds = self.store.linked(ids) - set(ids)
                        self.store.remove(ids)
                        self._recluster(seeds)
                    self.store.keepalive()
                removed += len(ids)
                if len(ids) < batch:
                    return removed

    # -- the decision ----------------------------------------------------------------------

    def _fresh(self, story: Story, fingerprint: Fingerprint, now: float) -> _Fresh:
        return _Fresh(
            story=replace(story, key=story.id),
            given=story,
            fingerprint=replace(fingerprint, key=story.id),
            digest=content_digest(story, fingerprint),
            outlet_key=outlet_of(story),
            stamp=_stamp(story, now),
        )

    def _neighbourhood(
        self, fresh: Sequence[_Fresh], exclude: set[str], seeds: set[str]
    ) -> tuple[set[str], np.ndarray]:
        """Stored stories around ``fresh``: those within the window sharing one of their
        anchors, or two of their sentence-unit band keys that are not common, and every
        story stored matches tie them to; and the unit band keys known to be common."""
        anchors, units = [_NO_KEYS], [_NO_KEYS]
        for item in fresh:
            found = entry_keys(item.fingerprint)
            anchors.append(found[0])
            units.append(found[1])
        stamps = [item.stamp for item in fresh]
        low, high = (
            (min(stamps) - self.window, max(stamps) + self.window)
            if self.window
            else (-np.inf, np.inf)
        )
        cap = self.settings.widely_shared
        keys = distinct(np.concatenate(anchors))
        near = {
            story_id
            for found in self.store.carriers(ANCHORS, keys, low, high, cap).values()
            for story_id, _ in found
        }
        # A unit band key that more than ``COMMON_KEY`` items carry brings no rewrite
        # candidates. Stories of one cluster may be one item, so a key is known to be common
        # when its carriers lie in more clusters than that; the core is told (the key is left
        # out of every story judged), as it would see it over the whole index.
        by_key = self.store.carriers(UNITS, distinct(np.concatenate(units)), low, high, cap)
        common = [
            key
            for key, found in by_key.items()
            if len({cluster or story_id for story_id, cluster in found}) > COMMON_KEY
        ]
        # A key brings a rewrite candidate only with a second one: a stored story sharing
        # no two keys with one of the stories judged is no rewrite of it.
        near.update(_sharing(units[1:], by_key, set(common)))
        near = (near | seeds) - exclude - {item.story.id for item in fresh}
        return self._components(near, exclude), np.array(sorted(common), dtype=np.uint64)

    def _components(self, ids: set[str], exclude: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
        """``ids`` with every stored story a chain of stored matches ties them to."""
        found, frontier = set(ids), set(ids)
        while frontier:
            frontier = self.store.linked(frontier) - found - exclude
            found |= frontier
        return found

    def _judge(
        self,
        fresh: Sequence[_Fresh],
        *,
        exclude: set[str],
        seeds: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> _Judged:
        """The core over ``fresh`` and its neighbourhood: links (those farther apart than the
        window left out) and the clusters they form.

        The stored carriers of the neighbourhood's anchors come in too, as context: whether a
        text is boilerplate is decided over its carriers, and a link among them is kept only
        between the stories judged (the context's own links were decided when it came)."""
        store = self.store
        near, common = self._neighbourhood(fresh, exclude, seeds)
        rows = store.rows(near)
        prints = store.fingerprints(near)
        core = set(prints) | {item.story.id for item in fresh}
        context = self._context(prints.values(), [row.stamp for row in rows.values()], fresh)
        context -= core | exclude
        rows.update(store.rows(context))
        prints.update(store.fingerprints(context))
        # The context is there for the boilerplate rule: its own rewrites were decided when
        # it came, so its unit keys are left out (no rewrite candidate is made of it).
        pairs = [(row.story(), _without(prints[row.id], common if row.id in core else None),
                  row.stamp, row.outlet_key)
                 for row in rows.values() if row.id in prints]  # fmt: skip
        pairs += [(i.story, _without(i.fingerprint, common), i.stamp, i.outlet_key) for i in fresh]
        pairs.sort(key=lambda pair: pair[0].sort_key)
        stories = [pair[0] for pair in pairs]
        focus = {item.story.id for item in fresh} | (seeds & core)
        links = find_links(stories, [pair[1] for pair in pairs], self.settings, focus=focus)
        stamps = {pair[0].id: pair[2] for pair in pairs}
        matches = [
            m
            for m in links.matches
            if m.a in core
            and m.b in core
            and (not self.window or abs(stamps[m.a] - stamps[m.b]) <= self.window)
        ]
        # Only the links the batch can change were decided (those of the items it joins);
        # the stored ones among the other stories judged stand as they were decided.
        scope = links.scope or frozenset()
        kept = store.matches(core - focus)
        matches += [m for m in kept if m.a not in scope and m.b not in scope]
        judged = [story for story in stories if story.id in core]
        clusters = form_clusters(judged, matches, _EmptyContent())
        return _Judged(
            ids=core,
            order={story.id: story.sort_key for story in judged},
            outlets={pair[0].id: pair[3] for pair in pairs if pair[0].id in core},
            matches=matches,
            clusters=clusters,
        )

    def _context(
        self, prints: Iterable[Fingerprint], stamps: list[float], fresh: Sequence[_Fresh]
    ) -> set[str]:
        """Stored stories carrying an anchor of ``prints`` (the neighbourhood), within the
        window of the stories judged or of the neighbourhood."""
        keys = [_NO_KEYS, *(print_.anchors for print_ in prints)]
        stamps = stamps + [item.stamp for item in fresh]
        low, high = (
            (min(stamps) - self.window, max(stamps) + self.window)
            if self.window
            else (-np.inf, np.inf)
        )
        found = self.store.carriers(
            ANCHORS, distinct(np.concatenate(keys)), low, high, self.settings.widely_shared
        )
        return {story_id for pairs in found.values() for story_id, _ in pairs}

    def _recluster(self, seeds: set[str]) -> None:
        """Form again, from the stored matches, the clusters of the components of ``seeds``."""
        ids = self._components(seeds)
        if not ids:
            return
        rows = self.store.rows(ids)
        stories = sorted((row.story() for row in rows.values()), key=lambda s: s.sort_key)
        clusters = form_clusters(stories, self.store.matches(ids), _EmptyContent())
        cluster_of = {member.key: c for c in clusters for member in c.members}
        self.store.set_clusters({story_id: _id(cluster_of.get(story_id)) for story_id in rows})

    def _verdict(self, item: _Fresh, judged: _Judged, batch: set[str]) -> Verdict:
        """A judged story's verdict. ``batch``: the stories judged in the same run as it,
        of which only those earlier in publication order were seen before it."""
        story_id = item.story.id
        mine = judged.order[story_id]
        partners = judged.partners(story_id)
        before = [other for other in partners if other not in batch or judged.order[other] < mine]
        before.sort(key=judged.order.__getitem__)
        same_outlet = [
            other
            for other in before
            if item.outlet_key
            and judged.outlets[other] == item.outlet_key
            and partners[other].kind == "near-duplicate"
        ]
        status = NEW
        if item.replaces is not None or same_outlet:
            status = UPDATED
        elif before:
            status = COPY
        copies = (same_outlet or before or [None])[0]
        cluster = judged.cluster_of().get(story_id)
        return Verdict(
            story=item.given,
            status=status,
            copies=copies,
            cluster=_id(cluster),
            origin=cluster.origin if cluster else None,
            match=partners.get(copies) if copies else None,
            matches=tuple(sorted(partners, key=judged.order.__getitem__)),
        )

    def _indexed(self, story: Story, row: Row) -> Verdict:
        """The verdict on a story the index holds: what was recorded when it was ingested,
        and the cluster it is in now."""
        origin = None
        if row.cluster is not None:
            members = self.store.cluster_members(row.cluster)
            dated = [m for m in members if m.date is not None]
            if dated:
                origin = min(dated, key=lambda m: m.sort_key).id
            else:
                centre = [m.id for m in members if cluster_id(m.story()) == row.cluster]
                origin = centre[0] if centre else None
        return Verdict(
            story=story,
            status=INDEXED,
            copies=row.copy_of,
            cluster=row.cluster,
            origin=origin,
            indexed_as=row.id,
        )


class _EmptyContent(dict):  # type: ignore[type-arg]
    """The content ``form_clusters`` weighs reuse shares with, empty for every story: the
    index stores cluster ids, not the shares a report shows (``scan`` computes those)."""

    def __missing__(self, key: str) -> np.ndarray:
        return _NO_CONTENT


def _stamp(story: Story, now: float) -> float:
    """The time a story is placed at in the index: its date, else ``now`` (its ingest)."""
    return story.date.timestamp() if story.date else now


def _batches(ordered: list[Story], size: int, now: float) -> Iterator[list[Story]]:
    """``ordered`` (in publication order) cut into batches of ``size`` stories at most, each
    spanning ``BATCH_SPAN`` at most (an undated story is stamped ``now``)."""
    stamps = [_stamp(story, now) for story in ordered]
    start = 0
    while start < len(ordered):
        end = start + 1
        while (
            end < len(ordered) and end - start < size and stamps[end] - stamps[start] <= BATCH_SPAN
        ):
            end += 1
        yield ordered[start:end]
        start = end


def _without(fingerprint: Fingerprint, common: np.ndarray | None) -> Fingerprint:
    """A fingerprint whose unit band keys in ``common`` (sorted; None: all) are no keys (0)."""
    if common is None:
        return replace(fingerprint, unit_keys=np.zeros_like(fingerprint.unit_keys))
    if not len(common):
        return fingerprint
    keys = fingerprint.unit_keys
    at = np.minimum(np.searchsorted(common, keys), len(common) - 1)
    gone = common[at] == keys
    if not gone.any():
        return fingerprint
    return replace(fingerprint, unit_keys=np.where(gone, np.uint64(0), keys))


def _sharing(
    keys: Sequence[np.ndarray],
    carriers: Mapping[int, list[tuple[str, str | None]]],
    banned: set[int],
) -> set[str]:
    """The carriers sharing at least ``REWRITE_KEYS`` of one story's keys (each of ``keys``
    distinct, one array a story) that are not ``banned``: one pass over arrays, as the batch
    holds hundreds of thousands of keys."""
    known = sorted(key for key in carriers if key not in banned)
    if not known or not keys:
        return set()
    names = sorted({story_id for key in known for story_id, _ in carriers[key]})
    number = {story_id: at for at, story_id in enumerate(names)}
    lists = [[number[story_id] for story_id, _ in carriers[key]] for key in known]
    sizes = np.array([len(found) for found in lists], dtype=np.int64)
    ends = np.cumsum(sizes)
    owners = np.fromiter((at for found in lists for at in found), np.int64, int(ends[-1]))
    table = np.array(known, dtype=np.uint64)
    lengths = np.array([len(found) for found in keys], dtype=np.int64)
    wanted = np.concatenate(keys).astype(np.uint64)
    story = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    at = np.minimum(np.searchsorted(table, wanted), len(table) - 1)
    hit = table[at] == wanted
    at, story = at[hit], story[hit]
    counts = sizes[at]
    starts = np.repeat(ends[at] - counts, counts)
    offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    pairs = np.repeat(story, counts) * len(names) + owners[starts + offsets]
    found, times = np.unique(pairs, return_counts=True)
    return {names[i] for i in (found[times >= REWRITE_KEYS] % len(names)).tolist()}


def _id(cluster: Cluster | None) -> str | None:
    return cluster.id if cluster is not None else None
