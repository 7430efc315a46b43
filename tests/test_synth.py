"""Tests for dedup.synth: counts, determinism, labels, and how much text each kind shares."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import synth
from benchmarks.synth import EASY, HARD, Mix, generate, write_corpus

FIELDS = {"id", "headline", "body", "date", "outlet", "url", "cluster"}
DERIVED = {"copy", "partial", "write_thru"}
Rows = list[tuple[dict, str, "str | None"]]  # (record, kind, id of its source)


def shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    """Lower-cased word 5-shingles, the usual near-duplicate measure."""
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def containment(part: str, whole: str) -> float:
    """Share of ``part``'s shingles that also occur in ``whole``."""
    a, b = shingles(part), shingles(whole)
    return len(a & b) / len(a)


def jaccard(x: str, y: str) -> float:
    a, b = shingles(x), shingles(y)
    return len(a & b) / len(a | b)


def originals_by_cluster(rows: Rows) -> dict[str, dict]:
    return {rec["cluster"]: rec for rec, kind, _ in rows if kind == "original"}


@pytest.fixture(scope="module")
def hard() -> Rows:
    return list(synth._annotated(300, 7, HARD, 600, ("en",)))


@pytest.fixture(scope="module")
def easy() -> Rows:
    return list(synth._annotated(200, 7, EASY, 600, ("en",)))


@pytest.mark.parametrize("n", [0, 1, 300, 2100])
def test_exact_count_fields_and_unique_ids(n: int) -> None:
    records = list(generate(n, seed=3, words=40))
    assert len(records) == n
    assert all(set(r) == FIELDS and all(isinstance(v, str) for v in r.values()) for r in records)
    assert len({r["id"] for r in records}) == n
    assert len({r["url"] for r in records}) == n


def test_same_arguments_same_bytes_other_seed_differs() -> None:
    def dump(seed: int, mix: Mix = HARD) -> str:
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in generate(150, seed, mix, 200))

    assert dump(11) == dump(11)
    assert dump(11) != dump(12)
    assert dump(11) != dump(11, EASY)


def test_all_kinds_occur_in_hard(hard: Rows) -> None:
    kinds = Counter(kind for _, kind, _ in hard)
    assert set(kinds) == {"original", "copy", "partial", "write_thru", "same_topic"}


def test_derived_stories_share_their_originals_cluster(hard: Rows) -> None:
    ids = {rec["id"]: rec for rec, _, _ in hard}
    sizes = Counter(rec["cluster"] for rec, _, _ in hard)
    originals = Counter(rec["cluster"] for rec, kind, _ in hard if kind == "original")
    assert all(count == 1 for count in originals.values())
    for rec, kind, source in hard:
        if kind == "original":
            assert source is None
            continue
        assert source in ids
        if kind in DERIVED:
            assert rec["cluster"] == ids[source]["cluster"]
        else:  # a same-topic story is news of its own
            assert rec["cluster"] != ids[source]["cluster"]
            assert sizes[rec["cluster"]] == 1
    assert set(sizes) == set(originals) | {r["cluster"] for r, k, _ in hard if k == "same_topic"}


def test_copies_really_contain_their_original(hard: Rows) -> None:
    originals = originals_by_cluster(hard)
    checked = 0
    for rec, kind, _ in hard:
        if kind in DERIVED:
            share = containment(rec["body"], originals[rec["cluster"]]["body"])
            assert share > 0.2, (rec["id"], kind, share)
            checked += 1
    assert checked > 100


def test_same_topic_stories_share_only_a_quote(hard: Rows) -> None:
    ids = {rec["id"]: rec for rec, _, _ in hard}
    shares = [
        containment(rec["body"], ids[source]["body"])
        for rec, kind, source in hard
        if kind == "same_topic"
    ]
    assert shares
    assert all(0.0 < share < 0.10 for share in shares), shares


def test_easy_copies_are_near_identical(easy: Rows) -> None:
    assert {kind for _, kind, _ in easy} == {"original", "copy"}
    originals = originals_by_cluster(easy)
    for rec, kind, _ in easy:
        if kind == "copy":
            assert jaccard(rec["body"], originals[rec["cluster"]]["body"]) > 0.5, rec["id"]


def test_edit_strength_makes_copies_diverge(easy: Rows, hard: Rows) -> None:
    def mean_copy_jaccard(rows: Rows) -> float:
        originals = originals_by_cluster(rows)
        values = [
            jaccard(rec["body"], originals[rec["cluster"]]["body"])
            for rec, kind, _ in rows
            if kind == "copy"
        ]
        return sum(values) / len(values)

    assert mean_copy_jaccard(easy) > mean_copy_jaccard(hard) + 0.2


def test_dates_are_utc_and_follow_the_source(hard: Rows) -> None:
    dates = {rec["id"]: rec["date"] for rec, _, _ in hard}
    for rec, kind, source in hard:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rec["date"])
        datetime.fromisoformat(rec["date"].replace("Z", "+00:00"))
        if kind in DERIVED:
            assert rec["date"] > dates[source]


def test_originals_open_with_an_agency_dateline(hard: Rows) -> None:
    for rec, kind, _ in hard:
        if kind == "original":
            match = re.match(r"([A-Z]+) \(([^)]+)\) — \S", rec["body"])
            assert match, rec["body"][:80]
            assert match.group(2) == rec["outlet"]


def test_outlet_chrome_recurs_across_unrelated_stories(hard: Rows) -> None:
    clusters_by_line: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rec, kind, _ in hard:
        if kind != "original":
            for para in rec["body"].split("\n\n"):
                clusters_by_line[(rec["outlet"], para)].add(rec["cluster"])
    recurring = [key for key, clusters in clusters_by_line.items() if len(clusters) > 1]
    assert any("newsletter" in para for _, para in recurring)
    assert any(para.startswith("Watch ") for _, para in recurring)


def test_output_is_shuffled(hard: Rows) -> None:
    clusters = [rec["cluster"] for rec, _, _ in hard]
    adjacent = sum(a == b for a, b in pairwise(clusters))
    assert adjacent < 0.1 * len(clusters)
    assert [kind for _, kind, _ in hard[:10]] != ["original"] * 10


def test_words_sets_story_length() -> None:
    rows = list(synth._annotated(120, 1, Mix(), 300, ("en",)))
    lengths = sorted(len(rec["body"].split()) for rec, kind, _ in rows if kind == "original")
    assert 220 <= lengths[len(lengths) // 2] <= 380


def test_chinese_has_no_spaces_and_ends_sentences_with_ideographic_stop() -> None:
    records = list(generate(120, seed=4, languages=("zh",)))
    assert len(records) == 120
    for rec in records:
        assert " " not in rec["body"] and " " not in rec["headline"]
        assert "。" in rec["body"]
        assert re.search(r"[\u4e00-\u9fff]{20}", rec["body"])


def test_languages_can_be_mixed() -> None:
    bodies = [rec["body"] for rec in generate(200, seed=2, words=60, languages=("en", "zh"))]
    assert any("。" in body for body in bodies)
    assert any(re.search(r"[a-z]+ [a-z]+ [a-z]+", body) for body in bodies)


def test_generation_is_lazy() -> None:
    first = next(generate(10**9, seed=1, words=30))
    assert first["id"] == "s000000000"


def test_write_corpus_writes_records_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    assert write_corpus(path, 80, seed=9, words=120) == 80
    lines = path.read_text(encoding="utf-8").splitlines()
    labels_path = tmp_path / "corpus.labels.jsonl"
    labels = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines()]
    records = [json.loads(line) for line in lines]
    assert len(records) == len(labels) == 80
    assert all("cluster" not in r and set(r) == FIELDS - {"cluster"} for r in records)
    assert [r["id"] for r in records] == [lab["id"] for lab in labels]
    expected = [(r["id"], r["cluster"]) for r in generate(80, seed=9, words=120)]
    assert [(lab["id"], lab["cluster"]) for lab in labels] == expected
    first = path.read_bytes()
    write_corpus(path, 80, seed=9, words=120)
    assert path.read_bytes() == first


@pytest.mark.parametrize("languages", [("en",), ("zh",)])
def test_layouts_change_only_where_paragraphs_break(languages: tuple[str, ...]) -> None:
    """The same stories in every layout: "flat" is one block, "sentences" a sentence a
    paragraph, and joining the blocks with the language's word joiner gives the flat body."""
    joiner = " " if languages == ("en",) else ""
    laid = {
        layout: list(generate(120, seed=5, words=150, languages=languages, layout=layout))
        for layout in synth.LAYOUTS
    }
    paragraphs, flat, sentences = (laid[layout] for layout in synth.LAYOUTS)
    inner_stop = re.compile(r"[.!?][”\"]? \S" if languages == ("en",) else r"。」?.")
    more = 0
    for para, one, each in zip(paragraphs, flat, sentences, strict=True):
        assert (
            {k: v for k, v in para.items() if k != "body"}
            == {k: v for k, v in one.items() if k != "body"}
            == {k: v for k, v in each.items() if k != "body"}
        )
        assert "\n" not in one["body"]
        assert para["body"].replace("\n\n", joiner).replace("\n", joiner) == one["body"]
        assert each["body"].replace("\n\n", joiner).replace("\n", joiner) == one["body"]
        blocks, sentence_blocks = para["body"].split("\n\n"), each["body"].split("\n\n")
        assert len(sentence_blocks) >= len(blocks)
        more += len(sentence_blocks) > len(blocks)
        # a sentence split off a paragraph holds one sentence end, at its end
        assert not [b for b in set(sentence_blocks) - set(blocks) if inner_stop.search(b)]
    assert more > len(paragraphs) // 2
    assert laid["paragraphs"] == list(generate(120, seed=5, words=150, languages=languages))


@pytest.mark.parametrize(
    "call",
    [
        lambda: list(generate(-1)),
        lambda: list(generate(5, words=0)),
        lambda: list(generate(5, languages=("fr",))),
        lambda: list(generate(5, languages=())),
        lambda: list(generate(5, layout="columns")),
        lambda: Mix(partial_rewrite=1.5),
        lambda: Mix(copies_per_original=(3, 1)),
    ],
)
def test_bad_arguments_are_rejected(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 60),
    seed=st.integers(0, 2**40),
    words=st.integers(1, 80),
    lo=st.integers(0, 3),
    extra=st.integers(0, 3),
)
def test_any_arguments_give_consistent_labels(
    n: int, seed: int, words: int, lo: int, extra: int
) -> None:
    mix = Mix(copies_per_original=(lo, lo + extra), partial_rewrite=0.5, same_topic=0.5)
    rows = list(synth._annotated(n, seed, mix, words, ("en",)))
    assert len(rows) == n
    ids = {rec["id"]: rec for rec, _, _ in rows}
    assert len(ids) == n
    for rec, kind, source in rows:
        assert rec["body"].strip() and rec["headline"].strip()
        if kind in DERIVED:
            assert ids[source]["cluster"] == rec["cluster"]
