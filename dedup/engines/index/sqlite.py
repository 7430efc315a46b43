"""The SQLite back end: one file in WAL mode, made and read with the standard library."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from dedup.detect.fingerprint import Fingerprint
from dedup.engines.index.errors import IndexBusy, IndexUnusable
from dedup.engines.index.store import (
    ANCHORS,
    SCHEMA_VERSION,
    UNITS,
    Entry,
    Row,
    Store,
    busy_message,
    entry_keys,
    pack_print,
    pack_text,
    stored_fingerprint,
    unpack_text,
    version_message,
)
from dedup.records import Match


def lookup(values: np.ndarray) -> list[int]:
    """uint64 keys as stored in the key tables: their top 48 bits, centred on 0, so that
    SQLite stores each in 6 bytes rather than 8. Two keys of the stories within a window
    agree on them by chance with a probability of about (keys in the window) / 2^48; such
    a stray carrier only widens the stories judged, which the core then decides on their
    whole keys."""
    return stored_keys(values).tolist()


def stored_keys(values: np.ndarray) -> np.ndarray:
    """``lookup`` as an int64 array."""
    top = np.ascontiguousarray(values, dtype=np.uint64).ravel() >> np.uint64(16)
    return top.astype(np.int64) - (1 << 47)


def _key_rows(
    keys: list[np.ndarray], stamps: np.ndarray, owners: np.ndarray
) -> Iterator[tuple[int, int, int, int]]:
    """The rows of a key table for stories' keys (``(week, key, stamp, story)``), made in
    one array step and sorted as the table is: inserted in its order, each B-tree page is
    visited once per batch rather than once per row."""
    found = _carriers(keys, stamps, owners)
    if not found:
        return iter(())
    key, stamp, owner = found
    week = np.floor_divide(stamp, SPAN)
    return (row for part in _slices(week, key, stamp, owner) for row in zip(*part))


_ROWS = 1 << 15
"""Rows made into Python values at a time for ``executemany``: a batch of thousands of
stories stores hundreds of thousands, which as lists of Python integers all at once took
more memory than anything else an ingest holds."""


def _slices(*columns: np.ndarray) -> Iterator[list[list[Any]]]:
    """Equally long ``columns`` as Python values, ``_ROWS`` rows at a time."""
    for low in range(0, len(columns[0]), _ROWS):
        yield [column[low : low + _ROWS].tolist() for column in columns]


def _carriers(
    keys: list[np.ndarray], stamps: np.ndarray, owners: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Stories' keys as (stored key, stamp, story) arrays sorted as the key tables are: by
    the ``SPAN`` their stamp lies in (its week), then in that order; None when there are
    none."""
    counts = np.array([len(found) for found in keys], dtype=np.int64)
    if not counts.sum():
        return None
    key = stored_keys(np.concatenate(keys))
    stamp = np.repeat(stamps, counts)
    owner = np.repeat(owners, counts)
    order = np.lexsort((owner, stamp, key, np.floor_divide(stamp, SPAN)))
    return key[order], stamp[order], owner[order]


SPAN = 7 * 86400
"""Seconds of a *week* (counted from the epoch), the first column of the key tables, so that
a batch of one day's stories writes its rows into that week's pages rather than into pages
all over the file; and within which the carriers of a unit band key that one batch stores
share one ``units`` row. A window is days and wire copies follow within hours. On 20,000
generated stories, 0.38 of a row a carrier."""
_MORE = np.dtype([("at", "<u4"), ("story", "<i8")])
"""A ``units`` row's other carriers (``more``): each one's stamp after the row's, and its
story."""


def _unit_rows(
    keys: list[np.ndarray], stamps: np.ndarray, owners: np.ndarray
) -> Iterator[tuple[int, int, int, int, bytes | None]]:
    """The ``units`` rows ``(week, key, stamp, story, more)`` for stories' unit band keys,
    in the table's order: one a key and week (``SPAN``) of its carriers' stamps, holding its
    earliest carrier (by stamp, then story) in its columns and the others in ``more`` (None
    when there are none). A reader takes the rows of the weeks its window meets."""
    found = _carriers(keys, stamps, owners)
    return _grouped(*found) if found else iter(())


def _grouped(
    key: np.ndarray, stamp: np.ndarray, owner: np.ndarray
) -> Iterator[tuple[int, int, int, int, bytes | None]]:
    """``_unit_rows`` of carriers given as stored keys (``stored_keys``), stamps and
    stories, sorted as ``_carriers`` sorts them (a row's carriers are stored so)."""
    same = (key[1:] == key[:-1]) & (stamp[1:] == stamp[:-1]) & (owner[1:] == owner[:-1])
    if same.any():  # two keys of a story equal in their top 48 bits: stored once
        kept = np.concatenate(([True], ~same))
        key, stamp, owner = key[kept], stamp[kept], owner[kept]
    span = np.floor_divide(stamp, SPAN)
    starts = np.flatnonzero(
        np.concatenate(([True], (key[1:] != key[:-1]) | (span[1:] != span[:-1])))
    )
    ends = np.append(starts[1:], len(key))
    more = np.empty(len(key), dtype=_MORE)
    more["at"] = stamp - np.repeat(stamp[starts], ends - starts)
    more["story"] = owner
    packed = more.tobytes()
    size = _MORE.itemsize
    heads = (span[starts], key[starts], stamp[starts], owner[starts])
    for first, last, *columns in _slices(starts, ends, *heads):
        blobs = [
            packed[(start + 1) * size : end * size] if end - start > 1 else None
            for start, end in zip(first, last)
        ]
        yield from zip(*columns, blobs)


def _unit_carriers(
    rows: Sequence[tuple[int, int, int, bytes | None]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every carrier the ``units`` rows ``(at, stamp, story, more)`` hold, as arrays of
    ``at`` (whatever the rows were read for), stamp and story."""
    at = np.array([row[0] for row in rows], dtype=np.int64)
    stamp = np.array([row[1] for row in rows], dtype=np.int64)
    story = np.array([row[2] for row in rows], dtype=np.int64)
    extra = [(number, row[3]) for number, row in enumerate(rows) if row[3]]
    if not extra:
        return at, stamp, story
    more = np.frombuffer(b"".join(bytes(blob) for _, blob in extra), dtype=_MORE)
    sizes = np.array([len(blob) // _MORE.itemsize for _, blob in extra], dtype=np.int64)
    held = np.repeat(np.array([number for number, _ in extra], dtype=np.int64), sizes)
    return (
        np.concatenate((at, at[held])),
        np.concatenate((stamp, stamp[held] + more["at"].astype(np.int64))),
        np.concatenate((story, more["story"])),
    )


def second(stamp: float) -> int:
    """A stamp as the key tables store it: whole seconds (an integer of 4 bytes, not a
    float of 8), clamped to what SQLite holds."""
    return math.floor(min(max(stamp, -(2.0**62)), 2.0**62))


_SCHEMA = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE outlets (oid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    """CREATE TABLE stories (
        sid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        digest BLOB NOT NULL,
        outlet INTEGER NOT NULL REFERENCES outlets(oid),
        stamp REAL NOT NULL,
        date TEXT,
        ingested REAL NOT NULL,
        headline TEXT NOT NULL,
        outlet_name TEXT NOT NULL,
        url TEXT NOT NULL,
        path TEXT,
        record INTEGER,
        cluster TEXT,
        copy_of TEXT)""",
    "CREATE INDEX stories_stamp ON stories(stamp)",
    "CREATE INDEX stories_digest ON stories(digest)",
    "CREATE INDEX stories_cluster ON stories(cluster) WHERE cluster IS NOT NULL",
    "CREATE TABLE texts (sid INTEGER PRIMARY KEY, body BLOB NOT NULL, print BLOB NOT NULL)",
    """CREATE TABLE anchors (week INTEGER NOT NULL, key INTEGER NOT NULL,
        stamp INTEGER NOT NULL, story INTEGER NOT NULL,
        PRIMARY KEY (week, key, stamp, story)) WITHOUT ROWID""",
    """CREATE TABLE units (week INTEGER NOT NULL, key INTEGER NOT NULL,
        stamp INTEGER NOT NULL, story INTEGER NOT NULL, more BLOB,
        PRIMARY KEY (week, key, stamp, story)) WITHOUT ROWID""",
    "CREATE TABLE weeks (week INTEGER PRIMARY KEY)",
    """CREATE TABLE matches (a INTEGER NOT NULL, b INTEGER NOT NULL, shared INTEGER NOT NULL,
        resemblance REAL NOT NULL, containment REAL NOT NULL, kind TEXT NOT NULL,
        coverage REAL NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID""",
    "CREATE INDEX matches_b ON matches(b)",
)
"""The SQLite layout (``PRAGMA user_version`` = ``SCHEMA_VERSION``). ``anchors`` and
``units`` are WITHOUT ROWID tables keyed on (week, key, stamp, story): the primary key is the
index on key within each week (``SPAN``), ordered by stamp, so the carriers of a key within
a window are one range read in each week the window meets (``weeks`` lists the weeks rows
were written in; a week emptied by ``prune`` stays listed, which costs a read that finds
nothing), a day's stories write their rows into one week's pages, and a story's rows
are deleted by key without a second index. Their
keys are the top 48 bits (``lookup``) and their stamps whole seconds (``second``): a row
takes about 17 bytes rather than 25. ``units`` would be most of an index, and of an
ingest's time (a row costs about the same to insert whatever it holds), at a row per story
and key: a row there holds every carrier of its key that one batch stores within one
``SPAN`` (``_unit_rows``), its earliest in the key's columns, the others in ``more``.
``texts`` holds a story's text with its fingerprint, which is read with the text
(``pack_print``): one row of about 10 kB fills its overflow pages, where a 2 kB text alone
left a quarter of its page empty."""

_COLUMNS = (
    "s.id, s.digest, o.name, s.stamp, s.date, s.ingested, s.headline, s.outlet_name, "
    "s.url, s.path, s.record, s.cluster, s.copy_of"
)
_FROM = "stories s JOIN outlets o ON o.oid = s.outlet"
_CHOSEN = "(SELECT sid FROM stories WHERE id IN (SELECT value FROM json_each(?1)))"
"""The stories named by the JSON list of ids bound as ``?1``."""


def _row(values: Sequence[Any]) -> Row:
    (story_id, digest, outlet_key, stamp, date, ingested, headline, outlet, url, path,
     record, cluster, copy_of) = values  # fmt: skip
    return Row(
        id=story_id,
        digest=bytes(digest),
        outlet_key=outlet_key,
        stamp=stamp,
        date=datetime.fromisoformat(date) if date else None,
        ingested=ingested,
        headline=headline,
        outlet=outlet,
        url=url,
        path=path,
        record=record,
        cluster=cluster,
        copy_of=copy_of,
    )


def _json(values: Iterable[Any]) -> str:
    return json.dumps(list(values))


def _writable(path: str) -> bool:
    """Whether this user may write the index: the file and its folder (WAL mode keeps its
    ``-wal`` and ``-shm`` files beside it)."""
    folder = os.path.dirname(os.path.abspath(path))
    return os.access(path, os.W_OK) and os.access(folder, os.W_OK)


def _connect(path: str, timeout: float, *, writable: bool) -> sqlite3.Connection:
    """Open the index; one this user may not write (a read-only folder, an archive mounted
    read-only, another user's index) is opened read-only, so that ``stats``, ``check`` and
    ``scan --db`` still read it. SQLite cannot share WAL memory from a folder it cannot
    write: then the file is read as immutable, which is right while no one writes it."""
    if writable:
        return sqlite3.connect(path, timeout=timeout, isolation_level=None)
    uri = "file:" + urllib.parse.quote(os.path.abspath(path))
    try:
        db = sqlite3.connect(uri + "?mode=ro", timeout=timeout, isolation_level=None, uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        return sqlite3.connect(
            uri + "?immutable=1", timeout=timeout, isolation_level=None, uri=True
        )


class SQLiteStore(Store):
    """One SQLite file in WAL mode: readers never wait for the writer, a killed writer's
    unfinished transaction is rolled back by the next open, and ``<file>.lock`` (an
    ``flock``, released by the kernel when its holder dies) keeps writers to one at a time."""

    kind = "sqlite"

    def __init__(self, path: str, *, create: bool, timeout: float) -> None:
        self.location = path
        self._timeout = timeout
        self._outlets: dict[str, int] = {}
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.exists(path):
            if not create:
                raise IndexUnusable(f"no index at {path} (dedup ingest creates one)")
            if not os.path.isdir(folder):
                raise IndexUnusable(f"cannot create the index {path}: no folder {folder}")
        elif not os.path.isfile(path):
            raise IndexUnusable(f"{path} is not a file, not an index")
        elif not _looks_like_sqlite(path):
            raise IndexUnusable(f"{path} is not a wire-dedup index (not an SQLite file)")
        try:
            self.db = _connect(path, timeout, writable=create or _writable(path))
            self._refuse_foreign()  # before any lock file is made beside it
            if create:  # two runs creating one index at once: the lock makes one wait
                with self.exclusive(timeout):
                    self._open(create)
            else:
                self._open(create)
        except sqlite3.OperationalError as err:
            if _is_busy(err):
                raise IndexBusy(f"{path} is busy: another run holds it ({err})") from None
            raise IndexUnusable(f"{path}: cannot open the index ({err})") from None
        except sqlite3.DatabaseError as err:
            raise IndexUnusable(f"{path}: not a usable index ({err})") from None

    def _refuse_foreign(self) -> None:
        """Refuse an SQLite database that is not an index, or an index of another schema."""
        version, tables = self._layout()
        if version == 0:
            if tables:
                raise IndexUnusable(
                    f"{self.location} is an SQLite database, not a wire-dedup index"
                )
        elif version != SCHEMA_VERSION:
            raise IndexUnusable(version_message(self.location, version))

    def _layout(self) -> tuple[int, int]:
        """The schema version and the number of tables, read together: a run making the
        index commits both at once, so another run never sees one without the other."""
        found = self.db.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), "
            "(SELECT count(*) FROM sqlite_master)"
        ).fetchone()
        return int(found[0]), int(found[1])

    def _open(self, create: bool) -> None:
        db = self.db
        version, tables = self._layout()
        if version == 0:
            if tables:
                raise IndexUnusable(
                    f"{self.location} is an SQLite database, not a wire-dedup index"
                )
            if not create:
                raise IndexUnusable(
                    f"{self.location} is empty, not an index (dedup ingest creates one)"
                )
            db.execute("PRAGMA journal_mode=WAL")
            with self.writing():
                if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                    for statement in _SCHEMA:
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            version = SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            raise IndexUnusable(version_message(self.location, version))
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA cache_size=-262144")  # 256 MiB: the hot part of the keys
        db.execute("PRAGMA temp_store=MEMORY")

    def settings(self) -> dict[str, Any] | None:
        found = self.db.execute("SELECT value FROM meta WHERE name = 'settings'").fetchone()
        if not found:
            return None
        try:
            value = json.loads(found[0])
        except ValueError as err:
            raise IndexUnusable(
                f"{self.location}: its stored settings are damaged ({err}); rebuild the index"
            ) from None
        if not isinstance(value, dict):
            raise IndexUnusable(f"{self.location}: its stored settings are damaged")
        return value

    def initialise(self, settings: dict[str, Any]) -> dict[str, Any]:
        with self.writing():
            self.db.executemany(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                [("settings", json.dumps(settings)), ("created", str(time.time()))],
            )
        stored = self.settings()
        assert stored is not None
        return stored

    @contextlib.contextmanager
    def exclusive(self, timeout: float) -> Iterator[None]:
        import fcntl

        try:
            handle = os.open(self.location + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise IndexUnusable(f"cannot lock the index {self.location}: {err}") from None
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(busy_message(self.location, timeout)) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(handle)  # closing releases the lock

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        if self.db.in_transaction:
            yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if _is_busy(err):
                raise IndexBusy(busy_message(self.location, self._timeout)) from None
            raise
        try:
            yield
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            if self.db.in_transaction:
                self.db.execute("COMMIT")

    def rows(self, ids: Iterable[str]) -> dict[str, Row]:
        found = self.db.execute(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.id IN (SELECT value FROM json_each(?))",
            (_json(ids),),
        )
        return {row.id: row for row in map(_row, found)}

    def by_content(self, digest: bytes, outlet_key: str) -> Row | None:
        found = self.db.execute(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.digest = ? AND o.name = ? "
            "ORDER BY s.sid LIMIT 1",
            (digest, outlet_key),
        ).fetchone()
        return _row(found) if found else None

    def carriers(
        self, kind: str, keys: np.ndarray, low: float, high: float, cap: int
    ) -> dict[int, list[tuple[str, str | None]]]:
        assert kind in (ANCHORS, UNITS)
        if not len(keys):
            return {}
        # The carriers as story numbers, named once each afterwards: most keys of a batch
        # are carried by nobody or by the same few stories.
        if kind == UNITS:
            found = self._unit_carriers(keys, second(low), second(high), cap)
        else:
            found = [
                (at, [int(sid) for sid in members.split(",")])
                for at, members in self.db.execute(
                    "SELECT at, members FROM (SELECT k.key AS at, (SELECT group_concat(story) "
                    "FROM (SELECT a.story FROM json_each(?5) w CROSS JOIN anchors a ON a.week = "
                    "w.value AND a.key = k.value AND a.stamp BETWEEN ?2 AND ?3 "
                    "ORDER BY a.stamp, a.story LIMIT ?4)) AS members FROM json_each(?1) k) "
                    "WHERE members IS NOT NULL",
                    (_json(lookup(keys)), second(low), second(high), cap, self._weeks(low, high)),
                )
            ]
        if not found:
            return {}
        lists = [members for _, members in found]
        names = {
            sid: (story_id, cluster)
            for sid, story_id, cluster in self.db.execute(
                "SELECT sid, id, cluster FROM stories WHERE sid IN "
                "(SELECT value FROM json_each(?))",
                (_json({sid for members in lists for sid in members}),),
            )
        }
        wanted = keys.tolist()
        carriers = {}
        for (at, _), members in zip(found, lists):
            named = [names[sid] for sid in members if sid in names]
            if named:
                carriers[int(wanted[at])] = named
        return carriers

    def _unit_carriers(
        self, keys: np.ndarray, low: int, high: int, cap: int
    ) -> list[tuple[int, list[int]]]:
        """``carriers`` of unit band keys as story numbers: each key's ``cap`` earliest
        carriers stamped in [low, high] (by stamp, then story, as a range read of a key
        gives them), with the key's position in ``keys``, in that order."""
        rows = self.db.execute(
            "SELECT k.key, u.stamp, u.story, u.more FROM json_each(?1) k "  # in this order:
            "CROSS JOIN json_each(?2) w CROSS JOIN units u "  # a seek a key and week
            "ON u.week = w.value AND u.key = k.value",
            (_json(lookup(keys)), self._weeks(low, high)),
        ).fetchall()
        if not rows:
            return []
        at, stamp, story = _unit_carriers(rows)
        inside = (stamp >= low) & (stamp <= high)
        at, stamp, story = at[inside], stamp[inside], story[inside]
        order = np.lexsort((story, stamp, at))
        at, story = at[order], story[order]
        starts = np.flatnonzero(np.concatenate(([True], at[1:] != at[:-1])))
        rank = np.arange(len(at)) - np.repeat(starts, np.diff(np.append(starts, len(at))))
        kept = rank < cap
        at, story = at[kept].tolist(), story[kept].tolist()
        found: list[tuple[int, list[int]]] = []
        for position, sid in zip(at, story):
            if not found or found[-1][0] != position:
                found.append((position, []))
            found[-1][1].append(sid)
        return found

    def _weeks(self, low: float, high: float) -> str:
        """The weeks (``SPAN``) holding key rows that [low, high] meets, as a JSON list."""
        found = self.db.execute(
            "SELECT week FROM weeks WHERE week BETWEEN ? AND ?",
            (second(low) // SPAN, second(high) // SPAN),
        )
        return _json(week for (week,) in found)

    def linked(self, ids: Iterable[str]) -> set[str]:
        found = self.db.execute(
            f"SELECT s.id FROM matches m JOIN stories s ON s.sid = m.b WHERE m.a IN {_CHOSEN} "
            "UNION SELECT s.id FROM matches m JOIN stories s ON s.sid = m.a "
            f"WHERE m.b IN {_CHOSEN}",
            (_json(ids),),
        )
        return {story_id for (story_id,) in found}

    def matches(self, ids: Iterable[str]) -> list[Match]:
        found = self.db.execute(
            "SELECT sa.id, sb.id, m.shared, m.resemblance, m.containment, m.kind, m.coverage "
            "FROM matches m JOIN stories sa ON sa.sid = m.a JOIN stories sb ON sb.sid = m.b "
            f"WHERE m.a IN {_CHOSEN} AND +m.b IN {_CHOSEN}",  # + : one index probe per a
            (_json(ids),),
        )
        return [Match(*values) for values in found]

    def fingerprints(self, ids: Iterable[str]) -> dict[str, Fingerprint]:
        found = self.db.execute(
            "SELECT s.id, t.print, t.body FROM texts t JOIN stories s ON s.sid = t.sid "
            "WHERE s.id IN (SELECT value FROM json_each(?))",
            (_json(ids),),
        )
        return {
            story_id: stored_fingerprint(story_id, data, body, self.location)
            for story_id, data, body in found
        }

    def _outlet(self, name: str) -> int:
        oid = self._outlets.get(name)
        if oid is None:
            self.db.execute("INSERT OR IGNORE INTO outlets (name) VALUES (?)", (name,))
            oid = self.db.execute("SELECT oid FROM outlets WHERE name = ?", (name,)).fetchone()[0]
            self._outlets[name] = oid
        return oid

    def _sids(self, ids: Iterable[str]) -> dict[str, int]:
        found = self.db.execute(
            "SELECT id, sid FROM stories WHERE id IN (SELECT value FROM json_each(?))",
            (_json(ids),),
        )
        return dict(found.fetchall())

    def add(self, entries: list[Entry]) -> None:
        if not entries:
            return
        db = self.db
        db.executemany(
            "INSERT INTO stories (id, digest, outlet, stamp, date, ingested, headline, "
            "outlet_name, url, path, record, copy_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.story.id,
                    e.digest,
                    self._outlet(e.outlet_key),
                    e.stamp,
                    e.story.date.isoformat() if e.story.date else None,
                    e.ingested,
                    e.story.headline,
                    e.story.outlet,
                    e.story.url,
                    e.story.path,
                    e.story.record,
                    e.copy_of,
                )
                for e in entries
            ],
        )
        sids = self._sids(e.story.id for e in entries)
        db.executemany(
            "INSERT INTO texts VALUES (?, ?, ?)",
            [
                (sids[e.story.id], pack_text(e.story.body), pack_print(e.fingerprint, e.story.body))
                for e in entries
            ],
        )
        keys = [entry_keys(e.fingerprint) for e in entries]
        stamps = np.array([second(e.stamp) for e in entries], dtype=np.int64)
        owners = np.array([sids[e.story.id] for e in entries], dtype=np.int64)
        db.executemany(
            "INSERT OR IGNORE INTO weeks VALUES (?)",
            [(week,) for week in np.unique(np.floor_divide(stamps, SPAN)).tolist()],
        )
        db.executemany(
            "INSERT OR IGNORE INTO anchors VALUES (?, ?, ?, ?)",
            _key_rows([found[0] for found in keys], stamps, owners),
        )
        db.executemany(
            "INSERT INTO units VALUES (?, ?, ?, ?, ?)",
            _unit_rows([found[1] for found in keys], stamps, owners),
        )

    def remove(self, ids: Iterable[str]) -> None:
        db = self.db
        found = db.execute(
            "SELECT s.sid, s.id, s.stamp, t.print, t.body FROM stories s "
            "JOIN texts t ON t.sid = s.sid "
            "WHERE s.id IN (SELECT value FROM json_each(?))",
            (_json(ids),),
        ).fetchall()
        held = []  # (key, first stamp a row holding it may have, its stamp)
        for sid, story_id, stamp, data, body in found:
            anchors, units = entry_keys(stored_fingerprint(story_id, data, body, self.location))
            whole = second(stamp)
            week = whole // SPAN
            db.executemany(
                "DELETE FROM anchors WHERE week = ? AND key = ? AND stamp = ? AND story = ?",
                ((week, key, whole, sid) for key in lookup(anchors)),
            )
            held += [(key, week, whole) for key in lookup(units)]
        self._remove_units(held, {sid for sid, *_ in found})
        chosen = _json(sid for sid, *_ in found)
        db.execute(
            "DELETE FROM matches WHERE a IN (SELECT value FROM json_each(?1)) "
            "OR b IN (SELECT value FROM json_each(?1))",
            (chosen,),
        )
        for table in ("texts", "stories"):
            db.execute(
                f"DELETE FROM {table} WHERE sid IN (SELECT value FROM json_each(?))", (chosen,)
            )

    def _remove_units(self, held: list[tuple[int, int, int]], sids: set[int]) -> None:
        """Take the stories ``sids`` out of the ``units`` rows that may hold them (``held``:
        a key, its week and the latest stamp its row's may be): a row is written again with
        the carriers left, its earliest in its columns."""
        if not held:
            return
        rows = set(
            self.db.execute(
                "SELECT u.week, u.key, u.stamp, u.story, u.more FROM json_each(?) j "
                "CROSS JOIN units u "
                "ON u.week = json_extract(j.value, '$[1]') "
                "AND u.key = json_extract(j.value, '$[0]') "
                "AND u.stamp <= json_extract(j.value, '$[2]')",
                (_json([list(item) for item in held]),),
            ).fetchall()
        )
        for week, key, stamp, story, more in sorted(rows, key=lambda row: row[:4]):
            _, stamps, stories = _unit_carriers([(key, stamp, story, more)])
            left = np.isin(stories, list(sids), invert=True)
            if left.all():
                continue
            self.db.execute(
                "DELETE FROM units WHERE week = ? AND key = ? AND stamp = ? AND story = ?",
                (week, key, stamp, story),
            )
            if left.any():
                kept = int(np.count_nonzero(left))
                self.db.executemany(
                    "INSERT INTO units VALUES (?, ?, ?, ?, ?)",
                    _grouped(np.full(kept, key, dtype=np.int64), stamps[left], stories[left]),
                )

    def replace_matches(self, ids: set[str], matches: list[Match]) -> None:
        sids = self._sids(ids)
        chosen = _json(sids.values())
        self.db.execute(
            "DELETE FROM matches WHERE a IN (SELECT value FROM json_each(?1)) "
            "AND +b IN (SELECT value FROM json_each(?1))",  # not a probe per (a, b)
            (chosen,),
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO matches VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (sids[m.a], sids[m.b], m.shared, m.resemblance, m.containment, m.kind, m.coverage)
                for m in matches
            ],
        )

    def set_clusters(self, clusters: dict[str, str | None]) -> None:
        self.db.executemany(
            "UPDATE stories SET cluster = ? WHERE id = ?",
            [(cluster, story_id) for story_id, cluster in clusters.items()],
        )

    def cluster_members(self, cluster: str) -> list[Row]:
        found = self.db.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.cluster = ?", (cluster,))
        return [_row(values) for values in found]

    def select(self, since: float | None) -> Iterator[tuple[Row, Fingerprint]]:
        found = self.db.execute(
            f"SELECT {_COLUMNS}, t.print, t.body FROM {_FROM} JOIN texts t ON t.sid = s.sid "
            "WHERE s.stamp >= ?",
            (-1e300 if since is None else since,),
        )
        for values in found:
            row = _row(values[:-2])
            yield row, stored_fingerprint(row.id, values[-2], values[-1], self.location)

    def older_than(self, cutoff: float, limit: int) -> list[str]:
        found = self.db.execute(
            "SELECT id FROM stories WHERE stamp < ? ORDER BY stamp LIMIT ?", (cutoff, limit)
        )
        return [story_id for (story_id,) in found]

    def text(self, story_id: str) -> str:
        found = self.db.execute(
            "SELECT t.body FROM texts t JOIN stories s ON s.sid = t.sid WHERE s.id = ?",
            (story_id,),
        ).fetchone()
        return unpack_text(found[0], story_id, self.location) if found else ""

    def counts(self) -> dict[str, Any]:
        db = self.db
        stories, oldest, newest, last = db.execute(
            "SELECT count(*), min(stamp), max(stamp), max(ingested) FROM stories"
        ).fetchone()
        clusters, clustered = db.execute(
            "SELECT count(DISTINCT cluster), count(cluster) FROM stories"
        ).fetchone()
        copies = db.execute("SELECT count(*) FROM stories WHERE copy_of IS NOT NULL").fetchone()[0]
        outlets = db.execute("SELECT count(DISTINCT outlet) FROM stories").fetchone()[0]
        matches = db.execute("SELECT count(*) FROM matches").fetchone()[0]
        size = sum(
            os.path.getsize(self.location + suffix)
            for suffix in ("", "-wal", "-shm")
            if os.path.exists(self.location + suffix)
        )
        return {
            "stories": stories,
            "clusters": clusters,
            "clustered": clustered,
            "copies": copies,
            "matches": matches,
            "outlets": outlets,
            "oldest": oldest,
            "newest": newest,
            "last_ingest": last,
            "bytes": size,
        }

    def checkpoint(self, vacuum: bool = False) -> None:
        """Fold the write-ahead log into the file (and, with ``vacuum``, give freed pages back
        to the file system) after a prune."""
        if vacuum:
            self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.db.close()


_MAGIC = b"SQLite format 3\x00"


def _looks_like_sqlite(path: str) -> bool:
    """Whether an existing file is an SQLite database (or empty, as a new index starts), so
    that no lock file is made beside, and nothing written into, a file that is not one."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_MAGIC))
    except OSError as err:
        raise IndexUnusable(f"cannot read the index {path}: {err.strerror}") from None
    return head in (b"", _MAGIC)


def _is_busy(err: sqlite3.OperationalError) -> bool:
    text = str(err).lower()
    return "locked" in text or "busy" in text
