"""Normalisation, tokens and segmentation."""

import random
import re
import textwrap
import unicodedata

from dedup.read.text import (
    QUOTE,
    is_word,
    marked_tokens,
    normalise,
    sentence_units,
    split_headline,
    split_paragraphs,
    strip_dateline,
    token_spans,
    tokens,
)


def test_normalise_folds_quotes_dashes_case_and_width():
    assert normalise("“Assad’s” — ＡＢＣ  regime") == normalise('"assad\'s" - abc regime')


def test_datelines_are_stripped_from_matching_text_only():
    assert strip_dateline("WASHINGTON (AP) — The president said") == "The president said"
    assert strip_dateline("(CBS/AP) The defection") == "The defection"
    assert strip_dateline("PORT CALDER, Estrania (MNA) — Dockworkers") == "Dockworkers"
    assert strip_dateline("PARIS, July 6 (Reuters) - French") == "French"
    assert strip_dateline("MADRID — El gobierno") == "El gobierno"
    # Prose is left alone.
    assert strip_dateline("Clinton (left) said") == "Clinton (left) said"
    assert strip_dateline("In Paris (AP) reporters") == "In Paris (AP) reporters"
    assert tokens("WASHINGTON (AP) — Rain fell") == tokens("Rain fell")


def test_scripts_without_spaces_become_character_tokens():
    assert tokens("北京市政府") == ["北", "京", "市", "政", "府"]
    assert tokens("東京で会議") == ["東", "京", "で", "会", "議"]
    assert tokens("Ünïcödé wörds, ça va") == ["ünïcödé", "wörds", "ça", "va"]


def test_token_spans_point_into_the_displayed_text():
    text = "PARIS (AFP) — “Hello” World"
    spans = token_spans(text)
    assert [t for _, _, t in spans] == ["hello", "world"]
    for start, end, token in spans:
        assert normalise(text[start:end]) == token


def test_paragraphs_split_on_blank_lines_and_keep_offsets():
    body = "First para.\n\n  Second para.  \n\n\n\nThird."
    paras = split_paragraphs(body)
    assert [p.text for p in paras] == ["First para.", "Second para.", "Third."]
    for p in paras:
        assert body[p.start : p.end] == p.text


def test_lines_in_a_block_are_paragraphs_unless_hard_wrapped():
    links = "Intro.\n\nFirst link headline\nSecond link headline\nThird one"
    assert len(split_paragraphs(links)) == 4
    wrapped = "This sentence is wrapped\nacross two lines of text.\n\nNext."
    assert next(p.text for p in split_paragraphs(wrapped)).endswith("lines of text.")
    assert len(split_paragraphs(wrapped)) == 2


def test_hard_wrapped_prose_in_a_script_without_case_is_one_paragraph():
    """No line of Devanagari, Arabic or CJK starts with a lower-case letter: a block is
    hard-wrapped when it was filled to the body's width, whatever the script."""
    rng = random.Random(5)
    letters = "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह"  # Devanagari: no case

    def sentence(words: int) -> str:
        return " ".join(
            "".join(rng.choice(letters) for _ in range(rng.randint(2, 7))) for _ in range(words)
        )

    prose = "। ".join(sentence(rng.randint(8, 20)) for _ in range(4)) + "।"
    for width in (40, 60, 72):
        body = sentence(3) + "\n\n" + textwrap.fill(prose, width) + "\n\n" + sentence(3) + "।"
        assert [" ".join(p.text.split()) for p in split_paragraphs(body)][1:2] == [prose]
    # Most vowel signs take no column of their own: a wrapper counting columns fills lines
    # with more characters than one counting characters, and still each line is full.
    signs = "ुूेैं"  # combining: no column
    long_prose = "। ".join(sentence(rng.randint(8, 20)) for _ in range(12)) + "।"
    marked = re.sub(r"(\w+)", lambda word: word.group() + rng.choice(signs), long_prose)
    lines, line = [], ""
    for word in marked.split():
        columns = sum(unicodedata.category(c) != "Mn" for c in f"{line} {word}".strip())
        if line and columns > 50:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    body = "\n".join([*lines, line])
    assert max(map(len, lines)) > 55
    assert [" ".join(p.text.split()) for p in split_paragraphs(body)] == [marked]
    # Short lines (headlines, related links) stay lines, as do long ones that each end a
    # sentence (a feed with a paragraph a line).
    links = "\n".join(sentence(4) for _ in range(3))
    body = textwrap.fill(prose, 60) + "\n\n" + links
    assert len(split_paragraphs(body)) == 1 + 3
    feed = "\n".join(sentence(12) + "।" for _ in range(3))
    assert len(split_paragraphs(feed)) == 3
    # Chinese wraps anywhere, without spaces.
    chinese = "今天上午北京市政府召开新闻发布会介绍了全市防汛工作的最新进展情况。" * 3
    body = "标题\n\n" + "\n".join(textwrap.wrap(chinese, 20))
    assert [p.text.replace("\n", "") for p in split_paragraphs(body)] == ["标题", chinese]


def test_headline_is_a_first_short_line_followed_by_a_blank_line():
    assert split_headline("Storm hits coast\n\nThe storm...") == "Storm hits coast"
    assert split_headline("# A Markdown title\n\nBody.") == "A Markdown title"
    assert split_headline("A full sentence ends here.\n\nBody.") == ""
    assert split_headline("One line only") == ""


def test_ascii_fast_path_gives_the_same_tokens_as_the_pattern():
    from hypothesis import given
    from hypothesis import strategies as st

    from dedup.read.text import _TOKEN, paragraph_tokens

    @given(st.lists(st.text(alphabet=st.characters(max_codepoint=127)), max_size=4))
    def check(texts):
        expected = [
            _TOKEN().findall(normalise(strip_dateline(t).replace("\x07", " "))) for t in texts
        ]
        assert paragraph_tokens(texts) == expected if texts else True

    check()


def test_symbols_outside_ascii_do_not_change_tokens():
    from dedup.read.text import _TOKEN, paragraph_tokens

    texts = ["© 2026 Channel Nine • All rights reserved", "Café • crème", "a©b"]
    assert paragraph_tokens(texts) == [_TOKEN().findall(normalise(t)) for t in texts]


def test_the_quick_paragraph_split_agrees_with_the_general_one():
    from dataclasses import astuple

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from dedup.read.text import _simple_layout, _split_blocks
    from dedup.records import Paragraph

    pieces = ["Alpha beta.", "gamma", "• Delta", " ", "\n", "\n\n", "\t", "\r", "\u2028", "é"]
    pieces += ["\x1c", "\u00a0", "بت ثج", "۔", "中文"]

    @settings(max_examples=1000, deadline=None)
    @given(st.lists(st.sampled_from(pieces), max_size=12).map("".join))
    def agree(body):
        quick = _simple_layout(body)
        if quick is not None:
            assert quick == _split_blocks(body)
            assert quick == tuple(Paragraph(*astuple(paragraph)) for paragraph in quick)

    agree()
    body = "Headline\n\nFirst paragraph.\n\nRelated:\n• one\n• two\n\nwrapped line\ncontinues here"
    assert _simple_layout(body) == _split_blocks(body) == split_paragraphs(body)
    assert [p.text for p in split_paragraphs(body)][-3:] == ["• one", "• two", body[-27:]]


def test_paragraphs_made_field_by_field_are_those_the_class_makes():
    """``_paragraphs`` sets the slots of ``Paragraph`` itself: it must set every field, in
    the class's order, and give records equal (and hashed) as the class's own."""
    from dataclasses import fields

    from dedup.read.text import _PARAGRAPH_FIELDS, _paragraphs
    from dedup.records import Paragraph

    assert tuple(field.name for field in fields(Paragraph)) == _PARAGRAPH_FIELDS
    made = _paragraphs(["One.", "Two"], [0, 6], [4, 9])
    expected = (Paragraph(0, "One.", 0, 4), Paragraph(1, "Two", 6, 9))
    assert made == expected
    assert list(map(hash, made)) == list(map(hash, expected))
    assert all(type(paragraph) is Paragraph for paragraph in made)


def test_paragraph_texts_are_plain_strings_whatever_the_body():
    """A reader may pass a ``str`` subclass (an XML parser's string, which keeps its
    document alive); paragraphs hold plain strings, however many the body has."""

    class Tied(str):
        pass

    for body in ("One paragraph.", "One.\n\nTwo.", "Headline\n\n• one\n• two"):
        texts = [paragraph.text for paragraph in split_paragraphs(Tied(body))]
        assert texts and all(type(text) is str for text in texts)


def test_quotation_marks_of_every_style_are_one_mark_that_cuts_no_unit():
    """Straight, curly, low-high and angle quotes, and corner brackets, all become the
    ``QUOTE`` mark, a token of its own between words; the sentence units are those of the
    text without them."""
    words = "the bridge would reopen within weeks once repairs end"
    for opening, closing in ('""', "“”", "„“", "«»", "「」"):
        quoted = f"The minister said {opening}{words}{closing}. Traffic was diverted."
        plain = f"The minister said {words}. Traffic was diverted."
        tokens_quoted = marked_tokens([quoted])
        assert tokens_quoted.count(QUOTE) == 2, opening
        assert [t for t in tokens_quoted if t != QUOTE] == marked_tokens([plain])
        assert not is_word(QUOTE)
        assert sentence_units(tokens_quoted) == sentence_units(marked_tokens([plain]))


def test_a_block_measured_against_its_own_lines_first_is_judged_as_against_the_body():
    """``_hard_wrapped`` tries the block's own longest line before the body's: the same
    answer as measuring against the body's longest line alone, for blocks of lines that
    start without case (lists, numbers, scripts without case) in bodies of any width."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from dedup.read.text import _filled, _hard_wrapped, _width

    line = st.builds(
        lambda first, words: first + " " + " ".join(words),
        st.sampled_from(["•", "1.", "«", "中文", "بت"]),
        st.lists(st.sampled_from(["a", "bb", "ccc.", "dddd", "eeeee,"]), min_size=1, max_size=9),
    )

    @settings(max_examples=500, deadline=None)
    @given(st.lists(line, min_size=2, max_size=5), st.lists(line, max_size=3))
    def same(block, rest):
        body = "\n".join(block) + "\n\n" + "\n".join(rest)
        _width.cache_clear()
        assert _hard_wrapped(block, body) == _filled(block, _width(body))

    same()


def test_single_curly_quotes_are_quotes_where_a_story_has_no_double_ones():
    """British style quotes speech in single marks, whose closing one is also the
    apostrophe: it closes a quote only where no letter follows it. In a story with double
    marks, single ones are the quotes inside quotes and are not read."""
    british = "‘We don’t know yet how long it will take,’ the engineer said. Roads stay shut."
    tokens = marked_tokens([british])
    assert tokens.count(QUOTE) == 2 and tokens[0] == QUOTE
    assert tokens[tokens.index(QUOTE, 1) + 1 :][:3] == ["the", "engineer", "said"]
    assert "don" in tokens and "t" in tokens  # the apostrophe splits words as before
    assert [t for t in tokens if t != QUOTE] == marked_tokens([british.replace("‘", "'")])
    nested = "“He said ‘no’ to the plan,” she said."
    assert marked_tokens([nested]).count(QUOTE) == 2


def test_single_ascii_quotes_are_quotes_where_a_story_has_no_double_ones():
    """Plain text gives British style in ASCII marks: a ' opening a word after no letter
    opens a quote, the first ' ending a word that no letter follows closes it; the
    apostrophes of "unit's" and "'90s" do neither, and a story with double marks has its
    single ones read as quotes inside quotes, not as quotes."""
    plain = (
        "'It was a short, sharp jolt and nothing more,' he said. The unit's staff "
        "checked the homes on the '90s estate."
    )
    tokens = marked_tokens([plain])
    assert tokens.count(QUOTE) == 2 and tokens[0] == QUOTE
    assert tokens[tokens.index(QUOTE, 1) + 1 :][:2] == ["he", "said"]
    words = [t for t in marked_tokens([plain.replace("'", "’")]) if t != QUOTE]
    assert [t for t in tokens if t != QUOTE] == words  # the same words as before
    assert marked_tokens(["été " + plain]).count(QUOTE) == 2  # not ASCII: the same
    assert marked_tokens(["\"He said 'no' to the plan,\" she said."]).count(QUOTE) == 2
    assert QUOTE not in marked_tokens(["The unit's staff checked the '90s estate."])
    # Inside a quote a ' stands between two letters only, so that no search from an
    # opening mark runs past the next mark (many marks are read in linear time).
    tokens = marked_tokens(["He said 'one 'two' three."])
    assert tokens[tokens.index(QUOTE) - 1 : tokens.index(QUOTE) + 3] == ["one", QUOTE, "two", QUOTE]
