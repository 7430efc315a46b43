"""The core's faster forms give exactly what their plain definitions give: usable units of
all stories at once, unit words, token hashes and the shared-gram counts of the rewrite
decision (the scan's outputs must not change when the core gets faster)."""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from dataclasses import replace

import numpy as np
from conftest import VOCABULARY, make_story, paragraphs
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.detect import rewrite
from dedup.detect import verify as verify_module
from dedup.detect.candidates import pack_pairs
from dedup.detect.fingerprint import Fingerprinter, _Tokens, hash_tokens
from dedup.detect.verify import sentences, usable_units, usable_units_all, verify_rewrites
from dedup.read import text as text_module
from dedup.read.text import (
    CLAUSE,
    PARAGRAPH_BREAK,
    QUOTE,
    STOP,
    marked_bytes,
    marked_tokens,
    sentence_units,
    strip_dateline,
)
from dedup.settings import DEFAULT


def stories_with_numbers(seed: int, count: int) -> list:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        texts = paragraphs(seed * 100 + number, rng.randint(0, 8))
        texts = [
            " ".join(
                word if rng.random() > 0.05 else f"{rng.randint(1, 99)}.{rng.randint(0, 9)}"
                for word in text.split()
            )
            for text in texts
        ]
        made.append(make_story(f"s{number}", texts))
    return made


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.0, 1.0))
def test_usable_units_of_all_stories_at_once_are_those_of_each(seed, share):
    prints = Fingerprinter().batch(stories_with_numbers(seed, 12))
    rng = np.random.default_rng(seed)
    removed = []
    for print_ in prints:
        mine = np.unique(print_.shingles)
        taken = mine[rng.random(len(mine)) < share]
        stray = rng.integers(0, 2**32, rng.integers(0, 4), dtype=np.uint64).astype(np.uint32)
        removed.append(
            np.unique(np.concatenate((taken, stray))) if rng.random() < 0.7 else mine[:0]
        )
    together = usable_units_all(prints, removed, DEFAULT.shingle)
    one_by_one = [usable_units(p, gone, DEFAULT.shingle) for p, gone in zip(prints, removed)]
    assert len(together) == len(one_by_one)
    for a, b in zip(together, one_by_one):
        assert a.dtype == b.dtype and a.tolist() == b.tolist()
    assert usable_units_all([], [], DEFAULT.shingle) == []


def test_unit_words_leave_out_marks_and_words_holding_a_digit():
    number_word = re.compile(r"\S*\d\S*")
    for print_ in Fingerprinter().batch(stories_with_numbers(3, 40)):
        words = print_.text
        for mark in (STOP, CLAUSE, PARAGRAPH_BREAK):
            words = words.replace(mark, " ")
        words = words.split()
        expected = [
            number_word.sub("", " ".join(words[low:high])).split()
            for low, high in print_.units.tolist()
        ]
        assert print_.unit_words() == expected


def test_token_hashes_are_crc32_with_flags_whether_cached_or_new():
    tokens = [*VOCABULARY[:50], "x1", "２０２４", STOP, "новость", *VOCABULARY[:50], CLAUSE]
    expected = [
        {STOP: 1, CLAUSE: 2, PARAGRAPH_BREAK: 3}.get(token)
        or zlib.crc32(token.encode()) | 1 << 32 | (1 << 33 if re.search(r"\d", token) else 0)
        for token in tokens
    ]
    assert hash_tokens(tokens).tolist() == expected
    assert hash_tokens(tokens).tolist() == expected  # now from the cache
    assert hash_tokens([]).dtype == np.uint64


def test_shared_grams_searched_once_equal_the_two_sided_search():
    prints = Fingerprinter().batch(stories_with_numbers(5, 10))
    prepared = [sentences(p, np.zeros(0, dtype=np.uint32)) for p in prints]
    prepared.append(rewrite.Sentences.of([]))
    prepared.append(rewrite.Sentences.of([["ab"], ["one", "two", "three"]]))
    for a in prepared:
        for b in prepared:
            plain = rewrite._shared(a.grams, b.grams, len(a.sizes), len(b.sizes))
            quick = rewrite._shared_units(a, b)
            assert plain.dtype == quick.dtype and plain.tolist() == quick.tolist()


def test_rewrite_decisions_made_together_are_those_made_one_at_a_time(monkeypatch):
    """Pairs linked, not linked, ended by the bound or decided in full, pairs with too
    few units or words and pairs too large for a batch, under the default rule and looser
    ones."""
    rng = random.Random(3)
    prints = Fingerprinter().batch(stories_with_numbers(7, 14))
    units = [p.unit_words() for p in prints]
    edited = [  # rewritten: each unit with some of its words changed or left out
        [[w if rng.random() < 0.7 else w[::-1] for w in unit if rng.random() < 0.9] for unit in u]
        for u in units
    ]
    # Some units quoted, in stories and their rewrites alike (``Sentences.quoted``).
    prepared = [
        rewrite.Sentences.of(u, [number % 3 == 0 for number in range(len(u))])
        if which % 2
        else rewrite.Sentences.of(u)
        for which, u in enumerate(units + edited)
    ]
    prepared += [rewrite.Sentences.of([]), rewrite.Sentences.of([["ab"], ["one", "two"]])]
    pairs = [(a, b) for a in prepared for b in prepared]
    for rule in (
        DEFAULT,
        replace(DEFAULT, rewrite_coverage=0.05, rewrite_similarity=0.2),
        replace(DEFAULT, rewrite_sentences=1),
    ):
        one_at_a_time = [rewrite.decide_rewrite(a, b, rule) for a, b in pairs]
        assert 0 < sum(found.linked for found in one_at_a_time) < len(pairs)
        for size, cells in ((1, rewrite._CELLS), (7, 100), (len(pairs), rewrite._CELLS)):
            monkeypatch.setattr(rewrite, "_CELLS", cells)
            together = []
            for start in range(0, len(pairs), size):
                together += rewrite.decide_rewrite_many(pairs[start : start + size], rule)
            assert together == one_at_a_time
            monkeypatch.undo()
    assert rewrite.decide_rewrite_many([]) == []


_FEW_WORDS = ["storm", "winds", "the", "coast", "said", "police", "river", "rose", "closed"]


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 1_000_000), same_length=st.booleans())
def test_a_rewrite_decision_does_not_depend_on_which_story_comes_first(seed, same_length):
    """Shares are of the smaller story: two stories of as many words are decided the same
    whichever is given first (the engines number stories each their own way)."""
    rng = random.Random(seed)

    def units(count: int) -> list[list[str]]:
        return [[rng.choice(_FEW_WORDS) for _ in range(rng.randint(3, 12))] for _ in range(count)]

    a, b = units(rng.randint(2, 6)), units(rng.randint(2, 6))
    if same_length:  # as many words: cut the longer story's last words
        extra = sum(map(len, b)) - sum(map(len, a))
        longer = b if extra > 0 else a
        for _ in range(abs(extra)):
            longer[-1].pop()
            if not longer[-1]:
                longer.pop()
    first = rewrite.Sentences.of(a, [rng.random() < 0.3 for _ in a])
    second = rewrite.Sentences.of(b, [rng.random() < 0.3 for _ in b])
    one_way = rewrite.decide_rewrite(first, second)
    other_way = rewrite.decide_rewrite(second, first)
    assert (one_way.linked, one_way.coverage) == (other_way.linked, other_way.coverage)
    assert sorted(one_way.pairs) == sorted((j, i, s) for i, j, s in other_way.pairs)


def test_rewrite_matches_are_the_same_whatever_the_batches(monkeypatch):
    """Stories prepared and pairs decided one at a time, or in batches cut by their count
    or their words, give the same matches."""
    rng = random.Random(9)
    texts = [paragraphs(number, 4, sentences=3) for number in range(6)]
    texts += [  # rewritten: some words changed or left out
        [" ".join(w if rng.random() < 0.8 else w[::-1] for w in p.split()) for p in story]
        for story in texts
    ]
    prints = Fingerprinter().texts([str(n) for n in range(len(texts))], texts)
    count = len(prints)
    first, second = np.triu_indices(count, 1)
    pairs = pack_pairs(first, second)
    keys = [p.key for p in prints]
    content = [p.shingle_set() for p in prints]
    removed = [np.zeros(0, dtype=np.uint32)] * count

    def matches() -> list:
        return verify_rewrites(pairs, keys, prints, content, removed)

    expected = matches()
    assert any(m.kind == "rewrite" for m in expected)
    for at_once, words, decided in ((1, 1 << 15, 1), (5, 1 << 15, 3), (32, 100, 32)):
        monkeypatch.setattr(verify_module, "_PREPARED_AT_ONCE", at_once)
        monkeypatch.setattr(verify_module, "_PREPARED_WORDS", words)
        monkeypatch.setattr(verify_module, "_DECIDED_AT_ONCE", decided)
        assert matches() == expected


_PIECES = [
    *VOCABULARY[:40],
    "Mr.",
    "J.",
    "3.5",
    "12",
    "x1",
    "٣.٤",
    "١٢",
    "²",
    "naïve",
    "Straße",
    "новость",
    "東京都",
    "ﬁne",
    "“quoted”",
    '"',
    "«",
    "»",
    "„",
    "‘",
    "’",
    "don’t",
    "\x03",
    "—",
    "(AP)",
    "WASHINGTON (AP) —",
    "...",
    "…",
    "?!",
    ",",
    ";",
    ":",
    "،",
    "۔",
    "。",
    "\x01",
    "\x02",
    "\x07",
    "\ud800",
    "a" * 16,
    "b" * 17,
    "counterintelligence",
    "élite" * 4,
    "_",
    "x_9",
    "\t",
]


@st.composite
def story_texts(draw) -> list[str]:
    """Paragraphs of words, numbers, marks and scripts of every kind, datelines and
    control characters included."""
    pieces = st.lists(st.sampled_from(_PIECES), max_size=60)
    return [" ".join(draw(pieces)) for _ in range(draw(st.integers(0, 5)))]


@settings(max_examples=200, deadline=None)
@given(st.lists(story_texts(), min_size=1, max_size=6))
def test_batch_tokens_hashes_texts_and_units_are_those_of_the_plain_definitions(stories):
    """One pass over a batch's bytes gives each story the tokens of ``marked_tokens``, their
    ``hash_tokens``, its text and the ``sentence_units`` of its tokens."""
    found = _Tokens.of([marked_bytes(texts) if texts else b"" for texts in stories])
    prints = Fingerprinter().texts([str(n) for n in range(len(stories))], stories)
    cuts = found.cuts.tolist()
    for number, texts in enumerate(stories):
        tokens = marked_tokens(texts) if texts else []
        mine = range(cuts[number], cuts[number + 1])
        assert [found.token(at) for at in mine] == tokens
        assert found.hashes[cuts[number] : cuts[number + 1]].tolist() == (
            hash_tokens(tokens).tolist()
        )
        assert prints[number].text == " ".join(tokens)
        assert prints[number].units.tolist() == [list(u) for u in sentence_units(tokens)]


def _same_sentences(made: rewrite.Sentences, plain: rewrite.Sentences) -> None:
    for field in ("sizes", "grams", "counts", "units", "quoted"):
        mine, theirs = getattr(made, field), getattr(plain, field)
        assert mine.dtype == theirs.dtype and mine.tolist() == theirs.tolist(), field


def _plain_sentences(text: str, spans) -> rewrite.Sentences:
    """``Sentences.many`` of one token text by its plain definition: marks dropped (a word
    they split stays one word), words holding a digit left out, and a unit quoted when a
    third of its words or more start inside quotation marks, counted from the start of the
    text or of its last paragraph."""
    inside, words, start = False, [], None
    for char in text + " ":
        if char == QUOTE:
            inside = not inside
        elif char == PARAGRAPH_BREAK:
            inside = False
        elif char in (STOP, CLAUSE):
            continue
        elif char.isspace():
            if start is not None:
                words.append(start)
            start = None
        elif start is None:
            start = ["", inside]
        if start is not None and char not in (QUOTE, PARAGRAPH_BREAK) and not char.isspace():
            start[0] += char
    units = [
        [(w, quoted) for w, quoted in words[low:high] if not re.search(r"\d", w)]
        for low, high in np.asarray(spans).tolist()[: rewrite.UNITS]
    ]
    return rewrite.Sentences.of(
        [[w for w, _ in unit] for unit in units],
        [3 * sum(quoted for _, quoted in unit) >= max(len(unit), 1) for unit in units],
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(story_texts(), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_units_of_many_stories_at_once_are_those_of_their_words(stories, rng):
    """``Sentences.many`` over a batch's token texts gives each story what ``Sentences.of``
    makes of its kept units' ``unit_words``: numbers in any script left out, marks dropped,
    short and empty units, any subset of units kept."""
    prints = Fingerprinter().texts([str(n) for n in range(len(stories))], stories)
    keep = [np.array([rng.random() < 0.7 for _ in p.units], dtype=bool) for p in prints]
    made = rewrite.Sentences.many(
        [p.text for p in prints], [p.units[k] for p, k in zip(prints, keep)]
    )
    for print_, kept, mine in zip(prints, keep, made):
        _same_sentences(mine, _plain_sentences(print_.text, print_.units[kept]))


def test_units_of_texts_spaced_and_marked_every_way_are_those_of_their_words():
    """Any white space ``str.split`` knows, marks inside words, spans past the last word
    and more units than are compared."""
    texts = [
        "a\u3000bb\xa0ccc \x02 dd\x01d 12 e\u2003ff\u0660 gg\tg\n hh  ",
        "",
        " \x07 x 9 yy zzz",
        "\x03 one two \x03 three four \x03 five \x07 six seven eight \x03 nine 10 11",
        "one two three four five six",
        " ".join(f"w{n % 7}x" for n in range(rewrite.UNITS + 9)),
    ]
    spans = [
        np.array([[0, 2], [2, 5], [5, 5], [6, 9], [9, 20]]),
        np.array([[0, 0], [0, 3]]),
        np.array([[0, 1], [1, 4]]),
        np.array([[0, 2], [2, 3], [3, 5], [5, 8], [8, 11]]),
        np.zeros((0, 2), dtype=np.int32),
        np.array([[n, n + 1] for n in range(rewrite.UNITS + 9)]),
    ]
    made = rewrite.Sentences.many(texts, spans)
    for text, span, mine in zip(texts, spans, made):
        _same_sentences(mine, _plain_sentences(text, span))
    assert made[3].quoted.tolist() == [True, False, True, False, True]
    assert rewrite.Sentences.many([], []) == []


def test_short_ascii_words_are_hashed_as_zlib_does():
    rng = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_"
    words = ["".join(rng.choices(alphabet, k=rng.randint(1, 20))) for _ in range(3000)]
    found = _Tokens.of([" ".join(words).encode()])
    assert found.hashes.tolist() == hash_tokens(words).tolist()


def test_batch_units_at_the_unit_size_limits_are_those_of_sentence_units():
    """Sentences just inside and just outside ``UNIT_MIN`` and ``UNIT_MAX`` words, with and
    without clause marks, in paragraphs of one or several."""
    rng = random.Random(11)
    lengths = [1, 2, 4, 5, 6, 24, 25, 26, 39, 40, 41, 42, 60, 81, 130]

    def sentence(size: int) -> str:
        words = [rng.choice(VOCABULARY) for _ in range(size)]
        if rng.random() < 0.5:
            for at in rng.sample(range(size), k=min(size, rng.randint(0, 6))):
                words[at] += ","
        return " ".join(words) + "."

    stories = [
        [
            " ".join(sentence(rng.choice(lengths)) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(0, 4))
        ]
        for _ in range(300)
    ]
    prints = Fingerprinter().texts([str(n) for n in range(len(stories))], stories)
    for texts, print_ in zip(stories, prints):
        tokens = marked_tokens(texts) if texts else []
        assert print_.units.tolist() == [list(unit) for unit in sentence_units(tokens)]


def test_units_and_their_keys_do_not_depend_on_paragraph_breaks():
    """The same sentences as one block, a sentence a paragraph, or paragraphs of any size
    (some ending without a full stop, as headlines and list items do): the same units,
    with the same band keys."""
    rng = random.Random(3)
    lengths = [1, 2, 4, 5, 6, 12, 25, 40, 41, 60]
    fingerprinter = Fingerprinter()
    for _ in range(200):
        sentences = [
            " ".join(rng.choice(VOCABULARY) + ("," if rng.random() < 0.1 else "") for _ in range(n))
            + rng.choice([".", ".", ".", ""])
            for n in rng.choices(lengths, k=rng.randint(1, 12))
        ]
        cuts = sorted(rng.sample(range(1, len(sentences)), k=rng.randint(0, len(sentences) - 1)))
        grouped = [" ".join(sentences[a:b]) for a, b in zip([0, *cuts], [*cuts, len(sentences)])]
        layouts = [[" ".join(sentences)], sentences, grouped]
        prints = fingerprinter.texts(["block", "sentences", "grouped"], layouts)
        for other in prints[1:]:
            assert other.units.tolist() == prints[0].units.tolist()
            assert other.unit_keys.tolist() == prints[0].unit_keys.tolist()


def test_sentences_of_text_holding_a_lone_surrogate_are_made():
    """JSON can carry a lone surrogate into a story's text; its grams are made like any
    other character's rather than the rewrite decision failing."""
    made = rewrite.Sentences.of([["ab\ud800cd", "word"], ["ab\ud800cd", "other"]])
    assert made.counts.tolist()[0] > 0
    assert rewrite._shared_units(made, made)[0, 1] > 0


_OPENINGS = [
    "WASHINGTON",
    "Washington",
    "PARIS, France",
    "U.S.",
    "(AP)",
    "(CBS/AP)",
    "(reuters)",
    "The",
    "the",
    "A",
    "In",
    "É",
    "é",
    "ǅ",
    "ª",
    "ß",
    "Straße",
    "ÉCOLE",
    "ЛОНДОН",
    "Лондон",
    "•",
    "©",
    "²",
    "Ⅻ",
    "½",
    "_",
    "東京",
    "١٢",
    "12",
    '"',
    "'",
    "’",
    "(",
    ")",
    "—",
    "–",
    "-",
    ",",
    ".",
    " ",
    "  ",
    "\n",
    "\t",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_OPENINGS), max_size=8), st.sampled_from(["", " ", "x"]))
def test_datelines_found_by_the_cheap_tests_first_are_those_of_the_expressions(pieces, glue):
    """Paragraphs that start as prose skip the dateline expressions; every opening, in
    any script, gives what the expressions alone give."""
    text = glue.join(pieces) + " said officials on Monday."
    for paragraph in (text, text.lstrip(), text[1:]):
        plain = _dateline_plain(paragraph)
        assert strip_dateline(paragraph) == plain
        assert text_module._without_datelines([paragraph, paragraph]) == [plain, plain]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(_OPENINGS), max_size=4), st.sampled_from(_OPENINGS)),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["", " ", "x" * 130]),
)
def test_datelines_found_in_the_joined_text_are_those_of_each_paragraph(pieces, filler):
    """Looking for the characters a dateline needs in the joined paragraphs (some far from
    a paragraph's start, some in several paragraphs) strips what stripping each paragraph
    strips."""
    texts = [filler.join([*head, tail]) + " officials said." for head, tail in pieces]
    texts = [text for text in texts if PARAGRAPH_BREAK not in text]
    joined = PARAGRAPH_BREAK.join(text_module._without_datelines(texts))
    assert text_module._joined_without_datelines(PARAGRAPH_BREAK.join(texts)) == joined


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("ABZabz ,.'-1_ÉéǅǆªΣ東"), max_size=12))
def test_places_in_capitals_are_found_alike_in_ascii_and_in_any_script(place):
    """A place is in capitals when its part before any comma has a letter and no letter
    that is not upper-case; ASCII places are told by ``str.isupper``."""
    letters = [char for char in place.split(",")[0] if char.isalpha()]
    plain = bool(letters) and all(char.isupper() for char in letters)
    assert text_module._is_capitals(place) == plain


def _dateline_plain(text: str) -> str:
    """``strip_dateline`` by its regular expressions alone."""
    match = text_module._DATELINE.match(text[: text_module._DATELINE_REACH])
    if not match:
        return text
    place = match.group("place") or match.group("place2")
    if place and not text_module._is_capitals(place):
        return text
    rest = text[match.end() :]
    return rest if rest.strip() else text


_GRAM_PIECES = ["ab", "abc", "abcd", "the", "news", "é", "ß", "东京", "东", "\u1fff", "\u2000"]
_GRAM_PIECES += ["\u0640", "کے", "\ud800", "x\U0001f600", "\U00020000", "ç" * 4, "a" * 9]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.lists(st.sampled_from(_GRAM_PIECES), max_size=6), max_size=5),
        min_size=2,
        max_size=2,
    )
)
def test_shared_gram_counts_are_those_of_the_sets_of_character_grams(stories):
    """Grams kept exactly (code points below 2**13) or hashed (any other, and texts shorter
    than a gram) count as the distinct character 4-grams of each unit's text do."""

    def grams(words: list[str]) -> set[str]:
        text = " ".join(words)
        size = rewrite.GRAM
        return {text[at : at + size] for at in range(len(text) - size + 1)} or (
            {text} if text else set()
        )

    a, b = (rewrite.Sentences.of(units) for units in stories)
    sets_a, sets_b = ([grams(words) for words in units] for units in stories)
    assert a.counts.tolist() == [len(found) for found in sets_a]
    expected = [[len(x & y) for y in sets_b] for x in sets_a]
    assert rewrite._shared_units(a, b).tolist() == expected
    assert rewrite._shared(a.grams, b.grams, len(sets_a), len(sets_b)).tolist() == expected


_FOLDING = [*text_module._FOLDED, *text_module._SYMBOLS, "a", "Z", " ", "\x07", "é", "e\u0301"]
_FOLDING += ["\u0301", "ﬁ", "Ａ", "…", "Å", "ᄀ", "ᅡ", "東", "ß", "İ", "\ud800"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_FOLDING), max_size=12))
def test_folding_that_leaves_out_the_nfkc_check_folds_the_nfkc_text(pieces):
    """Quotes, dashes and symbols are folded as in the text's NFKC form, whether or not the
    text needed the NFKC check."""
    text = "".join(pieces)
    plain = text_module._drop_symbols(text_module._fold(unicodedata.normalize("NFKC", text)))
    assert text_module._folded(text) == plain
    in_nfkc = any(char in text for char in text_module._NOT_NFKC)
    folded = text_module._drop_symbols(text_module._fold(text))
    assert text_module._fold_and_drop(text) == (folded, in_nfkc)


def test_white_space_of_the_rewrite_units_is_what_str_split_splits_at():
    kind = rewrite._KIND
    spaces = [code for code in range(len(kind) - 1) if kind[code] == 1]
    assert spaces == [code for code in range(len(kind) - 1) if chr(code).isspace()]
    assert not chr(len(kind) - 1).isspace() and kind[-1] == 0  # the entry for any larger
    assert all(not chr(code).isspace() for code in range(len(kind), 0x110000))
