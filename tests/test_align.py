"""The paragraph diff: statuses, word-level edits, sentence units, rewrites, boilerplate,
headlines, and a cost that grows linearly with the paragraphs."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from conftest import SAMPLES, SEEDS, make_story, paragraphs
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from dedup import load
from dedup.read.text import split_paragraphs
from dedup.views import align as align_module
from dedup.views import words as words_module
from dedup.views.align import CANDIDATES, align, split_sentences


def status(places, number):
    place = next(p for p in places if p.number == number)
    return place.status, place.how, place.counterparts


def cbs_number(n: int) -> int:
    """The CBS paragraph numbered n in ``../shared/seeds/README.md`` (blocks separated by
    blank lines) is the story's paragraph n - 1: the reader takes the first block, "Watch
    CBSN Live", as the headline, out of the body."""
    return n - 1


def one_block(story):
    """The story as one paragraph, headline left out: how feeds and scraped pages come."""
    body = " ".join(p.text for p in story.paragraphs if p.text != story.headline)
    return replace(story, body=body, paragraphs=split_paragraphs(body), headline="")


def read(path: str):
    (story,), problems = load([str(path)])
    assert not problems
    return story


def test_seed_pair_matches_the_correspondence_table(seeds):
    (ap, cbs), _ = load([str(p) for p in seeds])
    result = align(ap, cbs)
    a, b = result.a_paragraphs, result.b_paragraphs
    assert (len(a), len(b)) == (10, 25)
    for ap_number, cbs_paragraph in ((4, 10), (7, 11), (9, 6)):
        assert status(a, ap_number) == ("shared", "", [cbs_number(cbs_paragraph)])
        assert status(b, cbs_number(cbs_paragraph)) == ("shared", "", [ap_number])
    assert status(a, 1) == ("changed", "merged", [cbs_number(9)])
    assert status(a, 3) == ("changed", "merged", [cbs_number(9)])
    assert status(b, cbs_number(9)) == ("changed", "merged", [1, 3])
    # AP 8, a loose paraphrase of one sentence ("friends since childhood"), is CBS 8.
    assert status(a, 8) == ("changed", "rewritten", [cbs_number(8)])
    for unique in (2, 5, 6, 10):
        assert status(a, unique) == ("unique", "", [])
    # The reader takes "Watch CBSN Live" as the headline: it is no paragraph.
    assert cbs.headline == "Watch CBSN Live" and "headline" not in {p.status for p in b}
    for chrome in (2, 3, 12, 13, 14):
        assert status(b, cbs_number(chrome))[0] == "unique"
    assert result.summary().startswith(
        "5 of 10 paragraphs of ap-original.txt appear in cbs-rewrite.txt (3 shared, 2 changed)"
        " and 1 is rewritten in it"
    )


def test_trimmed_expanded_reworded_and_split():
    base = paragraphs(1, 5, sentences=3)
    first, second, third = base[0].split(". ", 1), base[1], base[2]
    copy = [
        first[0] + ".",  # trimmed: first sentence only of A1
        second + " " + paragraphs(7, 1)[0],  # expanded
        " ".join(w if i % 4 else "altered" for i, w in enumerate(third.split())),  # reworded
    ]
    halves = base[3].split(". ")
    copy += [". ".join(halves[:2]) + ".", halves[2]]  # A4 split in two, every word kept
    fifth = base[4].split(". ")
    copy += [". ".join(fifth[:2]) + ".", paragraphs(8, 1)[0] + " " + fifth[2]]  # split, added to
    result = align(make_story("a", base), make_story("b", copy))
    a = result.a_paragraphs
    assert status(a, 1) == ("changed", "trimmed", [1])
    assert status(a, 2) == ("changed", "expanded", [2])
    assert status(a, 3)[:2] == ("changed", "reworded")
    assert status(a, 4) == ("shared", "split", [4, 5])  # the same words, laid out anew
    assert status(a, 5) == ("changed", "split", [6, 7])


def test_scattered_common_words_are_not_reuse():
    a = make_story("a", ["the cat and the dog of the house in the town"])
    b = make_story("b", ["the rain of the north in the winter and the sea"])
    result = align(a, b)
    assert result.a_paragraphs[0].status == "unique"


def test_rows_keep_both_orders_where_possible():
    base = paragraphs(1, 5)
    copy = [paragraphs(2, 1)[0], base[0], base[2], base[4]]
    rows = align(make_story("a", base), make_story("b", copy)).rows
    assert rows == [([], [1]), ([1], [2]), ([2], []), ([3], [3]), ([4], []), ([5], [4])]


def test_links_are_one_group_each_and_mutual(seeds):
    pairs = [
        seeds,
        (SAMPLES / "wire/meridian/grisling-coal.txt", SAMPLES / "ebc/grisling-coal.json"),
        (SAMPLES / "wire/meridian/oss-floods.txt", SAMPLES / "radio-vell/oss-floods.txt"),
    ]
    for a_path, b_path in pairs:
        result = align(read(a_path), read(b_path))
        seen: set[tuple[str, int]] = set()
        for group in result.groups:
            keys = {("a", n) for n in group.a} | {("b", n) for n in group.b}
            assert not keys & seen
            seen |= keys
            for n in group.a:
                assert result.place("a", n).counterparts == group.b
            for n in group.b:
                assert result.place("b", n).counterparts == group.a
        linked = {p.number for p in result.a_paragraphs if p.counterparts}
        assert linked == {n for side, n in seen if side == "a"}
        shown = [n for left, _ in result.rows for n in left]
        compared = [p.number for p in result.a_paragraphs if p.status != "headline"]
        assert sorted(shown) == compared  # every unit in exactly one row


# -- a diff that tells the truth ------------------------------------------------------------


def test_identical_text_is_never_marked():
    wire = read(SAMPLES / "wire/meridian/oss-floods.txt")
    courier = read(SAMPLES / "vellmar-courier/oss-floods.md")
    result = align(wire, courier)
    shared = [p for p in result.a_paragraphs + result.b_paragraphs if p.status == "shared"]
    assert len(shared) == 18
    for place in shared:  # the dateline and the final full stop included
        assert place.changes == [] and place.kept == [(0, len(place.text))]
    dateline = result.place("a", 1)
    assert dateline.text.startswith("BRESKA, Estrania (MNA) —")
    # Quote style, dashes and capitals are not differences either.
    a = make_story("a", ["“It was,” she said — BRESKA is safe now, officials said."])
    b = make_story("b", ['"It was," she said - Breska is safe now, officials said.'])
    place = align(a, b).a_paragraphs[0]
    assert place.status == "shared" and place.changes == []


def test_word_level_edits_mark_only_what_differs(seeds):
    (ap, cbs), _ = load([str(p) for p in seeds])
    result = align(ap, cbs)
    a, b = result.place("a", 4), result.place("b", cbs_number(10))
    assert [a.text[s:e] for s, e in a.changes] == ["it"]
    assert [b.text[s:e] for s, e in b.changes] == ["this"]
    group = result.pair([4], [cbs_number(10)])
    assert group is not None
    changed = [e for e in group.edits if e.op != "equal"]
    assert len(changed) == 1 and changed[0].op == "replace"
    # The equal stretches of A and B hold the same words, in order.
    equal = [e for e in group.edits if e.op == "equal"]
    assert words(a.text, [e.a for e in equal]) == words(b.text, [e.b for e in equal])


def words(text: str, spans) -> list[str]:
    return [t[2] for _, s, e in spans for t in words_module.display_tokens(text[s:e])]


def test_a_different_dateline_is_one_changed_word():
    a = make_story("a", ["WASHINGTON (AP) — The senate passed the budget bill on Friday night."])
    b = make_story("b", ["(CBS/AP) The senate passed the budget bill on Friday night."])
    place = align(a, b).a_paragraphs[0]
    assert place.status == "shared"
    assert [place.text[s:e] for s, e in place.changes] == ["WASHINGTON (AP) —"]


def test_merged_stream_reads_like_git_word_diff():
    from dedup.views.words import marked, merged, word_edits

    def stream(a: str, b: str) -> str:
        return marked(merged(a, b, word_edits([(1, a)], [(1, b)])))

    assert stream("She said it shows that", "She said this shows that") == (
        "She said [-it-]{+this+} shows that"
    )
    assert stream("a b c", "a c") == "a [-b-] c"
    assert stream("He ran out of time today.", "He ran out of time.") == (
        "He ran out of time [-today-]."
    )
    assert stream("Same text here.", "Same text here.") == "Same text here."


# -- headlines ------------------------------------------------------------------------------


def test_headline_is_not_a_paragraph_and_loses_its_markup(tmp_path):
    body = paragraphs(3, 3)
    markdown = tmp_path / "story.md"
    markdown.write_text("# Floods close the port\n\n" + "\n\n".join(body), encoding="utf-8")
    record = tmp_path / "story.json"
    record.write_text(
        '{"id": "j", "headline": "# Floods close the port", "body": ' + repr_json(body) + "}"
    )
    md, js = read(markdown), read(record)
    result = align(md, js)
    assert align_module.headline(md) == align_module.headline(js) == "Floods close the port"
    assert [p.status for p in result.a_paragraphs] == ["shared"] * 3
    assert [p.status for p in result.b_paragraphs] == ["shared"] * 3
    assert [left for left, _ in result.rows] == [[1], [2], [3]]
    assert result.summary().startswith("3 of 3 paragraphs of")


def test_a_headline_repeated_after_a_line_of_chrome_is_the_headline():
    radio = read(SAMPLES / "radio-vell/oss-floods.txt")
    wire = read(SAMPLES / "wire/meridian/oss-floods.txt")
    # The reader takes the repeated headline out of the body: the chrome is paragraph 1.
    assert radio.headline == "Breska under water as the Oss floods the old town overnight"
    assert radio.headline not in [p.text for p in radio.paragraphs]
    result = align(wire, radio)
    assert result.place("b", 1).status == "unique"  # "Listen to Radio Vell live ..."
    assert "headline" not in {p.status for p in result.b_paragraphs}
    # A body that still carries it (a JSON page) shows it as the headline, never compared.
    page = make_story(
        "page",
        ["Listen to Radio Vell live on 98.4 FM and online", radio.headline]
        + [p.text for p in radio.paragraphs[1:]],
        headline=radio.headline,
    )
    result = align(wire, page)
    assert result.place("b", 1).status == "unique"
    assert result.place("b", 2).status == "headline"
    assert result.place("b", 2).text == align_module.headline(page)
    assert [p.number for p in result.b_paragraphs] == list(range(1, len(page.paragraphs) + 1))
    assert 2 not in [n for _, right in result.rows for n in right]


def repr_json(paras: list[str]) -> str:
    import json

    return json.dumps("\n\n".join(paras))


# -- units that do not depend on layout -----------------------------------------------------


def test_sentences_end_at_stops_of_any_script():
    def sentences(text: str) -> list[str]:
        return [text[s:e] for s, e in split_sentences(text)]

    assert sentences(
        "Brig. Gen. Manaf Tlas left. He flew at 8 p.m. local time. Why? Nobody knows."
    ) == [
        "Brig. Gen. Manaf Tlas left.",
        "He flew at 8 p.m. local time.",
        "Why?",
        "Nobody knows.",
    ]
    assert sentences("“We ran out of time.” The court met. The U.S. Navy said so.") == [
        "“We ran out of time.”",
        "The court met.",
        "The U.S. Navy said so.",
    ]
    assert sentences("青兰地铁今天开通。乘客很多！票价两元？") == [
        "青兰地铁今天开通。",
        "乘客很多！",
        "票价两元？",
    ]
    assert sentences("قال الوزير ذلك؟ ثم غادر۔ انتهى") == ["قال الوزير ذلك؟", "ثم غادر۔", "انتهى"]


def test_single_block_copies_are_compared_sentence_by_sentence(seeds):
    (ap, cbs), _ = load([str(p) for p in seeds])
    result = align(one_block(ap), one_block(cbs))
    assert (result.a_unit, result.b_unit) == ("sentence", "sentence")

    def sentence(start: str):
        return next(p for p in result.a_paragraphs if p.text.startswith(start))

    assert sentence("We think that’s a very promising").status == "shared"
    assert sentence("A member of Syria’s opposition").status == "shared"
    assert sentence("Manaf Tlas and Bashar Assad have").how == "rewritten"
    assert sentence("We know that the Assad regime").status == "unique"
    assert result.appears() >= 7 and result.count("a", "unique") >= 10
    assert "sentences of ap-original.txt appear in" in result.summary()


def test_a_story_laid_out_anew_shares_everything():
    wire = read(SAMPLES / "wire/meridian/oss-floods.txt")
    result = align(wire, one_block(wire))
    assert (result.a_unit, result.b_unit) == ("paragraph", "sentence")
    compared = [p for p in result.a_paragraphs if p.status != "headline"]
    assert {p.status for p in compared + result.b_paragraphs} == {"shared"}
    assert all(not p.changes for p in compared + result.b_paragraphs)
    assert result.summary().endswith("adds 0")


def test_the_seed_pair_keeps_paragraphs():
    if not SEEDS.exists():
        pytest.skip("the seed pair (../shared/seeds) is not beside this checkout")
    for name in ("ap-original.txt", "cbs-rewrite.txt"):
        assert align_module.story_units(read(SEEDS / name))[1] == "paragraph"


# -- rewrites -------------------------------------------------------------------------------


def test_a_broadcasters_rewrite_is_paired_sentence_by_paragraph():
    wire = read(SAMPLES / "wire/meridian/grisling-coal.txt")
    ebc = read(SAMPLES / "ebc/grisling-coal.json")  # one block, rewritten sentence by sentence
    result = align(wire, ebc)
    assert (result.a_unit, result.b_unit) == ("paragraph", "sentence")
    rewritten = [p for p in result.a_paragraphs if p.how == "rewritten"]
    assert len(rewritten) >= 9 and result.appears() == 0  # no verbatim run: all rewording
    assert status(result.a_paragraphs, 1)[2] == [1]  # the lead
    assert status(result.a_paragraphs, 10) == ("changed", "rewritten", [18])  # the last
    firsts = [p.counterparts[0] for p in rewritten]
    assert firsts == sorted(firsts)  # in the order of the text
    assert all(place.changes for place in rewritten)  # the words that differ are marked
    assert sum(bool(place.kept) for place in rewritten) >= 7  # and the common ones mostly not


def test_independent_reports_of_one_event_pair_little_or_nothing():
    cases = [
        ("wire/continental/nordavia-bankruptcy.md", "wire/lumen/nordavia-stranded.txt", 1),
        ("breska-weekly/eske-viaduct.txt", "vellmar-courier/eske-viaduct.md", 1),
    ]
    for a_path, b_path, at_most in cases:
        result = align(read(SAMPLES / a_path), read(SAMPLES / b_path))
        linked = [p for p in result.a_paragraphs if p.counterparts]
        assert len(linked) <= at_most, [p.text[:60] for p in linked]
        # What is linked is a quotation both carry word for word.
        for place in linked:
            assert any(e - s >= 20 for s, e in place.kept)


def test_stories_of_different_events_are_not_rewrites_of_each_other():
    """Every pair of sample stories labelled apart: a few sentences that one story reuses
    from another of the same event (a quotation, a line of background) may pair, nothing
    else."""
    import csv
    import itertools

    stories, _ = load([str(SAMPLES)])
    with open(SAMPLES / "labels.csv", encoding="utf-8") as labels:
        cluster = {row["id"]: row["cluster"] for row in csv.DictReader(labels)}

    def label(story) -> str:
        return cluster.get(story.id) or cluster.get(str(story.path).split("samples/")[-1], "")

    linked = {}
    for a, b in itertools.combinations(stories, 2):
        if label(a) != label(b):
            rewritten = sum(p.how == "rewritten" for p in align(a, b).a_paragraphs)
            if rewritten:
                linked[a.id, b.id] = rewritten
    assert len(linked) <= 12 and max(linked.values()) <= 2, linked
    # Only stories of one event: Breska Weekly's shelter story quoting the floods wire,
    # the business daily's strike story reusing the harbour strike wire's background.
    assert all(any(w in a and w in b for w in ("flood", "strike")) for a, b in linked), linked


def test_a_sentence_every_paragraph_ends_with_is_no_rewrite():
    tail = " Officials said on Monday that the situation was under review."
    a = make_story("a", [p + tail for p in paragraphs(11, 4)])
    b = make_story("b", [p + tail for p in paragraphs(12, 4)])
    assert all(p.status == "unique" for p in align(a, b).a_paragraphs)


# -- boilerplate ----------------------------------------------------------------------------


def test_boilerplate_is_shown_as_such_and_counts_for_nothing():
    footer = paragraphs(21, 3)
    a = make_story("a", [*paragraphs(22, 4), *footer])
    b = make_story("b", [*paragraphs(23, 5), *footer])
    plain = align(a, b)
    assert plain.appears() == 3 and plain.summary().startswith("3 of 7 paragraphs")
    judged = align(a, b, boilerplate_a=frozenset({4, 5, 6}), boilerplate_b=frozenset({5, 6, 7}))
    assert [p.status for p in judged.a_paragraphs[4:]] == ["boilerplate"] * 3
    assert [p.status for p in judged.b_paragraphs[5:]] == ["boilerplate"] * 3
    assert all(not p.counterparts for p in judged.a_paragraphs + judged.b_paragraphs)
    assert judged.appears() == 0 and judged.count("b", "unique") == 5
    assert judged.summary() == (
        "0 of 4 paragraphs of a appear in b (0 shared, 0 changed); b adds 5; "
        "boilerplate left out: 3 of a, 3 of b"
    )
    assert sorted(n for left, _ in judged.rows for n in left) == list(range(1, 8))


# -- cost -----------------------------------------------------------------------------------


class Counted:
    """rapidfuzz's ``Indel`` with every comparison counted."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str):
        function = getattr(Indel, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return function(*args, **kwargs)

        return counted


def test_a_50000_paragraph_page_costs_comparisons_in_proportion(monkeypatch):
    counter = Counted()
    monkeypatch.setattr(align_module, "Indel", counter)
    monkeypatch.setattr(words_module, "Indel", counter)

    def page(count: int):
        # Every paragraph ends with the same sentence, as pages repeat a phrase: comparing
        # every pair that shares a word trigram would be comparing every pair.
        tail = " Officials said the review of the matter would continue."
        base = [text + tail for text in paragraphs(5, count)]
        extra = (text + tail for text in paragraphs(6, count))
        rng = random.Random(count)
        copy = []
        for text in base:
            roll = rng.random()
            if roll < 0.1:
                continue  # cut
            if roll < 0.2:
                words = text.split()
                words[rng.randrange(len(words))] = "altered"
                copy.append(" ".join(words))  # one word changed
            elif roll < 0.25:
                copy.append(text.split(". ")[0] + ".")  # trimmed to its first sentence
            elif roll < 0.3:
                copy += [text, next(extra)]  # kept, and a paragraph added after it
            else:
                copy.append(text)
        return make_story("a", base), make_story("b", copy)

    calls = {}
    for count in (5_000, 50_000):
        a, b = page(count)
        counter.calls = 0
        result = align(a, b)
        calls[count] = counter.calls
        units = len(a.paragraphs) + len(b.paragraphs)
        assert counter.calls <= 2 * CANDIDATES * units
        total = len(b.paragraphs)
        assert result.appears() > 0.85 * count and result.count("b", "unique") < 0.08 * total
        assert result.count("a", "unique") < 0.12 * count
    assert calls[50_000] < 12 * calls[5_000]  # ten times the paragraphs, not a hundred


# -- any text -------------------------------------------------------------------------------

SYLLABLES = "ka lo mi ren tu vas sel or an ti per dro".split()


@st.composite
def texts(draw) -> list[str]:
    """Paragraphs from a small vocabulary (so runs and rewrites recur by chance), some of
    them one long block, with sentence ends and the odd curly quote."""
    words = st.sampled_from([*SYLLABLES, "“Ka", "lo.”", "Mi.", "ren!", "9", "Vas"])
    sentence = st.lists(words, min_size=1, max_size=14).map(lambda w: " ".join(w) + ".")
    paragraph = st.lists(sentence, min_size=1, max_size=9).map(" ".join)
    return draw(st.lists(paragraph, min_size=0, max_size=8))


@settings(max_examples=150, deadline=None)
@given(texts(), texts(), st.randoms(use_true_random=False))
def test_any_two_texts_align_into_consistent_groups(base, other, rng):
    copy = [p for p in base if rng.random() < 0.7] + other
    rng.shuffle(copy)
    a, b = make_story("a", base), make_story("b", copy)
    result = align(a, b)
    seen: set[tuple[str, int]] = set()
    for group in result.groups:
        keys = {("a", n) for n in group.a} | {("b", n) for n in group.b}
        assert group.a and group.b and not keys & seen
        seen |= keys
        assert all(result.place("a", n).counterparts == group.b for n in group.a)
        assert all(result.place("b", n).counterparts == group.a for n in group.b)
    for place in result.a_paragraphs + result.b_paragraphs:
        assert (place.status in ("shared", "changed")) == bool(place.counterparts)
        for start, end in place.changes + place.kept:
            assert 0 <= start < end <= len(place.text)
    assert sorted(n for left, _ in result.rows for n in left) == [
        p.number for p in result.a_paragraphs
    ]
    assert sorted(n for _, right in result.rows for n in right) == [
        p.number for p in result.b_paragraphs
    ]
    same = align(a, a)
    assert all(p.status == "shared" and not p.changes for p in same.a_paragraphs)
