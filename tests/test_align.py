"""The paragraph diff."""

from __future__ import annotations

from conftest import make_story, paragraphs

from dedup import load
from dedup.views.align import align


def status(places, number):
    place = places[number - 1]
    return place.status, place.how, place.counterparts


def test_seed_pair_matches_the_correspondence_table(seeds):
    (ap, cbs), _ = load([str(p) for p in seeds])
    result = align(ap, cbs)
    a, b = result.a_paragraphs, result.b_paragraphs
    assert (len(a), len(b)) == (10, 26)
    for ap_number, cbs_number in ((4, 10), (7, 11), (9, 6)):
        assert status(a, ap_number) == ("shared", "", [cbs_number])
        assert status(b, cbs_number) == ("shared", "", [ap_number])
    assert status(a, 1) == ("changed", "merged", [9])
    assert status(a, 3) == ("changed", "merged", [9])
    assert status(b, 9) == ("changed", "merged", [1, 3])
    for unique in (2, 5, 6, 10):
        assert status(a, unique) == ("unique", "", [])
    for chrome in (1, 2, 3, 12, 13, 14):
        assert status(b, chrome)[0] == "unique"
    assert result.summary().startswith("5 of 10 paragraphs of ap-original.txt appear in")


def test_trimmed_expanded_reworded_and_split():
    base = paragraphs(1, 4, sentences=3)
    first, second, third = base[0].split(". ", 1), base[1], base[2]
    copy = [
        first[0] + ".",  # trimmed: first sentence only of A1
        second + " " + paragraphs(7, 1)[0],  # expanded
        " ".join(w if i % 4 else "altered" for i, w in enumerate(third.split())),  # reworded
    ]
    halves = base[3].split(". ")
    copy += [". ".join(halves[:2]) + ".", halves[2]]  # A4 split in two
    result = align(make_story("a", base), make_story("b", copy))
    a = result.a_paragraphs
    assert status(a, 1) == ("changed", "trimmed", [1])
    assert status(a, 2) == ("changed", "expanded", [2])
    assert status(a, 3)[:2] == ("changed", "reworded")
    assert status(a, 4) == ("changed", "split", [4, 5])


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
