"""Align two stories paragraph by paragraph: what they share, what changed, what is new.

Paragraphs are compared on their matching tokens with rapidfuzz's alignment; only runs of at
least ``RUN`` words in the same order count as shared wording, so a few common words scattered
through two paragraphs ("the ... of ... in") are not mistaken for reuse. From those runs:

- *shared*: the two paragraphs are near-identical (``SHARED`` of the words of each in common);
- *changed*: reworded, trimmed or expanded one-to-one, or *merged* (one paragraph on a side
  takes substantial runs from several on the other) or *split* (the reverse);
- *unique*: nothing of it is found on the other side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

from dedup.read.text import token_spans
from dedup.records import Story

RUN = 3
"""Shortest run of words in the same order that counts as shared wording."""
SHARED = 0.8
"""Share of each paragraph's words, in shared runs, for "shared"."""
CHANGED = 0.5
"""Similarity for a one-to-one "changed" (reworded) pair."""
COVERED = 0.8
"""Share of a paragraph found in its counterpart for "trimmed" or "expanded"."""
PART = 0.3
"""Share of a paragraph that must reappear inside another for a merge or a split."""
MIN_WORDS = 6
"""Fewest words in shared runs for any relation other than "shared"."""


@dataclass(frozen=True)
class Words:
    """A paragraph's matching tokens and their places in its displayed text."""

    text: str
    spans: tuple[tuple[int, int, str], ...]

    @property
    def tokens(self) -> list[str]:
        return [span[2] for span in self.spans]


@dataclass
class Placement:
    """One paragraph's status in the diff."""

    number: int
    """1-based paragraph number."""
    text: str
    status: str = "unique"
    """"shared", "changed" or "unique"."""
    how: str = ""
    """For "changed": "reworded", "trimmed", "expanded", "merged" or "split"."""
    counterparts: list[int] = field(default_factory=list)
    """1-based numbers of the paragraphs it corresponds to on the other side."""
    similarity: float = 0.0
    kept: list[tuple[int, int]] = field(default_factory=list)
    """Character spans of its text that are found in a counterpart (for highlighting)."""


@dataclass
class Alignment:
    """The paragraph-by-paragraph comparison of two stories."""

    a: Story
    b: Story
    a_paragraphs: list[Placement]
    b_paragraphs: list[Placement]

    @property
    def rows(self) -> list[tuple[list[int], list[int]]]:
        """Side-by-side rows as (A numbers, B numbers), following B's order and slotting A's
        unmatched paragraphs in where they stood."""
        return _rows(self.a_paragraphs, self.b_paragraphs)

    def appears(self) -> int:
        """Paragraphs of A found (shared or changed) in B."""
        return sum(1 for p in self.a_paragraphs if p.status != "unique")

    def summary(self) -> str:
        a_name, b_name = self.a.id, self.b.id
        shared = sum(1 for p in self.a_paragraphs if p.status == "shared")
        changed = sum(1 for p in self.a_paragraphs if p.status == "changed")
        added = sum(1 for p in self.b_paragraphs if p.status == "unique")
        return (
            f"{self.appears()} of {len(self.a_paragraphs)} paragraphs of {a_name} appear in "
            f"{b_name} ({shared} shared, {changed} changed); {b_name} adds {added}"
        )


def align(a: Story, b: Story) -> Alignment:
    """Compare two stories paragraph by paragraph (see the module docstring)."""
    words_a = [paragraph_words(p.text) for p in a.paragraphs]
    words_b = [paragraph_words(p.text) for p in b.paragraphs]
    place_a = [Placement(i + 1, w.text) for i, w in enumerate(words_a)]
    place_b = [Placement(j + 1, w.text) for j, w in enumerate(words_b)]
    runs = shared_runs(words_a, words_b)

    def similarity(i: int, j: int) -> float:
        total = len(words_a[i].spans) + len(words_b[j].spans)
        return 2 * _count(runs[i, j]) / total if total else 0.0

    def near_identical(i: int, j: int) -> bool:
        words = _count(runs[i, j])
        return min(words / len(words_a[i].spans), words / len(words_b[j].spans)) >= SHARED

    def link(i: int, j: int, status: str, how_a: str = "", how_b: str = "") -> None:
        for place, other, how, side in ((place_a[i], j, how_a, 0), (place_b[j], i, how_b, 1)):
            place.status, place.how = status, how or place.how
            place.counterparts.append(other + 1)
            place.similarity = max(place.similarity, round(similarity(i, j), 3))
            place.kept.extend(_spans(words_a[i] if side == 0 else words_b[j], runs[i, j], side))

    ranked = sorted(runs, key=lambda ij: (-similarity(*ij), ij))
    free_a, free_b = set(range(len(words_a))), set(range(len(words_b)))
    for i, j in ranked:  # near-identical, one to one
        if i in free_a and j in free_b and near_identical(i, j):
            link(i, j, "shared")
            free_a.discard(i)
            free_b.discard(j)

    def part(i: int, j: int, side: int) -> bool:
        words = _count(runs[i, j])
        length = len(words_a[i].spans) if side == 0 else len(words_b[j].spans)
        return words >= MIN_WORDS and words >= PART * length

    for j in sorted(free_b):  # one paragraph of B made from several of A
        sources = [i for i in sorted(free_a) if (i, j) in runs and part(i, j, 0)]
        if len(sources) >= 2:
            for i in sources:
                link(i, j, "changed", "merged", "merged")
            free_a.difference_update(sources)
            free_b.discard(j)
    for i in sorted(free_a):  # one paragraph of A split into several of B
        targets = [j for j in sorted(free_b) if (i, j) in runs and part(i, j, 1)]
        if len(targets) >= 2:
            for j in targets:
                link(i, j, "changed", "split", "split")
            free_a.discard(i)
            free_b.difference_update(targets)
    for i, j in ranked:  # reworded, trimmed or expanded, one to one
        if i not in free_a or j not in free_b or _count(runs[i, j]) < MIN_WORDS:
            continue
        words = _count(runs[i, j])
        cover_a, cover_b = words / len(words_a[i].spans), words / len(words_b[j].spans)
        if cover_b >= COVERED and cover_a < COVERED:
            link(i, j, "changed", "trimmed", "trimmed")
        elif cover_a >= COVERED and cover_b < COVERED:
            link(i, j, "changed", "expanded", "expanded")
        elif similarity(i, j) >= CHANGED:
            link(i, j, "changed", "reworded", "reworded")
        else:
            continue
        free_a.discard(i)
        free_b.discard(j)
    for place in (*place_a, *place_b):
        place.counterparts.sort()
        place.kept.sort()
    return Alignment(a, b, place_a, place_b)


def paragraph_words(text: str) -> Words:
    """A paragraph's matching tokens with their places, as every alignment uses them."""
    return Words(text, tuple(token_spans(text)))


Runs = list[tuple[int, int, int]]
"""(start in A, start in B, length) of each run of shared words."""


def shared_runs(words_a: list[Words], words_b: list[Words]) -> dict[tuple[int, int], Runs]:
    """Runs of at least RUN shared words for every pair of paragraphs that has any; pairs
    with no word trigram in common are skipped without aligning them."""
    grams_b = [_trigrams(w.tokens) for w in words_b]
    result: dict[tuple[int, int], Runs] = {}
    for i, wa in enumerate(words_a):
        tokens_a = wa.tokens
        grams_a = _trigrams(tokens_a)
        if not grams_a:
            continue
        for j, wb in enumerate(words_b):
            if not grams_a & grams_b[j]:
                continue
            runs = [
                (op.src_start, op.dest_start, op.src_end - op.src_start)
                for op in Indel.opcodes(tokens_a, wb.tokens)
                if op.tag == "equal" and op.src_end - op.src_start >= RUN
            ]
            if runs:
                result[i, j] = runs
    return result


def _trigrams(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[k : k + RUN]) for k in range(len(tokens) - RUN + 1)}


def _count(runs: Runs) -> int:
    return sum(length for _, _, length in runs)


def _spans(words: Words, runs: Runs, side: int) -> list[tuple[int, int]]:
    spans = []
    for run in runs:
        start, length = run[side], run[2]
        spans.append((words.spans[start][0], words.spans[start + length - 1][1]))
    return spans


def _rows(a: list[Placement], b: list[Placement]) -> list[tuple[list[int], list[int]]]:
    rows: list[tuple[list[int], list[int]]] = []
    shown: set[int] = set()
    next_a = 1
    for place in b:
        left = [n for n in place.counterparts if n not in shown]
        if place.counterparts:
            first = min(place.counterparts)
            for number in range(next_a, first):
                if number not in shown and a[number - 1].status == "unique":
                    rows.append(([number], []))
                    shown.add(number)
            next_a = max(next_a, first)
        shown.update(left)
        rows.append((left, [place.number]))
    rows.extend(([p.number], []) for p in a if p.number not in shown)
    return rows
