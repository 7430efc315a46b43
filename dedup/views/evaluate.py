"""Score a predicted clustering of stories against hand-made ground truth.

Everything is computed from the contingency table of (predicted cluster, true cluster)
counts, so scoring stays linear in the number of stories even when a cluster holds
thousands of copies of one wire story and would have millions of pairs.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LabelError",
    "PairError",
    "PairLabelScores",
    "PairScores",
    "Scores",
    "read_labels",
    "read_pair_labels",
    "score",
    "score_pairs",
    "worst_errors",
]

DEFAULT_POSITIVE: tuple[str, ...] = ("wholly", "partially", "derived", "yes", "true", "1")


@dataclass(frozen=True)
class Scores:
    """Agreement of a predicted clustering with the truth.

    Only ids present in both mappings are scored; the rest are listed so that a
    coverage gap is visible instead of silently inflating or deflating the numbers.
    """

    stories: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    ari: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    missing_from_prediction: tuple[str, ...]
    unlabelled: tuple[str, ...]


@dataclass(frozen=True)
class PairError:
    """One representative wrong (or missing) link, for a human to inspect."""

    kind: str
    a: str
    b: str
    a_headline: str
    b_headline: str


@dataclass(frozen=True)
class PairLabelScores:
    """How often the prediction links judged pairs carrying one label value."""

    label: str
    pairs: int
    linked: int
    share_linked: float


@dataclass(frozen=True)
class PairScores:
    """Linking quality on judged pairs (e.g. agency copy vs. newspaper article).

    ``pairs`` counts the judged pairs whose two ids were both predicted; ``skipped``
    counts those left out because an id is absent from the prediction.
    """

    rows: tuple[PairLabelScores, ...]
    pairs: int
    skipped: int
    precision: float
    recall: float
    f1: float


class LabelError(ValueError):
    """A label file could not be read; the message names the file and line."""


def _comb2(n: int) -> int:
    return n * (n - 1) // 2


def _ratio(num: float, den: float) -> float:
    """Divide, treating an empty denominator as perfect: nothing claimed, nothing wrong."""
    return num / den if den else 1.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _contingency(
    predicted: Mapping[str, str], truth: Mapping[str, str]
) -> tuple[Counter[tuple[str, str]], Counter[str], Counter[str], int]:
    """Cell counts n_ij plus row sums a_i and column sums b_j over ids in both maps."""
    cells: Counter[tuple[str, str]] = Counter(
        (predicted[i], truth[i]) for i in predicted if i in truth
    )
    rows: Counter[str] = Counter()
    cols: Counter[str] = Counter()
    for (p, t), n in cells.items():
        rows[p] += n
        cols[t] += n
    return cells, rows, cols, sum(cells.values())


def _ari(index: int, sum_rows: int, sum_cols: int, n: int) -> float:
    """Hubert-Arabie adjusted Rand index from pair counts.

    The denominator is zero only when both clusterings are the same trivial
    partition (all singletons, or one cluster, or fewer than two items); they agree
    perfectly, so 1.0 is returned rather than NaN.
    """
    total = _comb2(n)
    if total == 0:
        return 1.0
    expected = sum_rows * sum_cols / total
    maximum = (sum_rows + sum_cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def score(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Scores:
    """Pairwise, ARI and B-cubed agreement of ``predicted`` with ``truth``.

    Both map story id -> cluster id. Precision and recall with a zero denominator
    are 1.0 (no pairs claimed means none claimed wrongly).
    """
    cells, rows, cols, n = _contingency(predicted, truth)
    correct = sum(_comb2(c) for c in cells.values())
    pred_pairs = sum(_comb2(c) for c in rows.values())
    true_pairs = sum(_comb2(c) for c in cols.values())
    precision = _ratio(correct, pred_pairs)
    recall = _ratio(correct, true_pairs)
    # B-cubed: every item in cell (i, j) has precision n_ij / a_i and recall n_ij / b_j.
    b_prec = _ratio(sum(c * c / rows[p] for (p, _), c in cells.items()), n)
    b_rec = _ratio(sum(c * c / cols[t] for (_, t), c in cells.items()), n)
    return Scores(
        stories=n,
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        ari=_ari(correct, pred_pairs, true_pairs, n),
        bcubed_precision=b_prec,
        bcubed_recall=b_rec,
        bcubed_f1=_f1(b_prec, b_rec),
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        correct_pairs=correct,
        missing_from_prediction=tuple(sorted(i for i in truth if i not in predicted)),
        unlabelled=tuple(sorted(i for i in predicted if i not in truth)),
    )


def _split_pairs(groups: Mapping[str, Mapping[str, list[str]]]) -> Iterator[tuple[int, str, str]]:
    """For each group split over several parts, yield (group size, id, id) joining the
    two largest parts; ties between parts go to the one with the smallest member."""
    for parts in groups.values():
        if len(parts) < 2:
            continue
        first, second = sorted(parts.values(), key=lambda ids: (-len(ids), min(ids)))[:2]
        yield sum(len(ids) for ids in parts.values()), min(first), min(second)


def worst_errors(
    predicted: Mapping[str, str],
    truth: Mapping[str, str],
    headlines: Mapping[str, str] | None = None,
    limit: int = 10,
) -> list[PairError]:
    """One representative pair per wrongly merged or wrongly split cluster.

    Listing every wrong pair of a big cluster would be quadratic and unreadable, so
    each predicted cluster spanning several true clusters yields one "false merge"
    (between its two largest true fragments) and each true cluster spread over
    several predicted clusters yields one "missed pair" (between its two largest
    fragments). Largest clusters come first; ties are broken by kind and ids.
    """
    by_pred: defaultdict[str, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    by_true: defaultdict[str, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for i, p in predicted.items():
        if i in truth:
            by_pred[p][truth[i]].append(i)
            by_true[truth[i]][p].append(i)
    found = [(size, "false merge", a, b) for size, a, b in _split_pairs(by_pred)]
    found += [(size, "missed pair", a, b) for size, a, b in _split_pairs(by_true)]
    found.sort(key=lambda e: (-e[0], e[1], e[2], e[3]))
    heads = headlines or {}
    return [
        PairError(kind, a, b, heads.get(a, ""), heads.get(b, ""))
        for _, kind, a, b in found[: max(limit, 0)]
    ]


def score_pairs(
    predicted: Mapping[str, str],
    pairs: Iterable[tuple[str, str, str]],
    positive: Collection[str] = DEFAULT_POSITIVE,
) -> PairScores:
    """How the prediction treats judged (a, b, label) pairs.

    Per label value: how many pairs are linked (same predicted cluster). Over all
    labels: precision/recall/F1 of "linked" against "label is in ``positive``"
    (compared case-insensitively). Pairs with an id missing from the prediction are
    skipped and counted, since the prediction says nothing about them. Zero
    denominators give 1.0, as in :func:`score`.
    """
    pos = {p.strip().lower() for p in positive}
    totals: Counter[str] = Counter()
    linked: Counter[str] = Counter()
    skipped = tp = fp = fn = 0
    for a, b, label in pairs:
        if a not in predicted or b not in predicted:
            skipped += 1
            continue
        label = label.strip()
        is_linked = predicted[a] == predicted[b]
        is_pos = label.lower() in pos
        totals[label] += 1
        linked[label] += is_linked
        tp += is_linked and is_pos
        fp += is_linked and not is_pos
        fn += is_pos and not is_linked
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    rows = tuple(
        PairLabelScores(lab, totals[lab], linked[lab], linked[lab] / totals[lab])
        for lab in sorted(totals)
    )
    return PairScores(
        rows=rows,
        pairs=sum(totals.values()),
        skipped=skipped,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
    )


def _records(
    path: str | os.PathLike[str], fields: tuple[str, ...]
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Yield (line number, field values as str) from a .csv file or JSON Lines file.

    Blank JSON lines are skipped; null, missing or empty values are errors because
    a label that silently became "None" would corrupt the scores.
    """
    p = Path(path)
    with p.open(encoding="utf-8-sig", newline="") as fh:
        if p.suffix.lower() == ".csv":
            reader = csv.DictReader(fh)
            absent = [f for f in fields if f not in (reader.fieldnames or [])]
            if absent:
                raise LabelError(f"{p}:1: CSV header lacks column(s) {', '.join(absent)}")
            rows: Iterator[tuple[int, object]] = ((reader.line_num, row) for row in reader)
        else:
            rows = _json_lines(p, fh)
        for line_no, row in rows:
            if not isinstance(row, dict):
                raise LabelError(f"{p}:{line_no}: expected a JSON object")
            values = []
            for f in fields:
                value = row.get(f)
                if value is None or value == "":
                    raise LabelError(f"{p}:{line_no}: missing field {f!r}")
                values.append(str(value))
            yield line_no, tuple(values)


def _json_lines(path: Path, lines: Iterable[str]) -> Iterator[tuple[int, object]]:
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield line_no, json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelError(f"{path}:{line_no}: invalid JSON: {exc.msg}") from exc


def read_labels(
    path: str | os.PathLike[str], id_field: str = "id", cluster_field: str = "cluster"
) -> dict[str, str]:
    """Read story id -> true cluster from JSON Lines, or from CSV if the name ends .csv.

    A repeated id is an error rather than last-one-wins, because it usually means
    two annotators disagreed or files were concatenated by mistake.
    """
    labels: dict[str, str] = {}
    for line_no, (story, cluster) in _records(path, (id_field, cluster_field)):
        if story in labels:
            raise LabelError(f"{path}:{line_no}: duplicate id {story!r}")
        labels[story] = cluster
    return labels


def read_pair_labels(
    path: str | os.PathLike[str], a_field: str = "a", b_field: str = "b", label_field: str = "label"
) -> list[tuple[str, str, str]]:
    """Read judged (a, b, label) pairs from JSON Lines, or from CSV if the name ends .csv."""
    return [(a, b, label) for _, (a, b, label) in _records(path, (a_field, b_field, label_field))]
