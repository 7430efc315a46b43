"""Detection: which stories end up together, and which must not."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import make_story, paragraphs

from dedup import Settings, load, scan_stories
from dedup.detect import rewrite
from dedup.detect.candidates import KeyTable, copy_candidates, pack_pairs, unpack_pairs
from dedup.engines.local import fingerprint_all


def find_candidates(prints, settings=None, boilerplate=None):
    """Copy candidates of fingerprints in story order (boilerplate anchors left out)."""
    table = KeyTable.of([p.anchors for p in prints])
    if boilerplate is not None:
        table = table.without(boilerplate)
    return copy_candidates(table, settings or Settings())


def clusters_of(result) -> list[set[str]]:
    return sorted(({m.key for m in c.members} for c in result.clusters), key=sorted)


def together(result, *keys: str) -> bool:
    return any(set(keys) <= members for members in clusters_of(result))


def test_seed_pair_is_one_cluster_with_default_settings(seeds):
    stories, problems = load([str(p) for p in seeds])
    assert not problems and len(stories) == 2
    result = scan_stories(stories)
    assert len(result.clusters) == 1
    (match,) = result.matches
    assert match.kind == "partial"
    assert match.resemblance < 0.15  # whole-story MinHash at 0.5 could never see it
    cluster = result.clusters[0]
    assert {m.id for m in cluster.members} == {"ap-original.txt", "cbs-rewrite.txt"}
    ap = next(m for m in cluster.members if m.id == "ap-original.txt")
    assert 0.15 < ap.reuse < 0.5


def test_near_duplicate_with_light_edits_clusters():
    original = paragraphs(1, 10)
    copy = [p.replace(p.split()[3], "changed", 1) for p in original]
    copy[0] = copy[0].replace(".", "!", 1)
    result = scan_stories([make_story("a", original), make_story("b", copy)])
    assert together(result, "a", "b")
    assert result.matches[0].kind == "near-duplicate"


def test_partial_reuse_of_a_quarter_clusters():
    wire = paragraphs(1, 12)
    web = paragraphs(2, 3) + wire[2:5] + paragraphs(3, 14)
    result = scan_stories([make_story("wire", wire), make_story("web", web)])
    assert together(result, "wire", "web")
    assert result.matches[0].kind == "partial"


def test_same_topic_stories_sharing_a_sentence_stay_apart():
    a = paragraphs(1, 10)
    b = paragraphs(2, 10)
    shared_sentence = a[4].split(". ")[0] + "."
    b[3] = shared_sentence + " " + b[3]
    result = scan_stories([make_story("a", a), make_story("b", b)])
    assert result.clusters == []


def test_stories_sharing_only_an_outlets_boilerplate_stay_apart():
    chrome_top = ["Watch Channel Nine Live", "Updated at 11:59 a.m."]
    footer = paragraphs(99, 2)  # a long newsletter blurb and a copyright notice
    links = ["More from Channel Nine:\nFirst related link here\nSecond related link here"]
    stories = [
        make_story(
            f"c9-{n}",
            chrome_top + paragraphs(10 + n, 6, sentences=1) + links + footer,
            outlet="Channel Nine",
        )
        for n in range(5)
    ]
    result = scan_stories(stories)
    assert result.clusters == []
    assert result.boilerplate_texts >= 1


def test_boilerplate_does_not_hide_real_copies_from_the_same_outlet():
    footer = paragraphs(99, 2)
    wire = paragraphs(1, 10)
    others = [
        make_story(f"c9-{n}", paragraphs(10 + n, 6) + footer, outlet="Channel Nine")
        for n in range(4)
    ]
    copy = make_story("c9-copy", wire[:7] + footer, outlet="Channel Nine")
    result = scan_stories([make_story("wire", wire, outlet="Agency"), copy, *others])
    assert clusters_of(result) == [{"wire", "c9-copy"}]


def test_write_thrus_of_one_outlet_do_not_become_boilerplate():
    story = paragraphs(1, 10)
    versions = [make_story("v1", story, outlet="Agency", date="2026-01-01T10:00:00Z")]
    for n in (2, 3, 4):
        update = story[:8] + paragraphs(50 + n, 1) + story[8:]
        versions.append(
            make_story(f"v{n}", update, outlet="Agency", date=f"2026-01-01T1{n}:00:00Z")
        )
    result = scan_stories(versions)
    assert clusters_of(result) == [{"v1", "v2", "v3", "v4"}]
    assert result.clusters[0].origin == "v1"
    assert result.boilerplate_texts == 0


def test_no_chaining_through_a_later_round_up_of_two_stories():
    a = paragraphs(1, 10)
    c = paragraphs(2, 10)
    b = a[:5] + c[:5]  # shares half of A and half of C; A and C share nothing
    result = scan_stories(
        [
            make_story("a", a, date="2026-01-01T08:00:00Z"),
            make_story("b", b, date="2026-01-01T12:00:00Z"),
            make_story("c", c, date="2026-01-01T09:00:00Z"),
        ]
    )
    assert not together(result, "a", "c")
    assert together(result, "a", "b")


def test_a_follow_up_goes_with_its_own_copy_rather_than_with_the_first_story():
    """An agency's first story of an event, its follow-up retelling two paragraphs of it,
    and a newspaper story made from the follow-up's new part: the follow-up is tied more
    strongly to the newspaper story than to the first story, which the newspaper story does
    not match, so the two form one cluster instead of leaving the newspaper story alone.
    Without dates the follow-up is the centre (it has the most matches), and of the two
    stories sharing different parts of it it keeps the one tied to it most strongly, not
    the one whose id sorts first."""
    first, new = paragraphs(1, 6), paragraphs(2, 6)
    for dated in (True, False):
        stories = [
            make_story("first", first, date="2026-01-01T08:00:00Z" if dated else None),
            make_story("follow", first[4:] + new, date="2026-01-02T08:00:00Z" if dated else None),
            make_story(
                "paper", new[:5] + paragraphs(3, 2), date="2026-01-02T15:00:00Z" if dated else None
            ),
        ]
        result = scan_stories(stories)
        links = {frozenset((m.a, m.b)) for m in result.matches}
        assert links == {frozenset(("first", "follow")), frozenset(("follow", "paper"))}
        assert clusters_of(result) == [{"follow", "paper"}], dated


def test_a_rewrite_republished_word_for_word_stays_with_the_wire_story():
    """A broadcaster's rewrite of a wire story (the samples'), republished word for word by
    another site an hour later: the copy is tied to the rewrite more strongly than the
    rewrite is to the wire story, but a near-duplicate is the same story, not another one,
    so the rewrite stays in the wire story's cluster; and the republication, whose rewrite
    is decided too (a rewrite is decided once for the stories verbatim reuse links), joins
    it there."""
    from dataclasses import replace

    from conftest import SAMPLES

    stories, _ = load([str(SAMPLES)])
    result = scan_stories(stories)
    cluster, member = next(
        (c, m) for c in result.clusters for m in c.members if m.link == "rewrite"
    )
    rewrite = next(s for s in stories if s.key == member.key)
    copy = replace(
        rewrite,
        key="syndicated",
        id="syndicated",
        outlet="Elsewhere",
        url="",
        date=rewrite.date.replace(hour=(rewrite.date.hour + 1) % 24) if rewrite.date else None,
    )
    again = scan_stories([*stories, copy])
    assert together(again, cluster.origin_key, member.key, "syndicated")
    link = next(m for m in again.matches if {m.a, m.b} == {cluster.origin_key, "syndicated"})
    assert link.link == "rewrite"


def test_no_chaining_when_undated_copies_of_two_stories_meet_in_one():
    a, c = paragraphs(1, 10), paragraphs(2, 10)
    stories = [make_story("a", a), make_story("c", c), make_story("b", a[:5] + c[:5])]
    stories += [make_story(f"a{n}", a[:8] + paragraphs(10 + n, 2)) for n in range(2)]
    stories += [make_story(f"c{n}", c[:8] + paragraphs(20 + n, 2)) for n in range(2)]
    result = scan_stories(stories)
    for members in clusters_of(result):
        assert not ({"a", "a0", "a1"} & members and {"c", "c0", "c1"} & members), members
    assert together(result, "a", "a0", "a1") and together(result, "c", "c0", "c1")


@pytest.mark.parametrize("shape", ["round-up", "quotes"])
def test_no_chaining_through_one_undated_story_that_holds_parts_of_two(shape):
    """Undated, a round-up of two stories (or a story quoting a passage of each of two
    others) has the most matches and becomes the centre; the two stories it took its parts
    from share nothing and must not end up in one cluster through it."""
    a, c = paragraphs(1, 8), paragraphs(2, 8)
    if shape == "round-up":
        b = paragraphs(3, 1) + a[:4] + c[:4]
    else:
        b = a[:2] + paragraphs(3, 4) + c[:2]
    result = scan_stories([make_story("a", a), make_story("b", b), make_story("c", c)])
    assert not together(result, "a", "c")
    assert together(result, "a", "b")  # the first in story order keeps the centre
    # With dates, the earliest story is the centre, as before.
    dated = scan_stories(
        [
            make_story("a", a, date="2026-01-01T08:00:00Z"),
            make_story("b", b, date="2026-01-01T12:00:00Z"),
            make_story("c", c, date="2026-01-01T09:00:00Z"),
        ]
    )
    assert not together(dated, "a", "c") and together(dated, "a", "b")


def test_undated_copies_of_one_part_of_a_centre_stay_with_it():
    """Two stories built on an undated snap, each around a part of it that overlaps the
    other's, share too little to match each other: they are the snap's copies all the same
    (the same part of the centre), not two stories it mixes."""
    snap = paragraphs(1, 1, sentences=1) + paragraphs(2, 1) + paragraphs(3, 1, sentences=1)
    first = paragraphs(4, 1) + snap[:2] + paragraphs(5, 6)
    second = paragraphs(6, 1) + snap[1:] + paragraphs(7, 6)
    stories = [make_story("snap", snap), make_story("first", first), make_story("second", second)]
    result = scan_stories(stories)
    matched = {frozenset((m.a, m.b)) for c in result.clusters for m in c.matches}
    assert frozenset(("first", "second")) not in matched
    assert together(result, "snap", "first", "second")


def test_undated_items_made_of_either_half_of_a_centre_stay_with_it():
    """Two briefs, each the half of an undated agency story, share different parts of it
    and nothing with each other, as a round-up's sources would; but each is held by the
    centre whole, so both are its copies."""
    story = paragraphs(1, 8)
    result = scan_stories(
        [
            make_story("agency", story),
            make_story("first-half", story[:4]),
            make_story("second-half", story[4:]),
        ]
    )
    assert together(result, "agency", "first-half", "second-half")


def test_every_member_is_linked_directly_to_the_centre():
    base = paragraphs(1, 12)
    stories = [make_story("orig", base)]
    for n in range(5):
        stories.append(make_story(f"copy{n}", base[n : n + 6] + paragraphs(20 + n, 4)))
    result = scan_stories(stories)
    for cluster in result.clusters:
        linked = {m.a for m in cluster.matches} | {m.b for m in cluster.matches}
        assert {m.key for m in cluster.members} <= linked
        assert all(cluster.centre_key in (m.a, m.b) for m in cluster.matches)


def test_clusters_do_not_depend_on_input_order_or_processes():
    stories = []
    for group in range(6):
        base = paragraphs(100 + group, 8)
        stories.append(make_story(f"g{group}-o", base, date=f"2026-01-0{group + 1}T08:00:00Z"))
        for n in range(3):
            stories.append(
                make_story(f"g{group}-c{n}", base[: 8 - n] + paragraphs(group * 10 + n, 2))
            )
    stories += [make_story(f"single{n}", paragraphs(500 + n, 6)) for n in range(5)]
    first = scan_stories(stories)
    shuffled = stories[:]
    random.Random(3).shuffle(shuffled)
    second = scan_stories(shuffled)
    assert [(c.id, [m.key for m in c.members]) for c in first.clusters] == [
        (c.id, [m.key for m in c.members]) for c in second.clusters
    ]
    assert len(first.clusters) == 6
    one = fingerprint_all(stories, jobs=1)
    two = fingerprint_all(stories, jobs=2, chunk=4)
    assert [f.shingles.tolist() for f in one] == [f.shingles.tolist() for f in two]


def pair_set(packed: np.ndarray) -> set[tuple[int, int]]:
    first, second = unpack_pairs(packed)
    return set(zip(first.tolist(), second.tolist()))


def test_candidates_come_from_anchors_not_all_pairs():
    stories = [make_story(f"s{n}", paragraphs(1000 + n, 6)) for n in range(150)]
    prints = fingerprint_all(stories)
    assert len(find_candidates(prints)) < 50  # all pairs would be 11,175
    twin = make_story("twin", paragraphs(1000, 6))
    prints = fingerprint_all([*stories, twin])
    assert (0, 150) in pair_set(find_candidates(prints))


def test_candidates_are_handed_on_packed_sorted_and_distinct():
    base = paragraphs(500, 4)
    stories = [make_story(f"s{n}", [*base[n % 2 :], *paragraphs(600 + n, 2)]) for n in range(6)]
    packed = find_candidates(fingerprint_all(stories))
    assert packed.dtype == np.int64 and len(packed) == 15  # every pair shares a paragraph
    assert np.array_equal(packed, np.unique(packed))
    first, second = unpack_pairs(packed)
    assert (first < second).all()
    assert np.array_equal(pack_pairs(first, second), packed)


def test_candidates_equal_grouping_every_anchor(monkeypatch, tmp_path):
    """The sorted, sliced key table finds exactly the pairs a plain grouping of anchors
    does (group_pairs' rule for large groups included), whatever the slice sizes."""
    from benchmarks import synth
    from dedup.detect import candidates

    synth.write_corpus(tmp_path / "corpus.jsonl", 400, seed=5, words=200)
    stories, _ = load([str(tmp_path / "corpus.jsonl")])
    stories.sort(key=lambda story: story.sort_key)
    prints = fingerprint_all(stories)
    settings = Settings(widely_shared=3)
    groups: dict[int, set[int]] = {}
    for number, fingerprint in enumerate(prints):
        for key in fingerprint.anchors.tolist():
            groups.setdefault(key, set()).add(number)
    expected = set()
    for owners in groups.values():
        expected.update(candidates.group_pairs(sorted(owners), settings.widely_shared))
    assert len(expected) > 100
    assert pair_set(find_candidates(prints, settings)) == expected
    monkeypatch.setattr(candidates, "_SLICE", 7)
    assert pair_set(find_candidates(prints, settings)) == expected


def test_languages_without_spaces_are_matched_by_characters():
    rng = random.Random(5)
    chars = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所"
        "民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
        "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
        "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
        "几九区强放决西被干做必战先回则任取据处理府研"
    )
    base = ["".join(rng.choice(chars) for _ in range(60)) + "。" for _ in range(8)]
    copy = [*base[:6], "".join(rng.choice(chars) for _ in range(40)) + "。"]
    other = ["".join(rng.choice(chars) for _ in range(60)) + "。" for _ in range(8)]
    result = scan_stories(
        [make_story("zh1", base), make_story("zh2", copy), make_story("zh3", other)]
    )
    assert clusters_of(result) == [{"zh1", "zh2"}]


def test_thresholds_are_settings():
    wire = paragraphs(1, 12)
    web = paragraphs(2, 3) + wire[2:5] + paragraphs(3, 14)
    stories = [make_story("wire", wire), make_story("web", web)]
    assert scan_stories(stories).clusters
    strict = Settings(min_containment=0.5, rewrite_coverage=0.5)
    assert not scan_stories(stories, strict).clusters


def test_unit_signatures_equal_datasketch_minhash():
    from datasketch import MinHash

    from dedup.detect.fingerprint import Fingerprinter, hash_tokens

    fingerprinter = Fingerprinter()
    a, b = fingerprinter._a, fingerprinter._b
    reference = MinHash(num_perm=fingerprinter.settings.num_perm, seed=1, hashfunc=int)
    assert reference.scheme == "affine32"
    assert np.array_equal(reference.permutations[0], a)
    assert np.array_equal(reference.permutations[1], b)
    story = make_story("s", paragraphs(4, 3))
    fingerprint = fingerprinter(story)
    for words, keys in zip(fingerprint.unit_words(), fingerprint.unit_keys):
        values = np.unique((hash_tokens(words) & np.uint64(0xFFFFFFFF)).astype(np.uint32))
        minhash = MinHash(num_perm=len(a), seed=1, hashfunc=int)
        minhash.update_batch(values.tolist())
        expected = fingerprinter.band_keys(minhash.hashvalues.astype(np.uint32)[None, :])[0]
        assert np.array_equal(keys, expected)
    assert fingerprint.unit_keys.shape == (len(fingerprint.units), fingerprinter.bands)


def test_stored_permutations_equal_the_draws_and_datasketch():
    from datasketch import MinHash

    from dedup.detect.fingerprint import _DRAWN, drawn_permutations, permutations

    assert _DRAWN, "the default settings' permutations are stored"
    for num_perm, seed in [*_DRAWN, (16, 1), (32, 7)]:
        stored, drawn = permutations(num_perm, seed), drawn_permutations(num_perm, seed)
        reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=int).permutations
        for mine, theirs, datasketch in zip(stored, drawn, reference):
            assert mine.dtype == np.uint32 and len(mine) == num_perm
            assert np.array_equal(mine, theirs) and np.array_equal(mine, datasketch)


def test_fingerprints_do_not_depend_on_the_layout():
    from dedup.detect.fingerprint import Fingerprinter, shingle_hashes

    text = paragraphs(12, 4)
    sentences = [s + "." for p in text for s in p.split(". ") if s.strip(".")]
    layouts = ["\n\n".join(text), " ".join(text), "\n\n".join(sentences), "\n".join(text)]
    prints = [Fingerprinter()(make_story("s", [layout])) for layout in layouts]
    for other in prints[1:]:
        assert np.array_equal(other.shingles, prints[0].shingles)
        assert np.array_equal(other.anchors, prints[0].anchors)
    assert shingle_hashes(["a", "b"], 5).size == 1


def test_fingerprints_round_trip_through_bytes():
    from dedup.detect.fingerprint import Fingerprint, Fingerprinter

    original = Fingerprinter()(make_story("s", [*paragraphs(9, 5), "short line 2024."]))
    copy = Fingerprint.from_bytes("s", original.to_bytes())
    for name in ("shingles", "anchors", "units", "unit_keys"):
        assert np.array_equal(getattr(copy, name), getattr(original, name)), name
    assert copy.text == original.text and copy.unit_words() == original.unit_words()
    with pytest.raises(ValueError):
        Fingerprint.from_bytes("s", original.to_bytes() + b"x")


@pytest.mark.parametrize("chunk", [128, 5])
def test_a_batch_fingerprints_each_story_as_it_would_alone(monkeypatch, chunk):
    from dedup.detect import fingerprint
    from dedup.detect.fingerprint import Fingerprinter
    from dedup.records import Story

    monkeypatch.setattr(fingerprint, "CHUNK", chunk)  # 5: the batch is worked on in chunks
    stories = [make_story(f"s{n}", paragraphs(300 + n, 1 + n % 5)) for n in range(12)]
    stories.insert(3, Story(key="empty", id="empty", body=""))  # no paragraphs at all
    stories.insert(5, make_story("short", ["Tiny.", "", "A b c"]))
    fingerprinter = Fingerprinter()
    together = fingerprinter.batch(stories)
    for story, batched in zip(stories, together, strict=True):
        alone = fingerprinter(story)
        assert alone.key == batched.key == story.key
        for name in ("shingles", "anchors", "units", "unit_keys"):
            assert np.array_equal(getattr(alone, name), getattr(batched, name)), name
        assert alone.text == batched.text


def test_boilerplate_anchors_bring_no_candidates():
    from dedup.detect.boilerplate import find_boilerplate

    footer = paragraphs(77, 2)
    stories = [make_story(f"s{n}", [*paragraphs(900 + n, 6), *footer]) for n in range(4)]
    prints = fingerprint_all(stories)
    assert len(find_candidates(prints)) == 6  # every pair shares the footer's anchors
    table = KeyTable.of([p.anchors for p in prints])
    sets = [p.shingle_set() for p in prints]
    found = find_boilerplate(table, [""] * 4, sets.__getitem__, Settings())
    assert found.texts == 1 and len(found.anchors)
    assert len(find_candidates(prints, boilerplate=found.anchors)) == 0
    assert scan_stories(stories).clusters == []


def test_boilerplate_decided_again_without_some_stories_reuses_only_unchanged_texts(monkeypatch):
    """``find_boilerplate`` told what it decided before decides each set of carriers once:
    asked again with a story's anchors taken out (what ``_boilerplate_moved`` asks), it
    finds what it finds afresh, deciding again only the texts that story carried: a footer
    of every story is decided again, a footer of three others is not, and a footer of
    exactly ``boilerplate_min`` stories, the story among them, is no longer boilerplate."""
    from dedup.detect import boilerplate

    common, narrow, others = paragraphs(77, 2), paragraphs(78, 2), paragraphs(79, 2)
    stories = [
        make_story(f"s{n}", [*paragraphs(900 + n, 6), *common, *(narrow if n < 3 else others)])
        for n in range(6)
    ]
    prints = fingerprint_all(stories)
    sets = [p.shingle_set() for p in prints]
    outlets = [""] * len(stories)
    asked = []
    decide = boilerplate.is_boilerplate

    def counted(carriers, *rest):
        asked.append(carriers)
        return decide(carriers, *rest)

    monkeypatch.setattr(boilerplate, "is_boilerplate", counted)

    def found(table, decided=None):
        got = boilerplate.find_boilerplate(table, outlets, sets.__getitem__, Settings(), decided)
        return {n: got.of(n).tolist() for n in range(len(stories))}, got.anchors.tolist()

    whole = KeyTable.of([p.anchors for p in prints])
    decided: dict = {}
    assert found(whole, decided) == found(whole)
    assert sorted(decided) == [(0, 1, 2), (0, 1, 2, 3, 4, 5), (3, 4, 5)]
    none = np.zeros(0, dtype=np.uint64)
    rest = KeyTable.of([none if n == 0 else p.anchors for n, p in enumerate(prints)])
    afresh = found(rest)
    asked.clear()
    again = found(rest, decided)
    assert again == afresh
    assert asked == [[1, 2, 3, 4, 5]]
    removed = again[0]
    assert len(removed[1]) < len(removed[3])  # the narrow footer is kept in stories 1 and 2


def test_decide_all_is_decide_for_every_pair():
    from dedup.detect.verify import KINDS, Overlap, decide, decide_all

    rng = random.Random(4)
    cases = [(0, 0, 0), (0, 10, 10), (30, 200, 200), (29, 100, 100), (5, 5, 5), (15, 30, 40)]
    cases += [(12, 36, 300), (11, 36, 300), (9, 20, 20)]
    cases += [
        (s, s + rng.randint(0, 300), s + rng.randint(0, 300))
        for s in (rng.randint(0, 120) for _ in range(300))
    ]
    shared, size_a, size_b = (np.array(column) for column in zip(*cases))
    codes = decide_all(shared, size_a, size_b)
    for (s, a, b), code in zip(cases, codes.tolist(), strict=True):
        found = Overlap(s, a, b)
        needed = max(10, min(30, 0.33 * min(a, b)))
        expected = None
        if s and found.resemblance >= 0.5:
            expected = "near-duplicate"
        elif s and s >= needed and found.containment >= 0.15:
            expected = "partial"
        assert KINDS[code] == decide(found) == expected, (s, a, b)


def test_a_scan_without_text_finds_the_same_clusters(tmp_path):
    from dedup.engines.local import scan

    base = paragraphs(40, 6)
    stories = [make_story(f"c{n}", base[n:] + paragraphs(60 + n, 2)) for n in range(3)]
    stories += [make_story(f"x{n}", paragraphs(80 + n, 5)) for n in range(30)]
    with_text = scan(stories)
    light = scan(stories, keep_text=False, jobs=2)
    assert [c.id for c in with_text.clusters] == [c.id for c in light.clusters]
    assert [c.members for c in with_text.clusters] == [c.members for c in light.clusters]
    assert with_text.matches == light.matches and len(with_text.clusters) == 1
    assert all(s.body == "" and s.paragraphs == () for s in light.stories)
    assert [s.key for s in light.stories] == [s.key for s in with_text.stories]


def test_clustering_lets_the_fingerprints_go_only_when_asked(tmp_path):
    from benchmarks import synth
    from dedup.engines import local

    synth.write_corpus(tmp_path / "corpus.jsonl", 60, seed=8, words=150)
    stories, _ = load([str(tmp_path / "corpus.jsonl")])
    stories.sort(key=lambda story: story.sort_key)
    prints = fingerprint_all(stories)
    kept = list(prints)
    result = local.cluster_fingerprints(stories, prints, release=True)
    assert prints == [] and result.clusters
    again = local.cluster_fingerprints(stories, kept)
    assert len(kept) == len(stories)  # left alone without release
    assert clusters_of(result) == clusters_of(again)


def test_story_order_is_date_else_last_then_id_then_key():
    from datetime import datetime, timezone

    from dedup.records import story_order

    early = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    late = datetime(2024, 5, 1, 9, tzinfo=timezone.utc)
    ordered = [
        story_order(early, "b"),
        story_order(late.timestamp(), "a"),  # a POSIX timestamp orders as its date
        story_order(late, "a", "x.txt"),
        story_order(late, "b"),
        story_order(None, "a", "k1"),
        story_order(None, "a", "k2"),
        story_order(None, "b"),
    ]
    assert sorted(reversed(ordered)) == ordered
    assert story_order(late, "a") == story_order(late.timestamp(), "a")
    story = make_story("k", ["Some text here."], date="2024-05-01T08:00:00Z")
    assert story.sort_key == story_order(early, story.id, "k")


def test_centres_are_dated_first_then_undated_by_most_matches():
    from dedup.detect.cluster import centre_rank

    dated = make_story("d", ["Text."], date="2024-05-01T08:00:00Z")
    busy, quiet = make_story("u1", ["Text."]), make_story("u2", ["Text."])
    ranks = [centre_rank(quiet, 1), centre_rank(busy, 5), centre_rank(dated, 0)]
    assert [rank.key for rank in sorted(ranks)] == ["d", "u1", "u2"]
    assert centre_rank(busy, 5) < centre_rank(busy, 4)


def test_rewrite_keys_leave_out_the_units_that_are_mostly_boilerplate():
    from dedup.detect.links import rewrite_keys

    (print_,) = fingerprint_all([make_story("a", paragraphs(3, 4))])
    nothing = np.zeros(0, dtype=np.uint32)
    every, units = rewrite_keys(print_, nothing)
    assert every.tolist() == np.unique(print_.unit_keys).tolist()
    assert units == len(print_.units) > 1
    first = np.unique(print_.unit_shingles(0, Settings().shingle))
    kept, usable = rewrite_keys(print_, first)
    assert kept.tolist() == np.unique(print_.unit_keys[1:]).tolist()
    assert len(kept) < len(every) and usable == units - 1


def test_story_days_count_from_the_epoch_and_leave_undated_stories_out():
    from dedup.detect.links import story_days

    dated = make_story("d", ["Text."], date="2024-01-02T12:00:00Z")
    days = story_days([dated, make_story("u", ["Text."])])
    assert days[0] == 19724.5 and np.isnan(days[1])


def test_longer_stories_need_more_shared_keys_to_be_rewrite_candidates():
    from dedup.detect.candidates import REWRITE_KEYS, keys_needed

    units_a, units_b = np.array([3, 8, 30, 40, 17]), np.array([40, 8, 40, 30, 0])
    assert keys_needed(units_a, units_b).tolist() == [REWRITE_KEYS, 2, 4, 4, REWRITE_KEYS]
    # One key for every 2 / rewrite_coverage units: a looser rewrite rule asks fewer.
    loose = keys_needed(units_a, units_b, Settings(rewrite_coverage=0.125))
    assert loose.tolist() == [2, 2, 2, 2, 2]
    assert keys_needed(np.array([100]), np.array([100]), Settings(rewrite_coverage=0.5))[0] == 25


def test_the_rewrite_window_is_one_function_over_item_date_spans():
    from dedup.detect.candidates import rewrite_candidates, within_window

    settings = Settings(rewrite_window=3)
    low = np.array([10.0, 12.0, 20.0, -np.inf])
    high = np.array([11.0, 12.5, 20.0, np.inf])
    a, b = np.array([0, 0, 1, 0]), np.array([1, 2, 2, 3])
    kept = within_window(low[a], high[a], low[b], high[b], settings)
    assert kept.tolist() == [True, False, False, True]  # an undated item spans all time
    keys = [np.array([5, 6, 7], dtype=np.uint64)] * 4
    days = np.array([10.0, 12.0, 20.0, np.nan])
    pairs = rewrite_candidates(keys, np.arange(4), days, np.full(4, 8), settings)
    # 0-1 are near; the undated story 3 may be a rewrite of any of them; 0-2 and 1-2 are not.
    assert pairs.tolist() == pack_pairs([0, 0, 1, 2], [1, 3, 3, 3]).tolist()


def test_the_words_of_a_repeated_text_are_what_every_carrier_holds():
    from dedup.detect.boilerplate import _in_all

    rng = np.random.default_rng(7)
    line = rng.choice(1 << 32, 40, replace=False).astype(np.uint32)
    for carriers in (1, 2, 3, 6):
        stories = [
            np.unique(
                np.concatenate((line[rng.random(40) < 0.9], rng.integers(0, 1 << 32, 300)))
            ).astype(np.uint32)
            for _ in range(carriers + 1)
        ]
        expected = stories[0]
        for other in stories[1:]:
            expected = np.intersect1d(expected, other)
        found = _in_all(stories[0], stories[1:])
        assert found.dtype == np.uint32 and np.array_equal(found, expected)
    assert not len(_in_all(stories[0], [stories[1], np.zeros(0, dtype=np.uint32)]))


def test_shared_counts_are_each_pairs_exact_overlap():
    from dedup.detect.verify import shared_count, shared_counts

    rng = np.random.default_rng(11)
    pool = rng.choice(1 << 32, 3000, replace=False).astype(np.uint32)
    # Shingles alike in their low bits but different: what a table of low bits lets pass.
    twins = (pool[:200] ^ np.uint32(1 << 20)).astype(np.uint32)
    content = [np.zeros(0, dtype=np.uint32)]
    for _ in range(40):
        picked = pool[rng.random(len(pool)) < rng.uniform(0.01, 0.3)]
        content.append(np.unique(np.concatenate((picked, twins[rng.random(200) < 0.3]))))
    first = rng.integers(0, len(content), 300)
    second = rng.integers(0, len(content), 300)
    counts = shared_counts(first, second, content)
    expected = [len(np.intersect1d(content[a], content[b])) for a, b in zip(first, second)]
    assert counts.tolist() == expected
    assert counts.tolist() == [shared_count(content[a], content[b]) for a, b in zip(first, second)]
    assert shared_counts(first[:0], second[:0], content).tolist() == []


WIRE = [
    "Firefighters in the coastal town of Marrowby brought a blaze at the old grain warehouse "
    "under control early on Sunday after battling the flames for more than nine hours, the "
    "regional fire service said.",
    "The fire broke out shortly before midnight in the disused building beside the harbour and "
    "spread quickly through its timber roof, sending thick smoke over the town centre and "
    "forcing the closure of the harbour road.",
    "About forty residents of the streets nearest the warehouse were moved to the sports hall "
    "overnight as a precaution, and most were allowed to return home by mid-morning once the "
    "smoke had cleared.",
    "Nobody was hurt, but the building, which dates from the eighteen-nineties and had been "
    "earmarked for conversion into flats, was largely destroyed, according to the station "
    "commander in charge of the operation.",
    "Investigators from the fire service and the police will examine the site on Monday to "
    "establish the cause, and the council said structural engineers would decide whether what "
    "remains of the walls must be pulled down.",
    "The harbour road is expected to stay closed until at least Tuesday while the debris is "
    "made safe, and the council asked drivers heading for the ferry terminal to use the ring "
    "road instead.",
]


def undated_relede_and_rewrite() -> list[tuple[str, list[str]]]:
    """Undated stories of one wire story (``m-wire``): a re-lede whose id comes first (two
    paragraphs of its own, then the wire's last four), a trim of its first four, and a
    broadcaster's rewrite of its first three, which the re-lede left out."""
    relede = [
        "Residents of Marrowby who watched the old grain warehouse burn through the night spoke "
        "on Sunday of their shock at losing one of the best-known buildings on the seafront, "
        "where several of them had worked as young men.",
        "Local historian Edith Varga said the warehouse had been the busiest building in the "
        "harbour for most of a century and that its loss would be keenly felt by older people "
        "in the town.",
        *WIRE[2:],
    ]
    radio = [
        "Fire crews in Marrowby on the coast finally got the blaze at the old grain warehouse "
        "under control early this Sunday, after fighting the flames for over nine hours, says "
        "the regional fire service.",
        "It broke out just before midnight in the empty building next to the harbour, and "
        "quickly spread through the timber roof, sending thick smoke across the town centre and "
        "closing the harbour road.",
        "Around forty people living in the nearest streets spent the night in the sports hall "
        "as a precaution, but most of them could go back home by the middle of the morning when "
        "the smoke cleared.",
        "Stay with us for more local news after the break, and the weather for the weekend.",
    ]
    return [("a-relede", relede), ("m-wire", WIRE), ("t-trim", WIRE[:4]), ("z-radio", radio)]


def write_undated_relede_and_rewrite(path: Path) -> Path:
    """``undated_relede_and_rewrite`` as a JSON Lines file at ``path``."""
    path.write_text(
        "".join(
            json.dumps({"id": key, "headline": key, "body": "\n\n".join(paras)}) + "\n"
            for key, paras in undated_relede_and_rewrite()
        )
    )
    return path


def test_an_undated_items_rewrites_are_decided_against_the_story_its_copies_share():
    """Stories that verbatim reuse links are one item in the rewrite decision, which reads
    its likely origin: the earliest story, or undated, the one sharing the most with the
    others. Read from the story first in id order (the re-lede), the broadcaster's rewrite
    of the part it left out would not be linked, and the re-lede would be the origin."""
    stories = [make_story(key, paras) for key, paras in undated_relede_and_rewrite()]
    result = scan_stories(stories)
    (cluster,) = result.clusters
    assert cluster.origin_key == "m-wire"
    links = {member.id: member.link for member in cluster.members}
    assert links == {"m-wire": None, "a-relede": "copy", "t-trim": "copy", "z-radio": "rewrite"}
    (rewrite,) = [m for m in result.matches if m.kind == "rewrite"]
    assert {rewrite.a, rewrite.b} == {"m-wire", "z-radio"}
    # Dated, the earliest story stands for the item, whatever it shares: here the re-lede,
    # which does not hold the part the rewrite retells.
    dated = [
        make_story(story.key, story.body.split("\n\n"), date=f"2026-03-0{n + 1}T08:00:00Z")
        for n, story in enumerate(stories)
    ]
    assert not [m for m in scan_stories(dated).matches if m.kind == "rewrite"]


def test_item_origins_are_the_earliest_story_or_undated_the_one_sharing_most():
    from dedup.detect.candidates import item_origins

    items = np.array([0, 0, 1, 1, 1, 2])
    undated = np.array([False, True, True, True, True, True])
    shared = np.array([1, 50, 10, 30, 30, 0])
    assert item_origins(items, undated, shared).tolist() == [0, 3, 5]
    assert item_origins(items).tolist() == [0, 2, 5]
    assert item_origins(items, np.zeros(6, dtype=bool), shared).tolist() == [0, 2, 5]


def test_an_undated_centre_keeps_its_rewrites_beside_its_copies():
    """Two broadcasters' rewrites of an undated wire story match each other, and its copies
    match each other: two groups of several stories, which share one part of the centre,
    so they are copies of one story and all stay (a round-up's groups share different parts
    of it, "How clusters are formed", step 3)."""
    tv = [
        "The blaze at the old grain warehouse in the coastal town of Marrowby was finally "
        "brought under control early on Sunday, after fire crews fought the flames for more "
        "than nine hours, the regional fire service says.",
        "The fire started just before midnight in the empty building by the harbour and spread "
        "fast through the timber roof, sending thick smoke over the town centre and shutting "
        "the harbour road.",
        "Some forty residents from the streets closest to the warehouse spent the night in the "
        "sports hall as a precaution; most were back home by mid-morning once the smoke had "
        "cleared.",
        "Now the rest of today's headlines.",
    ]
    stories = [make_story(key, paras) for key, paras in undated_relede_and_rewrite()]
    result = scan_stories([*stories, make_story("y-tv", tv)])
    (cluster,) = result.clusters
    assert cluster.origin_key == "m-wire"
    assert {m.id: m.link for m in cluster.members if m.link == "rewrite"} == {
        "y-tv": "rewrite",
        "z-radio": "rewrite",
    }
    assert together(result, "y-tv", "z-radio")  # they match each other too


QUOTED = (
    "\u201cThe crew acted quickly and every passenger was accounted for within the hour, "
    "which is exactly what we train for,\u201d"
)
FERRY_WIRE = [
    "KESTREL POINT (Northstar) \u2014 A passenger ferry ran aground off Kestrel Point on "
    "Tuesday evening, and all 212 people on board were taken safely ashore, the coastguard "
    "said.",
    "The vessel struck a sandbank shortly after leaving the harbour in heavy fog, according "
    "to the coastguard.",
    f"{QUOTED} coastguard commander Lena Ortiz said.",
    "Salvage teams will try to refloat the ferry at high tide on Wednesday morning.",
]
FERRY_OWN_REPORT = [
    "KESTREL POINT (Meridian) \u2014 All 212 passengers and crew were brought ashore after a "
    "ferry became stuck on a sandbank near Kestrel Point late on Tuesday, with no injuries "
    "reported.",
    "Thick fog had settled over the bay when the ship left port, witnesses said.",
    f"{QUOTED} said Lena Ortiz, the coastguard commander.",
    "The operator, Bayline Ferries, cancelled its remaining sailings for the day.",
]
FERRY_REWRITE = [
    "Everyone aboard a ferry that ran aground near Kestrel Point on Tuesday evening, 212 "
    "people in all, was brought safely to shore, according to the coastguard.",
    "The ship hit a sandbank soon after it left the harbour in dense fog, the coastguard said.",
    f"{QUOTED.replace(chr(0x201C), chr(34)).replace(chr(0x201D), chr(34))} commander Lena "
    "Ortiz of the coastguard told reporters.",
    "Salvage crews plan to refloat the vessel on Wednesday morning at high tide.",
]


@pytest.mark.parametrize("style", ["double", "single"])
@pytest.mark.parametrize("layout", ["paragraphs", "one block"])
def test_reports_quoting_one_statement_alike_are_not_rewrites_of_each_other(layout, style):
    """Two agencies' short reports of one event quote the coastguard word for word and give
    the same facts in their own sentences; a broadcaster's rewrite of one keeps the quote
    too. A quote is a speaker's words, which every report that heard them shares: the
    rewrite is linked by its reworded sentences, the two reports are not by the quote; in
    double quotation marks or, British style, single ones."""

    def story(key: str, texts: list[str]):
        if style == "single":
            texts = [t.replace("\u201c", "\u2018").replace("\u201d", "\u2019") for t in texts]
            texts = [re.sub(r'"(.*?)"', "\u2018\\1\u2019", t) for t in texts]
        return make_story(key, texts if layout == "paragraphs" else [" ".join(texts)])

    result = scan_stories(
        [
            story("wire", FERRY_WIRE),
            story("own-report", FERRY_OWN_REPORT),
            story("rewrite", FERRY_REWRITE),
        ]
    )
    assert together(result, "wire", "rewrite")
    assert not together(result, "wire", "own-report")
    assert not together(result, "rewrite", "own-report")
    # The quote is the only verbatim run, so the link is a rewrite, not a short copy: the
    # words of quotes given alike count with the coverage when the kind is told.
    (link,) = [m for c in result.clusters for m in c.matches]
    assert link.kind == "rewrite"


def test_a_quote_given_alike_stands_for_nothing_else_in_the_other_story():
    """A brief keeps the commander's quote with its attribution in one sentence; a longer
    report gives the same quote, but its sentence runs past ``UNIT_MAX`` words and is cut
    into the quote and the attribution. The quotes are given alike, so the brief's quote
    is no evidence; nor may it align with the report's attribution instead, which would
    make one loose sentence of facts and a speaker's name a rewrite."""
    quote = QUOTED.strip("\u201c\u201d,").lower().replace(",", "").split()
    attribution = "coastguard commander lena ortiz told reporters at the harbour".split()
    brief = rewrite.Sentences.of(
        [
            quote + attribution[:4] + ["said"],
            "all 212 people on board were taken safely ashore the coastguard said".split(),
            "bayline ferries cancelled its remaining sailings for the day".split(),
        ],
        [True, False, False],
    )
    report = rewrite.Sentences.of(
        [
            quote,
            attribution,
            "the coastguard said all 212 people on board were brought safely ashore".split(),
            "thick fog had settled over the bay when the ship left port".split(),
            "salvage teams will try to refloat the ferry at high tide".split(),
        ],
        [True, False, False, False, False],
    )
    found = rewrite.decide_rewrite(brief, report)
    assert found.spoken > 0.4  # the quote is given alike
    assert [(i, j) for i, j, _ in found.pairs] == [(1, 2)]
    assert not found.linked


def day_two() -> list[tuple[str, str, str, list[str]]]:
    """An agency's story, its write-thru (new top, the rest kept), its next-day story with
    new news that repeats one background paragraph word for word, and another outlet's own
    story that takes the same paragraph: (id, outlet, date, paragraphs) each."""
    background = paragraphs(9, 1, sentences=3)
    day_one = paragraphs(1, 3) + background + paragraphs(2, 4)
    agency = "Meridian Press Agency"
    return [
        ("day-one", agency, "2026-03-02T08:00:00Z", day_one),
        ("write-thru", agency, "2026-03-02T14:00:00Z", paragraphs(3, 2) + day_one[2:]),
        ("day-two", agency, "2026-03-03T09:00:00Z", paragraphs(4, 5) + background),
        ("local", "Harwen Courier", "2026-03-03T11:00:00Z", paragraphs(5, 5) + background),
    ]


def write_day_two(path: Path) -> Path:
    """``day_two`` as JSON Lines at ``path``."""
    with path.open("w", encoding="utf-8") as out:
        for key, outlet, date, texts in day_two():
            record = {"id": key, "outlet": outlet, "date": date, "body": "\n\n".join(texts)}
            out.write(json.dumps(record) + "\n")
    return path


def test_an_outlets_own_background_paragraph_again_the_next_day_is_no_copy():
    """Stories of one outlet are versions of one story only when they share a third of the
    smaller (``short_share``): a write-thru keeps most of its story, a next-day story that
    repeats one background paragraph is a new story. Another outlet taking that paragraph
    is a partial copy, as before."""
    stories = [make_story(key, texts, outlet, date) for key, outlet, date, texts in day_two()]
    result = scan_stories(stories)
    assert together(result, "day-one", "write-thru", "local")
    assert not together(result, "day-one", "day-two")
    local = {frozenset((m.a, m.b)): m for m in result.matches}[frozenset(("day-one", "local"))]
    assert local.kind == "partial" and local.containment < Settings().short_share
