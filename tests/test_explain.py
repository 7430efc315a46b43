"""``dedup explain``: the evidence and the thresholds behind linking, or not, two stories."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner
from conftest import SAMPLES

from dedup.cli import cli, exitcodes
from dedup.engines.local import load

RADIO_FLOODS = str(SAMPLES / "radio-vell/oss-floods.txt")
RADIO_BUSES = str(SAMPLES / "radio-vell/bus-routes.txt")
WIRE_FLOODS = str(SAMPLES / "wire/meridian/oss-floods.txt")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_seed_pair_is_a_partial_reuse(seeds):
    ap, cbs = map(str, seeds)
    text = run("explain", ap, cbs)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[-1] == "linked: partial reuse (0.24 of the smaller story, 106 shingles ≥ 30)"
    assert "boilerplate: none could be judged (no --context)" in text.output
    assert "\x1b[" not in text.output
    data = json.loads(run("explain", ap, cbs, "--format", "json").stdout)
    assert data["shared"] == 106 and data["kind"] == "partial" and data["linked"]
    assert data["link"] == "copy" and data["scan_linked"]
    assert round(data["containment"], 2) == 0.24 and round(data["resemblance"], 2) == 0.10
    assert data["boilerplate"] == {"judged": False, "context_stories": 0, "paragraphs": []}
    # The passages are the alignment's runs, with paragraph numbers: AP 4, 7, 9 in CBS 9, 10,
    # 5 (the seeds' README numbers 10, 11, 6 count the headline line as a paragraph).
    longest = {(p["a_paragraph"], p["b_paragraph"]) for p in data["passages"][:3]}
    assert longest == {(4, 9), (7, 10), (9, 5)}
    assert all(p["words"] >= 5 and p["shingles"] == p["words"] - 4 for p in data["passages"])
    assert {t["setting"]: t["passed"] for t in data["thresholds"]} == {
        "near_duplicate": False,
        "min_shared": True,
        "min_containment": True,
    }
    # A verbatim run of 28 words or more always brings a shared anchor: a copy candidate.
    assert data["candidates"]["copy"] and data["candidates"]["anchors"] > 0
    assert data["candidates"]["same_item"] and not data["candidates"]["rewrite"]
    assert data["candidate"] and data["same_cluster"]


def test_boilerplate_needs_context_and_then_weighs_nothing():
    # Two Radio Vell stories on different events share only the station's web chrome.
    # Alone, that chrome is not known to be boilerplate: it is shared text, which only the
    # rule for two stories of one outlet (a third of the smaller story) keeps from a link.
    alone = json.loads(run("explain", RADIO_FLOODS, RADIO_BUSES, "--format", "json").stdout)
    assert not alone["boilerplate"]["judged"] and alone["shared"] >= 30
    assert not alone["linked"] and "stories of one outlet" in alone["verdict"]
    thresholds = {t["setting"]: t["passed"] for t in alone["thresholds"]}
    assert thresholds == {"near_duplicate": False, "min_shared": True, "short_share": False}
    judged = run(
        "explain", RADIO_FLOODS, RADIO_BUSES, "--context", str(SAMPLES), "--format", "json"
    )
    assert judged.exit_code == 0, judged.output
    data = json.loads(judged.stdout)
    assert data["boilerplate"]["judged"] and data["boilerplate"]["context_stories"] > 40
    discounted = data["boilerplate"]["paragraphs"]
    assert {p["side"] for p in discounted} == {"A", "B"}
    reason = "repeated in 3 stories of Radio Vell that share nothing else"
    assert all(p["reason"] == reason and p["stories"] == 3 for p in discounted)
    footer = {(p["side"], p["number"]) for p in discounted if "All rights reserved" in p["text"]}
    assert footer == {("A", 18), ("B", 11)} and all(p["unit"] == "paragraph" for p in discounted)
    assert data["all_text"]["shared"] == alone["shared"] > 0 and data["shared"] == 0
    assert all(p["discounted"] == p["shingles"] for p in data["passages"])
    assert data["verdict"].startswith(
        "not linked: no shared shingles once boilerplate is taken out; rewrite:"
    )
    # Anchors inside the chrome are boilerplate anchors: they bring no candidate.
    assert not data["candidates"]["copy"]
    assert data["candidates"]["boilerplate_anchors"] == data["candidates"]["anchors"]
    assert data["same_cluster"] is None and not data["scan_linked"]
    text = run("explain", RADIO_FLOODS, RADIO_BUSES, "--context", str(SAMPLES)).output
    assert "Listen to Radio Vell live" in text and reason in text


def test_a_linked_pair_in_context_names_the_scan_cluster():
    scanned = json.loads(run("scan", str(SAMPLES), "--format", "json").stdout)
    cluster = next(c for c in scanned["clusters"] if c["origin"] == "mna-oss-floods")
    data = json.loads(
        run(
            "explain", WIRE_FLOODS, RADIO_FLOODS, "--context", str(SAMPLES), "--format", "json"
        ).stdout
    )
    assert data["kind"] == "partial" and data["same_cluster"] == cluster["id"]
    radio = next(m for m in cluster["members"] if m["id"] == "radiovell-oss-floods")
    assert data["shared"] == radio["shared"]  # the scan's own evidence, reproduced
    assert data["verdict"] == (
        f"linked: partial reuse ({data['containment']:.2f} of the smaller story, "
        f"{data['shared']} shingles ≥ 30)"
    )


def test_same_topic_stories_are_not_linked_and_the_verdict_says_why():
    mine = [str(SAMPLES / "ebc/mine-families.txt"), str(SAMPLES / "dravik-herald/mine-rescue.txt")]
    result = run("explain", *mine, "--context", str(SAMPLES))
    assert result.exit_code == 0, result.output
    verdict = result.output.splitlines()[-1]
    assert verdict.startswith("not linked: resemblance 0.01 < 0.5")
    assert "10 shingles < 30" in verdict and "of the smaller story < 0.15" in verdict
    assert verdict.endswith("; rewrite: under 0.25 of the smaller story in aligned sentences")
    looser = run(
        "explain", *mine, "--min-shared", "5", "--min-containment", "0.03", "--format", "json"
    )
    assert json.loads(looser.stdout)["kind"] == "partial"  # the settings options apply


def test_record_selection_and_context_arguments(tmp_path, seeds):
    feed = tmp_path / "feed.jsonl"
    records = [
        {"id": n, "body": p.read_text(encoding="utf-8")} for n, p in zip(("ap", "cbs"), seeds)
    ]
    feed.write_text("\n".join(json.dumps(r) for r in records))
    by_id = run("explain", f"{feed}#ap", f"{feed}#2", "--format", "json")
    assert by_id.exit_code == 0, by_id.output
    assert json.loads(by_id.stdout)["shared"] == 106
    several = run(
        "explain",
        RADIO_FLOODS,
        RADIO_BUSES,
        "--context",
        str(SAMPLES / "radio-vell"),
        str(SAMPLES / "wire"),
        "--format",
        "json",
    )
    assert several.exit_code == 0, several.output
    # A and B, found again in the radio station's folder, are not counted twice.
    context, _ = load([str(SAMPLES / "radio-vell"), str(SAMPLES / "wire")])
    assert json.loads(several.stdout)["boilerplate"]["context_stories"] == len(context) - 2
    stray = run("explain", RADIO_FLOODS, RADIO_BUSES, str(SAMPLES))
    assert stray.exit_code == exitcodes.USAGE and "--context" in stray.output
    missing = run("explain", RADIO_FLOODS, RADIO_BUSES, "--context", str(tmp_path / "gone.txt"))
    assert missing.exit_code == exitcodes.INPUT and "gone.txt" in missing.output

    same = run("explain", RADIO_FLOODS, RADIO_FLOODS)
    assert same.exit_code == exitcodes.USAGE and "same story" in same.output


def test_a_rewrite_is_explained_by_its_aligned_sentences():
    wire, ebc = (
        str(SAMPLES / "wire/meridian/grisling-coal.txt"),
        str(SAMPLES / "ebc/grisling-coal.json"),
    )
    scanned = json.loads(run("scan", str(SAMPLES), "--format", "json").stdout)
    cluster = next(c for c in scanned["clusters"] if c["origin"] == "mna-grisling-coal")
    data = json.loads(
        run("explain", wire, ebc, "--context", str(SAMPLES), "--format", "json").stdout
    )
    assert data["kind"] == "rewrite" and data["link"] == "rewrite"
    assert data["same_cluster"] == cluster["id"] and data["scan_linked"]
    # Few verbatim words: the copy rule fails, and no anchor is shared ...
    assert not any(t["passed"] for t in data["thresholds"]) and not data["candidates"]["copy"]
    # ... but sentence keys make them rewrite candidates, and aligned sentences link them.
    assert data["candidates"]["rewrite"] and data["candidates"]["unit_keys"] >= 2
    rewrite = data["rewrite"]
    assert rewrite["linked"] and rewrite["coverage"] >= rewrite["rewrite_coverage"]
    assert len(rewrite["pairs"]) == rewrite["sentences"] >= rewrite["rewrite_sentences"]
    assert [p["a"] for p in rewrite["pairs"]] == sorted(p["a"] for p in rewrite["pairs"])
    assert any(
        "bram hollis" in p["a_text"] and "bram hollis" in p["b_text"] for p in rewrite["pairs"]
    )
    assert data["verdict"] == (
        f"linked: rewrite ({rewrite['coverage']:.2f} of the smaller story in "
        f"{rewrite['sentences']} aligned sentences ≥ 0.25)"
    )
    copies_only = run("explain", wire, ebc, "--links", "copy", "--format", "json")
    data = json.loads(copies_only.stdout)
    assert data["rewrite"] is None and not data["linked"]
    assert data["verdict"].endswith("; rewrites not looked for (--links copy)")


def test_boilerplate_of_one_block_stories_is_listed_by_sentence(tmp_path):
    """Plain text files with no outlet and no paragraph breaks: the footer they all end with
    is boilerplate of unknown outlets, listed sentence by sentence."""
    rng = random.Random(5)

    def word() -> str:
        return "".join(rng.choice("abcdefghijklmnoprstuvw") for _ in range(rng.randint(3, 9)))

    footer = (
        "Subscribe to the Lantern Daily newsletter for the morning headlines delivered to your "
        "inbox every day of the week. Follow us on social media for live coverage of every "
        "story in the province."
    )
    for number in range(4):
        sentences = [" ".join(word() for _ in range(14)).capitalize() + "." for _ in range(8)]
        body = " ".join(sentences) + " " + footer
        (tmp_path / f"s{number}.txt").write_text(f"Story {number} of the day\n\n{body}\n")
    a, b = str(tmp_path / "s0.txt"), str(tmp_path / "s1.txt")
    data = json.loads(run("explain", a, b, "--context", str(tmp_path), "--format", "json").stdout)
    listed = data["boilerplate"]["paragraphs"]
    assert [(p["side"], p["unit"], p["number"]) for p in listed] == [
        ("A", "sentence", 9),
        ("A", "sentence", 10),
        ("B", "sentence", 9),
        ("B", "sentence", 10),
    ]
    assert {p["reason"] for p in listed} == {
        "repeated in 4 stories of unknown outlet that share nothing else"
    }
    assert data["all_text"]["shared"] > 0 == data["shared"] and not data["linked"]
    text = run("explain", a, b, "--context", str(tmp_path)).output
    assert "A s9   Subscribe to the Lantern Daily newsletter" in text
    # Undated stories are not kept apart by the date window: their sentences decide, and
    # the footer's are boilerplate, so nothing aligns.
    assert "days apart" not in text and "no sentences aligned" in text


def test_a_rewrite_decided_through_other_stories_names_them(tmp_path):
    """An undated re-lede and a broadcaster's rewrite of the wire paragraphs it left out
    share no sentence, but the scan decides the rewrite between the stories their copies
    stand for: explain names those (the wire story, the rewrite) rather than seem to
    contradict the scan that puts the two together."""
    from test_detect import write_undated_relede_and_rewrite

    corpus = write_undated_relede_and_rewrite(tmp_path / "undated.jsonl")
    pair = [f"{corpus}#a-relede", f"{corpus}#z-radio", "--context", str(corpus)]
    data = json.loads(run("explain", *pair, "--format", "json").stdout)
    assert data["candidates"]["rewrite"]
    assert data["candidates"]["decided_on"] == ["m-wire", "z-radio"]
    text = run("explain", *pair).stdout
    assert "decided between m-wire and z-radio" in text
    assert "puts them together" in text
    own = run("explain", f"{corpus}#m-wire", f"{corpus}#z-radio", "--context", str(corpus))
    assert "decided between" not in own.stdout and "a rewrite candidate" in own.stdout


def test_a_quote_given_alike_is_shown_and_left_out_of_the_rewrite_coverage(tmp_path):
    """Two reports of one ferry grounding quote the coastguard alike: explain shows the
    quote's share apart from the coverage, which it does not make up."""
    from test_detect import FERRY_OWN_REPORT, FERRY_WIRE

    paths = []
    for name, texts in (("wire", FERRY_WIRE), ("own", FERRY_OWN_REPORT)):
        path = tmp_path / f"{name}.txt"
        path.write_text("\n\n".join(texts), encoding="utf-8")
        paths.append(str(path))
    data = json.loads(run("explain", *paths, "--format", "json").stdout)
    rewrite = data["rewrite"]
    assert not rewrite["linked"] and not data["scan_linked"]
    assert rewrite["quotes_alike"] > rewrite["rewrite_coverage"] > rewrite["coverage"]
    text = run("explain", *paths).output
    assert "quotes given alike" in text and "a speaker's words" in text


def test_a_shared_passage_inside_quotes_in_both_stories_is_marked(tmp_path):
    """The ferry reports share the coastguard's quote word for word, and the wire story's
    rewrite shares it too, in straight marks: each such passage is marked as quoted in
    both, in text and JSON; the words the two reports share outside quotes are not."""
    from test_detect import FERRY_OWN_REPORT, FERRY_REWRITE, FERRY_WIRE

    own = [
        *FERRY_OWN_REPORT,
        "It ran aground off Kestrel Point on Tuesday evening, officials said.",
    ]
    paths = {}
    for name, texts in (("wire", FERRY_WIRE), ("own", own), ("rewrite", FERRY_REWRITE)):
        path = tmp_path / f"{name}.txt"
        path.write_text("\n\n".join(texts), encoding="utf-8")
        paths[name] = str(path)
    for other in ("own", "rewrite"):
        data = json.loads(run("explain", paths["wire"], paths[other], "--format", "json").stdout)
        quoted = {p["text"][:20]: p["quoted"] for p in data["passages"] if p["words"] >= 8}
        assert quoted.get("The crew acted quick") is True, quoted
    data = json.loads(run("explain", paths["wire"], paths["own"], "--format", "json").stdout)
    outside = [p for p in data["passages"] if p["text"].startswith("ran aground off")]
    assert outside and not outside[0]["quoted"]
    text = run("explain", paths["wire"], paths["own"]).output
    assert "quoted in both" in text
