"""The scan pipeline: read -> fingerprint -> candidates -> verify -> cluster.

This is the Python API the CLI is a thin layer over; it needs neither click nor rich.

    >>> from dedup import scan
    >>> result = scan(["samples/"])
    >>> [cluster.size for cluster in result.clusters]
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .candidates import candidate_pairs
from .cluster import form_clusters
from .fingerprint import Fingerprint, Fingerprinter
from .read import DEFAULT_FIELDS, Fields, outlet_of, read_inputs
from .records import Cluster, InputProblem, Match, Story
from .settings import DEFAULT, Settings
from .verify import boilerplate_paragraphs, boilerplate_shingles, content_sets, verify

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; the CLI draws it, the API ignores it."""


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
    boilerplate_paragraphs: int = 0

    @property
    def singletons(self) -> list[Story]:
        """Stories that are copies of nothing else in the collection."""
        clustered = {member.key for cluster in self.clusters for member in cluster.members}
        return [story for story in self.stories if story.key not in clustered]


def load(
    inputs: Iterable[str], fields: Fields = DEFAULT_FIELDS
) -> tuple[list[Story], list[InputProblem]]:
    """Read every input; problems are collected, never raised."""
    stories: list[Story] = []
    problems: list[InputProblem] = []
    for item in read_inputs(inputs, fields):
        (problems if isinstance(item, InputProblem) else stories).append(item)
    return stories, problems


def scan(
    inputs: Iterable[str] | Iterable[Story],
    settings: Settings = DEFAULT,
    *,
    fields: Fields = DEFAULT_FIELDS,
    jobs: int = 1,
    progress: Progress | None = None,
) -> ScanResult:
    """Cluster the copies among ``inputs`` (paths, folders, globs, or Story records)."""
    items = list(inputs)
    if all(isinstance(item, Story) for item in items):
        stories, problems = list(items), []
    else:
        stories, problems = load([str(item) for item in items], fields)
    result = scan_stories(stories, settings, jobs=jobs, progress=progress)
    result.problems = problems
    return result


def scan_stories(
    stories: Sequence[Story],
    settings: Settings = DEFAULT,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> ScanResult:
    """The pipeline proper, on stories already read."""
    ordered = sorted(stories, key=lambda story: story.sort_key)
    prints = fingerprint_all(ordered, settings, jobs=jobs, progress=progress)
    return cluster_fingerprints(ordered, prints, settings)


def cluster_fingerprints(
    stories: Sequence[Story], prints: Sequence[Fingerprint], settings: Settings = DEFAULT
) -> ScanResult:
    """Boilerplate, candidates, verification and clustering over fingerprints already made
    (by ``fingerprint_all``, or loaded from an index). ``stories`` must be in
    ``Story.sort_key`` order and ``prints[i]`` must be ``stories[i]``'s fingerprint."""
    outlets = [outlet_of(story) for story in stories]
    boilerplate = boilerplate_paragraphs(prints, outlets, settings)
    removed = boilerplate_shingles(prints, boilerplate)
    content = content_sets(prints, removed)
    pairs = candidate_pairs(prints, settings, boilerplate)
    keys = [story.key for story in stories]
    matches = verify(pairs, keys, content, settings)
    clusters = form_clusters(stories, matches, dict(zip(keys, content)))
    return ScanResult(
        clusters=clusters,
        stories=list(stories),
        matches=matches,
        settings=settings,
        candidates=len(pairs),
        boilerplate_paragraphs=len(boilerplate),
    )


def fingerprint_all(
    stories: Sequence[Story],
    settings: Settings = DEFAULT,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    chunk: int = 500,
) -> list[Fingerprint]:
    """Fingerprints in input order, ``chunk`` stories at a time (``Fingerprinter.batch``),
    on ``jobs`` processes when there is enough work to be worth it. The result is the same
    whatever ``jobs`` and ``chunk`` are."""
    jobs = resolve_jobs(jobs)
    total = len(stories)
    if jobs <= 1 or total < 2 * chunk:
        fingerprinter = Fingerprinter(settings)
        prints = []
        for start in range(0, total, chunk):
            prints += fingerprinter.batch(stories[start : start + chunk])
            if progress:
                progress("fingerprint", len(prints), total)
        return prints
    # Workers are forked with the stories already in memory, so only slice bounds go out and
    # compact fingerprints come back.
    global _FORKED_STORIES
    _FORKED_STORIES = stories
    bounds = [(start, min(start + chunk, total)) for start in range(0, total, chunk)]
    prints = []
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for batch in pool.map(_fingerprint_slice, bounds, [settings] * len(bounds)):
                prints.extend(batch)
                if progress:
                    progress("fingerprint", len(prints), total)
    finally:
        _FORKED_STORIES = ()
    return prints


_FORKED_STORIES: Sequence[Story] = ()


def _fingerprint_slice(bounds: tuple[int, int], settings: Settings) -> list[Fingerprint]:
    return Fingerprinter(settings).batch(_FORKED_STORIES[bounds[0] : bounds[1]])


def resolve_jobs(jobs: int) -> int:
    """``0`` (or less) means every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)
