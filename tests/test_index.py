"""The persistent index through its Python API, on real SQLite files."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, make_story, paragraphs

from dedup.detect.cluster import cluster_id
from dedup.engines.index import (
    COPY,
    INDEXED,
    NEW,
    SCHEMA_VERSION,
    UPDATED,
    ConfigProblem,
    IndexBusy,
    IndexUnusable,
    open_index,
    parse_duration,
    resolve_location,
)
from dedup.engines.local import load, scan_stories
from dedup.views import output

DAY = 86400.0


def _samples() -> list:
    stories, _ = load([str(SAMPLES)])
    unique = {}
    for story in stories:
        unique.setdefault(story.id, story)
    return list(unique.values())


def _neighbours(result) -> dict[str, set[str]]:
    """Ids each story is matched with in a scan."""
    ids = {story.key: story.id for story in result.stories}
    found: dict[str, set[str]] = {}
    for match in result.matches:
        found.setdefault(ids[match.a], set()).add(ids[match.b])
        found.setdefault(ids[match.b], set()).add(ids[match.a])
    return found


def test_samples_ingested_in_shuffled_batches_cluster_exactly_like_scan(tmp_path):
    stories = _samples()
    random.Random(5).shuffle(stories)
    db = str(tmp_path / "wire.db")
    statuses = []
    for start in range(0, len(stories), 20):  # separate runs, as cron would make them
        with open_index(db, create=True, window=None) as index:
            statuses += [v.status for v in index.ingest(stories[start : start + 20], batch=7)]
    assert set(statuses) <= {NEW, COPY, UPDATED} and COPY in statuses and UPDATED in statuses
    expected = scan_stories(stories)
    with open_index(db, window=None) as index:
        got = index.scan()
        assert output.scan_json(got, singletons=True) == output.scan_json(expected, True)
        # and the clusters it stored as it went are those too
        wanted = {m.id: cluster.id for cluster in expected.clusters for m in cluster.members}
        rows = index.store.rows(story.id for story in stories)
        assert {story_id: row.cluster for story_id, row in rows.items() if row.cluster} == wanted
        # check gives, for every story, exactly the links the scan verified for it
        neighbours = _neighbours(expected)
        for verdict in index.check(stories):
            assert verdict.status == INDEXED
            assert set(verdict.matches) == neighbours.get(verdict.story.id, set())


def test_check_reads_nothing_it_does_not_need(tmp_path):
    """A check touches the rows of its candidates, not the index: count SQLite's row reads
    through a progress handler on a bigger and a smaller index."""
    a = paragraphs(1, 8)
    filler = [make_story(f"f{i}", paragraphs(100 + i, 6)) for i in range(150)]
    db = str(tmp_path / "wire.db")
    with open_index(db, create=True, window=None) as index:
        list(index.ingest([make_story("wire", a), *filler[:30]]))
    steps = []

    def count() -> int:
        steps[-1] += 1
        return 0

    for extra in (None, filler[30:]):
        with open_index(db, create=True, window=None) as index:
            if extra:
                list(index.ingest(extra))
            steps.append(0)
            index.store.db.set_progress_handler(count, 100)
            (verdict,) = index.check([make_story("copy", a[:6] + paragraphs(9, 2))])
            assert verdict.status == COPY and verdict.copies == "wire"
    assert steps[1] <= steps[0] * 1.5 + 20  # 5x the stories, about the same work


def test_same_story_twice_is_indexed_once_and_an_update_replaces_it(tmp_path):
    db = str(tmp_path / "wire.db")
    story = make_story("a1", paragraphs(1, 6), outlet="Agency", date="2025-03-01T10:00:00Z")
    with open_index(db, create=True) as index:
        assert [v.status for v in index.ingest([story])] == [NEW]
        again = list(index.ingest([story]))
        assert [v.status for v in again] == [INDEXED] and again[0].indexed_as == "a1"
        # the same text delivered again under another name by the same outlet
        renamed = make_story(
            "a1-resent", paragraphs(1, 6), outlet="Agency", date="2025-03-01T10:00:00Z"
        )
        (verdict,) = index.ingest([renamed])
        assert verdict.status == INDEXED and verdict.indexed_as == "a1"
        # the same text from another outlet is a copy, not a re-delivery
        (other,) = index.ingest(
            [make_story("b1", paragraphs(1, 6), outlet="Paper", date="2025-03-01T12:00:00Z")]
        )
        assert other.status == COPY and other.copies == "a1" and other.origin == "a1"
        write_thru = make_story(
            "a1", paragraphs(1, 6) + paragraphs(2, 1), outlet="Agency", date="2025-03-01T10:00:00Z"
        )
        (updated,) = index.ingest([write_thru])
        assert updated.status == UPDATED and updated.copies == "b1"
        assert index.story("a1").body == write_thru.body
        assert index.stats()["stories"] == 2
        rows = index.store.db.execute("SELECT count(*), count(DISTINCT id) FROM stories")
        assert rows.fetchone() == (2, 2)


def test_window_uses_the_story_date_else_the_ingest_time(tmp_path):
    wire = paragraphs(3, 6)
    first = make_story("w", wire, date="2025-03-01T08:00:00Z")
    later = make_story("c", wire[:5], date="2025-03-05T08:00:00Z")  # four days on
    for window, status in ((parse_duration("72h"), NEW), (parse_duration("7d"), COPY)):
        db = str(tmp_path / f"dated-{window}.db")
        with open_index(db, create=True, window=window) as index:
            list(index.ingest([first]))
            assert index.check([later])[0].status == status
    undated = make_story("u", wire)
    copy = make_story("v", wire[:5])
    with open_index(str(tmp_path / "undated.db"), create=True) as index:
        list(index.ingest([undated], now=1_000_000.0))
        assert index.check([copy], now=1_000_000.0 + 4 * DAY)[0].status == NEW
        assert index.check([copy], now=1_000_000.0 + 2 * DAY)[0].status == COPY
        # a dated story is placed by its date, whatever the clock says
        dated = make_story("d", wire[:5], date="1970-01-12T13:46:40Z")  # 1,000,000 s
        assert index.check([dated], now=5e9)[0].status == COPY


def test_prune_removes_old_stories_and_everything_about_them(tmp_path):
    db = str(tmp_path / "wire.db")
    wire = paragraphs(4, 6)
    old = make_story("old", wire, date="2025-01-01T00:00:00Z")
    kept = make_story("kept", wire[:5], outlet="Paper", date="2025-02-27T00:00:00Z")
    other = make_story("other", wire[:4] + paragraphs(6, 2), date="2025-02-28T00:00:00Z")
    recent = make_story("recent", paragraphs(5, 6), date="2025-03-01T00:00:00Z")
    now = parse_duration("59d") + old.date.timestamp()  # 59 days after the old one
    with open_index(db, create=True, window=None) as index:
        list(index.ingest([old, kept, other, recent], now=now))
        before = {
            row.id: row.cluster for row in index.store.rows(["old", "kept", "other"]).values()
        }
        assert len(set(before.values())) == 1 and before["old"] is not None
        assert index.prune(parse_duration("14d"), now=now) == 1
        assert index.stats()["stories"] == 3
        assert index.story("old") is None and index.story("recent") is not None
        db_ = index.store.db
        for table, column in (("anchors", "story"), ("units", "story"), ("texts", "sid"),
                              ("matches", "a"), ("matches", "b")):  # fmt: skip
            orphans = db_.execute(
                f"SELECT count(*) FROM {table} t LEFT JOIN stories s ON s.sid = t.{column} "
                "WHERE s.sid IS NULL"
            ).fetchone()[0]
            assert orphans == 0, table
        sids = {sid for (sid,) in db_.execute("SELECT sid FROM stories")}
        assert {story for _, _, story in _unit_carriers(db_)} <= sids
        assert db_.execute("SELECT count(*) FROM anchors").fetchone()[0] > 0
        # the cluster the old story centred is formed again around the earliest one left
        after = {row.id: row.cluster for row in index.store.rows(["kept", "other"]).values()}
        assert after["kept"] == after["other"] == cluster_id(kept)
        # asked about again, the pruned story is an original that arrives after its copies
        (verdict,) = index.check([old], now=now)
        assert (verdict.status, verdict.copies, verdict.origin) == (COPY, "kept", "old")
        assert index.check([recent], now=now)[0].status == INDEXED


def test_schema_version_and_foreign_files_are_refused(tmp_path):
    db = tmp_path / "wire.db"
    with open_index(str(db), create=True) as index:
        list(index.ingest([make_story("a", paragraphs(6, 4))]))
    for version in (SCHEMA_VERSION + 1, SCHEMA_VERSION - 1, 0):
        with sqlite3.connect(db) as raw:
            raw.execute(f"PRAGMA user_version = {version}")
        with pytest.raises(IndexUnusable, match=rf"schema version {version}|not a wire-dedup"):
            open_index(str(db))
    with sqlite3.connect(db) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    open_index(str(db)).close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite at all" * 100)
    with pytest.raises(IndexUnusable):
        open_index(str(junk), create=True)
    with pytest.raises(IndexUnusable, match="no index"):
        open_index(str(tmp_path / "missing.db"))


def test_fingerprint_settings_must_match_the_index(tmp_path):
    db = str(tmp_path / "wire.db")
    open_index(db, create=True, changes={"shingle": 4, "min_shared": 20}).close()
    with open_index(db) as index:  # the stored settings are the defaults of later runs
        assert index.settings.shingle == 4 and index.settings.min_shared == 20
    with open_index(db, changes={"min_shared": 40}) as index:
        assert index.settings.min_shared == 40
    with pytest.raises(IndexUnusable, match="--shingle 5"):
        open_index(db, changes={"shingle": 5})
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE meta SET value = '{\"num_perm\": 8}' WHERE name = 'settings'")
    with pytest.raises(IndexUnusable, match=r"stored settings are invalid.*num_perm"):
        open_index(db)


def test_a_second_writer_waits_then_gives_up(tmp_path):
    db = str(tmp_path / "wire.db")
    with open_index(db, create=True, lock_timeout=0.2) as holder, holder.store.exclusive(1):
        with open_index(db, lock_timeout=0.2) as other, pytest.raises(IndexBusy):
            list(other.ingest([make_story("a", paragraphs(7, 3))]))
        with open_index(db) as reader:  # readers never wait
            assert reader.check([make_story("a", paragraphs(7, 3))])[0].status == NEW


def test_location_precedence_option_env_local_then_user_config(tmp_path):
    home, here = tmp_path / "home", tmp_path / "here"
    user = home / ".config" / "wire-dedup"
    user.mkdir(parents=True)
    here.mkdir()
    env = {"HOME": str(home)}
    with pytest.raises(ConfigProblem):
        resolve_location(None, env, here)
    (user / "config.toml").write_text('db = "user.db"\n')
    assert resolve_location(None, env, here) == (str(user / "user.db"), str(user / "config.toml"))
    (here / ".dedup.toml").write_text('# local\ndb = "/srv/wire.db"\n')
    assert resolve_location(None, env, here)[0] == "/srv/wire.db"
    assert resolve_location(None, {**env, "DEDUP_DB": "env.db"}, here) == ("env.db", "$DEDUP_DB")
    assert resolve_location("opt.db", {**env, "DEDUP_DB": "env.db"}, here)[0] == "opt.db"
    xdg = tmp_path / "xdg" / "wire-dedup"
    xdg.mkdir(parents=True)
    (xdg / "config.toml").write_text('db = "redis://h:6379/1"')
    (here / ".dedup.toml").unlink()
    assert resolve_location(None, {**env, "XDG_CONFIG_HOME": str(xdg.parent)}, here)[0] == (
        "redis://h:6379/1"
    )
    (here / ".dedup.toml").write_text("db = [broken")
    with pytest.raises(ConfigProblem, match="TOML"):
        resolve_location(None, env, here)


def test_durations():
    assert parse_duration("72h") == 72 * 3600 and parse_duration("14d") == 14 * DAY
    assert parse_duration("1.5h") == 5400 and parse_duration("0") == 0
    for bad in ("", "72", "3 years", "-1h"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_stored_text_survives_the_source(tmp_path):
    source = tmp_path / "story.txt"
    source.write_text("Floods hit the valley\n\n" + "\n\n".join(paragraphs(8, 4)))
    stories, _ = load([str(source)])
    with open_index(str(tmp_path / "w.db"), create=True) as index:
        list(index.ingest(stories))
    source.unlink()
    with open_index(str(tmp_path / "w.db")) as index:
        stored = index.story("story.txt")
    assert stored is not None and stored.body == stories[0].body
    assert stored.headline == "Floods hit the valley" and Path(stored.path).name == "story.txt"


def test_stored_stories_keep_the_story_order_and_keys_give_the_earliest(tmp_path):
    from dedup.engines.index.store import entry_keys
    from dedup.records import story_order

    shared = paragraphs(90, 2)
    dated = make_story("dated", paragraphs(91, 3) + shared, date="2025-01-02T00:00:00Z")
    undated = make_story("undated", paragraphs(92, 3) + shared)
    with open_index(str(tmp_path / "wire.db"), create=True, window=None) as index:
        list(index.ingest([undated, dated]))
        rows = index.store.rows(["dated", "undated"])
        assert [row.sort_key for row in rows.values()] == [
            row.story().sort_key for row in rows.values()
        ]
        assert rows["dated"].sort_key == story_order(dated.date, "dated", "dated")
        # the carriers of a key, earliest first: a cap of one gives the dated story
        mine = entry_keys(index.fingerprinter(dated))
        theirs = entry_keys(index.fingerprinter(undated))
        common = np.intersect1d(mine[1], theirs[1])
        assert len(common)

        def carriers(low: float, high: float, cap: int) -> set[str]:
            found = index.store.carriers("units", common, low, high, cap)
            return {story_id for pairs in found.values() for story_id, _ in pairs}

        assert carriers(-np.inf, np.inf, 1) == {"dated"}
        assert carriers(-np.inf, np.inf, 2) == {"dated", "undated"}
        assert carriers(0, dated.date.timestamp() - 1, 2) == set()


def test_index_errors_leave_exit_codes_to_the_command_line():
    import subprocess
    import sys

    code = (
        "import sys, dedup.engines.index\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'click' "
        "or m.startswith(('dedup.exitcodes', 'dedup.cli'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr
    assert not any(hasattr(kind, "exit_code") for kind in (IndexBusy, IndexUnusable))


def test_an_original_arriving_after_its_copies_becomes_the_origin(tmp_path):
    """Stories are judged in the order they reach the index, across runs: an original that
    arrives after a copy of it is a ``copy`` (its text went out already, as that copy), the
    cluster is formed again around it, and it is named the origin."""
    wire = paragraphs(60, 6)
    original = make_story("wire", wire, outlet="Agency", date="2025-03-01T08:00:00Z")
    copy = make_story("paper", wire[:5], outlet="Paper", date="2025-03-01T12:00:00Z")
    db = str(tmp_path / "wire.db")
    with open_index(db, create=True) as index:
        (first,) = index.ingest([copy])
        assert first.status == NEW
        (checked,) = index.check([original])
        (late,) = index.ingest([original])
        assert checked == late
        assert (late.status, late.copies, late.origin) == (COPY, "paper", "wire")
        assert late.cluster == cluster_id(original)
        rows = index.store.rows(["wire", "paper"])
        assert {row.cluster for row in rows.values()} == {cluster_id(original)}
        assert index.stats()["clusters"] == 1
    # the same two stories in one run are judged in date order, as a scan sees them
    with open_index(str(tmp_path / "one-run.db"), create=True) as index:
        verdicts = {v.story.id: v for v in index.ingest([copy, original])}
        assert verdicts["wire"].status == NEW and verdicts["paper"].status == COPY
        assert verdicts["paper"].copies == verdicts["paper"].origin == "wire"


def test_a_write_thru_of_the_same_outlet_is_an_update(tmp_path):
    """A near-duplicate of an earlier story of the same outlet, under another id, is a new
    version of it (``updated``); from another outlet it is a copy."""
    wire = paragraphs(61, 8)
    first = make_story("a-1", wire, outlet="Agency", date="2025-03-01T08:00:00Z")
    again = make_story("a-2", wire + paragraphs(62, 1), outlet="Agency",
                       date="2025-03-01T09:00:00Z")  # fmt: skip
    other = make_story("p-1", wire, outlet="Paper", date="2025-03-01T10:00:00Z")
    for batch in (1, 10):
        with open_index(str(tmp_path / f"wire-{batch}.db"), create=True) as index:
            verdicts = {v.story.id: v for v in index.ingest([other, again, first], batch=batch)}
            assert verdicts["a-1"].status == NEW
            assert (verdicts["a-2"].status, verdicts["a-2"].copies) == (UPDATED, "a-1")
            assert verdicts["a-2"].match.kind == "near-duplicate"
            assert (verdicts["p-1"].status, verdicts["p-1"].copies) == (COPY, "a-1")
            assert index.stats()["stories"] == 3  # both versions are kept


def test_an_outlets_next_day_story_repeating_a_paragraph_is_new(tmp_path):
    """The index decides with the scan's rules: the agency's next-day story, which repeats
    one background paragraph of its first, is new; its write-thru is an update."""
    from test_detect import day_two

    stories = [make_story(key, texts, outlet, date) for key, outlet, date, texts in day_two()]
    for batch in (1, 10):
        with open_index(str(tmp_path / f"day-{batch}.db"), create=True) as index:
            verdicts = {v.story.id: v for v in index.ingest(stories, batch=batch)}
            assert verdicts["day-two"].status == NEW
            assert (verdicts["write-thru"].status, verdicts["write-thru"].copies) == (
                UPDATED,
                "day-one",
            )
            assert (verdicts["local"].status, verdicts["local"].copies) == (COPY, "day-one")


@pytest.mark.parametrize("seed", [0, 1])
def test_a_hard_corpus_ingested_in_shuffled_runs_stores_the_clusters_of_scan(tmp_path, seed):
    """The clusters the index stores as it goes (re-formed at every batch around what it
    touched) are those a scan of everything finds: generated copies, rewrites, boilerplate
    and near misses, ingested in shuffled runs of shuffled batches."""
    from benchmarks import synth

    corpus = tmp_path / "corpus.jsonl"
    synth.write_corpus(corpus, 300, seed=7, mix=synth.HARD, words=300)
    stories, _ = load([str(corpus)])
    expected = scan_stories(stories)
    wanted = {member.id: cluster.id for cluster in expected.clusters for member in cluster.members}
    random.Random(seed).shuffle(stories)
    db = str(tmp_path / "wire.db")
    for start in range(0, len(stories), 60):
        with open_index(db, create=True, window=None) as index:
            list(index.ingest(stories[start : start + 60], batch=25))
    with open_index(db, window=None) as index:
        rows = index.store.rows(story.id for story in stories)
        stored = {story_id: row.cluster for story_id, row in rows.items() if row.cluster}
        assert stored == wanted
        assert index.stats()["clusters"] == len(expected.clusters) > 20


def test_links_copy_leaves_rewrites_out_of_ingest_and_check(tmp_path):
    pair = [str(SAMPLES / "ebc" / "grisling-coal.json"),
            str(SAMPLES / "wire" / "meridian" / "grisling-coal.txt")]  # fmt: skip
    stories, _ = load(pair)
    for links, kind in (("all", "rewrite"), ("copy", None)):
        db = str(tmp_path / f"{links}.db")
        with open_index(db, create=True, changes={"links": links}, window=None) as index:
            verdicts = {v.story.id: v for v in index.ingest(stories)}
            later = max(stories, key=lambda story: story.sort_key).id
            found = verdicts[later].match.kind if verdicts[later].match else None
            assert found == kind and verdicts[later].status == (COPY if kind else NEW)
        other = tuple(s.id for s in stories if s.id != later)
        for asked in ("all", "copy"):  # check judges with this run's settings
            with open_index(db, changes={"links": asked}, window=None) as index:
                (checked,) = index.check([s for s in stories if s.id == later])
            assert checked.status == INDEXED
            assert checked.matches == (other if asked == "all" else ())


def test_stored_fingerprints_read_back_equal_and_damage_is_refused():
    """A fingerprint is stored as its arrays and its token text compressed against the
    story's text: whatever the text (empty, longer than zlib's window, a lone surrogate),
    it reads back equal, and a wrong stored text is a damaged index, not a wrong answer."""
    from dedup.detect.fingerprint import Fingerprinter
    from dedup.engines.index.store import pack_print, pack_text, stored_fingerprint

    long = " ".join(f"Word{n % 997} said the minister on day {n}." for n in range(6000))
    bodies = ["", "Short.", "Café \ud800 über alles. Second sentence here, said he.", long]
    stories = [make_story(f"s{n}", [body] if body else []) for n, body in enumerate(bodies)]
    for story, fingerprint in zip(stories, Fingerprinter().batch(stories)):
        text = pack_text(story.body)
        back = stored_fingerprint(story.key, pack_print(fingerprint, story.body), text, "db")
        assert back.text == fingerprint.text and back.key == fingerprint.key
        for name in ("shingles", "anchors", "units", "unit_keys"):
            mine, theirs = getattr(back, name), getattr(fingerprint, name)
            assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), name
    data = pack_print(fingerprint, story.body)
    with pytest.raises(IndexUnusable, match="fingerprint of s3 is damaged"):
        stored_fingerprint("s3", data[:40], text, "db")  # its arrays: at once
    # Its token text when it is read, which a story read for its shingles never is.
    for damaged, body, what in (
        (data, pack_text(story.body + " Another sentence."), "fingerprint"),
        (data[:-3], text, "fingerprint"),
        (data, b"\x00\x11", "stored text"),
    ):
        back = stored_fingerprint("s3", damaged, body, "db")
        assert np.array_equal(back.shingles, fingerprint.shingles)
        with pytest.raises(IndexUnusable, match=f"{what} of s3 is damaged"):
            back.text  # noqa: B018


def _unit_carriers(db: sqlite3.Connection) -> list[tuple[int, int, int]]:
    """Every (key, stamp, story) the ``units`` rows hold: a row's earliest carrier in its
    columns, the others in ``more`` (a stamp after the row's as 4 bytes, a story as 8)."""
    import struct

    found = []
    for key, stamp, story, more in db.execute("SELECT key, stamp, story, more FROM units"):
        found.append((key, stamp, story))
        for after, other in struct.iter_unpack("<Iq", more or b""):
            found.append((key, stamp + after, other))
    return found


def test_unit_keys_share_rows_and_read_back_as_one_row_a_carrier_would(tmp_path):
    """The carriers of a unit band key that one batch stores within a week share a row;
    a window, a cap and the order (stamp, then story) read them as rows of their own
    would be read, and a pruned story leaves none of its carriers behind."""
    from dedup.engines.index.store import entry_keys

    shared = paragraphs(60, 2)
    days = ["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-20"]
    stories = [
        make_story(f"d{at}", paragraphs(61 + at, 3) + shared, date=f"{day}T12:00:00Z")
        for at, day in enumerate(days)
    ]
    db = str(tmp_path / "wire.db")
    with open_index(db, create=True, window=None) as index:
        list(index.ingest(stories[:3]))  # one batch
        list(index.ingest(stories[3:]))  # another
        keys = entry_keys(index.fingerprinter(stories[0]))[1]
        common = np.intersect1d(keys, entry_keys(index.fingerprinter(stories[3]))[1])
        assert len(common)
        raw = index.store.db
        rows = raw.execute("SELECT count(*) FROM units").fetchone()[0]
        assert rows < len(_unit_carriers(raw))  # some rows hold several carriers
        stamp = {story.id: story.date.timestamp() for story in stories}

        def carriers(low: float, high: float, cap: int) -> list[list[str]]:
            found = index.store.carriers("units", common, low, high, cap)
            assert set(found) <= set(common.tolist())
            return sorted({tuple(i for i, _ in pairs) for pairs in found.values()})

        assert carriers(-np.inf, np.inf, 50) == [("d0", "d1", "d2", "d3")]
        assert carriers(-np.inf, np.inf, 2) == [("d0", "d1")]
        assert carriers(stamp["d1"], np.inf, 2) == [("d1", "d2")]
        assert carriers(stamp["d1"] + 1, stamp["d3"], 50) == [("d2", "d3")]
        assert carriers(stamp["d2"] + 1, stamp["d3"] - 1, 50) == []
        assert index.prune(parse_duration("15d"), now=stamp["d3"]) == 2
        assert carriers(-np.inf, np.inf, 50) == [("d2", "d3")]
        sids = {sid for (sid,) in raw.execute("SELECT sid FROM stories")}
        assert {story for _, _, story in _unit_carriers(raw)} <= sids


def test_a_run_is_cut_into_batches_by_count_and_by_time():
    """A batch holds ``batch`` stories at most, and its stories span ``BATCH_SPAN`` at most:
    a run's few stories spread over a year are judged in batches of weeks, not as one whose
    neighbourhood is the whole year. Undated stories are stamped with the run's time."""
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    from dedup.engines.index.logic import BATCH_SPAN, _batches

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    days = [0, 1, 2, 3, 60, 61, 200, 300, 301]
    stories = [
        replace(make_story(f"s{n}", paragraphs(n, 1)), date=start + timedelta(days=d))
        for n, d in enumerate(days)
    ]
    now = (start + timedelta(days=400)).timestamp()
    undated = [make_story(f"u{n}", paragraphs(50 + n, 1)) for n in range(3)]
    cut = [[s.id for s in part] for part in _batches(stories + undated, 3, now)]
    assert cut == [
        ["s0", "s1", "s2"],
        ["s3"],
        ["s4", "s5"],
        ["s6"],
        ["s7", "s8"],
        ["u0", "u1", "u2"],
    ]
    assert BATCH_SPAN < 60 * DAY  # the span between s3 and s4 cuts there
    assert [len(p) for p in _batches(stories, 100, now)] == [4, 2, 1, 2]
