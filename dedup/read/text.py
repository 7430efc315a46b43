"""Normalise and segment: turn a story body into paragraphs and matching tokens.

Matching looks at a normalised copy of the text (Unicode NFKC, one kind of quote and dash,
case folded, datelines removed) while every display keeps the text as published. Nothing
here assumes English: words are Unicode word runs, and scripts written without spaces
between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) are split into characters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Sequence
from itertools import accumulate, pairwise, repeat
from operator import add

from dedup.records import Paragraph

# Scripts that do not separate words with spaces: each character becomes a token.
_NO_SPACE_SCRIPTS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\U00020000-\U0002fa1f"
)
_TOKEN_PATTERN = rf"[{_NO_SPACE_SCRIPTS}]|[^\W{_NO_SPACE_SCRIPTS}]+"


def _compiled_on_use(pattern: str) -> Callable[[], re.Pattern[str]]:
    """A regular expression compiled when first used: a class holding whole blocks of CJK
    characters takes milliseconds to compile, which every process (a cron job's ``check``
    of one English story too) would otherwise pay as it imports this module."""
    return functools.cache(lambda: re.compile(pattern))


_TOKEN = _compiled_on_use(_TOKEN_PATTERN)

_DOUBLE_QUOTES = '"“”„‟″«»「」『』'
"""Double quotation marks of every style, folded to ``"`` (``_FOLDED``), which the token
text marks as ``QUOTE``."""
_FOLDED = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys(_DOUBLE_QUOTES[1:], '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
}
# Symbols common in web chrome; never part of a word, so spaces keep tokens unchanged while
# letting more stories take the ASCII fast path of ``paragraph_tokens``.
_SYMBOLS = dict.fromkeys("©®™•·°±×÷§¶€£¥¢\u00a0\u200b", " ")
_QUOTES = str.maketrans(_FOLDED)
_NO_SPACE = _compiled_on_use(f"[{_NO_SPACE_SCRIPTS}]")
_SPACE = re.compile(r"\s+")

# A dateline: an optional place in capitals (with an optional ", Region" or date), then a
# credit in brackets such as (AP) or (CBS/AP), then an optional dash; or a place in capitals
# followed by a dash. Only ever matched at the start of a paragraph.
_CREDIT = r"\(\s*[^\W\d_][\w.&']*(?:[ /]{1,3}[^\W\d_][\w.&']*){0,3}\s*\)"
_DATELINE = re.compile(
    rf"^\s*(?P<place>[^\W\d_][^\W\d_'’. -]*(?:[ .'’-]+[^\W\d_]+)*\.?"
    rf"(?:,\s*[^()\n—–-]{{1,40}}?)?\s*)?{_CREDIT}\s*(?:[—–-]+\s*)?"
    rf"|^\s*(?P<place2>[^\W\d_][^\W\d_'’. -]*(?:[ .'’-]+[^\W\d_]+)*)"
    rf"(?:,\s*[^()\n—–-]{{1,40}}?)?\s+[—–]\s+"
)
_DATELINE_REACH = 120
"""A dateline ends within this many characters of the start of a paragraph."""
_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE = re.compile(r"[^\n]+")
_HEADLINE_END = re.compile(r"[.!?。！？:]\s*$")


def strip_dateline(text: str) -> str:
    """Remove a leading dateline ("WASHINGTON (AP) —", "(CBS/AP)") so that it does not count
    as shared text: every story of an agency carries one."""
    head = text[:_DATELINE_REACH]
    if ("(" not in head and "—" not in head and "–" not in head) or _prose(text):
        return text
    match = _DATELINE.match(head)
    if not match:
        return text
    place = match.group("place") or match.group("place2")
    if place and not _is_capitals(place):
        if match.group("place2"):
            return text
        # "In Paris (AP) ..." is prose, not a dateline: keep the place, drop nothing.
        return text
    rest = text[match.end() :]
    return rest if rest.strip() else text


def _prose(text: str) -> bool:
    """Whether a text surely starts without a dateline, by its first two characters: a
    lower-case letter second after anything but "(", or first (the place a dateline starts
    with runs over the first word, and is in capitals; a credit starts with "("), or a first
    character that can start neither (not a letter, digit, "(" or space: "•", "©"). Most
    paragraphs start so ("The", "In"), and this is cheaper than the regular expressions."""
    first = text[:1]
    return (
        (text[1:2].islower() and first != "(")
        or first.islower()
        or not (first.isalnum() or first == "(" or first.isspace())
    )


def _is_capitals(place: str) -> bool:
    head = place.split(",")[0]
    if head.isascii():  # letters are cased: some letter, none lower-case
        return head.isupper()
    letters = [c for c in head if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def normalise(text: str) -> str:
    """Fold the differences outlets introduce without changing the words: Unicode forms,
    curly and straight quotes, dash styles, case and spacing."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return _SPACE.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Matching tokens of one paragraph: dateline removed, normalised, split into words (or
    characters, in scripts without spaces)."""
    return paragraph_tokens([text])[0]


_BREAK = "\x07"
"""An ASCII control character (neither part of a word nor white space) marking paragraph
ends."""
_TOKEN_OR_BREAK = _compiled_on_use(rf"{_BREAK}|{_TOKEN_PATTERN}")
_WORD_OR_BREAK = re.compile(rf"{_BREAK}|\w+")
"""The same as _TOKEN_OR_BREAK for text with no script written without spaces, and faster."""
_ASCII_WORDS = "".join(
    chr(c) if chr(c).isalnum() or chr(c) in ("_", _BREAK) else " " for c in range(128)
)
"""For ASCII text, \\w+ runs are what remains after every other character becomes a space;
str.translate and str.split find them three times faster than the regular expression."""
_ASCII_LOWER_WORDS = _ASCII_WORDS.lower()
"""The same, case folded in the same step."""
_DATELINE_HINTS = "(—–"
"""A dateline needs one of these near the start of a paragraph (see ``strip_dateline``)."""
_DATELINE_HINT = re.compile(f"[{_DATELINE_HINTS}]")


def _without_datelines(texts: list[str]) -> list[str]:
    """``strip_dateline`` of each text, the cheap tests first: most paragraphs are prose
    (``_prose``), and few hold a character a dateline needs near their start."""
    hint = _DATELINE_HINT.search
    return [
        text if _prose(text) or not hint(text, 0, _DATELINE_REACH) else strip_dateline(text)
        for text in texts
    ]


def _fold(text: str) -> str:
    """Quotes and dashes to one kind each: str.replace per character present is ~50 times
    faster than str.translate on a story-sized string."""
    for char, replacement in _FOLDED.items():
        if char in text:
            text = text.replace(char, replacement)
    return text


def _folded(text: str) -> str:
    """``_drop_symbols(_fold(text))`` of the text in NFKC. A text whose characters outside
    ASCII are all quotes, dashes and symbols these replace, none that NFKC changes (the
    usual case: curly quotes and dashes), is in NFKC already: its check is left out."""
    folded, changes_in_nfkc = _fold_and_drop(text)
    if (changes_in_nfkc or not folded.isascii()) and not unicodedata.is_normalized("NFKC", text):
        folded = _fold_and_drop(unicodedata.normalize("NFKC", text))[0]
    return folded


_NOT_NFKC = "".join(
    char for char in [*_FOLDED, *_SYMBOLS] if unicodedata.normalize("NFKC", char) != char
)
"""Of the characters ``_fold`` and ``_drop_symbols`` replace, those NFKC changes."""
_COMMON_FIRST = "’“”—–•©\u00a0‘"
"""The characters folded most often in news text, looked for first (see ``_fold_and_drop``)."""
_FOLD_AND_DROP = sorted(
    ((char, new) for char, new in {**_FOLDED, **_SYMBOLS}.items() if not char.isascii()),
    key=lambda item: _COMMON_FIRST.find(item[0]) % (len(_COMMON_FIRST) + 1),
)
_FOLD_ASCII = [(char, new) for char, new in _FOLDED.items() if char.isascii()]


def _fold_and_drop(text: str) -> tuple[str, bool]:
    """``_drop_symbols(_fold(text))``, and whether the text held a character it replaces
    that NFKC changes (one of ``_NOT_NFKC``). Each character becomes ASCII, so the order does
    not matter: the common ones go first, and once the text is ASCII (``str.replace`` makes
    it so when it replaces the last other character) the others are left out; the check for
    each character and the NFKC test, a scan of the text each, are what the time went to."""
    changes_in_nfkc = False
    for char, replacement in _FOLD_AND_DROP:
        if char in text:
            text = text.replace(char, replacement)
            changes_in_nfkc = changes_in_nfkc or char in _NOT_NFKC
            if text.isascii():
                break
    for char, replacement in _FOLD_ASCII:
        if char in text:
            text = text.replace(char, replacement)
    return text, changes_in_nfkc


def _drop_symbols(text: str) -> str:
    for char, replacement in _SYMBOLS.items():
        if char in text:
            text = text.replace(char, replacement)
    return text


def _joined_without_datelines(joined: str) -> str:
    """``_BREAK.join(_without_datelines(texts))`` of the ``joined`` texts, none of which
    holds ``_BREAK``: the characters a dateline needs are found in the joined text (a few
    ``str.find``) and only the paragraphs holding one near their start are tried, instead of
    testing every paragraph in Python."""
    starts = set()
    for hint in _DATELINE_HINTS:
        at = joined.find(hint)
        while at >= 0:
            start = joined.rfind(_BREAK, 0, at) + 1
            if at - start < _DATELINE_REACH:
                starts.add(start)
            end = joined.find(_BREAK, at)
            at = joined.find(hint, end) if end >= 0 else -1
    if not starts:
        return joined
    pieces, done = [], 0
    for start in sorted(starts):
        end = joined.find(_BREAK, start)
        text = joined[start : len(joined) if end < 0 else end]
        cut = len(text) - len(strip_dateline(text))  # the text, or its end without a dateline
        if cut:
            if start > done:
                pieces.append(joined[done:start])
            done = start + cut
    pieces.append(joined[done:])
    return "".join(pieces)  # the one piece itself when only the first paragraph had one


PARAGRAPH_BREAK = _BREAK
"""The token ``joined_tokens`` puts between two paragraphs."""


def joined_tokens(texts: list[str]) -> list[str]:
    """``tokens`` of several paragraphs in one pass, one list with ``PARAGRAPH_BREAK``
    between paragraphs: the hot path of fingerprinting, so normalisation and tokenising run
    once per story rather than once per paragraph, and no list is built per paragraph."""
    parts = _without_datelines(texts)
    joined = f" {_BREAK} ".join(parts)
    if joined.count(_BREAK) >= len(parts):  # a text holds the break character itself
        joined = f" {_BREAK} ".join(part.replace(_BREAK, " ") for part in parts)
    if joined.isascii():  # already NFKC, and no folded quote or dash is part of a word
        return joined.translate(_ASCII_LOWER_WORDS).split()
    folded = _folded(joined)
    if folded.isascii():  # the usual case: curly quotes, dashes and symbols were all it had
        return folded.translate(_ASCII_LOWER_WORDS).split()
    folded = folded.casefold()
    if folded.isascii():
        return folded.translate(_ASCII_WORDS).split()
    pattern = _TOKEN_OR_BREAK() if _NO_SPACE().search(folded) else _WORD_OR_BREAK
    return pattern.findall(folded)


STOP = "\x02"
"""The token ``marked_tokens`` puts after a sentence end."""
CLAUSE = "\x01"
"""The token ``marked_tokens`` puts after a clause mark (comma, semicolon, colon)."""
QUOTE = "\x03"
"""The token ``marked_tokens`` puts for a double quotation mark (any style, folded to
``"``), opening or closing: what is said inside is a speaker's words, which independent
reports of one event share as they are (``detect.rewrite``)."""
_STOP_CHARS = ".!?…۔؟。！？｡।॥።፧"
"""Sentence ends in any script: Latin, Urdu/Arabic, CJK full-width, Devanagari, Ethiopic."""
_CLAUSE_CHARS = ",،，、;؛；:："
_MARKS = STOP + CLAUSE + QUOTE + _BREAK


def _marked_table(lower: bool) -> str:
    chars = []
    for code in range(128):
        char = chr(code)
        if char.isalnum() or char == "_":
            chars.append(char.lower() if lower else char)
        elif char in ".!?":
            chars.append(STOP)
        elif char in ",;:":
            chars.append(CLAUSE)
        elif char == '"':
            chars.append(QUOTE)
        elif char == _BREAK:
            chars.append(_BREAK)
        else:
            chars.append(" ")
    return "".join(chars)


_ASCII_MARKED = _marked_table(lower=True).encode("ascii") + bytes(range(128, 256))
_ASCII_MARKED_KEEP = _marked_table(lower=False).encode("ascii") + bytes(range(128, 256))
"""``bytes.translate`` tables: translating ASCII bytes is several times faster than str."""
MARK_CODES = {STOP: 1, CLAUSE: 2, _BREAK: 3, QUOTE: 4}
"""Small numbers for the marks, below any word's hash (``fingerprint.hash_tokens``) and what
``units_of_marks`` reads."""
_MARK_RUNS = rf'{_BREAK}|[{re.escape(_STOP_CHARS)}]+|[{re.escape(_CLAUSE_CHARS)}]|"'
_TOKEN_OR_MARK = _compiled_on_use(rf"{_MARK_RUNS}|{_TOKEN_PATTERN}")
_WORD_OR_MARK = re.compile(rf"{_MARK_RUNS}|\w+")
_MARK_OF = {**dict.fromkeys(_STOP_CHARS, STOP), **dict.fromkeys(_CLAUSE_CHARS, CLAUSE), '"': QUOTE}


_SINGLE_QUOTED = re.compile(f"(?<!\\w)‘([^‘{_BREAK}]*?)’(?!\\w)")
"""A quote in single curly marks, as British style writes speech: the closing mark is the
first ’ that no letter follows (the apostrophe of "don’t" is not one), in one paragraph
(its lines, when hard-wrapped, are one).
A story that also has double marks uses single ones inside them, and is read by those."""
_SINGLE_QUOTED_ASCII = re.compile(
    f"(?<![\\w'])'(?=[^\\W\\d_])((?:[^'{_BREAK}]|(?<=\\w)'(?=\\w))*?)(?<=\\S)'(?!\\w)"
)
"""The same in ASCII marks, as plain text and many pages give British style: a ' that opens
a word after no letter opens the quote (the apostrophe of "unit's" does not; nor does the
one of "'90s"), and the first ' after it that ends a word and that no letter follows closes
it. Inside, a ' stands only between two letters: any other ends the search from that
opening mark, so that a text of many marks is read in linear time."""


def _single_quoted(joined: str) -> str:
    """``joined`` with its quotes in single marks (``_SINGLE_QUOTED``, then
    ``_SINGLE_QUOTED_ASCII``) given double ones, where it has no double marks."""
    if any(mark in joined for mark in _DOUBLE_QUOTES):
        return joined
    if "‘" in joined:
        joined = _SINGLE_QUOTED.sub(r'"\1"', joined)
    if "'" in joined:
        joined = _SINGLE_QUOTED_ASCII.sub(r'"\1"', joined)
    return joined


_ANY_DOUBLE_QUOTE = re.compile(f"[{_DOUBLE_QUOTES}]")


def quote_marks(texts: Sequence[str]) -> list[list[int]]:
    """Where each of a story's paragraphs has its quotation marks (character offsets), as
    its token text marks them (``QUOTE``): double ones of every style, and single ones where
    ``_single_quoted`` reads them for the story. A character is inside a quote when an odd
    number of its paragraph's marks come before it: what the views show of a quote."""
    joined = _BREAK.join(texts)
    parts = _single_quoted(joined).split(_BREAK)  # a mark for a mark: offsets are kept
    if len(parts) != len(texts):  # a paragraph holding the break character itself
        parts = list(texts)
    return [[found.start() for found in _ANY_DOUBLE_QUOTE.finditer(part)] for part in parts]


def _marked_text(texts: list[str]) -> bytes | list[str]:
    """The paragraphs normalised as ``joined_tokens`` normalises them, with sentence ends,
    clause marks, quotation marks (double ones; single ones, ``_single_quoted``, in a
    story without double ones) and paragraph breaks as ``STOP``, ``CLAUSE``, ``QUOTE`` and
    ``PARAGRAPH_BREAK``: the ASCII bytes of words and marks when the text is ASCII once
    folded (the usual case), else its tokens."""
    joined = _BREAK.join(texts)
    if STOP in joined or CLAUSE in joined or QUOTE in joined or joined.count(_BREAK) >= len(texts):
        parts = _without_datelines(texts)  # a text holds a mark: never in published text
        parts = [part.translate(dict.fromkeys(map(ord, _MARKS), " ")) for part in parts]
        joined = _BREAK.join(parts)
    else:
        joined = _joined_without_datelines(joined)
    joined = _single_quoted(joined)
    if joined.isascii():
        return joined.encode("ascii").translate(_ASCII_MARKED)
    folded = _folded(joined)
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_MARKED)
    folded = folded.casefold()
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_MARKED_KEEP)
    pattern = _TOKEN_OR_MARK() if _NO_SPACE().search(folded) else _WORD_OR_MARK
    mark = _MARK_OF.get
    return [mark(token[0], token) for token in pattern.findall(folded)]


UNIT_MIN = 5
"""Fewest words in a sentence unit: a shorter piece ("he said.", a dateline, an initial cut
off) joins its neighbour, and a paragraph shorter than this (a byline, "Watch ... Live")
gives no unit."""
UNIT_MAX = 40
"""Most words in a sentence unit: a longer sentence (a desk that joins sentences with commas,
a text without stops) is cut at clause marks into pieces of about ``UNIT_TARGET`` words, or
into equal pieces where it has none."""
UNIT_TARGET = 25


def marked_tokens(texts: list[str]) -> list[str]:
    """The matching words of a story's paragraphs (those of ``joined_tokens``) with marks
    between them: ``STOP`` after a sentence end (``. ! ? …``, ``۔ ؟``, ``。！？``, ``। ॥``,
    ``። ፧``), ``CLAUSE`` after a clause mark, ``QUOTE`` for a double quotation mark,
    ``PARAGRAPH_BREAK`` between paragraphs (``is_word`` tells words from marks)."""
    found = _marked_text(texts)
    if not isinstance(found, bytes):
        return found
    marked = found.decode("ascii")
    for mark in _MARKS:
        if mark in marked:
            marked = marked.replace(mark, f" {mark} ")
    return marked.split()


def marked_bytes(texts: list[str]) -> bytes:
    """``marked_tokens`` as UTF-8 bytes (lone surrogates passed through): words separated by
    spaces, each mark one byte and a token of its own even where it touches a word. What
    fingerprinting tokenises a batch of stories from, in arrays, without a string per
    token."""
    found = _marked_text(texts)
    if isinstance(found, bytes):
        return found
    return " ".join(found).encode("utf-8", "surrogatepass")


def sentence_units(tokens: list[str], marks: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """The sentence units of ``marked_tokens`` output as (start, end) ranges of its words
    (marks not counted), for any script and any layout: a unit ends at a sentence end, never
    at a paragraph break (a paragraph that ends without a full stop, as headlines and list
    items do, runs on into the next sentence, as it does when the story comes as one
    block); a full stop after a single Latin letter (an initial) or between two numbers (a
    decimal point) ends nothing; long sentences are cut at clause marks (``UNIT_MAX``),
    short pieces joined (``UNIT_MIN``). ``marks`` are the positions of the
    mark tokens, when the caller knows them already."""
    if marks is None:
        marks = [at for at, token in enumerate(tokens) if not is_word(token)]
    kinds, ends = [], []
    count = len(tokens)
    for number, at in enumerate(marks.tolist() if hasattr(marks, "tolist") else marks):
        kind = tokens[at]
        if kind == STOP and at > 0:
            last = tokens[at - 1]
            if (len(last) == 1 and last.isascii() and last.isalpha()) or (
                last.isdigit() and at + 1 < count and tokens[at + 1][:1].isdigit()
            ):
                continue  # an initial, a decimal point
        kinds.append(MARK_CODES[kind])
        ends.append(at - number)
    return units_of_marks(kinds, ends, count - len(marks))


def units_of_marks(kinds: Sequence[int], ends: Sequence[int], words: int) -> list[tuple[int, int]]:
    """``sentence_units`` from a story's marks alone: each mark's ``MARK_CODES`` number and
    how many words precede it, full stops that end nothing (initials, decimal points)
    already left out; ``words`` in all. Paragraph breaks and quotation marks end nothing: a
    story's units are the same however it is laid out (fingerprinting makes the same units
    in arrays)."""
    block: list[tuple[int, int]] = []
    clauses: list[int] = []
    start = 0
    for kind, end in zip(kinds, ends):
        if kind in (_BREAK_CODE, _QUOTE_CODE):
            continue
        if kind == _CLAUSE_CODE:
            if end > start:
                clauses.append(end)
            continue
        if end > start:
            block.extend(cut_sentence(start, end, clauses))
        start, clauses = end, []
    if words > start:
        block.extend(cut_sentence(start, words, clauses))
    return _merge_short(block)


_CLAUSE_CODE, _BREAK_CODE, _QUOTE_CODE = (MARK_CODES[mark] for mark in (CLAUSE, _BREAK, QUOTE))


def is_word(token: str) -> bool:
    """False for the marks of ``sentence_units``: they are the only tokens that sort before
    PARAGRAPH_BREAK ("\\x07"), a word starting with a letter, a digit or "_"."""
    return token > _BREAK


def cut_sentence(start: int, end: int, clauses: list[int]) -> list[tuple[int, int]]:
    """A sentence as units of at most ``UNIT_MAX`` words, cut at clause marks when it is
    longer."""
    if end - start <= UNIT_MAX:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    low = start
    for cut in [*clauses, end]:
        if cut - low >= UNIT_TARGET // 2 and (cut - low > UNIT_TARGET or cut == end):
            pieces.append((low, cut))
            low = cut
    if low < end:
        if pieces:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((low, end))
    result = []
    for low, high in pieces:
        if high - low > UNIT_MAX:
            parts = -(-(high - low) // UNIT_TARGET)
            size = -(-(high - low) // parts)
            result.extend((at, min(at + size, high)) for at in range(low, high, size))
        else:
            result.append((low, high))
    return result


def _merge_short(block: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Units shorter than ``UNIT_MIN`` joined to the one before (the one after, when
    first); a paragraph shorter than that altogether gives none."""
    if all(high - low >= UNIT_MIN for low, high in block):
        return block
    merged: list[tuple[int, int]] = []
    for low, high in block:
        if merged and (high - low < UNIT_MIN or merged[-1][1] - merged[-1][0] < UNIT_MIN):
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return [unit for unit in merged if unit[1] - unit[0] >= UNIT_MIN]


def paragraph_tokens(texts: list[str]) -> list[list[str]]:
    """``tokens`` of several paragraphs, one list per paragraph."""
    found = joined_tokens(texts)
    result: list[list[str]] = []
    start = 0
    for _ in range(len(texts) - 1):
        end = found.index(_BREAK, start)
        result.append(found[start:end])
        start = end + 1
    result.append(found[start:])
    return result


def split_paragraphs(body: str) -> tuple[Paragraph, ...]:
    """Split a body into paragraphs, with offsets into ``body``.

    Paragraphs are separated by blank lines. Inside a block, each line is a paragraph of its
    own (headlines, related-link lists, feeds that put one paragraph per line) unless the
    block is hard-wrapped prose (``_hard_wrapped``).
    """
    quick = _simple_layout(body)
    return quick if quick is not None else _split_blocks(body)


def _split_blocks(body: str) -> tuple[Paragraph, ...]:
    """``split_paragraphs`` for any layout."""
    paragraphs: list[Paragraph] = []

    def add(start: int, end: int) -> None:
        chunk = body[start:end]
        stripped = chunk.strip()
        if stripped:
            offset = start + len(chunk) - len(chunk.lstrip())
            paragraphs.append(Paragraph(len(paragraphs), stripped, offset, offset + len(stripped)))

    start = 0
    for cut in [*_BLANK_LINES.finditer(body), None]:
        end = cut.start() if cut else len(body)
        lines = list(_LINE.finditer(body, start, end))
        texts = [text for m in lines if (text := m.group().strip())]
        if len(lines) > 1 and not _hard_wrapped(texts, body):
            for line in lines:
                add(line.start(), line.end())
        else:
            add(start, end)
        if cut:
            start = cut.end()
    return tuple(paragraphs)


def _simple_layout(body: str) -> tuple[Paragraph, ...] | None:
    """``split_paragraphs`` for the common layout, exactly one blank line between blocks and
    no stray white space (as most feeds and JSON bodies come), without regular expressions;
    None when the body is laid out otherwise. Blocks are checked together (``str.strip`` of
    each leaves it as it is, so no line is empty or has white space at either end), and
    only blocks holding a line break are looked at one by one."""
    if "\r" in body:
        return None
    blocks = body.split("\n\n")
    if len(blocks) == 1 and "\n" not in body:  # a single paragraph (a str, as split made it)
        text = blocks[0]
        return (Paragraph(0, text, 0, len(text)),) if text and text.strip() == text else None
    if "" in blocks or list(map(str.strip, blocks)) != blocks:
        return None
    texts: list[str] = blocks
    gaps: list[int] | None = None  # what separates each text from the next: 2 ("\n\n"), 1
    if any(map(str.__contains__, blocks, repeat("\n"))):
        texts, gaps = [], []
        for block in blocks:
            if "\n" in block:
                lines = block.split("\n")
                if list(map(str.strip, lines)) != lines:
                    return None
                if not _hard_wrapped(lines, body):
                    texts.extend(lines)
                    gaps.extend([1] * (len(lines) - 1))
                    gaps.append(2)
                    continue
            texts.append(block)
            gaps.append(2)
    lengths = list(map(len, texts))
    starts = [0, *accumulate(map(add, lengths, gaps or repeat(2)))]
    return _paragraphs(texts, starts, list(map(add, starts, lengths)))


_PARAGRAPH_FIELDS = ("index", "text", "start", "end")
"""``Paragraph``'s fields, in order (a test holds them to the class's)."""
_SET_FIELD = tuple(Paragraph.__dict__[name].__set__ for name in _PARAGRAPH_FIELDS)
"""The slots' own setters: ``Paragraph`` is frozen, so its ``__init__`` sets each field
through ``object.__setattr__``, which costs more than the records are worth in a story of
twenty paragraphs."""


_FEW_PARAGRAPHS = 8
"""Below this many paragraphs, calling the class is as cheap (measured)."""


def _paragraphs(texts: list[str], starts: list[int], ends: list[int]) -> tuple[Paragraph, ...]:
    """``Paragraph(index, text, start, end)`` of each text, a third cheaper than calling the
    class for a story's twenty paragraphs: the records are made empty and each field set
    for all of them in one C-level loop."""
    if len(texts) < _FEW_PARAGRAPHS:
        return tuple(map(Paragraph, range(len(texts)), texts, starts, ends))
    made = list(map(object.__new__, repeat(Paragraph, len(texts))))
    for set_field, values in zip(_SET_FIELD, (range(len(texts)), texts, starts, ends)):
        deque(map(set_field, made, values), maxlen=0)
    return tuple(made)


def _hard_wrapped(lines: Sequence[str], body: str) -> bool:
    """Whether a block's lines (stripped) are one paragraph of prose broken to a width. Where
    lines start with cased letters, one that starts in lower case continues a sentence. In
    a script without case (Arabic, Urdu, Hebrew, Devanagari, CJK...) the block must have
    been filled the way wrappers fill, greedily to a width: ``_filled``. Headlines,
    related-link lists and one-paragraph-a-line feeds fail that test: their lines are short
    beside the body's width, or end sentences."""
    starts = [line[:1] for line in lines[1:]]
    if any(start.islower() for start in starts):
        return True
    if any(start.isupper() for start in starts):
        return False
    # The block's own longest line first: the body's is no shorter, so a line short beside
    # it is short beside the body's, and most blocks (lists, a line a paragraph) end here
    # without the body's lines being measured.
    return _filled(lines, max(map(len, lines), default=0)) and _filled(lines, _width(body))


@functools.lru_cache(maxsize=1)
def _width(body: str) -> int:
    """The length of a body's longest line (stripped): what ``_filled`` measures a block
    against, found once for a body of several blocks."""
    return max(map(len, map(str.strip, body.split("\n"))))


def _filled(lines: Sequence[str], width: int) -> bool:
    """Whether lines were filled greedily to ``width`` (the body's longest line): each line
    but the last is full, the next line's first word would not have fit on it, and one of
    them ends inside a sentence."""
    inside = False
    for line, following in pairwise(lines):
        # What the wrapper would have added to the line: a space and the next word, or in a
        # script written without spaces the next character alone.
        split = _NO_SPACE().match(following)
        word = 1 if split else len(following.split(maxsplit=1)[0]) + 1
        if len(line) + word <= width:
            return False
        inside = inside or line.rstrip(_CLOSERS)[-1:] not in _STOP_CHARS
    return inside


_CLOSERS = "\"'”’»)]」』"
"""What may follow a sentence's end mark on the same line."""


def split_headline(text: str) -> str:
    """The headline of a plain-text or Markdown story: a Markdown ``#`` heading on the first
    line, or a first short line (at most 25 words, not ending like a sentence) followed by a
    blank line. Measured on real and sample pages: headlines run 6 to 14 words, never end
    with a full stop, and always stand alone."""
    first, _, rest = text.lstrip("\ufeff \t\r\n").partition("\n")
    line = first.strip()
    if line.startswith("#"):
        return unmark(line)
    is_short = 0 < len(line.split()) <= 25 and len(line) <= 200
    followed_by_blank = re.match(r"[ \t\r]*\n", rest) is not None
    if is_short and followed_by_blank and not _HEADLINE_END.search(line):
        return unmark(line)
    return ""


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(?<!\w)(\*{1,3}|_{1,3}|`+|~~)(?=\S)(.+?)(?<=\S)\1(?!\w)")


def unmark(text: str) -> str:
    """A headline as text: Markdown heading marks, emphasis, code marks and links removed,
    so that a Markdown copy shows the same headline as the JSON of the same story."""
    text = text.strip().lstrip("#").strip().rstrip("#").strip()
    text = _LINK.sub(r"\1", text)
    return _EMPHASIS.sub(r"\2", text)


HEADLINE_REACH = 3
"""A headline given apart from the text (front matter) is looked for in the body among this
many first paragraphs: a web page repeats it after a line of chrome ("Listen live")."""


def take_headline(body: str, given: str = "") -> tuple[str, str]:
    """The headline of a plain-text or Markdown story and its body without it, so that the
    headline is a field, never a paragraph, and paragraphs number the same as in JSON.

    ``given`` (front matter) wins; a paragraph among the first ``HEADLINE_REACH`` that only
    repeats it leaves the body. Otherwise ``split_headline`` finds it on the first line. The
    body is kept whole when the headline is all it holds."""
    headline = unmark(given) if given.strip() else split_headline(body)
    if not headline:
        return "", body
    wanted = normalise(headline)
    paragraphs = split_paragraphs(body)
    reach = HEADLINE_REACH if given.strip() else 1
    for at, paragraph in enumerate(paragraphs[:reach]):
        if normalise(unmark(paragraph.text)) == wanted and len(paragraphs) > 1:
            end = paragraphs[at + 1].start if at + 1 < len(paragraphs) else len(body)
            return headline, body[: paragraph.start] + body[end:]
    return headline, body


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """Matching tokens with their place in the displayed text, for views that highlight
    words. The dateline's tokens are left out, as in ``tokens``."""
    skip = len(text) - len(strip_dateline(text))
    return [
        (m.start(), m.end(), normalise(m.group()))
        for m in _TOKEN().finditer(text)
        if m.start() >= skip
    ]
