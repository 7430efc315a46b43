"""Tests for the plain MinHash-LSH baseline used in benchmarks."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks.baseline import baseline_clusters, main, shingles

VOCAB = [f"w{i}" for i in range(2000)]


def _text(seed: int, words: int = 200) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCAB) for _ in range(words))


def _edit(text: str, seed: int, changes: int = 2) -> str:
    """A republished copy: a couple of words swapped, different case and punctuation."""
    rng = random.Random(seed)
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = "edited"
    return "  ".join(words).upper() + "."


@pytest.fixture
def corpus() -> list[tuple[str, str]]:
    story_a, story_b = _text(1), _text(2)
    return [
        ("a1", story_a),
        ("a2", _edit(story_a, 10)),
        ("a3", _edit(story_a, 11)),
        ("b1", _edit(story_b, 12)),
        ("b2", story_b),
        ("c", _text(3)),
        ("d", _text(4)),
    ]


def test_shingles_lowercase_words_and_short_texts() -> None:
    assert shingles("The cat, the HAT!", 2) == {"the cat", "cat the", "the hat"}
    assert shingles("Two words", 5) == {"two words"}
    assert shingles(" ... ", 5) == set()


def test_near_identical_texts_cluster_and_unrelated_do_not(corpus: list[tuple[str, str]]) -> None:
    clusters = baseline_clusters(corpus)
    assert clusters == {
        "a1": "a1",
        "a2": "a1",
        "a3": "a1",
        "b1": "b1",
        "b2": "b1",
        "c": "c",
        "d": "d",
    }


def test_deterministic_and_independent_of_input_order(corpus: list[tuple[str, str]]) -> None:
    expected = baseline_clusters(corpus)
    assert baseline_clusters(corpus) == expected
    for seed in range(5):
        shuffled = corpus[:]
        random.Random(seed).shuffle(shuffled)
        assert baseline_clusters(shuffled) == expected


def test_empty_texts_stay_singletons_and_duplicates_are_rejected() -> None:
    assert baseline_clusters([("x", ""), ("y", "!!"), ("z", "")]) == {"x": "x", "y": "y", "z": "z"}
    with pytest.raises(ValueError, match="duplicate"):
        baseline_clusters([("x", "a b c"), ("x", "a b c")])


def test_main_prints_tab_separated_clusters(
    tmp_path: Path, corpus: list[tuple[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps({"id": i, "body": t}) for i, t in corpus[:3]]
    lines.append(json.dumps({"id": 7, "text": _text(9)}))
    path.write_text("\n".join(lines) + "\n\n")
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert out == "a1\ta1\na2\ta1\na3\ta1\n7\t7\n"


def test_the_rensa_pipeline_clusters_near_copies_as_datasketch_does(
    corpus: list[tuple[str, str]],
) -> None:
    pytest.importorskip("rensa", reason="rensa is not installed (pip install -e '.[bench]')")
    assert baseline_clusters(corpus, engine="rensa") == baseline_clusters(corpus)
    assert baseline_clusters([("x", ""), ("y", "a b")], engine="rensa") == {"x": "x", "y": "y"}


def test_rensa_bands_are_those_datasketch_picks_for_the_threshold() -> None:
    from datasketch import MinHashLSH

    from benchmarks.baseline import _BANDS

    for (threshold, num_perm), (bands, rows) in _BANDS.items():
        chosen = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert (chosen.b, chosen.r) == (bands, rows)


def test_an_unknown_engine_is_a_clear_error(corpus: list[tuple[str, str]]) -> None:
    with pytest.raises(SystemExit, match="unknown engine 'nope'"):
        baseline_clusters(corpus, engine="nope")
