"""Detection that does not depend on how the input is laid out, on how long a story is, or on
outlet metadata; and rewrites told from independent reports."""

from __future__ import annotations

import json
import random
import re
import textwrap
from collections import Counter
from dataclasses import replace

import pytest
from conftest import ROOT, SAMPLES, VOCABULARY, make_story, paragraphs
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Settings, load, scan_stories
from dedup.detect.candidates import KeyTable, copy_candidates, unpack_pairs
from dedup.engines.local import fingerprint_all
from dedup.read.text import split_paragraphs
from dedup.views.evaluate import read_labels, score

COUNTER = ROOT.parent / "shared" / "data" / "counter-dev"
_SENTENCE_END = re.compile(r"(?<=[.!?。۔؟])\s+")
LAYOUTS = ("original", "one block", "a sentence a paragraph", "hard-wrapped")


def relayout(story, how: str):
    """The story with its body laid out another way: its words and their order unchanged."""
    texts = [p.text for p in story.paragraphs]
    if how == "original":
        return story
    if how == "one block":
        body = " ".join(texts)
    elif how == "a sentence a paragraph":
        body = "\n\n".join(s for text in texts for s in _SENTENCE_END.split(text) if s)
    else:
        wrap = textwrap.TextWrapper(60, break_long_words=False, break_on_hyphens=False)
        body = "\n\n".join(wrap.fill(text) for text in texts)
    return replace(story, body=body, paragraphs=split_paragraphs(body))


def f1(result, stories, truth) -> float:
    predicted = {m.id: c.id for c in result.clusters for m in c.members}
    for story in stories:
        predicted.setdefault(story.id, "alone:" + story.key)
    return score(predicted, truth).pairwise_f1


@pytest.mark.parametrize("how", LAYOUTS)
def test_samples_score_one_in_every_layout(how):
    stories, problems = load([str(SAMPLES)])
    assert not problems
    laid = [relayout(story, how) for story in stories]
    if how != "original":
        assert sum(len(s.paragraphs) for s in laid) != sum(len(s.paragraphs) for s in stories)
    assert f1(scan_stories(laid), laid, read_labels(SAMPLES / "labels.csv")) == 1.0


@pytest.mark.parametrize("how", LAYOUTS)
def test_samples_score_one_in_every_layout_without_dates_outlets_or_urls(how):
    """Plain texts, as scraped: no date tells which story came first (undated centres are
    chosen by their matches), no outlet or URL names its boilerplate."""
    stories, _ = load([str(SAMPLES)])
    laid = [replace(relayout(story, how), date=None, outlet="", url="") for story in stories]
    assert f1(scan_stories(laid), laid, read_labels(SAMPLES / "labels.csv")) == 1.0


def test_eval_scores_one_on_the_samples_delivered_as_single_blocks(tmp_path):
    """The real command on a JSON Lines feed of every sample story, each body one block."""
    from click.testing import CliRunner

    from dedup.cli import cli

    stories, _ = load([str(SAMPLES)])
    feed = tmp_path / "flat.jsonl"
    with feed.open("w", encoding="utf-8") as out:
        for story in stories:
            record = {
                "id": story.id,
                "headline": story.headline,
                "body": " ".join(p.text for p in story.paragraphs),
                "date": story.date.isoformat() if story.date else None,
                "outlet": story.outlet,
                "url": story.url,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    result = CliRunner().invoke(
        cli, ["eval", "--labels", str(SAMPLES / "labels.csv"), str(feed), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"pairwise F1\s+1\.0000", result.output), result.output


WORDS = st.lists(st.sampled_from(VOCABULARY), min_size=0, max_size=120)


@settings(max_examples=60, deadline=None)
@given(
    before_a=WORDS,
    after_a=WORDS,
    before_b=WORDS,
    after_b=WORDS,
    shared=st.lists(st.sampled_from(VOCABULARY), min_size=28, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_shared_run_of_28_words_always_makes_a_candidate_pair(
    before_a, after_a, before_b, after_b, shared, seed
):
    """Two stories that share a verbatim run of shingle + anchor_window - 1 = 28 words become
    candidates, wherever the run sits and however either text is broken into paragraphs."""
    defaults = Settings()
    assert defaults.shingle + defaults.anchor_window - 1 == 28
    rng = random.Random(seed)

    def laid_out(words: list[str]) -> list[str]:
        cuts = sorted(rng.sample(range(1, len(words)), min(len(words) - 1, rng.randint(0, 8))))
        pieces = [words[a:b] for a, b in zip([0, *cuts], [*cuts, len(words)])]
        return [" ".join(piece).capitalize() + rng.choice([".", "", ","]) for piece in pieces]

    a = make_story("a", laid_out(before_a + shared + after_a))
    b = make_story("b", laid_out(before_b + shared + after_b))
    prints = fingerprint_all([a, b])
    pairs = copy_candidates(KeyTable.of([p.anchors for p in prints]), defaults)
    first, second = unpack_pairs(pairs)
    assert (0, 1) in set(zip(first.tolist(), second.tolist()))


def test_one_outlets_footer_without_metadata_links_nothing_in_any_layout():
    footer = paragraphs(90, 3)
    stories = [make_story(f"local{n}", [*paragraphs(200 + n, 9), *footer]) for n in range(4)]
    for how in LAYOUTS:
        laid = [relayout(story, how) for story in stories]
        result = scan_stories(laid)
        assert result.clusters == [] and result.boilerplate_texts == 1, how


def test_a_sites_chrome_is_boilerplate_when_only_some_of_its_pages_carry_a_url():
    """Three unrelated pages of one site, one block each, the site's menu and footer about a
    quarter of each: a scraper kept the URL of one page only. The pages without one may be
    the site's own, so all three count as carriers of its chrome."""
    menu, footer = paragraphs(91, 1, sentences=3), paragraphs(92, 1, sentences=4)
    pages = [
        make_story(f"page{n}", [" ".join([*menu, *paragraphs(300 + n, 6), *footer])])
        for n in range(3)
    ]
    pages[0] = replace(pages[0], url="https://news.example/a/1")
    result = scan_stories(pages)
    assert result.clusters == [] and result.boilerplate_texts == 1


def test_a_wire_paragraph_quoted_by_briefs_is_not_boilerplate():
    """A brief made of one wire paragraph is a copy of it, not a carrier of boilerplate."""
    wire = paragraphs(1, 10)
    briefs = [make_story(f"brief{n}", [wire[0], wire[1]]) for n in range(3)]
    result = scan_stories([make_story("wire", wire), *briefs])
    assert [sorted(m.key for m in c.members) for c in result.clusters] == [
        ["brief0", "brief1", "brief2", "wire"]
    ]


def test_short_copies_link_and_short_stories_sharing_a_quote_do_not():
    rng = random.Random(11)

    def sentence(words: int) -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "."

    snap = [sentence(14) for _ in range(5)]  # a 70-word agency snap
    brief = [snap[0], sentence(12), snap[2], snap[3], sentence(10)]  # keeps three of five
    quote = sentence(20)
    one = [sentence(15), quote, sentence(16), sentence(14), sentence(15)]
    two = [sentence(16), sentence(15), quote, sentence(15), sentence(17)]
    result = scan_stories(
        [
            make_story("snap", snap),
            make_story("brief", brief),
            make_story("one", one),
            make_story("two", two),
        ]
    )
    assert [sorted(m.key for m in c.members) for c in result.clusters] == [["brief", "snap"]]


def test_a_rewrite_is_linked_as_such_and_links_copy_leaves_it_out():
    stories, _ = load([str(SAMPLES / "wire" / "meridian" / "grisling-coal.txt")])
    rewrite, _ = load([str(SAMPLES / "ebc" / "grisling-coal.json")])
    independent, _ = load([str(SAMPLES / "wire" / "continental" / "nordavia-bankruptcy.md")])
    other, _ = load([str(SAMPLES / "wire" / "lumen" / "nordavia-stranded.txt")])
    pool = stories + rewrite + independent + other
    result = scan_stories(pool)
    (cluster,) = result.clusters
    assert {m.id for m in cluster.members} == {"mna-grisling-coal", "ebc-grisling-coal"}
    (match,) = cluster.matches
    assert match.kind == "rewrite" and match.link == "rewrite" and match.coverage >= 0.25
    assert match.containment < 0.05  # few verbatim runs: no copy rule could see it
    assert scan_stories(pool, Settings(links="copy")).clusters == []


@pytest.mark.skipif(not COUNTER.exists(), reason="../shared/data/counter-dev is not beside this")
def test_real_agency_copy_and_the_newspaper_stories_made_from_it():
    """COUNTER (real Urdu agency stories and newspaper stories, hand-labelled): wholly derived
    pairs are linked, independent reports of the same event are not."""
    stories, problems = load([str(COUNTER / "stories.jsonl")])
    assert not problems
    result = scan_stories(stories)
    cluster_of = {m.id: c.id for c in result.clusters for m in c.members}
    pairs = [json.loads(line) for line in (COUNTER / "pairs.jsonl").open(encoding="utf-8")]
    total, together = Counter(), Counter()
    for pair in pairs:
        total[pair["label"]] += 1
        if pair["a"] in cluster_of and cluster_of[pair["a"]] == cluster_of.get(pair["b"]):
            together[pair["label"]] += 1
    share = {label: together[label] / total[label] for label in total}
    assert share["WD"] >= 0.75, share
    assert share["ND"] <= 0.05, share
    assert share["PD"] > share["ND"], share


@pytest.mark.skipif(not COUNTER.exists(), reason="../shared/data/counter-dev is not beside this")
@pytest.mark.parametrize("how", ["a sentence a paragraph", "hard-wrapped"])
def test_real_stories_cluster_alike_in_other_layouts(how):
    """COUNTER's Urdu stories (each one block; a script without case, so no line of a
    hard-wrapped block starts in lower case; datelines such as "ڈھاکہ ۔", a sentence of one
    word) laid out a sentence a paragraph or wrapped to 60 characters: the same clusters as
    published."""
    stories, problems = load([str(COUNTER / "stories.jsonl")])
    assert not problems
    laid = [relayout(story, how) for story in stories]
    assert sum("\n" in story.body for story in laid) > len(stories) / 2

    def clusters(found):
        return sorted(sorted(m.id for m in c.members) for c in found.clusters)

    assert clusters(scan_stories(laid)) == clusters(scan_stories(stories))
