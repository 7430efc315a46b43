"""The clustering stages in pieces: key tables cut by their top bits, usable units and band
keys a block of stories at a time, rewrite decisions shared by processes. Every piece size
and process count gives the plain definitions' results, so they only change how much memory
is held at once and how many cores work."""

from __future__ import annotations

import math
import os
import random
import weakref

import numpy as np
import pytest
from conftest import SAMPLES

from dedup import Settings, load
from dedup.detect import boilerplate, candidates, links, spool
from dedup.detect.candidates import (
    COMMON_KEY,
    REWRITE_KEYS,
    KeyTable,
    rewrite_candidates,
)
from dedup.detect.fingerprint import fmix64
from dedup.detect.spool import Spooled
from dedup.engines.local import fingerprint_all, fingerprint_stream


def plain_rewrite_candidates(
    keys: list[np.ndarray], items: np.ndarray, units: np.ndarray
) -> set[tuple[int, int]]:
    """The rule of ``rewrite_candidates`` without dates, one key at a time: items sharing
    keys (equal in the bits the table keeps) that at most ``COMMON_KEY`` items carry,
    ``REWRITE_KEYS`` of them or one for every eight units of the smaller item's earliest
    story (the default ``rewrite_coverage``, 0.25, halved), if more."""
    bits = max(int(items.max()), 1).bit_length()
    carriers: dict[int, set[int]] = {}
    for story, story_keys in enumerate(keys):
        heads = (fmix64(story_keys.astype(np.uint64)) >> np.uint64(bits)).tolist()
        for head in heads:
            carriers.setdefault(head, set()).add(int(items[story]))
    shared: dict[tuple[int, int], int] = {}
    for owners in carriers.values():
        if len(owners) > COMMON_KEY:
            continue
        ordered = sorted(owners)
        for at, a in enumerate(ordered):
            for b in ordered[at + 1 :]:
                shared[(a, b)] = shared.get((a, b), 0) + 1
    first = {}
    for story, item in enumerate(items.tolist()):
        first.setdefault(item, story)

    def needed(a: int, b: int) -> int:
        return max(REWRITE_KEYS, math.ceil(min(units[first[a]], units[first[b]]) / 8))

    return {pair for pair, count in shared.items() if count >= needed(*pair)}


def random_keys(seed: int, stories: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Band keys drawn from a small pool (so that items share keys, some carried by many
    items), zero keys included, items of one to three stories, and each story's usable
    units (up to 40: most pairs need two keys, some three to five)."""
    rng = random.Random(seed)
    pool = [0, *(rng.getrandbits(64) for _ in range(stories * 3))]
    keys = [
        np.array(rng.choices(pool, k=rng.randint(0, 12)), dtype=np.uint64) for _ in range(stories)
    ]
    items, item = [], 0
    while len(items) < stories:
        items += [item] * rng.randint(1, 3)
        item += 1
    units = np.array([rng.randint(0, 40) for _ in range(stories)], dtype=np.int64)
    return keys, np.array(items[:stories], dtype=np.int64), units


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rewrite_candidates_in_parts_are_those_of_the_plain_rule(monkeypatch, seed):
    keys, items, units = random_keys(seed, 300)
    days = np.full(len(keys), np.nan)
    expected = plain_rewrite_candidates(keys, items, units)
    assert len(expected) > 20
    # The length rule decides: some pairs sharing two keys or more are no candidates.
    assert plain_rewrite_candidates(keys, items, np.zeros_like(units)) > expected
    found = rewrite_candidates(keys, items, days, units, Settings(rewrite_window=0))
    assert {(int(p) >> 32, int(p) & 0xFFFFFFFF) for p in found.tolist()} == expected
    assert found.tolist() == sorted(set(found.tolist()))
    # Many blocks and many ranges of parts: a pair's keys fall in different ranges.
    monkeypatch.setattr(candidates, "_STORIES", 7)
    monkeypatch.setattr(candidates, "_SLICE", 8)
    again = rewrite_candidates(keys, items, days, units, Settings(rewrite_window=0))
    assert again.tolist() == found.tolist()


def test_a_table_without_some_heads_keeps_every_other_entry():
    rng = np.random.default_rng(4)
    table = KeyTable.of([rng.integers(1, 50, size=20, dtype=np.uint64) for _ in range(30)])
    heads = np.unique(table.heads)[::3]
    kept = table.without(heads)
    assert kept.keys.tolist() == table.keys[~np.isin(table.heads, heads)].tolist()
    assert len(kept.keys) < len(table.keys)
    assert not np.isin(kept.heads, heads).any()


def test_links_are_the_same_whatever_the_block_sizes(monkeypatch, tmp_path):
    """Usable units, band keys, key tables and boilerplate's shingle sets made a few
    stories at a time give the links, candidates and content of one pass over all."""
    from benchmarks import synth

    synth.write_corpus(tmp_path / "corpus.jsonl", 200, seed=3, mix=synth.HARD, words=300)
    stories, _ = load([str(SAMPLES), str(tmp_path / "corpus.jsonl")])  # samples: rewrites
    stories.sort(key=lambda story: story.sort_key)
    prints = fingerprint_all(stories)
    whole = links.find_links(stories, prints)
    copies = links.find_links(stories, prints, Settings(links="copy"))
    assert len(whole.matches) > len(copies.matches) and whole.boilerplate.texts
    monkeypatch.setattr(links, "_BLOCK", 5)
    monkeypatch.setattr(candidates, "_STORIES", 3)
    monkeypatch.setattr(candidates, "_SLICE", 16)
    monkeypatch.setattr(candidates, "_RANGES", 3)
    monkeypatch.setattr(boilerplate, "_GROUPS", 2)
    pieces = links.find_links(stories, prints)
    assert pieces.boilerplate.texts == whole.boilerplate.texts
    assert pieces.boilerplate.removed.keys() == whole.boilerplate.removed.keys()
    assert all(
        np.array_equal(pieces.boilerplate.of(at), whole.boilerplate.of(at))
        for at in whole.boilerplate.removed
    )
    assert pieces.matches == whole.matches
    assert pieces.candidates == whole.candidates
    assert all(np.array_equal(a, b) for a, b in zip(pieces.content, whole.content))
    focused = links.find_links(stories, prints, focus=[story.key for story in stories])
    assert focused.matches == whole.matches
    assert all(np.array_equal(a, b) for a, b in zip(focused.content, whole.content))


def test_rewrite_decisions_shared_by_processes_are_those_of_one(monkeypatch, tmp_path):
    from benchmarks import synth

    synth.write_corpus(tmp_path / "corpus.jsonl", 120, seed=4, mix=synth.HARD, words=300)
    stories, _ = load([str(SAMPLES), str(tmp_path / "corpus.jsonl")])
    stories.sort(key=lambda story: story.sort_key)
    prints = fingerprint_all(stories)
    one = links.find_links(stories, prints)
    assert any(match.kind == "rewrite" for match in one.matches)
    monkeypatch.setattr(links, "_PARALLEL", 1)
    runs: list[int] = []
    real = links.verify_rewrites

    def counted(pairs, *rest):  # heard in this process only: the others are forked copies
        runs.append(len(pairs))
        return real(pairs, *rest)

    monkeypatch.setattr(links, "verify_rewrites", counted)
    for jobs in (2, 3):
        runs.clear()
        shared = links.find_links(stories, prints, jobs=jobs)
        assert shared.matches == one.matches and shared.candidates == one.candidates
        assert len(runs) == 1 and 0 < runs[0] < one.candidates  # this process's run alone


@pytest.mark.parametrize("kept", [3, 64])
def test_released_fingerprints_shrink_as_the_stages_go_and_the_links_stay(
    monkeypatch, tmp_path, kept
):
    from benchmarks import synth

    synth.write_corpus(tmp_path / "corpus.jsonl", 120, seed=6, mix=synth.HARD, words=300)
    stories, _ = load([str(SAMPLES), str(tmp_path / "corpus.jsonl")])
    stories.sort(key=lambda story: story.sort_key)
    prints = fingerprint_all(stories)
    held = list(prints)
    whole = links.find_links(stories, held)
    monkeypatch.setattr(links, "_KEPT", kept)  # usable units' keys, a few stories an array
    released = links.find_links(stories, prints, release=True)
    assert released.matches == whole.matches and released.candidates == whole.candidates
    assert all(np.array_equal(a, b) for a, b in zip(released.content, whole.content))
    again = fingerprint_all(stories)  # without release, nothing is touched
    assert all(a.to_bytes() == b.to_bytes() for a, b in zip(held, again))
    for before, after in zip(held, prints):
        assert (after.text, after.key) == (before.text, before.key)
        assert np.array_equal(after.units, before.units)  # the rewrite decisions read them
        assert not (len(after.shingles) or len(after.anchors) or after.unit_keys.size)
    with pytest.raises(TypeError, match="as a list"):
        links.find_links(stories, tuple(held), release=True)


def test_spooled_texts_read_back_as_the_fingerprints_made_them(tmp_path):
    from benchmarks import synth

    synth.write_corpus(tmp_path / "corpus.jsonl", 60, seed=7, mix=synth.HARD, words=200)
    stories, _ = load([str(SAMPLES), str(tmp_path / "corpus.jsonl")])
    held = fingerprint_all(stories)
    _, spooled, _ = fingerprint_stream(stories, keep_text=False, chunk=16)
    assert all(isinstance(print_.words, str) for print_ in held)
    assert all(isinstance(print_.words, Spooled) for print_ in spooled)
    for a, b in zip(held, spooled):
        assert b.text == a.text and b.unit_words() == a.unit_words()
        assert b.to_bytes() == a.to_bytes()
    assert any(not print_.text.isascii() for print_ in spooled)  # the samples' Chinese story
    stories.sort(key=lambda story: story.sort_key)
    _, spooled, _ = fingerprint_stream(stories, keep_text=False)
    expected = links.find_links(stories, fingerprint_all(stories))
    found = links.find_links(stories, spooled, release=True)
    assert found.matches == expected.matches
    assert any(match.kind == "rewrite" for match in found.matches)
    assert all(isinstance(print_.words, Spooled) for print_ in spooled)  # never read back whole


def test_spooled_unit_keys_are_the_keys_made_and_their_pages_dropped_once_let_go(
    monkeypatch, tmp_path
):
    """Spooled unit keys are read-only arrays over a file, equal to the keys made, across
    segments of the file; each batch's pages are dropped once its stories let the keys go
    (a released scan), whose content sets wait in the file too; the links and the content
    are those of fingerprints held in memory."""
    from benchmarks import synth

    synth.write_corpus(tmp_path / "corpus.jsonl", 200, seed=5, mix=synth.HARD, words=200)
    stories, _ = load([str(tmp_path / "corpus.jsonl")])
    stories.sort(key=lambda story: story.sort_key)
    held = fingerprint_all(stories)
    finalizers = []
    finalize = weakref.finalize

    def recorded(*args: object) -> object:
        finalizers.append(finalize(*args))
        return finalizers[-1]

    monkeypatch.setattr(spool.KeySpool, "_SEGMENT", 1 << 16)  # a few batches a segment
    monkeypatch.setattr(spool.weakref, "finalize", recorded)
    _, spooled, _ = fingerprint_stream(stories, keep_text=False, chunk=16)
    assert len(finalizers) == -(-len(stories) // 16)  # one mapped array a batch
    assert all(a.to_bytes() == b.to_bytes() for a, b in zip(held, spooled))
    assert all(not b.unit_keys.flags.writeable for b in spooled)  # the file's, not memory's
    assert len({id(b.unit_keys.base.base) for b in spooled}) > 1  # several segments
    assert all(finalizer.alive for finalizer in finalizers)
    batches = len(finalizers)
    found = links.find_links(stories, spooled, release=True)
    expected = links.find_links(stories, held)
    assert found.matches == expected.matches
    assert not any(finalizer.alive for finalizer in finalizers[:batches])
    # The content sets wait in the spool too (a block of stories an array), until let go.
    assert all(np.array_equal(a, b) for a, b in zip(found.content, expected.content))
    assert all(not array.flags.writeable for array in found.content)
    assert len(finalizers) > batches and all(f.alive for f in finalizers[batches:])
    spooled[0].key_spool.drop()  # dropped pages are read back from the file
    assert all(np.array_equal(a, b) for a, b in zip(found.content, expected.content))
    del found
    assert not any(finalizer.alive for finalizer in finalizers)


def test_a_batch_array_is_freed_once_its_stories_are_let_go(tmp_path):
    """Each story's arrays are views of its batch's; a released scan lets go of every
    story of a batch, so the batch's arrays are freed, not held by one view."""
    import weakref

    from benchmarks import synth

    synth.write_corpus(tmp_path / "corpus.jsonl", 300, seed=8, mix=synth.HARD, words=200)
    stories, _ = load([str(tmp_path / "corpus.jsonl")])
    stories.sort(key=lambda story: story.sort_key)
    prints = fingerprint_all(stories)
    bases = [weakref.ref(getattr(prints[0], part).base) for part in ("shingles", "unit_keys")]
    assert all(base() is not None for base in bases)
    links.find_links(stories, prints, release=True)
    assert all(base() is None for base in bases)
    assert prints[0].units.base is not None  # the rewrite decisions read the units


def test_key_tables_made_and_grouped_in_pieces_are_those_of_one_pass(monkeypatch):
    rng = np.random.default_rng(9)
    keys = [rng.integers(0, 40, size=rng.integers(0, 9), dtype=np.uint64) for _ in range(50)]
    bits = max(len(keys) - 1, 1).bit_length()
    owners = np.repeat(np.arange(len(keys), dtype=np.uint64), [len(k) for k in keys])
    flat = np.concatenate(keys)
    plain = (fmix64(flat) & ~np.uint64((1 << bits) - 1)) | owners
    expected = np.unique(plain[flat != 0])
    whole = KeyTable.of(keys)
    assert whole.keys.tolist() == expected.tolist()
    starts, sizes = whole.groups(3)
    assert len(starts) > 2
    monkeypatch.setattr(candidates, "_STORIES", 4)
    monkeypatch.setattr(candidates, "_SLICE", 5)
    pieces = KeyTable.of(keys)
    assert pieces.keys.tolist() == expected.tolist()
    assert [a.tolist() for a in pieces.groups(3)] == [starts.tolist(), sizes.tolist()]


@pytest.mark.parametrize("ranges", [1, 3, 64])
def test_pairs_counted_a_range_at_a_time_are_those_counted_at_once(monkeypatch, ranges):
    rng = np.random.default_rng(ranges)
    found = [
        candidates.pack_pairs(rng.integers(0, 200, n), rng.integers(0, 200, n))
        for n in (0, 400, 1, 900, 300)
    ]
    every = np.concatenate(found)
    values, counts = np.unique(every, return_counts=True)
    monkeypatch.setattr(candidates, "_RANGES", ranges)
    for times in (1, 2, 3):
        got, found_times = candidates._at_least([pairs.copy() for pairs in found], times)
        assert got.tolist() == values[counts >= times].tolist()
        assert found_times.tolist() == counts[counts >= times].tolist()
    assert len(values[counts >= 2]) > 10


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_temporary_folder_is_named_and_ends_the_scan_as_an_output_failure(monkeypatch):
    """Writes to /dev/full fail as on a full disk (ENOSPC): the scan ends with exit 74 and
    one line that names the temporary folder, not standard output."""
    import tempfile

    from click.testing import CliRunner

    from dedup.cli import cli
    from dedup.cli.exitcodes import OUTPUT

    monkeypatch.setattr(
        tempfile,
        "TemporaryFile",
        lambda **_: open("/dev/full", "r+b"),  # noqa: SIM115
    )
    result = CliRunner().invoke(cli, ["scan", "-q", str(SAMPLES)])
    assert result.exit_code == OUTPUT, result.output
    assert "temporary folder" in result.output
    assert "standard output" not in result.output
    assert "Traceback" not in result.output


def test_the_heap_is_trimmed_as_each_stage_ends_and_the_clusters_stay(monkeypatch):
    """A scan gives the allocator's free pages back as each stage ends (``trim_heap``),
    drops the spooled content sets' pages once verification has read them, and finds
    glibc's ``malloc_trim`` wherever glibc is the C library."""
    from dedup.engines import local

    whole = local.scan([str(SAMPLES)], keep_text=False)
    stages: list[str] = []
    trims: list[int] = []
    drops: list[int] = []
    monkeypatch.setattr(local, "trim_heap", lambda: trims.append(len(stages)))
    monkeypatch.setattr(spool.KeySpool, "drop", lambda _: drops.append(len(stages)))
    seen = local.scan(
        [str(SAMPLES)], keep_text=False, progress=lambda stage, *_: stages.append(stage)
    )
    assert [c.members for c in seen.clusters] == [c.members for c in whole.clusters]
    ends = {"boilerplate", "verification", "rewrite candidates", "clustering"}
    assert ends <= set(stages)
    assert len(trims) > len(ends)
    assert trims[-1] == len(stages) - 1  # as clustering ends, before the result is written
    assert [stages[at - 1] for at in drops] == ["verification"]  # content read, then dropped
    try:
        glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, OSError, ValueError):
        glibc = False
    assert (local._malloc_trim() is not None) == glibc
