"""The index logic: ingest stories, judge each one against what is stored, and scan.

Deciding one story reads only what concerns it: the stories sharing one of its band keys
within the time window, their fingerprints, and the carriers of the paragraphs involved, so
a run that checks ten stories against a million reads a few hundred rows, not the index.
The decision itself is the scan's: the same boilerplate rule (``verify.is_boilerplate`` on
the carriers of a paragraph), the same exact overlap (``verify.overlap``) and the same
``verify.decide``. Clusters over the index come from ``local.cluster_fingerprints``, the
very code ``dedup scan`` runs, so ``Index.scan`` gives what a scan of the same stories gives.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

import numpy as np

from dedup.detect.boilerplate import is_boilerplate
from dedup.detect.cluster import cluster_id
from dedup.detect.fingerprint import Fingerprint, Fingerprinter
from dedup.detect.verify import decide, overlap, without
from dedup.engines.index.config import (
    DEFAULT_BATCH,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_WINDOW,
    is_url,
)
from dedup.engines.index.errors import IndexUnusable
from dedup.engines.index.redis import RedisStore
from dedup.engines.index.sqlite import SQLiteStore
from dedup.engines.index.store import SCHEMA_VERSION, Carrier, Entry, Ref, Row, Store
from dedup.engines.local import cluster_fingerprints
from dedup.read.inputs import outlet_of
from dedup.read.text import tokens
from dedup.records import Match, ScanResult, Story, story_order
from dedup.settings import DEFAULT, Settings

FINGERPRINT_SETTINGS = ("shingle", "num_perm", "passage_threshold", "min_passage")
"""Settings that change fingerprints or band keys: a run must use the index's values."""
NEW, COPY, INDEXED, UPDATED = "new", "copy", "indexed", "updated"
STATUSES = (NEW, COPY, INDEXED, UPDATED)


@dataclass(frozen=True)
class Verdict:
    """What the index says about one incoming story.

    ``status`` is ``new`` (matches nothing indexed in the window), ``copy`` (matches an
    indexed story), ``indexed`` (this very story, by id or by content from the same outlet,
    is already there) or ``updated`` (same id, changed text: a new version replaced the old).
    """

    story: Story
    status: str
    copies: str | None = None
    """Id of the indexed story it copies: the earliest of those it matches (for
    ``indexed``, the one it was found to copy when it was ingested)."""
    cluster: str | None = None
    origin: str | None = None
    """Id of the cluster's origin: its earliest member."""
    match: Match | None = None
    """The verified link with ``copies``."""
    matches: tuple[str, ...] = ()
    """Ids of every indexed story it matches, earliest first."""
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


class Linked(NamedTuple):
    """An indexed story a story being judged is linked to, and the link."""

    row: Row
    match: Match


@dataclass
class _Judgement:
    status: str
    existing: Row | None = None
    matches: list[Linked] = field(default_factory=list)


def content_digest(story: Story, fingerprint: Fingerprint) -> bytes:
    """Same headline and paragraphs after normalisation, same digest: a re-delivery of a story
    under another name is recognised even when its whitespace or quotes changed."""
    headline = "\x1f".join(tokens(story.headline)).encode("utf-8", "surrogatepass")
    body = fingerprint.exact.astype("<u8").tobytes()
    return hashlib.blake2b(headline + b"\x1e" + body, digest_size=16).digest()


def open_store(location: str, *, create: bool, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Store:
    """The backend a location names: a ``redis://`` URL, else an SQLite file path."""
    if is_url(location):
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
    only judge matches (``near_duplicate``, ``min_shared``...). A change to a setting that
    shapes fingerprints (``FINGERPRINT_SETTINGS``) is refused with ``IndexUnusable``: the new
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
        except ValueError as err:
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

    _PRINT_CACHE = 4096
    _KEY_CACHE = 200_000
    """Paragraph keys whose carriers or verdict are remembered; a long run starts afresh
    past this, so memory stays flat however many stories go through."""

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
        store.attach(self.fingerprinter)
        self._carriers: dict[int, list[Carrier]] = {}
        self._rule: dict[int, dict[Ref | None, bool]] = {}
        self._prints: dict[Ref, Fingerprint] = {}

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- questions -------------------------------------------------------------------------

    def check(self, stories: Iterable[Story], *, now: float | None = None) -> list[Verdict]:
        """The verdict on each story, writing nothing: what ``ingest`` would say. A story
        already indexed is ``indexed``, with what it matches among the others."""
        now = time.time() if now is None else now
        verdicts = []
        with self.store.reading():
            self._reset()
            for story in stories:
                fingerprint = self.fingerprinter(story)
                judged = self._judge(story, fingerprint, now, explain=True)
                verdicts.append(self._verdict(story, judged, None, now))
        return verdicts

    def story(self, story_id: str) -> Story | None:
        """A stored story with its text, as it was ingested: the source file may be gone."""
        with self.store.reading():
            row = self.store.by_id(story_id)
            return row.story(self.store.text(row.ref)) if row else None

    def scan(self, since: float | None = None) -> ScanResult:
        """Clusters over the stories whose stamp is at least ``since`` (all when None),
        computed by the scan's own ``cluster_fingerprints``: the same clusters a scan of those
        stories gives."""
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
        """Add stories, yielding each one's verdict once its batch is committed.

        The whole run holds the index (``Store.exclusive``); each batch is one transaction
        in which every story is judged against everything committed before it, the earlier
        stories of the batch included. A run killed mid-way loses only its open batch.
        """
        now = time.time() if now is None else now
        with self.store.exclusive(self.lock_timeout):
            self._reset()
            pending: list[Story] = []
            for story in stories:
                pending.append(story)
                if len(pending) >= batch:
                    yield from self._ingest_batch(pending, now)
                    pending = []
            if pending:
                yield from self._ingest_batch(pending, now)

    def _ingest_batch(self, stories: list[Story], now: float) -> list[Verdict]:
        prints = self.fingerprinter.batch(stories)
        verdicts = []
        with self.store.writing():
            for story, fingerprint in zip(stories, prints):
                judged = self._judge(story, fingerprint, now, explain=False)
                verdicts.append(self._apply(story, fingerprint, judged, now))
                self.store.keepalive()
        return verdicts

    def prune(self, older_than: float, *, now: float | None = None, batch: int = 500) -> int:
        """Remove the stories whose stamp is more than ``older_than`` seconds old."""
        cutoff = (time.time() if now is None else now) - older_than
        removed = 0
        with self.store.exclusive(self.lock_timeout):
            self._reset()
            while True:
                with self.store.writing():
                    refs = self.store.older_than(cutoff, batch)
                    for ref in refs:
                        self.store.remove(ref)
                        self.store.keepalive()
                removed += len(refs)
                if len(refs) < batch:
                    return removed

    # -- the decision ----------------------------------------------------------------------

    def _judge(
        self, story: Story, fingerprint: Fingerprint, now: float, explain: bool
    ) -> _Judgement:
        store = self.store
        digest = content_digest(story, fingerprint)
        outlet_key = outlet_of(story)
        existing = store.by_id(story.id)
        if existing is None:
            same = store.by_content(digest, outlet_key)
            if same is not None:
                return _Judgement(INDEXED, same)
        elif existing.digest == digest and not explain:
            return _Judgement(INDEXED, existing)
        exclude = existing.ref if existing is not None else None
        stamp = story.date.timestamp() if story.date else now
        if existing is not None and existing.digest == digest:
            stamp = existing.stamp  # asked about a story it holds: as it was ingested
        matches = self._matches(story, fingerprint, stamp, outlet_key, exclude)
        if existing is not None:
            status = INDEXED if existing.digest == digest else UPDATED
        else:
            status = COPY if matches else NEW
        return _Judgement(status, existing, matches)

    def _matches(
        self,
        story: Story,
        fingerprint: Fingerprint,
        stamp: float,
        outlet_key: str,
        exclude: Ref | None,
    ) -> list[Linked]:
        """Indexed stories within the window around ``stamp`` that ``story`` is a copy of (or
        that copy it), earliest first: LSH groups, the scan's widely-shared rule, boilerplate,
        exact check."""
        store, settings = self.store, self.settings
        low, high = (
            (stamp - self.window, stamp + self.window) if self.window else (-math.inf, math.inf)
        )
        mine = set(fingerprint.exact.tolist()) - {0}
        counts = {
            key: count + 1
            for key, count in store.paragraph_counts(
                mine, settings.boilerplate_max_df + 1, exclude
            ).items()
        }
        # A passage whose very text is boilerplate by count carries no weight anywhere, and
        # its band groups are the largest of all: it is not looked up.
        passage_keys = fingerprint.exact[fingerprint.passages].tolist()
        usable = [
            int(index)
            for index, key in zip(fingerprint.passages.tolist(), passage_keys)
            if counts.get(key, 1) <= settings.boilerplate_max_df
        ]
        groups = store.neighbours(fingerprint, usable, settings.widely_shared, exclude)
        rows = store.rows({ref for group in groups if group.complete for ref in group.refs})
        mine_key = story_order(stamp if story.date else None, story.id, story.id)
        candidates: set[Ref] = set()
        for group in groups:
            if group.complete:
                inside = [
                    ref for ref in group.refs if ref in rows and low <= rows[ref].stamp <= high
                ]
            else:
                inside = store.group_in_window(group.handle, low, high, exclude)
                rows.update(store.rows([ref for ref in inside if ref not in rows]))
                inside = [ref for ref in inside if ref in rows]
            if not inside:
                continue
            if len(inside) + 1 <= settings.widely_shared:
                candidates.update(inside)
                continue
            # The scan pairs a widely shared passage's stories with the earliest one only.
            earliest = min(inside, key=lambda ref: rows[ref].sort_key)
            if mine_key < rows[earliest].sort_key:
                candidates.update(inside)
            else:
                candidates.add(earliest)
        candidates.discard(exclude)
        if not candidates:
            return []
        prints = self._fingerprints(candidates)
        removed = self._boilerplate(story, fingerprint, outlet_key, prints, counts, exclude)
        content = without(fingerprint.shingles, removed)
        found = []
        for ref in sorted(prints, key=lambda ref: rows[ref].sort_key):
            row = rows[ref]
            shared = overlap(content, without(prints[ref].shingles, removed))
            kind = decide(shared, settings)
            if kind:
                first, second = (
                    (row.id, story.id) if row.sort_key < mine_key else (story.id, row.id)
                )
                match = Match(
                    first, second, shared.shared, shared.resemblance, shared.containment, kind
                )
                found.append(Linked(row, match))
        return found

    def _boilerplate(
        self,
        story: Story,
        fingerprint: Fingerprint,
        outlet_key: str,
        prints: Mapping[Ref, Fingerprint],
        counts: dict[int, int],
        exclude: Ref | None,
    ) -> np.ndarray:
        """Shingles of the paragraphs, among this story's and its candidates', that the scan
        would call boilerplate: ``verify.is_boilerplate`` on each paragraph's carriers in the
        index (this story included), earliest first."""
        settings = self.settings
        mine = set(fingerprint.exact.tolist()) - {0}
        others = {key for p in prints.values() for key in p.exact.tolist()} - mine - {0}
        decided = {}
        for key in others:
            known = self._rule.get(key, {})
            if exclude in known:
                decided[key] = known[exclude]
            elif None in known and not self._carries(key, exclude):
                decided[key] = known[None]
        unknown = [key for key in others if key not in decided]
        counts = dict(counts)
        counts.update(
            self.store.paragraph_counts(unknown, settings.boilerplate_max_df + 1, exclude)
        )
        incoming = Incoming(_order(story), outlet_key, fingerprint)
        for key in unknown:
            decided[key] = self._index_rule(key, counts[key], exclude)
        for key in mine:
            decided[key] = self._own_rule(key, counts[key], incoming, exclude)
        boilerplate = {key for key, found in decided.items() if found}
        parts: dict[int, np.ndarray] = {}
        for print_ in (fingerprint, *prints.values()):
            for index, key in enumerate(print_.exact.tolist()):
                if key in boilerplate and key not in parts:
                    parts[key] = print_.paragraph(index)
        if not parts:
            return np.zeros(0, dtype=np.uint32)
        return np.unique(np.concatenate(list(parts.values())))

    def _carried_rule(
        self,
        key: int,
        count: int,
        incoming: Incoming | None,
        exclude: Ref | None,
    ) -> bool:
        """Whether paragraph ``key`` is boilerplate, its carriers being the indexed ones
        (``count`` of them, with ``incoming`` added when the story at hand carries it)."""
        settings = self.settings
        if count > settings.boilerplate_max_df:
            return True
        if count < settings.boilerplate_min:
            return False
        carriers = [c for c in self._carriers_of(key) if c.ref != exclude]
        if incoming is not None:
            carriers.append(Carrier(incoming.order, None, incoming.outlet_key))
            carriers.sort(key=_carrier_order)
        per_outlet: dict[str, int] = {}
        for carrier in carriers:
            per_outlet[carrier.outlet_key] = per_outlet.get(carrier.outlet_key, 0) + 1
        wanted = {
            outlet
            for outlet, number in per_outlet.items()
            if outlet and number >= settings.boilerplate_min
        }
        if not wanted and len(carriers) <= settings.boilerplate_max_df:
            return False
        needed = [c.ref for c in carriers if c.outlet_key in wanted and c.ref is not None]
        prints = self._fingerprints(needed)
        outlets: list[str] = []
        judged: list[Fingerprint | None] = []
        for carrier in carriers:
            if carrier.outlet_key not in wanted:
                outlets.append("")  # counts towards the total only
                judged.append(None)
            elif carrier.ref is None:
                assert incoming is not None
                outlets.append(carrier.outlet_key)
                judged.append(incoming.fingerprint)
            elif carrier.ref in prints:
                outlets.append(carrier.outlet_key)
                judged.append(prints[carrier.ref])
        return is_boilerplate(outlets, lambda k: judged[k].shingles, settings)

    def _own_rule(
        self,
        key: int,
        count: int,
        incoming: Incoming,
        exclude: Ref | None,
    ) -> bool:
        """The rule for a paragraph the story at hand carries. When the indexed carriers
        alone make it boilerplate and the story comes after all of them, it still is (a
        carrier added last never undoes the rule): the common case of an outlet's footer."""
        settings = self.settings
        if count > settings.boilerplate_max_df or count < settings.boilerplate_min:
            return count > settings.boilerplate_max_df
        alone = self._index_rule(key, count - 1, exclude)
        carriers = [c for c in self._carriers_of(key) if c.ref != exclude]
        own = incoming.outlet_key
        if alone:
            if not carriers or incoming.order > carriers[-1].order:
                return True
        elif sum(c.outlet_key == own for c in carriers) + 1 < settings.boilerplate_min:
            return False  # only the story's own outlet could have tipped the rule
        return self._carried_rule(key, count, incoming, exclude)

    def _index_rule(self, key: int, count: int, exclude: Ref | None) -> bool:
        """The rule over the indexed carriers of a paragraph alone (``count`` of them, the
        excluded story apart), remembered for the run."""
        settings = self.settings
        if count > settings.boilerplate_max_df or count < settings.boilerplate_min:
            return count > settings.boilerplate_max_df
        if not self._carries(key, exclude):
            exclude = None  # the same carriers: the same verdict
        known = self._rule.get(key)
        if known is None:
            if len(self._rule) >= self._KEY_CACHE:
                self._rule.clear()
            known = self._rule[key] = {}
        if exclude not in known:
            known[exclude] = self._carried_rule(key, count, None, exclude)
        return known[exclude]

    def _carries(self, key: int, ref: Ref | None) -> bool:
        return ref is not None and any(c.ref == ref for c in self._carriers_of(key))

    def _carriers_of(self, key: int) -> list[Carrier]:
        """Every indexed story carrying a paragraph, earliest first; kept for the run,
        dropped when a story carrying it is added or removed."""
        found = self._carriers.get(key)
        if found is None:
            found = sorted(self.store.paragraph_carriers(key), key=_carrier_order)
            if len(self._carriers) >= self._KEY_CACHE // 10:
                self._carriers.clear()
            self._carriers[key] = found
        return found

    def _fingerprints(self, refs: Iterable[Ref]) -> dict[Ref, Fingerprint]:
        """Stored fingerprints through a small cache: the stories of one outlet or one
        cluster come up again and again within a run."""
        cache = self._prints
        found = {ref: cache[ref] for ref in refs if ref in cache}
        missing = [ref for ref in refs if ref not in found]
        if missing:
            loaded = self.store.fingerprints(missing)
            found.update(loaded)
            cache.update(loaded)
            while len(cache) > self._PRINT_CACHE:
                cache.pop(next(iter(cache)))
        return found

    def _learn(self, entry: Entry, ref: Ref) -> None:
        """Bring the caches up to date with a story just added: it joins the carriers of its
        paragraphs; a verdict it could change is dropped."""
        order = _order(entry.story)
        for key in set(entry.fingerprint.exact.tolist()) - {0}:
            carriers = self._carriers.get(key)
            last = carriers[-1].order if carriers else None
            if carriers is not None:
                bisect.insort(carriers, Carrier(order, ref, entry.outlet_key), key=_carrier_order)
            known = self._rule.get(key)
            if known and carriers is not None:
                # True stays true for a carrier added last; False stays false while the
                # count is low and the new carrier's outlet is still short of the minimum.
                stays_true = last is None or order > last
                same = sum(c.outlet_key == entry.outlet_key for c in carriers)
                stays_false = len(carriers) <= self.settings.boilerplate_max_df and (
                    not entry.outlet_key or same < self.settings.boilerplate_min
                )
                kept = {
                    exclude: value
                    for exclude, value in known.items()
                    if (stays_true if value else stays_false)
                }
                if kept:
                    self._rule[key] = kept
                else:
                    del self._rule[key]
            elif known:
                del self._rule[key]
        self._prints[ref] = entry.fingerprint
        while len(self._prints) > self._PRINT_CACHE:
            self._prints.pop(next(iter(self._prints)))

    def _reset(self) -> None:
        """Forget everything cached: other runs may have written since."""
        self._carriers.clear()
        self._rule.clear()
        self._prints.clear()

    def _apply(
        self, story: Story, fingerprint: Fingerprint, judged: _Judgement, now: float
    ) -> Verdict:
        """Store a judged story (unless already indexed) and say what became of it."""
        store = self.store
        if judged.status == INDEXED:
            return self._verdict(story, judged, None, now)
        existing = judged.existing
        if existing is not None:
            store.remove(existing.ref)
            self._reset()
        cluster = existing.cluster if existing is not None else None
        anchor = judged.matches[0].row if judged.matches else None
        if anchor is not None:
            cluster = anchor.cluster or cluster_id(anchor.story())
            if anchor.cluster is None:
                store.set_cluster(anchor.ref, cluster)
        entry = Entry(
            story=story,
            fingerprint=fingerprint,
            digest=content_digest(story, fingerprint),
            outlet_key=outlet_of(story),
            stamp=story.date.timestamp() if story.date else now,
            ingested=now,
            cluster=cluster,
            copy_of=anchor.id if anchor else None,
        )
        self._learn(entry, store.add(entry))
        return self._verdict(story, judged, cluster, now)

    def _verdict(
        self, story: Story, judged: _Judgement, cluster: str | None, now: float
    ) -> Verdict:
        """The verdict, with the cluster's origin: its earliest member, this story included.
        A story already indexed keeps what was recorded when it was ingested."""
        existing = judged.existing
        anchor, match = judged.matches[0] if judged.matches else (None, None)
        if judged.status == INDEXED and existing is not None:
            copies = existing.copy_of
            cluster = existing.cluster
            found = [link.match for link in judged.matches if link.row.id == copies]
            match = found[0] if found else None
        else:
            copies = anchor.id if anchor else None
        if cluster is None and anchor is not None:
            cluster = anchor.cluster or cluster_id(anchor.story())
        if cluster is None and existing is not None:
            cluster = existing.cluster
        origin = None
        if cluster is not None:
            members = {row.id: row.sort_key for row in self.store.cluster_members(cluster)}
            if anchor is not None and anchor.cluster in (None, cluster):
                members.setdefault(anchor.id, anchor.sort_key)
            if judged.status != INDEXED:
                members[story.id] = _order(story)
            origin = min(members, key=members.__getitem__) if members else None
        return Verdict(
            story=story,
            status=judged.status,
            copies=copies,
            cluster=cluster,
            origin=origin,
            match=match,
            matches=tuple(link.row.id for link in judged.matches),
            indexed_as=existing.id if judged.status == INDEXED and existing else None,
        )


class Incoming(NamedTuple):
    """The story being judged, as a carrier of its own paragraphs."""

    order: tuple[float, str, str]
    outlet_key: str
    fingerprint: Fingerprint


def _order(story: Story) -> tuple[float, str, str]:
    """A story's ``story_order`` in an index, where its key is its id."""
    return story_order(story.date, story.id, story.id)


def _carrier_order(carrier: Carrier) -> tuple[float, str, str]:
    return carrier.order
