"""The index as a source of clusters for the views (``show``, ``report``, ``diff``,
``explain`` with ``--db``): its stored clusters and the stories' stored text, so that a cron
job can report on what ran without the source files and without a new scan.

``IndexSource`` has the two methods of ``dedup.views.maps.ClusterSource`` (``clusters()``,
``stories()``); the protocol is structural, so nothing here imports the views. The clusters
are the stored ones: the index re-forms them from its stored matches after every ingest, by
the scan's ``form_clusters``, and they are formed again here the same way, over whole
components of stored matches, to get the members' roles, links and reuse shares (the index
keeps only each story's cluster id). Reuse shares leave out the boilerplate that the
selected stories carry, judged by the scan's own rule (``find_boilerplate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dedup.detect.boilerplate import find_boilerplate
from dedup.detect.candidates import KeyTable
from dedup.detect.cluster import form_clusters
from dedup.detect.fingerprint import Fingerprint, distinct
from dedup.detect.verify import without
from dedup.engines.index.logic import Index
from dedup.engines.index.store import ANCHORS, Row, Store
from dedup.read.inputs import outlet_of
from dedup.records import Cluster, Match, ScanResult, Story
from dedup.settings import Settings


@dataclass
class IndexSource:
    """The clusters of the stories an index holds (stamped at ``since`` or later), with the
    text of every member."""

    settings: Settings
    selected: list[Story]
    """The stories in the span, without text, in ``Story.sort_key`` order."""
    found: list[Cluster]
    texts: dict[str, Story]
    """Cluster members, with their stored text, by id (an index story's key is its id)."""
    matches: list[Match] = field(default_factory=list)
    boilerplate: dict[str, np.ndarray] = field(default_factory=dict)

    def clusters(self) -> Sequence[Cluster]:
        return self.found

    def stories(self) -> Mapping[str, Story]:
        return self.texts

    def result(self) -> ScanResult:
        """What a scan of the same stories reports, for the views that take a scan's result
        (the HTML report's counts and singletons)."""
        return ScanResult(
            clusters=self.found,
            stories=self.selected,
            matches=self.matches,
            settings=self.settings,
            boilerplate=dict(self.boilerplate),
        )

    @classmethod
    def load(cls, index: Index, since: float | None = None) -> IndexSource:
        """The stored clusters that hold a story stamped at ``since`` or later (all when
        None), whole: members outside the span too, so a cluster reads as it was stored."""
        store = index.store
        with store.reading():
            rows: dict[str, Row] = {}
            prints: dict[str, Fingerprint] = {}
            for row, print_ in store.select(since):
                rows[row.id], prints[row.id] = row, print_
            wanted = {row.cluster for row in rows.values() if row.cluster}
            members: dict[str, Row] = {}
            for cluster in sorted(wanted):
                members.update((row.id, row) for row in store.cluster_members(cluster))
            linked = components(store, set(members))
            every = {**store.rows(linked - set(rows) - set(members)), **members, **rows}
            missing = [story_id for story_id in linked if story_id not in prints]
            prints.update(store.fingerprints(missing))
            matches = store.matches(linked)
            texts = {story_id: row.story(store.text(story_id)) for story_id, row in members.items()}
        judged = sorted((row.story() for row in every.values()), key=lambda s: s.sort_key)
        removed = _boilerplate(judged, [prints[story.id] for story in judged], index.settings)
        content = {
            story.id: without(prints[story.id].shingle_set(), removed.get(story.id, _NONE))
            for story in judged
            if story.id in linked
        }
        formed = form_clusters([s for s in judged if s.id in linked], matches, content)
        selected = [row.story() for row in sorted(rows.values(), key=lambda r: r.sort_key)]
        return cls(
            settings=index.settings,
            selected=selected,
            found=[cluster for cluster in formed if cluster.id in wanted],
            texts=texts,
            matches=matches,
            boilerplate=removed,
        )


def components(store: Store, ids: set[str]) -> set[str]:
    """``ids`` with every stored story a chain of stored matches ties them to: the stories
    ``form_clusters`` formed the stored clusters over."""
    found, frontier = set(ids), set(ids)
    while frontier:
        frontier = store.linked(frontier) - found
        found |= frontier
    return found


def stored_boilerplate(index: Index, stories: Sequence[Story]) -> dict[str, np.ndarray]:
    """The boilerplate (sorted shingles, by story id) that each of ``stories`` (stored ones)
    carries, judged by the scan's rule over them and the stored stories sharing an anchor
    with them (every carrier of a repeated text they carry): what ``diff --db`` shows as
    boilerplate."""
    store = index.store
    ids = [story.id for story in stories]
    with store.reading():
        around = _around(index, ids)
        rows = store.rows(around)
        prints = store.fingerprints([*around, *ids])
    judged = sorted(
        [*stories, *(row.story() for row in rows.values())], key=lambda story: story.sort_key
    )
    judged = [story for story in judged if story.id in prints]
    removed = _boilerplate(judged, [prints[story.id] for story in judged], index.settings)
    return {story_id: removed[story_id] for story_id in ids if story_id in removed}


def stored_context(index: Index, ids: Sequence[str]) -> list[Story]:
    """The stored stories, with their text, that a judgement of ``ids`` needs as its
    context: those sharing an anchor with one of them (boilerplate is judged over every
    carrier of a text) and those stored matches tie them to (their clusters)."""
    store = index.store
    with store.reading():
        around = _around(index, ids) | (components(store, set(ids)) - set(ids))
    return list(stored_stories(index, sorted(around)).values())


def _around(index: Index, ids: Sequence[str]) -> set[str]:
    """Stored stories sharing an anchor with one of ``ids`` (the ``widely_shared``
    earliest carriers of each anchor at most), ``ids`` left out; inside ``store.reading``."""
    store = index.store
    keys = [print_.anchors for print_ in store.fingerprints(ids).values()]
    carried = store.carriers(
        ANCHORS,
        distinct(np.concatenate([np.zeros(0, dtype=np.uint64), *keys])),
        -np.inf,
        np.inf,
        index.settings.widely_shared,
    )
    return {story_id for pairs in carried.values() for story_id, _ in pairs} - set(ids)


def _boilerplate(
    stories: Sequence[Story], prints: Sequence[Fingerprint], settings: Settings
) -> dict[str, np.ndarray]:
    """``find_boilerplate`` over ``stories`` (in ``Story.sort_key`` order), by story id."""
    if not stories:
        return {}
    sets = [print_.shingle_set() for print_ in prints]
    found = find_boilerplate(
        KeyTable.of([print_.anchors for print_ in prints]),
        [outlet_of(story) for story in stories],
        sets.__getitem__,
        settings,
    )
    return {stories[number].id: gone for number, gone in found.removed.items()}


def stored_stories(index: Index, ids: Iterable[str]) -> dict[str, Story]:
    """Stored stories with their text, by id; ids the index does not hold are left out."""
    store = index.store
    with store.reading():
        rows = store.rows(list(ids))
        return {story_id: row.story(store.text(story_id)) for story_id, row in rows.items()}


_NONE = np.zeros(0, dtype=np.uint32)
