"""Align two stories paragraph by paragraph: what they share, what changed, what is new.

**Units.** Stories are compared paragraph by paragraph as laid out. A story that comes as one
block (a single paragraph of several sentences: scraped pages, feed items, JSON ``text``
fields) or mostly in very long paragraphs (more than ``LONG_PARAGRAPH`` sentences) is
compared sentence by sentence instead, so its diff still shows what is shared. Readers take
the headline out of text and Markdown bodies; a first paragraph that still repeats it (a
JSON body or a web page that carries it) is not compared (it is listed with status
"headline", so paragraph numbers stay those of the story, and views show it as the
headline). Paragraphs the caller knows to be boilerplate are shown as such and paired with
nothing.

**Evidence**, both measured with rapidfuzz:

- *verbatim*: runs of at least ``RUN`` words in the same order (``Indel.opcodes`` on the
  words), so a few common words scattered through two paragraphs ("the ... of ... in") are
  not mistaken for reuse;
- *rewording*: sentences whose informative words (weighted by how rare they are in the two
  stories) and word order both agree (``rewrite_similarity``), which pairs a broadcaster's
  rewrite with its wire sentence while keeping apart two reports that merely share the
  names and numbers of an event. It is looked for only between stories shown to be related
  by two sure anchors (``_related``), and, at a lower bar, between two links that follow
  each other on both sides (a rewrite keeps the order of its source).

**Statuses.** *shared*: near-identical (``SHARED`` of the words of each in common runs), or
the same words laid out differently (merged or split); *changed*: reworded, trimmed or
expanded one to one, *merged* (several paragraphs of one side went into one on the other),
*split* (the reverse), or *rewritten* (the same content in other words, one or more
paragraphs); *unique*: nothing of it is found on the other side; *boilerplate*: said so by
the caller; *headline*: see above.

**Cost.** Units are never compared all against all. Units with the same words are paired
first, by their words alone. An inverted index of word trigrams then finds, for each unit,
at most ``CANDIDATES`` units of the other side sharing the most trigrams (a trigram found in
more than ``COMMON`` units of a side points at nothing in particular and is skipped); for
units still unpaired, an index of their rarer words finds at most ``REWORDED`` more. Only
those pairs are compared, so the work grows linearly with the number of paragraphs.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, pairwise

from rapidfuzz.distance import Indel

from dedup.read.text import HEADLINE_REACH, normalise, paragraph_tokens, token_spans, unmark
from dedup.records import Paragraph, Story
from dedup.views.words import Edit, word_edits

RUN = 3
"""Shortest run of words in the same order that counts as shared wording."""
SHARED = 0.8
"""Share of each paragraph's words, in shared runs, for "shared"."""
CHANGED = 0.5
"""Similarity for a one-to-one "reworded" pair."""
COVERED = 0.8
"""Share of a paragraph found in its counterpart for "trimmed" or "expanded"."""
PART = 0.3
"""Share of a paragraph that must reappear inside another for a merge or a split."""
MIN_WORDS = 6
"""Fewest words in shared runs for any relation other than "shared"."""
REWRITE = 0.3
"""``rewrite_similarity`` from which two sentences are one sentence rewritten. Measured on
the samples: sentence pairs of a wire story and its rewrites mostly score 0.3-0.6; the best
pairs of two agencies' independent reports of one event (Nordavia, the Eske viaduct) score
under 0.3, except a quotation both carry word for word."""
MIN_SENTENCE = 5
"""Fewest different words, names and numbers aside, for a sentence to be evidence of a
rewrite: "He said so." or "Updated at 5:45 p.m." is no evidence."""
ATTACH = 0.4
"""Share of a unit found reworded in a rewritten group next to it for the unit to join the
group (measured: a wire sentence's second half rewritten as a sentence of its own scores
0.4-0.6, any paragraph of an independent report of the same event under 0.35)."""
EVIDENCE = 3.0
"""Least weight of informative words two sentences must share to be a rewrite: about two
words found nowhere else in a story. A sentence every paragraph ends with weighs nothing
(measured: the rewrites in the samples share 3.5 to 25)."""
STRONG = 0.4
"""``rewrite_similarity`` of a rewritten pair that is sure enough to show two stories
related."""
ANCHOR = 12
"""Words in verbatim runs that make a pair of units sure evidence of a relation."""
IN_ORDER = 0.2
"""``rewrite_similarity`` enough for a pair lying between two links that follow each other
on both sides (measured: the rest of a rewrite's sentences score 0.2-0.3 there)."""
GAP = 8
"""Most units on a side between two such links for their pairs to be compared."""
QUOTED = 0.5
"""Share of a short sentence in verbatim runs with another sentence that makes it a rewrite
of that sentence ("The two men had been friends since childhood.")."""
LONG_PARAGRAPH = 6
"""More sentences than this in one paragraph, and the story is compared sentence by
sentence when such paragraphs hold half its sentences or more: news paragraphs hold one to
five, and one odd paragraph does not change how a whole page is compared."""
CANDIDATES = 8
"""Most partners on the other side compared with each unit, looking for shared runs."""
COMMON = 32
"""A trigram found in more units of a side than this is not looked up: it points at no
unit in particular."""
REWORDED = 4
"""Most partners compared with each unit left unpaired, looking for its rewrite."""
RARE = 8
"""The same for a word, looking for rewrites: names, numbers and the words of a topic are
found in a few paragraphs, "the" and "said" in most."""


@dataclass(frozen=True)
class Words:
    """A paragraph's matching tokens and their places in its displayed text."""

    text: str
    spans: tuple[tuple[int, int, str], ...]

    @property
    def tokens(self) -> list[str]:
        return [span[2] for span in self.spans]


@dataclass(frozen=True)
class Unit:
    """What the diff compares: a paragraph, or a sentence of a story compared sentence by
    sentence."""

    number: int
    """1-based, as displayed: the paragraph's number in the story, or the sentence's."""
    paragraph: int
    """0-based index of its paragraph in ``Story.paragraphs``."""
    text: str


@dataclass
class Placement:
    """One unit's status in the diff."""

    number: int
    """1-based number (see ``Unit.number``)."""
    text: str
    status: str = "unique"
    """"shared", "changed", "unique", "boilerplate", or "headline" for a first paragraph
    that repeats the headline (never compared, left out of rows and counts)."""
    how: str = ""
    """For "changed": "reworded", "trimmed", "expanded", "merged", "split" or "rewritten";
    for "shared": "merged" or "split" when the same words are laid out differently."""
    counterparts: list[int] = field(default_factory=list)
    """Numbers of the units it corresponds to on the other side."""
    similarity: float = 0.0
    kept: list[tuple[int, int]] = field(default_factory=list)
    """Character spans of its text whose words are found in its counterparts."""
    changes: list[tuple[int, int]] = field(default_factory=list)
    """Character spans of its text whose words are not: on A's side what B dropped or
    changed, on B's what B added or changed."""
    paragraph: int = 0
    """1-based number of its paragraph in the story (its own number, for paragraphs)."""


@dataclass
class Group:
    """Units linked together: one to one, or several on one side (merged, split,
    rewritten), with the word-level edits from A's words to B's."""

    a: list[int]
    b: list[int]
    status: str
    how: str
    similarity: float
    edits: list[Edit] = field(default_factory=list)


@dataclass
class Alignment:
    """The unit-by-unit comparison of two stories."""

    a: Story
    b: Story
    a_paragraphs: list[Placement]
    b_paragraphs: list[Placement]
    groups: list[Group] = field(default_factory=list)
    a_unit: str = "paragraph"
    """"paragraph", or "sentence" when A is compared sentence by sentence."""
    b_unit: str = "paragraph"

    @cached_property
    def rows(self) -> list[tuple[list[int], list[int]]]:
        """Side-by-side rows as (A numbers, B numbers), following B's order and slotting A's
        unmatched units in where they stood."""
        return _rows(
            [p for p in self.a_paragraphs if p.status != "headline"],
            [p for p in self.b_paragraphs if p.status != "headline"],
        )

    @cached_property
    def _by_number(self) -> tuple[dict[int, Placement], dict[int, Placement]]:
        return (
            {p.number: p for p in self.a_paragraphs},
            {p.number: p for p in self.b_paragraphs},
        )

    def place(self, side: str, number: int) -> Placement:
        """The placement numbered ``number`` on side "a" or "b"."""
        return self._by_number[0 if side == "a" else 1][number]

    @cached_property
    def group_of(self) -> dict[tuple[str, int], Group]:
        """The group each linked unit belongs to, by ("a" or "b", number)."""
        found: dict[tuple[str, int], Group] = {}
        for group in self.groups:
            found.update({("a", n): group for n in group.a})
            found.update({("b", n): group for n in group.b})
        return found

    def pair(self, left: list[int], right: list[int]) -> Group | None:
        """The group when a row holds one unit of A linked to one of B and nothing else:
        such a pair reads best as one text with its differences marked."""
        if len(left) != 1 or len(right) != 1:
            return None
        group = self.group_of.get(("a", left[0]))
        if group is None or group.a != left or group.b != right:
            return None
        return group

    def appears(self) -> int:
        """Units of A whose wording is found in B: shared, or changed other than rewritten."""
        return self.count("a", "shared") + self.count("a", "changed")

    def rewritten(self) -> int:
        """Units of A whose content B tells in other words."""
        return sum(1 for p in self.a_paragraphs if p.how == "rewritten")

    def count(self, side: str, status: str) -> int:
        """Units of side "a" or "b" with this status; "changed" leaves out rewritten ones,
        which ``rewritten`` counts."""
        places = self.a_paragraphs if side == "a" else self.b_paragraphs
        return sum(
            1
            for p in places
            if p.status == status and not (status == "changed" and p.how == "rewritten")
        )

    def summary(self) -> str:
        """One line: how much of A's wording appears in B, how much B rewrote, and what B
        adds; boilerplate is left out of every count."""
        a_name, b_name = self.a.id, self.b.id
        total = len(self.a_paragraphs) - self.count("a", "boilerplate")
        total -= self.count("a", "headline")
        line = (
            f"{self.appears()} of {total} {self.a_unit}s of {a_name} appear in {b_name} "
            f"({self.count('a', 'shared')} shared, {self.count('a', 'changed')} changed)"
        )
        rewritten = self.rewritten()
        if rewritten:
            line += f" and {rewritten} {'is' if rewritten == 1 else 'are'} rewritten in it"
        line += f"; {b_name} adds {self.count('b', 'unique')}"
        plate_a, plate_b = self.count("a", "boilerplate"), self.count("b", "boilerplate")
        if plate_a or plate_b:
            line += f"; boilerplate left out: {plate_a} of {a_name}, {plate_b} of {b_name}"
        return line


def headline(story: Story) -> str:
    """The story's headline as text: Markdown heading marks removed."""
    return _unmark(story.headline)


_unmark = unmark


def headline_paragraph(story: Story) -> Paragraph | None:
    """The paragraph that only repeats the story's headline, among its first ones (as
    plain-text and Markdown stories and web pages have it): shown as the headline, never
    compared."""
    if story.headline:
        wanted = normalise(_unmark(story.headline))
        for paragraph in story.paragraphs[:HEADLINE_REACH]:
            if normalise(_unmark(paragraph.text)) == wanted:
                return paragraph
    return None


def story_units(story: Story) -> tuple[list[Unit], str]:
    """The units a story is compared in, and their kind ("paragraph" or "sentence"): its
    paragraphs, the headline left out, or their sentences when the story comes as one block
    or mostly in very long paragraphs."""
    repeated = headline_paragraph(story)
    paragraphs = [p for p in story.paragraphs if p is not repeated]
    if not paragraphs:
        return [], "paragraph"
    counts = [_sentence_count(p.text) for p in paragraphs]
    block = len(paragraphs) == 1 and len(split_sentences(paragraphs[0].text)) >= 2
    in_long = sum(count for count in counts if count > LONG_PARAGRAPH)
    if not block and 2 * in_long < sum(counts):
        return [Unit(p.index + 1, p.index, p.text) for p in paragraphs], "paragraph"
    units: list[Unit] = []
    for paragraph in paragraphs:
        for start, end in split_sentences(paragraph.text):
            units.append(Unit(len(units) + 1, paragraph.index, paragraph.text[start:end]))
    return units, "sentence"


# -- sentences ------------------------------------------------------------------------------

_SENTENCE_END = re.compile(
    r"[.!?…]+[\"'”’»)\]]*(?=\s+\S)"  # . ! ? followed by white space, after closing quotes
    r"|[。！？؟۔।]+[\"'”’»」』）)]*"  # full stops of scripts that need no space after them
)
_LAST_WORD = re.compile(r"(\S+)$")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr gen brig col lt sgt capt gov sen rep st jr sr prof no inc co corp ltd mt ft "
    "rev hon adm maj cmdr supt ave vs etc mme mlle".split()
)
"""Titles that end in a full stop inside a sentence ("Brig. Gen. Manaf Tlas")."""


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of a paragraph. A sentence ends at ``. ! ? …``
    followed by white space (and any closing quotes), or at a full stop of a script that
    needs no space after it (``。！？`` and the Arabic and Devanagari ones); never before a
    lower-case letter ("8 p.m. local time"), after an initial or a title ("Brig. Gen."), or
    after an abbreviation with inner full stops ("U.S.")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        rest = text[match.end() :].lstrip()
        if not rest:
            break
        if rest[0].islower():
            continue
        if match.group()[0] == ".":
            last = _LAST_WORD.search(text, start, match.start())
            word = last.group(1).lstrip("\"'“‘«([") if last else ""
            if (len(word) == 1 and word.isalpha()) or word.casefold() in _ABBREVIATIONS:
                continue
            if "." in word:
                continue
        spans.append((start, match.end()))
        start = len(text) - len(rest)
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


_ENDS = re.compile(r"[.!?…。！？؟۔।]")


def _sentence_count(text: str) -> int:
    """Sentences in a paragraph, counted exactly only where there could be too many: below
    that, the count of full stops (an upper bound) is close enough."""
    ends = len(_ENDS.findall(text))
    return len(split_sentences(text)) if ends > LONG_PARAGRAPH else max(1, ends)


# -- alignment ------------------------------------------------------------------------------


def align(
    a: Story,
    b: Story,
    *,
    boilerplate_a: Collection[int] = frozenset(),
    boilerplate_b: Collection[int] = frozenset(),
) -> Alignment:
    """Compare two stories unit by unit (see the module docstring).

    ``boilerplate_a`` and ``boilerplate_b`` are the 0-based indexes, in ``Story.paragraphs``,
    of each story's boilerplate paragraphs (footers, web chrome): they are shown with status
    "boilerplate", paired with nothing and left out of every count.
    """
    sides = []
    for story, boilerplate in ((a, boilerplate_a), (b, boilerplate_b)):
        units, kind = story_units(story)
        places = [Placement(u.number, u.text, paragraph=u.paragraph + 1) for u in units]
        skip = {k for k, u in enumerate(units) if u.paragraph in boilerplate}
        for k in skip:
            places[k].status = "boilerplate"
        sides.append((units, kind, places, skip))
    (units_a, kind_a, places_a, skip_a), (units_b, kind_b, places_b, skip_b) = sides
    pairing = _Pairing([u.text for u in units_a], [u.text for u in units_b], skip_a, skip_b)
    pairing.run()
    groups = [_group(found, places_a, places_b) for found in pairing.groups]
    for place in (*places_a, *places_b):
        place.counterparts.sort()
    listed_a = _with_headline(a, kind_a, places_a)
    listed_b = _with_headline(b, kind_b, places_b)
    return Alignment(a, b, listed_a, listed_b, groups, kind_a, kind_b)


def _with_headline(story: Story, kind: str, places: list[Placement]) -> list[Placement]:
    """A story's placements with its headline paragraph in its place, when it has one and
    is compared paragraph by paragraph: every paragraph keeps its place in the list."""
    repeated = headline_paragraph(story)
    if repeated is None or kind != "paragraph":
        return places
    number = repeated.index + 1
    headline = Placement(number, repeated.text, status="headline", paragraph=number)
    return [*places[: repeated.index], headline, *places[repeated.index :]]


@dataclass
class _Found:
    """A group as the pairing finds it: positions in the unit lists."""

    a: list[int]
    b: list[int]
    status: str
    how: str
    similarity: float


def _group(found: _Found, place_a: list[Placement], place_b: list[Placement]) -> Group:
    """Fill in the placements of a group's units and compute its word-level edits."""
    members_a = [place_a[i] for i in sorted(found.a)]  # in the order of the text
    members_b = [place_b[j] for j in sorted(found.b)]
    for members, others in ((members_a, members_b), (members_b, members_a)):
        for place in members:
            place.status, place.how = found.status, found.how
            place.counterparts.extend(other.number for other in others)
            place.similarity = max(place.similarity, round(found.similarity, 3))
    edits = word_edits(
        [(p.number, p.text) for p in members_a], [(p.number, p.text) for p in members_b]
    )
    by_number = ({p.number: p for p in members_a}, {p.number: p for p in members_b})
    for edit in edits:
        for side, span in ((0, edit.a), (1, edit.b)):
            if span is not None:
                place = by_number[side][span[0]]
                target = place.kept if edit.op == "equal" else place.changes
                target.append((span[1], span[2]))
    a_numbers, b_numbers = sorted(by_number[0]), sorted(by_number[1])
    return Group(a_numbers, b_numbers, found.status, found.how, found.similarity, edits)


Runs = list[tuple[int, int, int]]
"""(start in A, start in B, length) of each run of shared words."""


class _Pairing:
    """Links units of A and B, strongest evidence first: identical, near-identical, merged or
    split, trimmed, expanded or reworded, and last rewritten."""

    def __init__(self, texts_a: list[str], texts_b: list[str], skip_a: set[int], skip_b: set[int]):
        self.texts = (texts_a, texts_b)
        self.tokens = (_tokens(texts_a), _tokens(texts_b))
        self.free_a = {i for i, t in enumerate(self.tokens[0]) if t and i not in skip_a}
        self.free_b = {j for j, t in enumerate(self.tokens[1]) if t and j not in skip_b}
        self.groups: list[_Found] = []
        self.runs: dict[tuple[int, int], Runs] = {}

    def run(self) -> None:
        self._identical()
        free = (sorted(self.free_a), sorted(self.free_b))
        trigrams = ({k: _trigrams(self.tokens[s][k]) for k in free[s]} for s in (0, 1))
        verbatim = {
            (i, j)
            for (i, j), shared in _top_pairs(*trigrams).items()
            if shared >= 2 or min(len(self.tokens[0][i]), len(self.tokens[1][j])) <= RUN
        }  # one trigram in common is a run of three words: too little, but in a short unit
        for i, j in sorted(verbatim):
            runs = _runs(self.tokens[0][i], self.tokens[1][j])
            if runs:
                self.runs[i, j] = runs
        self._verbatim()
        if self.free_a and self.free_b:
            sentences = _Sentences(self.texts, self.tokens)
            rarity = sentences.weight.__getitem__
            free = (sorted(self.free_a), sorted(self.free_b))
            words = [{k: set(self.tokens[s][k]) for k in free[s]} for s in (0, 1)]
            reworded = _top_pairs(words[0], words[1], rarity, REWORDED, RARE)
            self._rewritten(sorted(reworded.keys() | verbatim), sentences)

    def _link(self, a: list[int], b: list[int], status: str, how: str, similarity: float):
        self.groups.append(_Found(a, b, status, how, similarity))
        self.free_a.difference_update(a)
        self.free_b.difference_update(b)

    def _identical(self) -> None:
        """Units with the same words, paired in order: no comparison needed."""
        waiting: dict[tuple[str, ...], deque[int]] = defaultdict(deque)
        for j in sorted(self.free_b):
            waiting[tuple(self.tokens[1][j])].append(j)
        for i in sorted(self.free_a):
            queue = waiting.get(tuple(self.tokens[0][i]))
            if queue:
                self._link([i], [queue.popleft()], "shared", "", 1.0)

    def _similarity(self, i: int, j: int) -> float:
        total = len(self.tokens[0][i]) + len(self.tokens[1][j])
        return 2 * _count(self.runs[i, j]) / total if total else 0.0

    def _cover(self, i: int, j: int, side: int) -> float:
        length = len(self.tokens[side][i if side == 0 else j])
        return _count(self.runs[i, j]) / length

    def _part(self, i: int, j: int, side: int) -> bool:
        words = _count(self.runs[i, j])
        length = len(self.tokens[side][i if side == 0 else j])
        return words >= min(MIN_WORDS, length) and words >= PART * length

    def _verbatim(self) -> None:
        ranked = sorted(self.runs, key=lambda ij: (-self._similarity(*ij), ij))
        for i, j in ranked:  # near-identical, one to one
            near = min(self._cover(i, j, 0), self._cover(i, j, 1)) >= SHARED
            if near and i in self.free_a and j in self.free_b:
                self._link([i], [j], "shared", "", self._similarity(i, j))
        sources: dict[int, list[int]] = defaultdict(list)
        targets: dict[int, list[int]] = defaultdict(list)
        for i, j in sorted(self.runs):
            sources[j].append(i)
            targets[i].append(j)
        for j in sorted(sources):  # one unit of B made from several of A
            if j not in self.free_b:
                continue
            parts = [i for i in sources[j] if i in self.free_a and self._part(i, j, 0)]
            if len(parts) >= 2:
                self._several(parts, [j], "merged")
        for i in sorted(targets):  # one unit of A split into several of B
            if i not in self.free_a:
                continue
            parts = [j for j in targets[i] if j in self.free_b and self._part(i, j, 1)]
            if len(parts) >= 2:
                self._several([i], parts, "split")
        for i, j in ranked:  # reworded, trimmed or expanded, one to one
            if i not in self.free_a or j not in self.free_b or _count(self.runs[i, j]) < MIN_WORDS:
                continue
            cover_a, cover_b = self._cover(i, j, 0), self._cover(i, j, 1)
            similarity = self._similarity(i, j)
            if cover_b >= COVERED and cover_a < COVERED:
                self._link([i], [j], "changed", "trimmed", similarity)
            elif cover_a >= COVERED and cover_b < COVERED:
                self._link([i], [j], "changed", "expanded", similarity)
            elif similarity >= CHANGED:
                self._link([i], [j], "changed", "reworded", similarity)

    def _several(self, a: list[int], b: list[int], how: str) -> None:
        """A merge or a split: "shared" when every unit's words are all found across the
        group (the same text laid out differently), else "changed"."""
        pairs = [(i, j) for i in a for j in b]
        found_a = {i: sum(_count(self.runs[i, j]) for j in b) for i in a}
        found_b = {j: sum(_count(self.runs[i, j]) for i in a) for j in b}
        whole = all(found_a[i] >= SHARED * len(self.tokens[0][i]) for i in a) and all(
            found_b[j] >= SHARED * len(self.tokens[1][j]) for j in b
        )
        similarity = max(self._similarity(i, j) for i, j in pairs)
        self._link(a, b, "shared" if whole else "changed", how, similarity)

    def _rewritten(self, candidates: list[tuple[int, int]], sentences: _Sentences) -> None:
        """Pair what is left by rewording: a unit of B rewritten from one of A, or from
        several (each taking the other as its best counterpart), and the reverse; then a
        neighbour of such a group joins it when its words are mostly found in it (a sentence
        rewritten as two)."""
        scores: dict[tuple[int, int], float] = {}
        for i, j in candidates:
            if i in self.free_a and j in self.free_b:
                score = sentences.best(i, j)
                if score >= REWRITE:
                    scores[i, j] = score
        if not self._related(scores):
            return
        best_a: dict[int, tuple[float, int]] = {}  # i: (score, -j) of its best j
        best_b: dict[int, tuple[float, int]] = {}  # j: (score, -i) of its best i
        for (i, j), score in scores.items():
            best_a[i] = max(best_a.get(i, (0.0, 0)), (score, -j))
            best_b[j] = max(best_b.get(j, (0.0, 0)), (score, -i))
        chosen: list[dict[int, list[int]]] = [defaultdict(list), defaultdict(list)]
        for j, (_, minus_i) in sorted(best_b.items()):
            chosen[0][-minus_i].append(j)  # A's unit i chosen by these units of B
        for i, (_, minus_j) in sorted(best_a.items()):
            chosen[1][-minus_j].append(i)
        for i, parts in sorted(chosen[0].items()):  # one of A rewritten as several of B
            parts = [j for j in parts if j in self.free_b]
            if len(parts) >= 2 and -best_a[i][1] in parts and i in self.free_a:
                self._link([i], parts, "changed", "rewritten", max(scores[i, j] for j in parts))
        for j, parts in sorted(chosen[1].items()):  # several of A rewritten as one of B
            parts = [i for i in parts if i in self.free_a]
            if len(parts) >= 2 and -best_b[j][1] in parts and j in self.free_b:
                self._link(parts, [j], "changed", "rewritten", max(scores[i, j] for i in parts))
        for (i, j), score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
            if i in self.free_a and j in self.free_b:
                self._link([i], [j], "changed", "rewritten", score)
        self._attach(sentences)
        self._fill_gaps(sentences)
        self._attach(sentences)

    def _related(self, scores: dict[tuple[int, int], float]) -> bool:
        """Whether the stories tell the same story at all: two units or more linked with
        assurance (by a verbatim run of ``ANCHOR`` words, or rewritten with ``STRONG``
        similarity). Two reports of different events each have a sentence or two that
        resemble one of the other by chance; they have no such pair of anchors."""
        anchors = sum(
            1
            for group in self.groups
            for i in group.a
            for j in group.b
            if _count(self.runs.get((i, j), [(0, 0, len(self.tokens[0][i]))])) >= ANCHOR
        )  # identical units have no runs recorded: all their words are shared
        anchors += sum(1 for score in scores.values() if score >= STRONG)
        return anchors >= 2

    def _fill_gaps(self, sentences: _Sentences) -> None:
        """Pair by rewording, at a lower bar (``IN_ORDER``), the units left between two
        links that follow each other on both sides: a rewrite keeps the order of its source,
        so what lies between two of its sentences told in order is likely told there too.
        Gaps of more than ``GAP`` units on a side are left alone, which bounds the work."""
        for before, after in pairwise(_in_order(self.groups)):
            gap_a = [i for i in range(max(before.a) + 1, min(after.a)) if i in self.free_a]
            gap_b = [j for j in range(max(before.b) + 1, min(after.b)) if j in self.free_b]
            if not gap_a or not gap_b or max(len(gap_a), len(gap_b)) > GAP:
                continue
            scores = {(i, j): sentences.best(i, j) for i in gap_a for j in gap_b}
            taken: list[tuple[int, int]] = []
            for (i, j), score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
                crossing = any((i - p) * (j - q) <= 0 for p, q in taken)
                if score >= IN_ORDER and not crossing:
                    self._link([i], [j], "changed", "rewritten", score)
                    taken.append((i, j))

    def _attach(self, sentences: _Sentences) -> None:
        """Grow rewritten groups by their free neighbours whose words are mostly found in
        the other side of the group (``ATTACH``): rewrites keep the order of the text, so
        only a unit next to the group is considered."""
        frees = (self.free_a, self.free_b)
        grown = True
        while grown:
            grown = False
            for group in self.groups:
                if group.how != "rewritten":
                    continue
                for side, members, others in ((0, group.a, group.b), (1, group.b, group.a)):
                    for k in (min(members) - 1, max(members) + 1):
                        if k in frees[side] and sentences.within(side, k, others) >= ATTACH:
                            members.append(k)
                            members.sort()
                            frees[side].discard(k)
                            grown = True


class _Sentences:
    """The sentences of units, as words and as informative words (names and numbers left
    out: two reports of one event share those whatever their wording), with the weight of
    each word: how rare it is among the two stories' units."""

    def __init__(self, texts: tuple[list[str], list[str]], tokens: tuple[list[list[str]], ...]):
        self.texts, self.tokens = texts, tokens
        units = tokens[0] + tokens[1]
        found = Counter(chain.from_iterable(map(set, units)))
        self.weight = {word: _rarity(len(units), count) for word, count in found.items()}
        self.cache: dict[tuple[int, int], list[tuple[list[str], set[str]]]] = {}
        self.words: dict[tuple[int, int], set[str]] = {}

    def of(self, side: int, unit: int) -> list[tuple[list[str], set[str]]]:
        key = (side, unit)
        if key not in self.cache:
            text = self.texts[side][unit]
            parts = [text[s:e] for s, e in split_sentences(text)] or [text]
            self.cache[key] = [
                (words, set(words) - _names(part)) for part, words in zip(parts, _tokens(parts))
            ]
        return self.cache[key]

    def best(self, i: int, j: int) -> float:
        """The best ``rewrite_similarity`` of a sentence of A's unit i with one of B's j."""
        shared = self.informative(0, i) & self.informative(1, j)
        if sum(self.weight.get(w, 0.0) for w in shared) < EVIDENCE:
            return 0.0  # no two of their sentences can share more: no need to split them
        return max(
            (rewrite_similarity(x, y, self.weight) for x in self.of(0, i) for y in self.of(1, j)),
            default=0.0,
        )

    def informative(self, side: int, unit: int) -> set[str]:
        """The words of a unit but its numbers: at least the informative words of each of
        its sentences, found without splitting them."""
        key = (side, unit)
        if key not in self.words:
            self.words[key] = {w for w in self.tokens[side][unit] if w.isalpha()}
        return self.words[key]

    def within(self, side: int, unit: int, others: list[int]) -> float:
        """How much of a unit is found, reworded, in units of the other side: the geometric
        mean of the share of its informative words (weighted) and of its words in the same
        order (longest common subsequence)."""
        words = [w for sentence, _ in self.of(side, unit) for w in sentence]
        informative = set().union(*(kept for _, kept in self.of(side, unit)))
        there = [w for k in others for sentence, _ in self.of(1 - side, k) for w in sentence]
        total = sum(self.weight.get(w, 0.0) for w in informative)
        if len(words) < MIN_SENTENCE or not total:
            return 0.0
        common = sum(self.weight.get(w, 0.0) for w in informative & set(there))
        if common < EVIDENCE:
            return 0.0
        in_order = (len(words) + len(there) - Indel.distance(words, there)) / 2 / len(words)
        return math.sqrt(common / total * in_order)


def _rarity(units: int, holding: int) -> float:
    """The weight of a word found in ``holding`` of ``units`` units: a word in every unit
    weighs almost nothing, a word in one or two weighs most."""
    return math.log((units + 1) / holding)


_WORD = re.compile(r"\w+")


def _names(text: str) -> set[str]:
    """Words of a sentence that are names or numbers: capitalised other than first, or
    holding a digit."""
    words = _WORD.findall(text)
    return {w.casefold() for w in words[1:] if w[0].isupper()} | {
        w.casefold() for w in words if not w.isalpha()
    }


def rewrite_similarity(
    x: tuple[list[str], set[str]], y: tuple[list[str], set[str]], weight: dict[str, float]
) -> float:
    """How surely sentence y rewrites sentence x (0 to 1), each given as its words and its
    informative words: the geometric mean of the share of informative words in common
    (Dice, weighted by rarity) and of all words in the same order (``Indel`` similarity).
    A short sentence mostly made of a run of the other's words (a quotation kept, "had been
    friends since childhood") counts as rewritten too."""
    words_x, kept_x = x
    words_y, kept_y = y
    if min(len(kept_x), len(kept_y)) < MIN_SENTENCE:  # "Updated at 5:45 p.m." is no sentence
        return 0.0
    common = sum(weight.get(w, 0.0) for w in kept_x & kept_y)
    if common < EVIDENCE:
        return 0.0
    dice = 2 * common / (sum(weight.get(w, 0.0) for w in kept_x | kept_y) + common)
    if dice < REWRITE * REWRITE:  # the word order can only lower the score
        return 0.0
    score = math.sqrt(dice * Indel.normalized_similarity(words_x, words_y))
    if score < REWRITE and min(len(words_x), len(words_y)) <= 2 * MIN_SENTENCE:
        kept = _count(_runs(words_x, words_y))
        if kept > RUN and kept >= QUOTED * min(len(words_x), len(words_y)):
            score = REWRITE
    return score


def _in_order(groups: list[_Found]) -> list[_Found]:
    """The longest chain of groups that follow each other on both sides (by their first
    units), found by patience sorting."""
    ordered = sorted(groups, key=lambda g: (min(g.a), min(g.b)))
    ends: list[int] = []  # ends[k]: the smallest B start ending a chain of k + 1 groups
    tails: list[int] = []  # the index in ordered of that group
    previous: list[int] = []
    for k, group in enumerate(ordered):
        start = min(group.b)
        length = bisect_left(ends, start)
        previous.append(tails[length - 1] if length else -1)
        if length == len(ends):
            ends.append(start)
            tails.append(k)
        else:
            ends[length], tails[length] = start, k
    found, k = [], tails[-1] if tails else -1
    while k >= 0:
        found.append(ordered[k])
        k = previous[k]
    return found[::-1]


# -- candidates and runs --------------------------------------------------------------------


def _tokens(texts: list[str]) -> list[list[str]]:
    return paragraph_tokens(texts) if texts else []


def _trigrams(tokens: Sequence[str]) -> set[tuple[str, ...]]:
    return set(zip(tokens, tokens[1:], tokens[2:]))


def _top_pairs(
    features_a: dict[int, set],
    features_b: dict[int, set],
    weight: Callable[[Hashable], float] | None = None,
    limit: int | None = CANDIDATES,
    common: int = COMMON,
) -> dict[tuple[int, int], float]:
    """Pairs (a, b) of units sharing features (each counting 1, or its ``weight``), with the
    weight they share, found through an inverted index of each side: for every unit, the
    ``limit`` units of the other side with the most in common (all of them when ``limit`` is
    None). A feature held by more than ``common`` units of the side looked up is skipped, so
    a unit costs at most its features times ``common``, and the pairs are at most ``limit``
    times the units."""
    pairs: dict[tuple[int, int], float] = {}
    for query, index, flip in ((features_a, features_b, False), (features_b, features_a, True)):
        postings: dict[Hashable, list[int]] = defaultdict(list)
        for key, features in index.items():
            for feature in features:
                postings[feature].append(key)
        for key, features in query.items():
            scores: Counter[int] = Counter()
            for feature in features:
                found = postings.get(feature)
                if found and len(found) <= common:
                    if weight is None:
                        scores.update(found)
                    else:
                        share = weight(feature)
                        for other in found:
                            scores[other] += share
            best = scores.items() if limit is None else scores.most_common(limit)
            pairs.update(((other, key) if flip else (key, other), score) for other, score in best)
        if limit is None:
            break  # every pair sharing a feature is found from one side
    return pairs


def _runs(tokens_a: Sequence[str], tokens_b: Sequence[str]) -> Runs:
    return [
        (op.src_start, op.dest_start, op.src_end - op.src_start)
        for op in Indel.opcodes(tokens_a, tokens_b)
        if op.tag == "equal" and op.src_end - op.src_start >= RUN
    ]


def _count(runs: Runs) -> int:
    return sum(length for _, _, length in runs)


def paragraph_words(text: str) -> Words:
    """A paragraph's matching tokens with their places, as every alignment uses them."""
    return Words(text, tuple(token_spans(text)))


def shared_runs(words_a: list[Words], words_b: list[Words]) -> dict[tuple[int, int], Runs]:
    """Runs of at least RUN shared words for every pair of paragraphs that has any. Pairs
    are found through the word trigrams they share (see ``_top_pairs``), so pairs with
    nothing in common are never aligned."""
    trigrams_a = {i: _trigrams(w.tokens) for i, w in enumerate(words_a)}
    trigrams_b = {j: _trigrams(w.tokens) for j, w in enumerate(words_b)}
    result: dict[tuple[int, int], Runs] = {}
    for i, j in sorted(_top_pairs(trigrams_a, trigrams_b, limit=None)):
        runs = _runs(words_a[i].tokens, words_b[j].tokens)
        if runs:
            result[i, j] = runs
    return result


def _rows(a: list[Placement], b: list[Placement]) -> list[tuple[list[int], list[int]]]:
    """Rows in B's order; each unit of A is shown with the first unit of B it went into,
    and A's unlinked units (unique, boilerplate) are slotted in where they stood."""
    position = {place.number: k for k, place in enumerate(a)}
    rows: list[tuple[list[int], list[int]]] = []
    shown: set[int] = set()
    next_a = 0
    for place in b:
        left = [n for n in place.counterparts if n not in shown]
        if place.counterparts:
            first = position[min(place.counterparts)]
            for k in range(next_a, first):
                if a[k].number not in shown and not a[k].counterparts:
                    rows.append(([a[k].number], []))
                    shown.add(a[k].number)
            next_a = max(next_a, first)
        shown.update(left)
        rows.append((left, [place.number]))
    rows.extend(([p.number], []) for p in a if p.number not in shown)
    return rows
