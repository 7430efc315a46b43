"""The SQLite back end: one file in WAL mode, made and read with the standard library."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from dedup.detect.fingerprint import Fingerprint
from dedup.engines.index.errors import IndexBusy, IndexUnusable
from dedup.engines.index.store import (
    SCHEMA_VERSION,
    BandGroup,
    Carrier,
    Entry,
    Ref,
    Row,
    Store,
    busy_message,
    pack_text,
    stored_fingerprint,
    unpack_text,
    version_message,
)
from dedup.records import story_order


def signed(values: np.ndarray) -> list[int]:
    """uint64 keys as the signed 64-bit integers SQLite stores (same bits)."""
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64).ravel().tolist()


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
    "CREATE TABLE prints (sid INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE texts (sid INTEGER PRIMARY KEY, body BLOB NOT NULL)",
    """CREATE TABLE bands (key INTEGER NOT NULL, story INTEGER NOT NULL,
        PRIMARY KEY (key, story)) WITHOUT ROWID""",
    """CREATE TABLE paragraphs (exact INTEGER NOT NULL, story INTEGER NOT NULL,
        outlet INTEGER NOT NULL, PRIMARY KEY (exact, story)) WITHOUT ROWID""",
)
"""The SQLite layout (``PRAGMA user_version`` = ``SCHEMA_VERSION``). ``bands`` and
``paragraphs`` are WITHOUT ROWID tables keyed on (key, story): the primary key is the index
on key, and it lets a story's rows be deleted by key without a second index."""

_COLUMNS = (
    "s.sid, s.id, s.digest, o.name, s.stamp, s.date, s.ingested, s.headline, s.outlet_name, "
    "s.url, s.path, s.record, s.cluster, s.copy_of"
)
_FROM = "stories s JOIN outlets o ON o.oid = s.outlet"


def _row(values: Sequence[Any]) -> Row:
    (sid, sid_id, digest, outlet_key, stamp, date, ingested, headline, outlet, url, path,
     record, cluster, copy_of) = values  # fmt: skip
    return Row(
        ref=sid,
        id=sid_id,
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


def _carrier(ref: Ref, outlet_key: str, date: str | None, story_id: str) -> Carrier:
    return Carrier(
        story_order(datetime.fromisoformat(date) if date else None, story_id, story_id),
        ref,
        outlet_key,
    )


def _keys(values: Iterable[Any]) -> str:
    return json.dumps(list(values))


class SQLiteStore(Store):
    """One SQLite file in WAL mode: readers never wait for the writer, a killed writer's
    unfinished transaction is rolled back by the next open, and ``<file>.lock`` (an
    ``flock``, released by the kernel when its holder dies) keeps writers to one at a time."""

    kind = "sqlite"

    def __init__(self, path: str, *, create: bool, timeout: float) -> None:
        self.location = path
        self._timeout = timeout
        self._outlets: dict[str, int] = {}
        if not os.path.exists(path):
            if not create:
                raise IndexUnusable(f"no index at {path} (dedup ingest creates one)")
            try:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            except OSError as err:
                raise IndexUnusable(f"cannot create the index {path}: {err}") from None
        try:
            self.db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
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

    def _open(self, create: bool) -> None:
        db = self.db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
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
        db.execute("PRAGMA cache_size=-262144")  # 256 MiB: the hot part of the band keys
        db.execute("PRAGMA temp_store=MEMORY")

    def settings(self) -> dict[str, Any] | None:
        found = self.db.execute("SELECT value FROM meta WHERE name = 'settings'").fetchone()
        return json.loads(found[0]) if found else None

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

    def _one(self, where: str, *args: Any) -> Row | None:
        found = self.db.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE {where}", args).fetchone()
        return _row(found) if found else None

    def by_id(self, story_id: str) -> Row | None:
        return self._one("s.id = ?", story_id)

    def by_content(self, digest: bytes, outlet_key: str) -> Row | None:
        return self._one("s.digest = ? AND o.name = ? ORDER BY s.sid LIMIT 1", digest, outlet_key)

    def neighbours(
        self, fingerprint: Fingerprint, passages: Sequence[int], cap: int, exclude: Ref | None
    ) -> list[BandGroup]:
        if not len(passages):
            return []
        positions = np.searchsorted(fingerprint.passages, np.asarray(passages))
        keys = sorted(set(signed(fingerprint.bands[positions])))
        found = self.db.execute(
            "SELECT k.value, (SELECT group_concat(story) FROM (SELECT story FROM bands "
            "WHERE key = k.value AND story != ?2 LIMIT ?3)) FROM json_each(?1) k",
            (_keys(keys), -1 if exclude is None else exclude, cap + 1),
        ).fetchall()
        groups = []
        for key, members in found:
            if members:
                refs = [int(ref) for ref in members.split(",")]
                groups.append(BandGroup(key, refs, len(refs) <= cap))
        return groups

    def group_in_window(
        self, handle: Any, low: float, high: float, exclude: Ref | None
    ) -> list[Ref]:
        found = self.db.execute(
            "SELECT b.story FROM bands b JOIN stories s ON s.sid = b.story WHERE b.key = ? "
            "AND b.story != ? AND s.stamp BETWEEN ? AND ?",
            (handle, -1 if exclude is None else exclude, low, high),
        )
        return [ref for (ref,) in found]

    def rows(self, refs: Iterable[Ref]) -> dict[Ref, Row]:
        found = self.db.execute(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.sid IN (SELECT value FROM json_each(?))",
            (_keys(refs),),
        )
        return {row.ref: row for row in map(_row, found)}

    def fingerprints(self, refs: Iterable[Ref]) -> dict[Ref, Fingerprint]:
        found = self.db.execute(
            "SELECT p.sid, s.id, p.data FROM prints p JOIN stories s ON s.sid = p.sid "
            "WHERE p.sid IN (SELECT value FROM json_each(?))",
            (_keys(refs),),
        )
        return {
            sid: stored_fingerprint(story_id, data, self.location) for sid, story_id, data in found
        }

    def paragraph_counts(
        self, exacts: Iterable[int], cap: int, exclude: Ref | None
    ) -> dict[int, int]:
        keys = list(exacts)
        if not keys:
            return {}
        found = self.db.execute(
            "SELECT k.value, (SELECT count(*) FROM (SELECT 1 FROM paragraphs WHERE exact = k.value "
            "AND story != ?2 LIMIT ?3)) FROM json_each(?1) k",
            (
                _keys(signed(np.array(keys, dtype=np.uint64))),
                -1 if exclude is None else exclude,
                cap,
            ),
        ).fetchall()
        return {key: count for key, (_, count) in zip(keys, found)}

    def paragraph_carriers(self, exact: int) -> list[Carrier]:
        found = self.db.execute(
            "SELECT p.story, o.name, s.date, s.id FROM paragraphs p "
            "JOIN outlets o ON o.oid = p.outlet JOIN stories s ON s.sid = p.story "
            "WHERE p.exact = ?",
            (signed(np.array([exact], dtype=np.uint64))[0],),
        )
        return [_carrier(*values) for values in found]

    def cluster_members(self, cluster: str) -> list[Row]:
        found = self.db.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.cluster = ?", (cluster,))
        return [_row(values) for values in found]

    def _outlet(self, name: str) -> int:
        oid = self._outlets.get(name)
        if oid is None:
            self.db.execute("INSERT OR IGNORE INTO outlets (name) VALUES (?)", (name,))
            oid = self.db.execute("SELECT oid FROM outlets WHERE name = ?", (name,)).fetchone()[0]
            self._outlets[name] = oid
        return oid

    def add(self, entry: Entry) -> Ref:
        story, fingerprint = entry.story, entry.fingerprint
        oid = self._outlet(entry.outlet_key)
        sid = self.db.execute(
            "INSERT INTO stories (id, digest, outlet, stamp, date, ingested, headline, "
            "outlet_name, url, path, record, cluster, copy_of) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                story.id,
                entry.digest,
                oid,
                entry.stamp,
                story.date.isoformat() if story.date else None,
                entry.ingested,
                story.headline,
                story.outlet,
                story.url,
                story.path,
                story.record,
                entry.cluster,
                entry.copy_of,
            ),
        ).lastrowid
        self.db.execute("INSERT INTO prints VALUES (?, ?)", (sid, fingerprint.to_bytes()))
        self.db.execute("INSERT INTO texts VALUES (?, ?)", (sid, pack_text(story.body)))
        self.db.execute(
            "INSERT OR IGNORE INTO bands SELECT value, ? FROM json_each(?)",
            (sid, _keys(sorted(set(signed(fingerprint.bands))))),
        )
        exacts = sorted(set(signed(fingerprint.exact)) - {0})
        self.db.execute(
            "INSERT OR IGNORE INTO paragraphs SELECT value, ?, ? FROM json_each(?)",
            (sid, oid, _keys(exacts)),
        )
        return sid

    def set_cluster(self, ref: Ref, cluster: str) -> None:
        self.db.execute("UPDATE stories SET cluster = ? WHERE sid = ?", (cluster, ref))

    def remove(self, ref: Ref) -> None:
        found = self.db.execute(
            "SELECT s.id, p.data FROM stories s JOIN prints p ON p.sid = s.sid WHERE s.sid = ?",
            (ref,),
        ).fetchone()
        if found is not None:
            fingerprint = stored_fingerprint(found[0], found[1], self.location)
            self.db.execute(
                "DELETE FROM bands WHERE story = ?1 AND key IN (SELECT value FROM json_each(?2))",
                (ref, _keys(set(signed(fingerprint.bands)))),
            )
            self.db.execute(
                "DELETE FROM paragraphs WHERE story = ?1 AND exact IN "
                "(SELECT value FROM json_each(?2))",
                (ref, _keys(set(signed(fingerprint.exact)) - {0})),
            )
        for table in ("prints", "texts", "stories"):
            self.db.execute(f"DELETE FROM {table} WHERE sid = ?", (ref,))

    def select(self, since: float | None) -> Iterator[tuple[Row, Fingerprint]]:
        found = self.db.execute(
            f"SELECT {_COLUMNS}, p.data FROM {_FROM} JOIN prints p ON p.sid = s.sid "
            "WHERE s.stamp >= ?",
            (-math.inf if since is None else since,),
        )
        for values in found:
            row = _row(values[:-1])
            yield row, stored_fingerprint(row.id, values[-1], self.location)

    def older_than(self, cutoff: float, limit: int) -> list[Ref]:
        found = self.db.execute(
            "SELECT sid FROM stories WHERE stamp < ? ORDER BY stamp LIMIT ?", (cutoff, limit)
        )
        return [sid for (sid,) in found]

    def text(self, ref: Ref) -> str:
        found = self.db.execute("SELECT body FROM texts WHERE sid = ?", (ref,)).fetchone()
        return unpack_text(found[0]) if found else ""

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


def _is_busy(err: sqlite3.OperationalError) -> bool:
    text = str(err).lower()
    return "locked" in text or "busy" in text
