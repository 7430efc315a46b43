"""Tests for dedup.evaluate: hand-computed scores, brute-force cross-checks, label files."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.views.evaluate import (
    LabelError,
    PairError,
    PairLabelScores,
    read_labels,
    read_pair_labels,
    score,
    score_pairs,
    worst_errors,
)


def _labels(values: list[int], prefix: str) -> dict[str, str]:
    return {f"s{i:02d}": f"{prefix}{v}" for i, v in enumerate(values)}


def _parse(spec: str) -> dict[str, str]:
    """'a=X b=Y' -> {'a': 'X', 'b': 'Y'}, to keep small cases readable."""
    return dict(item.split("=") for item in spec.split())


def _brute_pairs(pred: dict[str, str], truth: dict[str, str]) -> tuple[int, int, int, int]:
    """(same in both, same pred only, same truth only, same in neither) by enumeration."""
    both = pred_only = truth_only = neither = 0
    for x, y in combinations(sorted(pred), 2):
        same_p, same_t = pred[x] == pred[y], truth[x] == truth[y]
        both += same_p and same_t
        pred_only += same_p and not same_t
        truth_only += same_t and not same_p
        neither += not same_p and not same_t
    return both, pred_only, truth_only, neither


def _brute_ari(pred: dict[str, str], truth: dict[str, str]) -> float:
    """ARI from the pair-confusion form 2(ad - bc) / ((a+b)(b+d) + (a+c)(c+d))."""
    a, b, c, d = _brute_pairs(pred, truth)
    return 2 * (a * d - b * c) / ((a + b) * (b + d) + (a + c) * (c + d))


def test_perfect_clustering_scores_one_regardless_of_cluster_names() -> None:
    truth = {"a": "X", "b": "X", "c": "Y", "d": "Z", "e": "Z"}
    pred = {"a": "1", "b": "1", "c": "2", "d": "3", "e": "3"}
    s = score(pred, truth)
    assert s.stories == 5
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == (2, 2, 2)
    for value in (
        s.pairwise_precision,
        s.pairwise_recall,
        s.pairwise_f1,
        s.ari,
        s.bcubed_precision,
        s.bcubed_recall,
        s.bcubed_f1,
    ):
        assert value == pytest.approx(1.0)
    assert s.missing_from_prediction == () and s.unlabelled == ()


def test_everything_in_one_cluster_against_two_true_clusters() -> None:
    truth = {"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y"}
    pred = dict.fromkeys(truth, "P")
    s = score(pred, truth)
    # predicted pairs C(5,2)=10; true pairs C(3,2)+C(2,2)=4; all 4 true pairs are predicted.
    assert (s.predicted_pairs, s.true_pairs, s.correct_pairs) == (10, 4, 4)
    assert s.pairwise_precision == pytest.approx(0.4)
    assert s.pairwise_recall == pytest.approx(1.0)
    assert s.pairwise_f1 == pytest.approx(2 * 0.4 / 1.4)
    # ARI: index 4, expected 10*4/10 = 4, max (10+4)/2 = 7 -> (4-4)/(7-4) = 0.
    assert s.ari == pytest.approx(0.0)
    # B-cubed precision: three items at 3/5, two at 2/5 -> (1.8 + 0.8)/5 = 0.52.
    assert s.bcubed_precision == pytest.approx(0.52)
    assert s.bcubed_recall == pytest.approx(1.0)


def test_textbook_ari_matches_hand_value_and_pair_enumeration() -> None:
    # truth [0,0,0,1,1,1] vs prediction [0,0,1,1,2,2]: index 2, sums 3 and 6 over 15 pairs,
    # expected 18/15 = 1.2, max 4.5 -> ARI = 0.8 / 3.3 = 8/33.
    truth = _labels([0, 0, 0, 1, 1, 1], "t")
    pred = _labels([0, 0, 1, 1, 2, 2], "p")
    s = score(pred, truth)
    assert s.ari == pytest.approx(8 / 33)
    assert s.ari == pytest.approx(_brute_ari(pred, truth))
    assert (s.correct_pairs, s.predicted_pairs, s.true_pairs) == (2, 3, 6)


def test_ari_is_negative_for_worse_than_chance() -> None:
    truth = _labels([0, 0, 1, 1], "t")
    pred = _labels([0, 1, 0, 1], "p")
    s = score(pred, truth)
    # index 0, sums 2 and 2 over 6 pairs: expected 2/3, max 2 -> (0 - 2/3)/(4/3) = -0.5.
    assert s.ari == pytest.approx(-0.5)
    assert s.ari == pytest.approx(_brute_ari(pred, truth))


def test_bcubed_hand_computed() -> None:
    truth = {"1": "A", "2": "A", "3": "A", "4": "B", "5": "B"}
    pred = {"1": "p", "2": "p", "3": "p", "4": "p", "5": "q"}
    s = score(pred, truth)
    # Items 1-3: P 3/4, R 1. Item 4: P 1/4, R 1/2. Item 5: P 1, R 1/2.
    # P = (2.25 + 0.25 + 1)/5 = 0.7; R = (3 + 0.5 + 0.5)/5 = 0.8; F1 = 1.12/1.5.
    assert s.bcubed_precision == pytest.approx(0.7)
    assert s.bcubed_recall == pytest.approx(0.8)
    assert s.bcubed_f1 == pytest.approx(56 / 75)


def test_trivial_partitions_and_empty_input() -> None:
    singles = {str(i): str(i) for i in range(4)}
    s = score(singles, singles)
    assert s.predicted_pairs == s.true_pairs == 0
    assert s.pairwise_precision == s.pairwise_recall == s.ari == 1.0
    one = dict.fromkeys("abcd", "c")
    assert score(one, one).ari == 1.0
    empty = score({}, {})
    assert empty.stories == 0 and empty.ari == 1.0 and empty.bcubed_precision == 1.0
    # All singletons against a real cluster: nothing claimed (precision 1.0), nothing found.
    s = score(singles, dict.fromkeys(singles, "T"))
    assert s.pairwise_precision == 1.0 and s.pairwise_recall == 0.0 and s.ari == 0.0


def test_missing_and_unlabelled_ids_are_reported_not_scored() -> None:
    truth = {"a": "X", "b": "X", "gone": "X", "lost": "Y"}
    pred = {"a": "1", "b": "1", "extra": "1", "new": "2"}
    s = score(pred, truth)
    assert s.stories == 2
    assert s.missing_from_prediction == ("gone", "lost")
    assert s.unlabelled == ("extra", "new")
    assert (s.correct_pairs, s.predicted_pairs, s.true_pairs) == (1, 1, 1)


def test_worst_errors_one_representative_per_cluster() -> None:
    truth = _parse("a1=A a2=A a3=A b1=B b2=B c1=C c2=C c3=C c4=C z=Z")
    pred = _parse("a1=P1 a2=P1 a3=P1 b1=P1 b2=P2 c1=P3 c2=P3 c3=P4 c4=P4 z=P1 unlabelled=P1")
    heads = {"a1": "Storm hits coast", "b1": "Council vote"}
    errors = worst_errors(pred, truth, heads)
    assert errors == [
        # P1 holds 5 scored ids from A (3), B (1), Z (1): B beats Z on its smaller id.
        PairError("false merge", "a1", "b1", "Storm hits coast", "Council vote"),
        # C (4 ids) is split 2/2 across P3 and P4.
        PairError("missed pair", "c1", "c3", "", ""),
        # B (2 ids) is split 1/1 across P1 and P2.
        PairError("missed pair", "b1", "b2", "Council vote", ""),
    ]
    assert worst_errors(pred, truth, limit=1) == [PairError("false merge", "a1", "b1", "", "")]
    assert worst_errors(pred, truth, limit=0) == []
    assert worst_errors(truth, truth) == []
    # Same answer whatever the order of the mappings.
    flipped = worst_errors(dict(reversed(pred.items())), dict(reversed(truth.items())), heads)
    assert flipped == errors


def test_score_pairs_per_label_and_linking_quality() -> None:
    pred = {"n1": "c1", "a1": "c1", "n2": "c2", "a2": "c3", "n3": "c1"}
    pairs = [
        ("a1", "n1", "wholly"),  # linked, positive: true positive
        ("a2", "n2", "Partially"),  # not linked, positive: false negative
        ("a1", "n3", "not derived"),  # linked, negative: false positive
        ("a2", "n1", "not derived"),  # not linked, negative: true negative
        ("a1", "zz", "wholly"),  # zz was never predicted: skipped
    ]
    result = score_pairs(pred, pairs)
    assert result.rows == (
        PairLabelScores("Partially", 1, 0, 0.0),
        PairLabelScores("not derived", 2, 1, 0.5),
        PairLabelScores("wholly", 1, 1, 1.0),
    )
    assert (result.pairs, result.skipped) == (4, 1)
    assert result.precision == pytest.approx(0.5)
    assert result.recall == pytest.approx(0.5)
    assert result.f1 == pytest.approx(0.5)
    strict = score_pairs(pred, pairs, positive={"wholly"})
    assert (strict.precision, strict.recall) == (pytest.approx(0.5), pytest.approx(1.0))
    assert score_pairs(pred, []).precision == 1.0


def test_read_labels_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    path.write_text('{"id": 1, "cluster": 7}\n\n{"id": "b", "cluster": "x", "note": 1}\n')
    assert read_labels(path) == {"1": "7", "b": "x"}
    other = tmp_path / "other.json"
    other.write_text('{"doc": "a", "story": "s1"}\n')
    assert read_labels(other, id_field="doc", cluster_field="story") == {"a": "s1"}


def test_read_labels_csv(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("\ufeffcluster,id,extra\nx,a,1\nx,b,2\ny,c,\n")
    assert read_labels(path) == {"a": "x", "b": "x", "c": "y"}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("t.jsonl", '{"id": "a", "cluster": "x"}\n{"id": "a", "cluster": "y"}\n', ":2: duplicate"),
        ("t.jsonl", '{"id": "a", "cluster": "x"}\n\n{"id": "b"\n', ":3: invalid JSON"),
        ("t.jsonl", '{"id": "a"}\n', ":1: missing field 'cluster'"),
        ("t.jsonl", '{"id": "a", "cluster": null}\n', ":1: missing field 'cluster'"),
        ("t.jsonl", '["a", "x"]\n', ":1: expected a JSON object"),
        ("t.csv", "id,label\na,x\n", ":1: CSV header lacks column(s) cluster"),
        ("t.csv", "id,cluster\na,x\nb,\n", ":3: missing field 'cluster'"),
        ("t.csv", "id,cluster\na,x\nb\n", ":3: missing field 'cluster'"),
        ("t.csv", "id,cluster\na,x\na,y\n", ":3: duplicate id 'a'"),
    ],
)
def test_read_labels_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(LabelError, match=re.escape(f"{path}{message}")):
        read_labels(path)


def test_label_error_is_a_value_error() -> None:
    assert issubclass(LabelError, ValueError)


def test_read_pair_labels_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text('{"a": "x", "b": "y", "label": "wholly"}\n{"a": 1, "b": 2, "label": 0}\n')
    assert read_pair_labels(jsonl) == [("x", "y", "wholly"), ("1", "2", "0")]
    csv_path = tmp_path / "pairs.csv"
    csv_path.write_text("a,b,label\nx,y,not derived\n")
    assert read_pair_labels(csv_path) == [("x", "y", "not derived")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": "x", "label": "wholly"}\n')
    with pytest.raises(LabelError, match="missing field 'b'"):
        read_pair_labels(bad)


labelings = st.integers(min_value=0, max_value=12).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
    )
)


@given(labelings)
def test_contingency_counts_match_brute_force(pair: tuple[list[int], list[int]]) -> None:
    pred, truth = _labels(pair[0], "p"), _labels(pair[1], "t")
    s = score(pred, truth)
    both, pred_only, truth_only, neither = _brute_pairs(pred, truth)
    assert s.correct_pairs == both
    assert s.predicted_pairs == both + pred_only
    assert s.true_pairs == both + truth_only
    if (both + pred_only) * (pred_only + neither) + (both + truth_only) * (truth_only + neither):
        assert s.ari == pytest.approx(_brute_ari(pred, truth))
    assert score(pred, pred).ari == 1.0
    assert score(truth, truth).ari == 1.0
    assert -1.0 <= s.ari <= 1.0
    assert 0.0 <= s.bcubed_precision <= 1.0 and 0.0 <= s.bcubed_recall <= 1.0


def test_eval_scores_judged_pairs_alone(tmp_path: Path) -> None:
    """``dedup eval --pairs`` without cluster labels: linked shares per label, and precision
    and recall against the labels named by --positive."""
    from click.testing import CliRunner

    from dedup.cli import cli

    samples = Path(__file__).resolve().parent.parent / "samples"
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "a,b,label\n"
        "mna-grisling-coal,ebc-grisling-coal,REWRITE\n"
        "mna-oss-floods,radiovell-oss-floods,COPY\n"
        "cp-nordavia-bankruptcy,al-nordavia-stranded,INDEPENDENT\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["eval", "--pairs", str(pairs), "--positive", "REWRITE,COPY", str(samples), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "pairwise F1" not in result.output
    assert re.search(r"P 1\.0000\s+R 1\.0000", result.output), result.output
    assert re.search(r"INDEPENDENT\s+0 of 1\s+linked", result.output), result.output
    neither = CliRunner().invoke(cli, ["eval", str(samples)])
    assert neither.exit_code == 2 and "give --labels, --pairs or both" in neither.output
