"""The scan pipeline: read -> fingerprint -> boilerplate, candidates, verification
(``detect.links``) -> cluster.

This is the Python API the CLI is a thin layer over; it needs neither click nor rich.

    >>> from dedup import scan
    >>> result = scan(["samples/"])
    >>> [cluster.size for cluster in result.clusters]
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import TYPE_CHECKING

from dedup.detect.cluster import form_clusters
from dedup.detect.fingerprint import (
    CHUNK,
    Fingerprint,
    Fingerprinter,
    paragraph_texts,
    spooled,
)
from dedup.detect.links import find_links
from dedup.detect.spool import TextSpool
from dedup.read.inputs import DEFAULT_READ, ReadOptions, read_inputs
from dedup.records import InputProblem, ScanResult, Story
from dedup.settings import DEFAULT, Settings

if TYPE_CHECKING:
    from concurrent.futures import Future

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; the CLI draws it, the API ignores it."""


def load(
    inputs: Iterable[str], options: ReadOptions = DEFAULT_READ
) -> tuple[list[Story], list[InputProblem]]:
    """Read every input; problems are collected, never raised."""
    stories: list[Story] = []
    problems: list[InputProblem] = []
    for item in read_inputs(inputs, options):
        (problems if isinstance(item, InputProblem) else stories).append(item)
    return stories, problems


def scan(
    inputs: Iterable[str] | Iterable[Story],
    settings: Settings = DEFAULT,
    *,
    read_options: ReadOptions = DEFAULT_READ,
    jobs: int = 1,
    progress: Progress | None = None,
    keep_text: bool = True,
    on_problem: Callable[[InputProblem], None] | None = None,
) -> ScanResult:
    """Cluster the copies among ``inputs`` (paths, folders, globs, or Story records), read
    with ``read_options``.

    Stories are fingerprinted as they are read, a chunk at a time. With ``keep_text=False``
    a story keeps only its metadata once fingerprinted (``Story.without_text``), its
    fingerprint's token text waits in a temporary file (``TextSpool``) for the rewrite
    decisions, and its unit keys in another, mapped (``KeySpool``): memory holds
    fingerprints without their text and keys, not the text read; the clusters are the same.
    The heap is trimmed as each stage ends (``trim_heap``). ``on_problem`` hears of each
    input problem as it is found (they are all in ``ScanResult.problems`` too)."""
    items = list(inputs)
    if all(isinstance(item, Story) for item in items):
        source: Iterable[Story | InputProblem] = items
    else:
        source = read_inputs([str(item) for item in items], read_options)
    with cycle_collector_paused():
        stories, prints, problems = fingerprint_stream(
            source,
            settings,
            jobs=jobs,
            progress=progress,
            keep_text=keep_text,
            on_problem=on_problem,
        )
        order = sorted(range(len(stories)), key=lambda i: stories[i].sort_key)
        ordered = [stories[i] for i in order]
        prints = [prints[i] for i in order]
        result = cluster_fingerprints(
            ordered, prints, settings, release=True, progress=progress, jobs=jobs
        )
    result.problems = problems
    return result


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a block. A scan keeps millions of objects alive and
    makes no reference cycles of its own, so each collection would walk every story and
    fingerprint read so far for nothing (about a sixth of a large scan's time); memory is
    still freed as usual when objects are no longer used."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan_stories(
    stories: Sequence[Story],
    settings: Settings = DEFAULT,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> ScanResult:
    """The pipeline proper, on stories already read."""
    with cycle_collector_paused():
        ordered = sorted(stories, key=lambda story: story.sort_key)
        prints = fingerprint_all(ordered, settings, jobs=jobs, progress=progress)
        return cluster_fingerprints(
            ordered, prints, settings, release=True, progress=progress, jobs=jobs
        )


def fingerprint_stream(
    items: Iterable[Story | InputProblem],
    settings: Settings = DEFAULT,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    keep_text: bool = True,
    on_problem: Callable[[InputProblem], None] | None = None,
    chunk: int = CHUNK,
) -> tuple[list[Story], list[Fingerprint], list[InputProblem]]:
    """Stories, their fingerprints and the input problems, in reading order, fingerprinting
    ``chunk`` stories at a time while reading goes on: on ``jobs`` processes, the reading
    process sends each chunk's paragraph texts and gets its fingerprints back. Without
    ``keep_text``, the fingerprints' token texts and unit keys are held in a ``TextSpool``."""
    stories: list[Story] = []
    prints: list[Fingerprint] = []
    problems: list[InputProblem] = []
    jobs = resolve_jobs(jobs)
    fingerprinter = Fingerprinter(settings)
    spool = None if keep_text else TextSpool()

    def collect(batch: list[Fingerprint]) -> None:
        prints.extend(spooled(batch, spool) if spool else batch)
        if progress:
            progress("read and fingerprint", len(prints), 0)

    def chunks() -> Iterator[list[Story]]:
        batch: list[Story] = []
        for item in items:
            if isinstance(item, InputProblem):
                problems.append(item)
                if on_problem:
                    on_problem(item)
                continue
            batch.append(item)
            stories.append(item if keep_text else item.without_text())
            if len(batch) == chunk:
                yield batch
                batch = []
        if batch:
            yield batch

    batches = chunks()
    head = list(islice(batches, 2))
    if jobs <= 1 or len(head) < 2:  # one chunk is not worth starting processes for
        for batch in chain(head, batches):
            collect(fingerprinter.batch(batch))
    else:  # the process pool is imported only here: most commands never start one
        import multiprocessing
        from collections import deque
        from concurrent.futures import ProcessPoolExecutor

        pending: deque[Future[list[Fingerprint]]] = deque()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for batch in chain(head, batches):
                keys = [story.key for story in batch]
                texts = [paragraph_texts(story) for story in batch]
                pending.append(pool.submit(_fingerprint_texts, settings, keys, texts))
                while len(pending) > 2 * jobs or (pending and pending[0].done()):
                    collect(pending.popleft().result())
            while pending:
                collect(pending.popleft().result())
    if progress:
        progress("read and fingerprint", len(prints), len(prints))
    return stories, prints, problems


def _fingerprint_texts(
    settings: Settings, keys: list[str], texts: list[list[str]]
) -> list[Fingerprint]:
    """A worker's task; its Fingerprinter is made once per process and settings."""
    if settings not in _WORKER_FINGERPRINTERS:
        _WORKER_FINGERPRINTERS[settings] = Fingerprinter(settings)
    return _WORKER_FINGERPRINTERS[settings].texts(keys, texts)


_WORKER_FINGERPRINTERS: dict[Settings, Fingerprinter] = {}


def cluster_fingerprints(
    stories: Sequence[Story],
    prints: list[Fingerprint],
    settings: Settings = DEFAULT,
    *,
    release: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
) -> ScanResult:
    """Boilerplate, candidates, verification and clustering over fingerprints already made
    (by ``fingerprint_all``, or loaded from an index). ``stories`` must be in
    ``Story.sort_key`` order and ``prints[i]`` must be ``stories[i]``'s fingerprint.

    With ``release``, ``prints`` is emptied once the links are found, so that the
    fingerprints can be freed before clustering, and the parts of each that no later stage
    reads are let go while they are found (``find_links``); callers that made the list for
    this call alone should pass it. ``progress`` hears of each stage (``find_links``'s, then
    ``clustering``) as it starts and ends. ``jobs`` processes share the rewrite decisions
    (``decide_rewrites``); the result is the same whatever it is."""
    report = _trimming(progress)
    trim_heap()
    links = find_links(
        stories, prints, settings, progress=report, jobs=resolve_jobs(jobs), release=release
    )
    if release:
        prints.clear()
    keys = [story.key for story in stories]
    report("clustering", 0, len(stories))
    clusters = form_clusters(stories, links.matches, dict(zip(keys, links.content)))
    report("clustering", len(stories), len(stories))
    return ScanResult(
        clusters=clusters,
        stories=list(stories),
        matches=links.matches,
        settings=settings,
        candidates=links.candidates,
        boilerplate_texts=links.boilerplate.texts,
        boilerplate={keys[number]: gone for number, gone in links.boilerplate.removed.items()},
    )


def _trimming(progress: Progress | None) -> Progress:
    """``progress`` that also trims the heap (``trim_heap``) as each stage ends."""

    def report(stage: str, done: int, total: int) -> None:
        if done == total:
            trim_heap()
        if progress:
            progress(stage, done, total)

    return report


def trim_heap() -> None:
    """Gives the system back the memory the C allocator holds free (glibc's
    ``malloc_trim``; nothing with another C library).

    A stage's work arrays are freed when it ends, but glibc keeps the pages of freed pieces
    inside its heap resident (other blocks live above them), and the next stages' Python
    objects come from pages of their own: so the freed pages would count in the scan's
    memory to its end, outputs included. Trimming as each stage ends costs a few
    milliseconds, and a page is only faulted in again when the heap reuses it."""
    malloc_trim = _malloc_trim()
    if malloc_trim is not None:
        malloc_trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library is another (looked up once)."""
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return None
        import ctypes

        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, ValueError):  # no confstr, no such name, no library
        return None


def fingerprint_all(
    stories: Sequence[Story],
    settings: Settings = DEFAULT,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    chunk: int = CHUNK,
) -> list[Fingerprint]:
    """Fingerprints of stories already read, in their order (see ``fingerprint_stream``).
    The result is the same whatever ``jobs`` and ``chunk`` are."""
    return fingerprint_stream(stories, settings, jobs=jobs, progress=progress, chunk=chunk)[1]


def resolve_jobs(jobs: int) -> int:
    """``0`` (or less) means every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)
