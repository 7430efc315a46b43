"""Explain a decision: why two stories were, or were not, put together.

A scan answers with clusters; an editor who doubts one wants the evidence behind it, in the
scan's own terms: the shingles the two share once boilerplate is taken out, what that makes of
their resemblance and containment, the passages the shared text comes from (runs of words
from the paragraph alignment), whether the scan would even compare them (shared anchors for
copies, shared sentence-unit band keys for rewrites), the verbatim thresholds, the rewrite
decision with its aligned sentences, and whether a scan puts them in one cluster.

Every decision here is the core's own (``find_links``, ``decide``, ``verify_rewrites``,
``decide_rewrite``, ``copy_candidates``, ``rewrite_candidates``, ``form_clusters``), run over
A, B and the context exactly as a scan runs it: this module only reads their answers out.

Boilerplate is a property of a corpus, not of a pair: a footer is boilerplate because its
outlet repeats it across stories that share nothing else. It is judged only when context
stories are given (the stories the pair was scanned with); without them, the pair is
compared on all its text.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dedup.detect.boilerplate import may_share_outlet
from dedup.detect.candidates import (
    COMMON_KEY,
    KeyTable,
    copy_candidates,
    keys_needed,
    pack_pairs,
    rewrite_candidates,
)
from dedup.detect.cluster import form_clusters
from dedup.detect.fingerprint import Fingerprint, shingle_hashes
from dedup.detect.links import Links, copy_items, rewrite_keys, story_days
from dedup.detect.rewrite import Rewrite, decide_rewrite
from dedup.detect.verify import (
    Overlap,
    containment_needed,
    decide,
    overlap,
    same_outlets,
    sentences,
    usable_units,
    verify_rewrites,
)
from dedup.read.inputs import outlet_of
from dedup.read.text import MARK_CODES, quote_marks
from dedup.records import Cluster, Match, Story
from dedup.settings import DEFAULT, Settings
from dedup.views.align import align, paragraph_words, shared_runs, story_units
from dedup.views.maps import boilerplate_paragraphs, boilerplate_units, core_links
from dedup.views.maps import clip as _clip

_NO_MARKS = str.maketrans(dict.fromkeys(MARK_CODES, " "))


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
    """How many of those are A's boilerplate shingles, which carry no weight."""
    text: str
    """The run as published in A."""
    quoted: bool = False
    """Whether the run is inside quotation marks in both stories (half its words or more in
    each): a speaker's words, which every report of what they said shares."""


@dataclass(frozen=True)
class Boilerplate:
    """A paragraph (or sentence) of A or B that is mostly boilerplate in the context, and
    why."""

    side: str
    """"A" or "B"."""
    unit: str
    """"paragraph", or "sentence" for a story in one block."""
    number: int
    text: str
    stories: int
    """Stories that may be of its outlet (``may_share_outlet``) and carry it as boilerplate."""
    outlet: str
    """The outlet of the story it is in; "" when unknown."""
    outlets: tuple[str, ...] = ()
    """The outlets of those stories, "" for unknown, in order of first carrier."""

    @property
    def reason(self) -> str:
        names = [name or "unknown outlet" for name in self.outlets] or ["unknown outlet"]
        where = " or ".join(names)
        return f"repeated in {self.stories} stories of {where} that share nothing else"


@dataclass(frozen=True)
class Threshold:
    """One test of the verbatim rule (``detect.verify.decide``), with the measured value."""

    rule: str
    """"near-duplicate" or "partial reuse"."""
    setting: str
    value: float
    limit: float

    @property
    def passed(self) -> bool:
        return self.value >= self.limit


@dataclass(frozen=True)
class Candidates:
    """Whether a scan would put the pair to a decision at all."""

    anchors: int
    """Anchors the two share (a shared verbatim run of 28 words always brings one)."""
    boilerplate_anchors: int
    """How many of those are boilerplate anchors, which bring no candidates."""
    copy: bool
    """A copy candidate pair (``copy_candidates``)."""
    unit_keys: int
    """Usable sentence-unit band keys the two share."""
    same_item: bool
    """Already one item: verbatim reuse links them (directly or through other stories), so
    the scan makes no rewrite decision between them."""
    rewrite: bool
    """A rewrite candidate pair of items (``rewrite_candidates``)."""
    keys_needed: int
    """Shared band keys the two items would need to be rewrite candidates
    (``keys_needed``: more for longer stories)."""
    rewrites_looked_for: bool
    """False with ``links = "copy"``: no rewrite candidates at all."""
    decided_on: tuple[str, str] = ("", "")
    """Ids of the stories the rewrite decision reads for A's item and B's (``item_origins``:
    the earliest, or undated, the one sharing the most with its copies); A's and B's own
    when each stands for its item."""

    @property
    def any(self) -> bool:
        return self.copy or self.rewrite


@dataclass(frozen=True)
class AlignedSentence:
    """A sentence of A and its counterpart in B, from the rewrite decision."""

    a: int
    """1-based sentence unit number in A."""
    b: int
    similarity: float
    a_text: str
    b_text: str


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
    copy_kind: str | None
    """The verbatim rule's answer: "near-duplicate", "partial", or None."""
    rewrite: Rewrite | None
    """The rewrite decision, None when it is not made (``links = "copy"``)."""
    match: Match | None
    """The link the core makes between A and B when put to a decision, None if none."""
    judged: bool
    """Whether boilerplate could be judged (context stories were given)."""
    context: int
    passages: list[Passage]
    boilerplate: list[Boilerplate]
    candidates: Candidates
    aligned: list[AlignedSentence]
    scan_linked: bool
    """Whether the scan's own links hold a direct link between A and B."""
    clusters: list[Cluster] = field(default_factory=list)
    """The clusters a scan of A, B and the context forms."""
    alignment_summary: str = ""
    same_outlet: bool = False
    """Whether A and B are of one known outlet: partial reuse then needs a third of the
    smaller story (``detect.verify.containment_needed``)."""

    @property
    def kind(self) -> str | None:
        """ "near-duplicate", "partial", "rewrite", or None when not linked."""
        return self.match.kind if self.match else None

    @property
    def needed(self) -> float:
        """The shared shingles a partial reuse needs at their length: ``min_shared``, or
        ``short_share`` of a smaller story too short to hold it twice, never below the
        evidence floor (as ``detect.verify.decide_all`` reads it)."""
        s = self.settings
        smaller = min(self.found.size_a, self.found.size_b)
        return max(s.evidence_floor, min(s.min_shared, s.short_share * smaller))

    @property
    def least(self) -> float:
        """The share of the smaller story partial reuse needs between A and B."""
        return containment_needed(self.settings, self.same_outlet)

    @property
    def thresholds(self) -> list[Threshold]:
        s, found = self.settings, self.found
        setting = "short_share" if self.least != s.min_containment else "min_containment"
        return [
            Threshold("near-duplicate", "near_duplicate", found.resemblance, s.near_duplicate),
            Threshold("partial reuse", "min_shared", found.shared, self.needed),
            Threshold("partial reuse", setting, found.containment, self.least),
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
        if self.copy_kind == "near-duplicate":
            return (
                f"linked: near-duplicate (resemblance "
                f"{_num(found.resemblance, s.near_duplicate)} ≥ {s.near_duplicate})"
            )
        if self.copy_kind == "partial":
            return (
                f"linked: partial reuse ({_num(found.containment, self.least)} of the "
                f"smaller story, {found.shared} shingles ≥ {_limit(self.needed)})"
            )
        rewrite = self.rewrite
        if self.match is not None and rewrite is not None:
            aligned = (
                f"{_num(rewrite.coverage, s.rewrite_coverage)} of the smaller story in "
                f"{len(rewrite.pairs)} aligned sentences ≥ {s.rewrite_coverage}"
            )
            if self.match.kind == "rewrite":
                return f"linked: rewrite ({aligned})"
            return f"linked: partial reuse ({aligned}, mostly word for word)"
        if found.shared == 0:
            after = " once boilerplate is taken out" if self.whole.shared else ""
            reasons = [f"no shared shingles{after}"]
        else:
            reasons = [
                f"resemblance {_num(found.resemblance, s.near_duplicate)} < {s.near_duplicate}"
            ]
            if found.shared < self.needed:
                reasons.append(f"{found.shared} shingles < {_limit(self.needed)}")
            if found.containment < self.least:
                mine = ", stories of one outlet" if self.same_outlet else ""
                reasons.append(
                    f"{_num(found.containment, self.least)} of the smaller story "
                    f"< {self.least}{mine}"
                )
        if rewrite is None:
            tail = "rewrites not looked for (--links copy)"
        elif rewrite.linked:  # a short copy, which stories of one outlet make only with more
            tail = (
                f"rewrite: {_num(rewrite.coverage, s.rewrite_coverage)} of the smaller story in "
                f"{len(rewrite.pairs)} aligned sentences, mostly word for word: a short copy, "
                f"{_num(found.containment, self.least)} of the smaller story < {self.least}"
            )
        elif not rewrite.pairs:
            tail = f"rewrite: under {s.rewrite_coverage} of the smaller story in aligned sentences"
        elif rewrite.coverage < s.rewrite_coverage:
            tail = (
                f"rewrite: {_num(rewrite.coverage, s.rewrite_coverage)} of the smaller story in "
                f"aligned sentences < {s.rewrite_coverage}"
            )
        else:
            tail = f"rewrite: {len(rewrite.pairs)} aligned sentences < {s.rewrite_sentences}"
        return "not linked: " + ", ".join(reasons) + "; " + tail


def _num(value: float, limit: float) -> str:
    """Two decimals, or more when two would make a value look equal to its limit."""
    for digits in (2, 3, 4):
        text = f"{value:.{digits}f}"
        if float(text) != limit or value == limit:
            return text
    return f"{value:.6f}"


def _limit(value: float) -> str:
    """A shingle count limit: whole, or with one decimal when a share made it fractional."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def explain(
    a: Story, b: Story, context: Sequence[Story] = (), settings: Settings = DEFAULT
) -> Explanation:
    """Weigh A against B as a scan of A, B and ``context`` would, and say what decided."""
    if a.key == b.key:
        raise ValueError("A and B are the same story")
    context = [story for story in context if story.key not in (a.key, b.key)]
    stories = sorted([a, b, *context], key=lambda story: story.sort_key)
    prints, links = core_links(stories, settings)
    at = {story.key: number for number, story in enumerate(stories)}
    ia, ib = at[a.key], at[b.key]
    removed = [links.boilerplate.of(number) for number in range(len(stories))]
    found = overlap(links.content[ia], links.content[ib])
    whole = overlap(prints[ia].shingle_set(), prints[ib].shingle_set())
    outlets = [outlet_of(story) for story in stories]
    same = bool(same_outlets(outlets, np.array([ia]), np.array([ib]))[0])
    copy_kind = decide(found, settings, same)
    rewrite = None
    if settings.links == "all":
        rewrite = decide_rewrite(
            sentences(prints[ia], removed[ia], settings),
            sentences(prints[ib], removed[ib], settings),
            settings,
        )
    match = _match(
        stories, prints, links.content, removed, outlets, ia, ib, copy_kind, found, settings
    )
    keys = [story.key for story in stories]
    clusters = form_clusters(stories, links.matches, dict(zip(keys, links.content)))
    pair = {a.key, b.key}
    return Explanation(
        a=a,
        b=b,
        settings=settings,
        found=found,
        whole=whole,
        copy_kind=copy_kind,
        rewrite=rewrite,
        match=match,
        judged=bool(context),
        context=len(context),
        passages=_passages(a, b, removed[ia], settings),
        boilerplate=_boilerplate(stories, prints, removed, (("A", ia), ("B", ib)), settings),
        candidates=_candidates(stories, prints, links, removed, ia, ib, settings),
        aligned=_aligned(prints[ia], prints[ib], removed[ia], removed[ib], rewrite, settings),
        scan_linked=any({m.a, m.b} == pair for m in links.matches),
        clusters=clusters,
        alignment_summary=align(
            a,
            b,
            boilerplate_a=boilerplate_paragraphs(a, prints[ia], removed[ia], settings),
            boilerplate_b=boilerplate_paragraphs(b, prints[ib], removed[ib], settings),
        ).summary(),
        same_outlet=same,
    )


def _match(
    stories: Sequence[Story],
    prints: Sequence[Fingerprint],
    content: Sequence[np.ndarray],
    removed: Sequence[np.ndarray],
    outlets: Sequence[str],
    ia: int,
    ib: int,
    copy_kind: str | None,
    found: Overlap,
    settings: Settings,
) -> Match | None:
    """The link the core makes when the pair is put to a decision: the verbatim rule first,
    then, as a scan does for stories no copy links, the rewrite decision
    (``verify_rewrites``, which also tells a short verbatim copy from a rewrite)."""
    first, second = min(ia, ib), max(ia, ib)
    keys = [story.key for story in stories]
    if copy_kind is not None:
        return Match(
            keys[first],
            keys[second],
            found.shared,
            found.resemblance,
            found.containment,
            copy_kind,
        )
    if settings.links != "all":
        return None
    pairs = pack_pairs(np.array([first]), np.array([second]))
    found_rewrites = verify_rewrites(pairs, keys, prints, content, removed, settings, None, outlets)
    return found_rewrites[0] if found_rewrites else None


def _candidates(
    stories: Sequence[Story],
    prints: Sequence[Fingerprint],
    links: Links,
    removed: Sequence[np.ndarray],
    ia: int,
    ib: int,
    settings: Settings,
) -> Candidates:
    """Whether the scan's candidate stages bring A and B together, asked of the stages
    themselves over the whole collection (the widely-shared rule depends on it)."""
    first, second = min(ia, ib), max(ia, ib)
    table = KeyTable.of([print_.anchors for print_ in prints])
    heads, owners = table.heads, table.owners
    shared_heads = np.intersect1d(heads[owners == ia], heads[owners == ib])
    plate = int(np.isin(shared_heads, links.boilerplate.anchors).sum())
    wanted = int(pack_pairs(np.array([first]), np.array([second]))[0])
    copy = wanted in set(
        copy_candidates(table.without(links.boilerplate.anchors), settings).tolist()
    )
    evidence = [rewrite_keys(p, gone, settings) for p, gone in zip(prints, removed)]
    unit_keys = [keys for keys, _ in evidence]
    units = np.array([count for _, count in evidence], dtype=np.int64)
    shared_keys = int(np.intersect1d(unit_keys[ia], unit_keys[ib]).size)
    verbatim = [m for m in links.matches if m.coverage == 0]
    items, origins = copy_items(stories, verbatim, [story.key for story in stories])
    same_item = bool(items[ia] == items[ib])
    first_a, first_b = origins[[items[ia], items[ib]]]
    needed = int(keys_needed(units[first_a], units[first_b], settings))
    rewrite = False
    looked = settings.links == "all"
    if looked and not same_item:
        low, high = sorted((int(items[ia]), int(items[ib])))
        pairs = rewrite_candidates(unit_keys, items, story_days(stories), units, settings, origins)
        rewrite = int(pack_pairs(np.array([low]), np.array([high]))[0]) in set(pairs.tolist())
    return Candidates(
        anchors=int(shared_heads.size),
        boilerplate_anchors=plate,
        copy=copy,
        unit_keys=shared_keys,
        same_item=same_item,
        rewrite=rewrite,
        keys_needed=needed,
        rewrites_looked_for=looked,
        decided_on=(stories[first_a].id, stories[first_b].id),
    )


def _passages(a: Story, b: Story, removed: np.ndarray, settings: Settings) -> list[Passage]:
    """Every run of at least one shingle's worth of words shared by a paragraph of A and one
    of B, longest first."""
    words_a = [paragraph_words(p.text) for p in a.paragraphs]
    words_b = [paragraph_words(p.text) for p in b.paragraphs]
    marks_a = quote_marks([p.text for p in a.paragraphs])
    marks_b = quote_marks([p.text for p in b.paragraphs])
    passages = []
    for (i, j), runs in shared_runs(words_a, words_b).items():
        for start, start_b, length in runs:
            if length < settings.shingle:
                continue
            spans = words_a[i].spans[start : start + length]
            hashes = shingle_hashes([span[2] for span in spans], settings.shingle)
            discounted = int(np.isin(hashes, removed).sum()) if removed.size else 0
            text = words_a[i].text[spans[0][0] : spans[-1][1]]
            quoted = _quoted(spans, marks_a[i]) and _quoted(
                words_b[j].spans[start_b : start_b + length], marks_b[j]
            )
            passages.append(
                Passage(i + 1, j + 1, length, int(hashes.size), discounted, text, quoted)
            )
    return sorted(passages, key=lambda p: (-p.words, p.a_paragraph, p.b_paragraph))


def _quoted(spans: Sequence[tuple[int, int, str]], marks: list[int]) -> bool:
    """Whether half the words at ``spans`` or more are inside quotation marks (an odd number
    of the paragraph's ``marks`` before them)."""
    inside = sum(bisect(marks, begin) % 2 for begin, _, _ in spans)
    return 2 * inside >= len(spans) > 0


def _boilerplate(
    stories: Sequence[Story],
    prints: Sequence[Fingerprint],
    removed: Sequence[np.ndarray],
    sides: Sequence[tuple[str, int]],
    settings: Settings,
) -> list[Boilerplate]:
    """A's and B's units that are mostly boilerplate, each with the stories that repeat it:
    those that may be of the same outlet (``may_share_outlet``) whose boilerplate holds
    most of it."""
    outlets = [outlet_of(story) for story in stories]
    found = []
    for side, number in sides:
        story = stories[number]
        units, shingles = boilerplate_units(story, prints[number], removed[number], settings)
        kind = story_units(story)[1]
        outlet = story.outlet or outlets[number]
        for unit, mine in zip(units, shingles):
            carriers = [
                stories[other].outlet or outlets[other]
                for other, gone in enumerate(removed)
                if may_share_outlet(outlets[other], outlets[number])
                and gone.size
                and 2 * int(np.isin(mine, gone, assume_unique=True).sum()) >= mine.size
            ]
            found.append(
                Boilerplate(
                    side,
                    kind,
                    unit.number,
                    unit.text,
                    len(carriers),
                    outlet,
                    tuple(dict.fromkeys(carriers)),
                )
            )
    return found


def _aligned(
    a: Fingerprint,
    b: Fingerprint,
    removed_a: np.ndarray,
    removed_b: np.ndarray,
    rewrite: Rewrite | None,
    settings: Settings,
) -> list[AlignedSentence]:
    """The rewrite decision's aligned sentence pairs, with their units' words (as the
    decision read them: lower case, numbers kept here for reading)."""
    if rewrite is None or not rewrite.pairs:
        return []
    texts = []
    for print_, gone in ((a, removed_a), (b, removed_b)):
        words = print_.text.translate(_NO_MARKS).split()
        usable = np.flatnonzero(usable_units(print_, gone, settings.shingle)).tolist()
        units = print_.units.tolist()
        texts.append([(at + 1, " ".join(words[units[at][0] : units[at][1]])) for at in usable])
    return [
        AlignedSentence(texts[0][i][0], texts[1][j][0], similarity, texts[0][i][1], texts[1][j][1])
        for i, j, similarity in rewrite.pairs
    ]


# -- plain data and plain text -------------------------------------------------------------


def explain_json(found: Explanation) -> dict[str, Any]:
    """The explanation as one JSON object (``dedup explain --format json``)."""
    together = found.together
    c, rewrite, s = found.candidates, found.rewrite, found.settings
    return {
        "schema": 2,
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
                {
                    "side": p.side,
                    "unit": p.unit,
                    "number": p.number,
                    "text": p.text,
                    "stories": p.stories,
                    "outlet": p.outlet or None,
                    "reason": p.reason,
                }
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
                "quoted": p.quoted,
                "text": p.text,
            }
            for p in found.passages
        ],
        "candidates": {
            "copy": c.copy,
            "anchors": c.anchors,
            "boilerplate_anchors": c.boilerplate_anchors,
            "rewrite": c.rewrite,
            "unit_keys": c.unit_keys,
            "same_item": c.same_item,
            "rewrites_looked_for": c.rewrites_looked_for,
            "decided_on": list(c.decided_on),
        },
        "candidate": c.any,
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
        "rewrite": None
        if rewrite is None
        else {
            "linked": rewrite.linked,
            "coverage": rewrite.coverage,
            "quotes_alike": rewrite.spoken,
            "rewrite_coverage": s.rewrite_coverage,
            "sentences": len(rewrite.pairs),
            "rewrite_sentences": s.rewrite_sentences,
            "pairs": [
                {
                    "a": p.a,
                    "b": p.b,
                    "similarity": p.similarity,
                    "a_text": p.a_text,
                    "b_text": p.b_text,
                }
                for p in found.aligned
            ],
        },
        "kind": found.kind,
        "link": found.match.link if found.match else None,
        "linked": found.match is not None,
        "scan_linked": found.scan_linked,
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
        ("head", f"overlap (shingles of {s.shingle} words, boilerplate excluded)"),
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
    lines += _boilerplate_lines(found)
    lines += [("", ""), ("head", f"shared passages (runs of {s.shingle}+ words, longest first)")]
    if not found.passages:
        lines.append(("dim", "  none"))
    for passage in found.passages[:passages]:
        note = ""
        if passage.discounted:
            part = passage.discounted < passage.shingles
            note = f", {passage.discounted if part else 'all'} boilerplate"
        if passage.quoted:
            note += ", quoted in both"
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
    lines += [("", ""), *_candidate_lines(found)]
    lines += [("", ""), ("head", "verbatim reuse (copy)")]
    for t in found.thresholds:
        value = f"{t.value:.4f}" if isinstance(t.value, float) else str(t.value)
        sign = "≥" if t.passed else "<"
        limit = _limit(t.limit) if t.setting == "min_shared" else str(t.limit)
        option = "--" + t.setting.replace("_", "-")
        note = ""
        if t.setting == "min_shared" and t.limit != s.min_shared:
            note = f", {s.short_share} of the smaller story"
        elif t.setting == "short_share":
            note = ": two stories of one outlet"
        lines.append(
            (
                "good" if t.passed else "bad",
                f"  {t.rule:<15} {t.setting:<16} {value:>7} {sign} {limit:<5} ({option}{note})",
            )
        )
    lines += [("", ""), *_rewrite_lines(found)]
    lines += [("", ""), *_cluster_lines(found)]
    lines += [("", ""), ("good" if found.match else "bad", found.verdict)]
    return lines


def _boilerplate_lines(found: Explanation) -> list[tuple[str, str]]:
    if not found.judged:
        return [
            ("head", "boilerplate: none could be judged (no --context)"),
            (
                "dim",
                "  boilerplate is text repeated across stories that share nothing else, so it "
                "needs a",
            ),
            ("dim", "  corpus: give the stories the pair was scanned with as --context INPUT..."),
        ]
    count = len(found.boilerplate)
    units = "units" if count != 1 else "unit"
    lines = [
        (
            "head",
            f"boilerplate: judged over A, B and {found.context} context "
            f"{'story' if found.context == 1 else 'stories'}; "
            f"{count or 'no'} {units} of A or B mostly boilerplate",
        )
    ]
    reason = ""
    for item in found.boilerplate:
        if item.reason != reason:
            reason = item.reason
            lines.append(("dim", f"  {reason}:"))
        mark = "¶" if item.unit == "paragraph" else "s"
        lines.append(("", f"    {item.side} {mark}{item.number:<3} {_clip(item.text, 64)}"))
    if found.whole.shared != found.found.shared:
        lines.append(
            ("dim", f"  with boilerplate the pair would share {found.whole.shared} shingles")
        )
    return lines


def _candidate_lines(found: Explanation) -> list[tuple[str, str]]:
    c = found.candidates
    lines = [("head", "candidates (what a scan compares)")]
    plate = f" ({c.boilerplate_anchors} of them boilerplate)" if c.boilerplate_anchors else ""
    if c.copy:
        lines.append(("good", f"  copy: {c.anchors} shared anchors{plate}: a copy candidate"))
    else:
        if not c.anchors:
            why = (
                f"no shared run of {found.settings.shingle + found.settings.anchor_window - 1} "
                "words"
            )
        elif c.anchors == c.boilerplate_anchors:
            why = "boilerplate anchors bring no candidates"
        else:
            why = "widely shared: each carrier is compared with the earliest one only"
        lines.append(
            ("bad", f"  copy: {c.anchors} shared anchors{plate}: no copy candidate ({why})")
        )
    window, days = "", found.settings.rewrite_window
    if days and found.a.date is not None and found.b.date is not None:
        apart = abs(found.a.date.timestamp() - found.b.date.timestamp()) / 86400
        window = f", dated at most {days} days apart: these are {apart:.1f}"
    if not c.rewrites_looked_for:
        lines.append(("dim", "  rewrite: not looked for (--links copy)"))
    elif c.same_item:
        lines.append(("dim", "  rewrite: not needed, verbatim reuse already links them"))
    elif c.rewrite:
        read = ""
        if c.decided_on != (found.a.id, found.b.id):
            read = (
                f", decided between {c.decided_on[0]} and {c.decided_on[1]}, the likely "
                "origins of the copies A and B belong to"
            )
        lines.append(
            ("good", f"  rewrite: {c.unit_keys} shared sentence keys: a rewrite candidate{read}")
        )
    else:
        lines.append(
            (
                "bad",
                f"  rewrite: {c.unit_keys} shared sentence keys: no rewrite candidate (needs "
                f"{c.keys_needed} carried by at most {COMMON_KEY} stories{window})",
            )
        )
    return lines


def _rewrite_lines(found: Explanation, shown: int = 8) -> list[tuple[str, str]]:
    s, rewrite = found.settings, found.rewrite
    lines = [("head", "rewrite (sentences aligned in order)")]
    if rewrite is None:
        return [*lines, ("dim", "  not decided: --links copy")]
    if not rewrite.pairs:
        return [
            *lines,
            (
                "bad",
                f"  no sentences aligned: they cannot cover {s.rewrite_coverage} of the smaller "
                f"story in {s.rewrite_sentences} sentences (--rewrite-coverage, "
                "--rewrite-sentences)",
            ),
        ]
    coverage_ok = rewrite.coverage >= s.rewrite_coverage
    count_ok = len(rewrite.pairs) >= s.rewrite_sentences
    lines.append(
        (
            "good" if coverage_ok else "bad",
            f"  coverage          {rewrite.coverage:>7.4f} {'≥' if coverage_ok else '<'} "
            f"{s.rewrite_coverage:<5} (--rewrite-coverage: of the smaller story)",
        )
    )
    lines.append(
        (
            "good" if count_ok else "bad",
            f"  aligned sentences {len(rewrite.pairs):>7} {'≥' if count_ok else '<'} "
            f"{s.rewrite_sentences:<5} (--rewrite-sentences)",
        )
    )
    if rewrite.spoken:
        lines.append(
            (
                "dim",
                f"  quotes given alike {rewrite.spoken:>6.4f}         (of the smaller story: "
                "a speaker's words, no evidence)",
            )
        )
    for pair in found.aligned[:shown]:
        lines.append(
            (
                "dim",
                f"    A s{pair.a:<3} B s{pair.b:<3} {pair.similarity:.2f}  "
                f"“{_clip(pair.a_text, 30)}” ~ “{_clip(pair.b_text, 30)}”",
            )
        )
    if len(found.aligned) > shown:
        lines.append(("dim", f"    ... and {len(found.aligned) - shown} more"))
    return lines


def _cluster_lines(found: Explanation) -> list[tuple[str, str]]:
    together = found.together
    scanned = "A, B and the context" if found.judged else "A and B"
    if together:
        return [("", f"a scan of {scanned} puts them together in cluster {together.id}")]
    where = [
        f"{side} in {c.id}" if (c := found.cluster_of(story)) else f"{side} alone"
        for side, story in (("A", found.a), ("B", found.b))
    ]
    lines = [("", f"a scan of {scanned} keeps them apart ({', '.join(where)})")]
    if found.match and found.scan_linked:
        lines.append(
            (
                "dim",
                "  they are linked, but each cluster takes only stories matched directly to "
                "its centre, and a story tied more strongly to one outside it declines it",
            )
        )
    elif found.match and not found.candidates.any:
        lines.append(("dim", "  they would be linked, but the scan never compares them"))
    return lines


def explain_text(found: Explanation) -> str:
    return "\n".join(line for _, line in explain_lines(found)) + "\n"
