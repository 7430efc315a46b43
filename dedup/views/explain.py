"""Explain a decision: why two stories were, or were not, put together.

A scan answers with clusters; an editor who doubts one wants the evidence behind it, in the
scan's own terms: the shingles the two share once boilerplate is taken out, what that makes of
their resemblance and containment, the passages the shared text comes from (runs of words
from the paragraph alignment, with paragraph numbers), which of them weighed nothing because
they are boilerplate, and the thresholds that decided.

Boilerplate is a property of a corpus, not of a pair: a footer is boilerplate because its
outlet repeats it across many stories. It is judged only when context stories are given (the
stories the pair was scanned with); without them, the pair is compared on all its text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dedup.detect.fingerprint import Fingerprint, Fingerprinter, shingle_hashes
from dedup.detect.verify import Overlap, decide, overlap, without
from dedup.engines.local import scan_stories
from dedup.read.inputs import outlet_of
from dedup.records import Cluster, Story
from dedup.settings import DEFAULT, Settings
from dedup.views.align import align, paragraph_words, shared_runs
from dedup.views.maps import clip as _clip


@dataclass(frozen=True)
class Passage:
    """A run of words the two stories share, in the same order."""

    a_paragraph: int
    """1-based paragraph number in A."""
    b_paragraph: int
    words: int
    shingles: int
    """Distinct shingles of the run: its weight in the decision before boilerplate."""
    discounted: int
    """How many of those are boilerplate shingles, which carry no weight."""
    text: str
    """The run as published in A."""


@dataclass(frozen=True)
class Boilerplate:
    """A paragraph of A or B judged boilerplate in the context, and the rule that said so."""

    side: str
    """"A" or "B"."""
    number: int
    text: str
    reason: str


@dataclass(frozen=True)
class Threshold:
    """One test of ``dedup.verify.decide``, with the measured value."""

    rule: str
    """"near-duplicate" or "partial reuse"."""
    setting: str
    value: float
    limit: float

    @property
    def passed(self) -> bool:
        return self.value >= self.limit


@dataclass
class Explanation:
    """The evidence for and against linking A and B, and the decision it leads to."""

    a: Story
    b: Story
    settings: Settings
    found: Overlap
    """What the two share with boilerplate excluded: what the decision is taken on."""
    whole: Overlap
    """The same over all their text."""
    kind: str | None
    """"near-duplicate", "partial", or None when not linked."""
    judged: bool
    """Whether boilerplate could be judged (context stories were given)."""
    context: int
    passages: list[Passage]
    boilerplate: list[Boilerplate]
    candidate: bool
    """Whether a passage of each lands in the same LSH bucket (boilerplate passages do not
    count): a scan only compares stories that do."""
    clusters: list[Cluster] = field(default_factory=list)
    """The clusters a scan of A, B and the context forms."""
    alignment_summary: str = ""

    @property
    def thresholds(self) -> list[Threshold]:
        s, found = self.settings, self.found
        return [
            Threshold("near-duplicate", "near_duplicate", found.resemblance, s.near_duplicate),
            Threshold("partial reuse", "min_shared", found.shared, s.min_shared),
            Threshold("partial reuse", "min_containment", found.containment, s.min_containment),
        ]

    @property
    def together(self) -> Cluster | None:
        """The cluster holding both, when the scan put them together."""
        for cluster in self.clusters:
            keys = {member.key for member in cluster.members}
            if self.a.key in keys and self.b.key in keys:
                return cluster
        return None

    def cluster_of(self, story: Story) -> Cluster | None:
        return next((c for c in self.clusters if any(m.key == story.key for m in c.members)), None)

    @property
    def verdict(self) -> str:
        """One line: linked or not, and the numbers that decided it."""
        s, found = self.settings, self.found
        shared, ms = found.shared, s.min_shared
        if self.kind == "near-duplicate":
            return (
                f"linked: near-duplicate (resemblance "
                f"{_num(found.resemblance, s.near_duplicate)} ≥ {s.near_duplicate})"
            )
        if self.kind == "partial":
            return (
                f"linked: partial reuse ({_num(found.containment, s.min_containment)} of the "
                f"smaller story, {shared} shingles ≥ {ms})"
            )
        if shared == 0:
            after = " once boilerplate is taken out" if self.whole.shared else ""
            return f"not linked: no shared shingles{after}"
        reasons = [f"resemblance {_num(found.resemblance, s.near_duplicate)} < {s.near_duplicate}"]
        if shared < ms:
            reasons.append(f"{shared} shingles < {ms}")
        if found.containment < s.min_containment:
            reasons.append(
                f"{_num(found.containment, s.min_containment)} of the smaller story "
                f"< {s.min_containment}"
            )
        return "not linked: " + ", ".join(reasons)


def _num(value: float, limit: float) -> str:
    """Two decimals, or more when two would make a value look equal to its limit."""
    for digits in (2, 3, 4):
        text = f"{value:.{digits}f}"
        if float(text) != limit or value == limit:
            return text
    return f"{value:.6f}"


def explain(
    a: Story, b: Story, context: Sequence[Story] = (), settings: Settings = DEFAULT
) -> Explanation:
    """Weigh A against B as a scan of A, B and ``context`` would, and say what decided."""
    context = [story for story in context if story.key not in (a.key, b.key)]
    stories = [a, b, *context]
    fingerprinter = Fingerprinter(settings)
    prints = fingerprinter.batch(stories)
    judged = bool(context)
    if judged:
        keys = boilerplate_paragraphs(prints, [outlet_of(s) for s in stories], settings)
        removed = boilerplate_shingles(prints, keys)
    else:
        keys, removed = set(), np.zeros(0, dtype=np.uint32)
    whole = overlap(prints[0].shingles, prints[1].shingles)
    found = overlap(without(prints[0].shingles, removed), without(prints[1].shingles, removed))
    pair = sorted((0, 1), key=lambda i: stories[i].sort_key)
    candidate = bool(candidate_pairs([prints[i] for i in pair], settings, keys))
    result = scan_stories(stories, settings)
    return Explanation(
        a=a,
        b=b,
        settings=settings,
        found=found,
        whole=whole,
        kind=decide(found, settings),
        judged=judged,
        context=len(context),
        passages=_passages(a, b, removed, settings),
        boilerplate=_boilerplate(stories, prints, keys, settings),
        candidate=candidate,
        clusters=result.clusters,
        alignment_summary=align(a, b).summary(),
    )


def _passages(a: Story, b: Story, removed: np.ndarray, settings: Settings) -> list[Passage]:
    """Every run of at least one shingle's worth of words shared by a paragraph of A and one
    of B, longest first."""
    words_a = [paragraph_words(p.text) for p in a.paragraphs]
    words_b = [paragraph_words(p.text) for p in b.paragraphs]
    passages = []
    for (i, j), runs in shared_runs(words_a, words_b).items():
        for start, _, length in runs:
            if length < settings.shingle:
                continue
            spans = words_a[i].spans[start : start + length]
            hashes = shingle_hashes([span[2] for span in spans], settings.shingle)
            discounted = int(np.isin(hashes, removed).sum()) if removed.size else 0
            text = words_a[i].text[spans[0][0] : spans[-1][1]]
            passages.append(Passage(i + 1, j + 1, length, int(hashes.size), discounted, text))
    return sorted(passages, key=lambda p: (-p.words, p.a_paragraph, p.b_paragraph))


def _boilerplate(
    stories: Sequence[Story], prints: Sequence[Fingerprint], keys: set[int], settings: Settings
) -> list[Boilerplate]:
    """A's and B's boilerplate paragraphs, each with the rule that made it boilerplate."""
    if not keys:
        return []
    carriers: dict[int, set[int]] = defaultdict(set)
    for index, fingerprint in enumerate(prints):
        for exact in fingerprint.exact.tolist():
            if exact in keys:
                carriers[exact].add(index)
    found = []
    for side, index in (("A", 0), ("B", 1)):
        for number, exact in enumerate(prints[index].exact.tolist(), start=1):
            if exact not in keys:
                continue
            holders = carriers[exact]
            if len(holders) > settings.boilerplate_max_df:
                reason = (
                    f"in {len(holders)} stories, more than --boilerplate-max-df "
                    f"{settings.boilerplate_max_df}"
                )
            else:
                outlets: dict[str, int] = defaultdict(int)
                for holder in holders:
                    outlets[outlet_of(stories[holder]) or "?"] += 1
                outlet, count = max(outlets.items(), key=lambda item: (item[1], item[0]))
                reason = (
                    f"{outlet} repeats it in {count} of its stories "
                    f"(--boilerplate-min {settings.boilerplate_min})"
                )
            text = stories[index].paragraphs[number - 1].text
            found.append(Boilerplate(side, number, text, reason))
    return found


# -- plain data and plain text -------------------------------------------------------------


def explain_json(found: Explanation) -> dict[str, Any]:
    """The explanation as one JSON object (``dedup explain --format json``)."""
    together = found.together
    return {
        "schema": 1,
        "a": _story_json(found.a, found.found.size_a, found.whole.size_a),
        "b": _story_json(found.b, found.found.size_b, found.whole.size_b),
        "shared": found.found.shared,
        "resemblance": round(found.found.resemblance, 4),
        "containment": round(found.found.containment, 4),
        "all_text": {
            "shared": found.whole.shared,
            "resemblance": round(found.whole.resemblance, 4),
            "containment": round(found.whole.containment, 4),
        },
        "boilerplate": {
            "judged": found.judged,
            "context_stories": found.context,
            "paragraphs": [
                {"side": p.side, "number": p.number, "text": p.text, "reason": p.reason}
                for p in found.boilerplate
            ],
        },
        "passages": [
            {
                "a_paragraph": p.a_paragraph,
                "b_paragraph": p.b_paragraph,
                "words": p.words,
                "shingles": p.shingles,
                "discounted": p.discounted,
                "text": p.text,
            }
            for p in found.passages
        ],
        "thresholds": [
            {
                "rule": t.rule,
                "setting": t.setting,
                "value": round(t.value, 4),
                "limit": t.limit,
                "passed": t.passed,
            }
            for t in found.thresholds
        ],
        "kind": found.kind,
        "linked": found.kind is not None,
        "candidate": found.candidate,
        "same_cluster": together.id if together else None,
        "alignment": found.alignment_summary,
        "verdict": found.verdict,
    }


def _story_json(story: Story, counted: int, total: int) -> dict[str, Any]:
    return {
        "id": story.id,
        "path": story.path,
        "record": story.record,
        "outlet": story.outlet or None,
        "headline": story.headline or None,
        "paragraphs": len(story.paragraphs),
        "shingles": counted,
        "shingles_with_boilerplate": total,
    }


def explain_lines(found: Explanation, passages: int = 12) -> list[tuple[str, str]]:
    """The explanation as (style, line) pairs: plain text joins the lines, the terminal
    view colours them by style ("head", "good", "bad", "dim" or "")."""
    s, shared = found.settings, found.found
    smaller = "A" if shared.size_a <= shared.size_b else "B"
    lines: list[tuple[str, str]] = []
    for side, story, size in (("A", found.a, shared.size_a), ("B", found.b, shared.size_b)):
        where = story.path or "-"
        if story.record:
            where += f"#{story.record}"
        lines.append(("head", f"{side}  {story.id}  ({story.outlet or 'outlet unknown'}; {where})"))
        lines.append(
            (
                "",
                f"   {len(story.paragraphs)} paragraphs, {size} shingles"
                + (f"  {story.headline}" if story.headline else ""),
            )
        )
    lines += [
        ("", ""),
        ("head", "overlap (shingles of five words, boilerplate excluded)"),
        ("", f"  shared shingles   {shared.shared}"),
        ("", f"  resemblance       {shared.resemblance:.4f}  (shared / all distinct shingles)"),
        (
            "",
            f"  containment       {shared.containment:.4f}  (shared / the smaller story, "
            f"{smaller})",
        ),
        ("dim", f"  paragraphs: {found.alignment_summary}"),
        ("", ""),
    ]
    if not found.judged:
        lines.append(("head", "boilerplate: none could be judged (no --context)"))
        lines.append(
            (
                "dim",
                "  boilerplate is what an outlet repeats across its stories, so it needs a "
                "corpus: give",
            )
        )
        lines.append(
            (
                "dim",
                "  the stories the pair was scanned with as --context INPUT...; all text counts",
            )
        )
    else:
        lines.append(
            (
                "head",
                f"boilerplate: judged over A, B and {found.context} context "
                f"{'story' if found.context == 1 else 'stories'}; "
                f"{len(found.boilerplate) or 'no'} paragraph"
                f"{'' if len(found.boilerplate) == 1 else 's'} of A or B discounted",
            )
        )
        reason = ""
        for item in found.boilerplate:
            if item.reason != reason:
                reason = item.reason
                lines.append(("dim", f"  {reason}:"))
            lines.append(("", f"    {item.side} ¶{item.number:<3} {_clip(item.text, 64)}"))
        if found.whole.shared != shared.shared:
            lines.append(
                ("dim", f"  with boilerplate the pair would share {found.whole.shared} shingles")
            )
    lines += [("", ""), ("head", f"shared passages (runs of {s.shingle}+ words, longest first)")]
    if not found.passages:
        lines.append(("dim", "  none"))
    for passage in found.passages[:passages]:
        note = ""
        if passage.discounted:
            part = passage.discounted < passage.shingles
            note = f", {passage.discounted if part else 'all'} boilerplate"
        lines.append(
            (
                "dim" if passage.discounted == passage.shingles else "",
                f"  A ¶{passage.a_paragraph:<3} B ¶{passage.b_paragraph:<3} "
                f"{passage.words:>3} words {passage.shingles:>3} shingles{note}  "
                f"“{_clip(passage.text, 48)}”",
            )
        )
    if len(found.passages) > passages:
        rest = found.passages[passages:]
        lines.append(("dim", f"  ... and {len(rest)} shorter ({sum(p.words for p in rest)} words)"))
    lines += [("", ""), ("head", "thresholds")]
    for t in found.thresholds:
        value = f"{t.value:.4f}" if isinstance(t.value, float) else str(t.value)
        sign = "≥" if t.passed else "<"
        option = "--" + t.setting.replace("_", "-")
        lines.append(
            (
                "good" if t.passed else "bad",
                f"  {t.rule:<15} {t.setting:<16} {value:>7} {sign} {t.limit:<5} ({option})",
            )
        )
    lines.append(("", ""))
    if found.candidate:
        lines.append(
            (
                "",
                "candidates: a passage of each falls in the same LSH bucket, so a scan "
                "compares them",
            )
        )
    else:
        lines.append(
            (
                "bad",
                "candidates: no passage of one collides with one of the other "
                "(boilerplate aside), so a scan never compares them",
            )
        )
    together = found.together
    scanned = "A, B and the context" if found.judged else "A and B"
    if together:
        lines.append(("", f"a scan of {scanned} puts them together in cluster {together.id}"))
    else:
        where = [
            f"{side} in {c.id}" if (c := found.cluster_of(story)) else f"{side} alone"
            for side, story in (("A", found.a), ("B", found.b))
        ]
        lines.append(("", f"a scan of {scanned} keeps them apart ({', '.join(where)})"))
        if found.kind and found.candidate:
            lines.append(
                (
                    "dim",
                    "  they are linked, but each cluster takes only stories matched "
                    "directly to its centre",
                )
            )
    lines += [("", ""), ("good" if found.kind else "bad", found.verdict)]
    return lines


def explain_text(found: Explanation) -> str:
    return "\n".join(line for _, line in explain_lines(found)) + "\n"
