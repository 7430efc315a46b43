"""The hand-written check sets (``tests/data/checks``): every labelled pair ends up in one
cluster or apart as labelled, in every layout, with and without dates."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import ROOT
from test_layout import LAYOUTS, relayout

from dedup import load, scan_stories

CHECKS = ROOT / "tests" / "data" / "checks"
KNOWN = {
    frozenset(("se3_a", "se3_c")): "short independent reports that share a quoted sentence "
    "and their opening facts are linked as a rewrite (README, 'A known limit')",
    frozenset(("fr032", "fr002")): "the same, in French: three short reports of one "
    "closure sharing the prefect's quote",
    frozenset(("fr022", "fr014")): "the same: two reports of one closure sharing a "
    "background sentence and their facts",
    frozenset(("dv-01", "vs-02")): "a paraphrase with synonyms throughout aligns two "
    "sentences, 0.09 of the smaller story",
}
"""Pairs that are known to come out against their label, and why."""


def wrong_pairs(name: str, how: str, dated: bool) -> dict[frozenset[str], str]:
    """The labelled pairs of a check set that come out against their label, each with why
    it is labelled so."""
    stories, problems = load([str(CHECKS / name / "stories.jsonl")])
    assert stories and not problems
    laid = [relayout(story, how) for story in stories]
    if not dated:
        laid = [replace(story, date=None) for story in laid]
    result = scan_stories(laid)
    cluster = {member.id: c.id for c in result.clusters for member in c.members}
    wrong = {}
    for line in (CHECKS / name / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        a, b = pair["a"], pair["b"]
        together = a in cluster and cluster.get(a) == cluster.get(b)
        if together != (pair["label"] == "together"):
            wrong[frozenset((a, b))] = f"{a} ~ {b} ({pair['label']}): {pair['why']}"
    return wrong


@pytest.mark.parametrize("dated", [True, False], ids=["dated", "undated"])
@pytest.mark.parametrize("how", LAYOUTS)
@pytest.mark.parametrize("name", ["english", "german", "french", "chinese", "web"])
def test_every_labelled_pair_holds(name, how, dated):
    wrong = wrong_pairs(name, how, dated)
    unknown = [why for pair, why in wrong.items() if pair not in KNOWN]
    assert not unknown


def test_the_known_misses_are_still_missed():
    """So that the README's account of them is corrected when a change fixes one."""
    sets = ("english", "french", "web")
    found = {pair for name in sets for pair in wrong_pairs(name, "original", True)}
    assert found == set(KNOWN)
