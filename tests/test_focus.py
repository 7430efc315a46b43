"""``find_links`` with a focus decides only what the focus can change: its matches are the
whole run's matches with an end in its scope, and the scope holds the items of the focus."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import SAMPLES

from dedup.detect.fingerprint import Fingerprinter
from dedup.detect.links import components, find_links
from dedup.engines.local import load
from dedup.settings import DEFAULT


def _sorted(stories: list) -> tuple[list, list]:
    stories = sorted(stories, key=lambda story: story.sort_key)
    return stories, Fingerprinter(DEFAULT).batch(stories)


def _samples() -> tuple[list, list]:
    stories, _ = load([str(SAMPLES)])
    return _sorted(stories)


def _generated(tmp_path) -> tuple[list, list]:
    from benchmarks import synth

    corpus = tmp_path / "corpus.jsonl"
    synth.write_corpus(corpus, 300, seed=7, mix=synth.HARD, words=300)
    stories, _ = load([str(corpus)])
    return _sorted(stories)


def _pairs(matches) -> list:
    return sorted((m.a, m.b, m.kind, m.shared, m.resemblance, m.containment) for m in matches)


def _check(stories: list, prints: list, focus: set[str], settings=DEFAULT) -> int:
    """Assert the focus run is the whole run restricted to its scope; the scope's size.

    The scope: every story verbatim reuse ties (through any story) to one of the focus or
    to a story whose boilerplate the focus changes."""
    whole = find_links(stories, prints, settings)
    part = find_links(stories, prints, settings, focus=focus)
    assert whole.scope is None and part.scope is not None and focus <= part.scope
    keys = [story.key for story in stories]
    verbatim = find_links(stories, prints, settings.with_changes(links="copy")).matches
    copies = [(m.a, m.b) for m in verbatim]
    items = components(len(stories), copies, keys)
    # ... or to a story whose boilerplate is not what the others alone would make it
    alone = [(s, p) for s, p in zip(stories, prints) if s.key not in focus]
    grown = set(focus)
    if alone:
        before = find_links([s for s, _ in alone], [p for _, p in alone], settings)
        moved = {
            s.key
            for at, (s, _) in enumerate(alone)
            if not np.array_equal(
                before.boilerplate.of(at), whole.boilerplate.of(keys.index(s.key))
            )
        }
        grown |= moved
    held = {items[keys.index(key)] for key in grown}
    assert part.scope == {key for key, item in zip(keys, items) if item in held}
    wanted = [m for m in whole.matches if m.a in part.scope or m.b in part.scope]
    assert _pairs(part.matches) == _pairs(wanted)
    assert part.candidates <= whole.candidates
    return len(part.scope)


@pytest.mark.parametrize("seed", range(4))
def test_focus_on_samples_gives_the_whole_runs_matches_around_it(seed):
    stories, prints = _samples()
    focus = {story.key for story in random.Random(seed).sample(stories, 5)}
    _check(stories, prints, focus)


@pytest.mark.parametrize("seed", range(3))
def test_focus_on_a_generated_corpus_gives_the_whole_runs_matches_around_it(tmp_path, seed):
    stories, prints = _generated(tmp_path)
    rng = random.Random(seed)
    for size in (1, 10, 60):
        focus = {story.key for story in rng.sample(stories, size)}
        _check(stories, prints, focus)


def test_focus_with_copy_links_only_and_the_edges():
    stories, prints = _samples()
    focus = {stories[3].key, stories[-1].key}
    _check(stories, prints, focus, DEFAULT.with_changes(links="copy"))
    assert _check(stories, prints, set()) == 0  # an empty focus decides nothing
    every = {story.key for story in stories}
    assert _check(stories, prints, every) == len(stories)


def test_focus_leaves_out_rewrite_decisions_away_from_it(tmp_path):
    stories, prints = _generated(tmp_path)
    whole = find_links(stories, prints)
    lonely = [s.key for s in stories if not any(s.key in (m.a, m.b) for m in whole.matches)]
    alone = [find_links(stories, prints, focus={key}) for key in lonely[:10]]
    alone = [part for part in alone if len(part.scope) == 1]
    assert alone and all(part.matches == [] for part in alone)
    assert all(part.candidates < whole.candidates for part in alone)


def test_a_story_that_makes_a_text_boilerplate_brings_its_other_carriers_into_scope():
    """Three stories of one outlet share a footer and nothing else: the footer is
    boilerplate only with all three, so a focus on one decides the other two again."""
    stories, prints = _samples()
    whole = find_links(stories, prints)
    footer = [
        (story, print_)
        for at, (story, print_) in enumerate(zip(stories, prints))
        if "tolland-observer-plain" in story.key and at in whole.boilerplate.removed
    ][:3]
    assert len(footer) == 3
    three, three_prints = [s for s, _ in footer], [p for _, p in footer]
    part = find_links(three, three_prints, focus={three[-1].key})
    assert part.scope == {story.key for story in three}
    assert _check(three, three_prints, {three[0].key}) == 3
