"""Word-level differences between linked paragraphs: what a copy kept, dropped and added.

Words are compared the way matching compares them (Unicode NFKC, one kind of quote and dash,
case folded), so two texts that differ only in quote style or capitals have no difference
to show, and identical text is never marked. A leading dateline ("BRESKA, Estrania (MNA) —")
is one word here: shown as changed when the two datelines differ, and never half-marked.

The operations come from rapidfuzz (``Indel.opcodes``, the longest common subsequence of
words), then a short stretch of common words between two changes ("the", "of") is folded into
the change, so a rewritten sentence reads as one replacement rather than confetti.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from dedup.read.text import normalise, strip_dateline, token_spans

Span = tuple[int, int, int]
"""(1-based unit number, start, end): a stretch of one paragraph's text, end exclusive."""
Token = tuple[int, int, str]
"""(start, end, normalised word) in a paragraph's text."""

STRAY = 2
"""Longest stretch of common words between two changes that is folded into them."""


@dataclass(frozen=True)
class Edit:
    """One operation turning side A's words into side B's: ``equal``, ``replace``,
    ``delete`` (in A only) or ``insert`` (in B only); each side's stretch lies inside one
    paragraph."""

    op: str
    a: Span | None
    b: Span | None


def display_tokens(text: str) -> list[Token]:
    """The words of a paragraph as displayed, the dateline counted as one word."""
    rest = strip_dateline(text)
    skip = len(text) - len(rest)
    dateline = text[:skip].rstrip()
    head = [(0, len(dateline), normalise(dateline))] if dateline.strip() else []
    if not _WIDE_WORD.search(text):  # what token_spans gives, without normalising each word
        lower = text.lower()
        return head + [(m.start(), m.end(), m.group()) for m in _ASCII_WORD.finditer(lower, skip)]
    return head + token_spans(text)


_ASCII_WORD = re.compile(r"\w+", re.ASCII)
_WIDE_WORD = re.compile(r"(?![\x00-\x7f])\w")
"""A letter or digit outside ASCII: without one, every word is ASCII (curly quotes and
dashes are no part of words) and lower case is its normal form."""


def word_edits(a: Sequence[tuple[int, str]], b: Sequence[tuple[int, str]]) -> list[Edit]:
    """The edits from the paragraphs ``a`` to the paragraphs ``b`` (each a list of
    ``(number, text)`` read as one stream, in order), split where a paragraph ends."""
    if len(a) == len(b) and all(x[1] == y[1] for x, y in zip(a, b)):  # the same texts
        return [Edit("equal", (x[0], 0, len(x[1])), (y[0], 0, len(y[1]))) for x, y in zip(a, b)]
    tokens_a = [(number, token) for number, text in a for token in display_tokens(text)]
    tokens_b = [(number, token) for number, text in b for token in display_tokens(text)]
    words_a = [token[2] for _, token in tokens_a]
    words_b = [token[2] for _, token in tokens_b]
    if words_a == words_b:
        ops = [("equal", 0, len(words_a), 0, len(words_b))] if words_a else []
    else:
        ops = _fold_strays(_replaces(Indel.opcodes(words_a, words_b)))
    edits: list[Edit] = []
    for tag, a1, a2, b1, b2 in ops:
        edits.extend(_split(tag, tokens_a[a1:a2], tokens_b[b1:b2]))
    return edits


Op = tuple[str, int, int, int, int]


def _replaces(opcodes) -> list[Op]:
    """Opcodes with each delete next to an insert joined into one replace."""
    ops: list[Op] = []
    for op in opcodes:
        tag, a1, a2, b1, b2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
        if ops and tag != "equal" and ops[-1][0] != "equal":
            _, p1, _, q1, _ = ops[-1]
            ops[-1] = ("replace", p1, a2, q1, b2)
        else:
            ops.append((tag, a1, a2, b1, b2))
    return [_tag(op) for op in ops]


def _tag(op: Op) -> Op:
    _, a1, a2, b1, b2 = op
    if a1 == a2 and b1 == b2:
        return op
    if op[0] == "equal":
        return op
    return ("replace" if a1 < a2 and b1 < b2 else "delete" if a1 < a2 else "insert", a1, a2, b1, b2)


def _size(op: Op) -> int:
    return max(op[2] - op[1], op[4] - op[3])


def _fold_strays(ops: list[Op]) -> list[Op]:
    """Fold an equal stretch of at most STRAY words lying between two changes, each at
    least twice its length, into one change with its neighbours (one pass, left to right)."""
    out: list[Op] = []
    for op in ops:
        out.append(op)
        while len(out) >= 3:
            before, here, after = out[-3:]
            if (
                here[0] != "equal"
                or before[0] == "equal"
                or after[0] == "equal"
                or _size(here) > STRAY
                or min(_size(before), _size(after)) < 2 * _size(here)
            ):
                break
            out[-3:] = [_tag(("replace", before[1], after[2], before[3], after[4]))]
    return out


def _split(tag: str, a: list[tuple[int, Token]], b: list[tuple[int, Token]]) -> list[Edit]:
    """One operation as edits that each stay inside one paragraph per side."""
    if tag == "equal":
        edits, k = [], 0
        while k < len(a):
            end = k + 1
            while end < len(a) and a[end][0] == a[k][0] and b[end][0] == b[k][0]:
                end += 1
            edits.append(Edit("equal", _span(a[k:end]), _span(b[k:end])))
            k = end
        return edits
    pieces_a, pieces_b = _pieces(a), _pieces(b)
    if len(pieces_a) == 1 and len(pieces_b) == 1:
        return [Edit("replace", pieces_a[0], pieces_b[0])]
    return [Edit("delete", p, None) for p in pieces_a] + [Edit("insert", None, p) for p in pieces_b]


def _pieces(tokens: list[tuple[int, Token]]) -> list[Span]:
    pieces: list[Span] = []
    start = 0
    for k in range(1, len(tokens) + 1):
        if k == len(tokens) or tokens[k][0] != tokens[start][0]:
            pieces.append(_span(tokens[start:k]))
            start = k
    return pieces


def _span(tokens: list[tuple[int, Token]]) -> Span:
    return (tokens[0][0], tokens[0][1][0], tokens[-1][1][1])


def merged(a_text: str, b_text: str, edits: Sequence[Edit]) -> list[tuple[str, str]]:
    """One paragraph of A and its counterpart in B as one stream, as ``git diff
    --word-diff`` shows them: ``("", text)`` common to both (in B's wording), ``("-",
    text)`` only in A, ``("+", text)`` only in B."""
    out: list[tuple[str, str]] = []
    cursor = 0

    def emit(kind: str, text: str) -> None:
        if not text:
            return
        if out and (kind and not out[-1][0]) and out[-1][1][-1:].isalnum():
            out.append(("", " "))  # "word [-gone-]", never "word[-gone-]"
        if out and (out[-1][0] and not kind) and text[:1].isalnum():
            out.append(("", " "))
        out.append((kind, text))

    for number, edit in enumerate(edits):
        if edit.op == "equal":
            assert edit.b is not None
            emit("", b_text[cursor : edit.b[2]])
            cursor = edit.b[2]
            continue
        if edit.b is not None:
            emit("", b_text[cursor : edit.b[1]])
        end = edit.a[2] if edit.a is not None else 0
        if edit.b is None:  # a deletion sits after the white space that follows the words
            following = next((e.b for e in edits[number + 1 :] if e.b is not None), None)
            gap = b_text[cursor : following[1] if following else len(b_text)]
            lead = len(gap) - len(gap.lstrip())
            emit("", gap[:lead])
            cursor += lead
            if following and not gap.strip():  # B has no punctuation here: show A's
                while end < len(a_text) and not (a_text[end].isspace() or a_text[end].isalnum()):
                    end += 1
        if edit.a is not None:
            emit("-", a_text[edit.a[1] : end])
        if edit.b is not None:
            emit("+", b_text[edit.b[1] : edit.b[2]])
            cursor = edit.b[2]
    emit("", b_text[cursor:])
    return out


def marked(segments: Sequence[tuple[str, str]]) -> str:
    """A merged stream as plain text: ``[-only in A-]{+only in B+}``."""
    return "".join(
        f"[-{text}-]" if kind == "-" else f"{{+{text}+}}" if kind == "+" else text
        for kind, text in segments
    )


def highlighted(text: str, spans: Sequence[tuple[int, int]], kind: str) -> list[tuple[str, str]]:
    """A paragraph as segments, its ``spans`` (merged where they touch) of ``kind``
    ("-" or "+") and the rest plain (``""``)."""
    out: list[tuple[str, str]] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor:
            start = cursor
        if end <= start:
            continue
        if start > cursor:
            out.append(("", text[cursor:start]))
        if out and out[-1][0] == kind and start == cursor:
            out[-1] = (kind, out[-1][1] + text[start:end])
        else:
            out.append((kind, text[start:end]))
        cursor = end
    if cursor < len(text):
        out.append(("", text[cursor:]))
    return out
