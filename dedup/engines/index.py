"""The persistent index: stories seen over days, asked "new or a copy?" one run at a time.

A cron job that runs every few minutes cannot rescan everything it has seen. The index keeps,
for every story, what the scan pipeline would compute again: metadata, the fingerprint
(``Fingerprint.to_bytes``), the LSH band keys, the exact keys of its paragraphs (for
boilerplate), the cluster it joined, and its text (so diffs still work once the source file
is gone). Two backends hold it: one SQLite file (the default, stdlib ``sqlite3`` in WAL mode)
or a Redis server shared by several hosts (``redis://host:6379/0``), where the LSH lives in
datasketch's own Redis storage.

Deciding one story reads only what concerns it: the stories sharing one of its band keys
within the time window, their fingerprints, and the carriers of the paragraphs involved, so
a run that checks ten stories against a million reads a few hundred rows, not the index.
The decision itself is the scan's: the same boilerplate rule (``verify.is_boilerplate`` on
the carriers of a paragraph), the same exact overlap (``verify.overlap``) and the same
``verify.decide``. Clusters over the index come from ``pipeline.cluster_fingerprints``, the
very code ``dedup scan`` runs, so ``Index.scan`` gives what a scan of the same stories gives.

This module needs neither click nor rich; ``dedup.cli_index`` is the command-line layer.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import math
import os
import re
import sqlite3
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from dedup import exitcodes
from dedup.detect.cluster import cluster_id
from dedup.detect.fingerprint import Fingerprint, Fingerprinter
from dedup.detect.verify import decide, is_boilerplate, overlap, without
from dedup.engines.local import ScanResult, cluster_fingerprints
from dedup.read.inputs import outlet_of
from dedup.read.text import split_paragraphs, tokens
from dedup.records import Match, Story
from dedup.settings import DEFAULT, Settings

SCHEMA_VERSION = 2
"""Layout of the stored index; an index with another number is refused, never misread."""
DEFAULT_WINDOW = 72 * 3600.0
"""Seconds two stories may lie apart and still be matched: wire copies follow within hours
or a couple of days; the same event a week later is news again."""
DEFAULT_LOCK_TIMEOUT = 30.0
"""Seconds a run waits for another one that holds the index before giving up (exit 4)."""
DEFAULT_BATCH = 1000
"""Stories per committed transaction: a killed run loses at most one batch of work, and a
big index is cheaper to write in big batches (each touches pages all over the band keys)."""
FINGERPRINT_SETTINGS = ("shingle", "num_perm", "passage_threshold", "min_passage")
"""Settings that change fingerprints or band keys: a run must use the index's values."""
ENV_VAR = "DEDUP_DB"
NEW, COPY, INDEXED, UPDATED = "new", "copy", "indexed", "updated"
STATUSES = (NEW, COPY, INDEXED, UPDATED)
_INF = math.inf


# -- errors --------------------------------------------------------------------------------


class IndexProblem(Exception):
    """Why the index cannot serve this run; ``exit_code`` is the documented code for it."""

    exit_code = exitcodes.INDEX


class IndexUnusable(IndexProblem):
    """Missing, damaged, of another schema version, or built with other fingerprint settings."""


class IndexBusy(IndexProblem):
    """Another run holds the index and the lock timeout ran out."""

    exit_code = exitcodes.BUSY


class ConfigProblem(IndexProblem):
    """No index location was given anywhere, or a config file cannot be read."""

    exit_code = exitcodes.USAGE


# -- small parsers -------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.I)


def parse_duration(text: str) -> float:
    """Seconds in ``90s``, ``30m``, ``72h``, ``14d`` or ``2w``; ``0`` alone means zero."""
    if text.strip() == "0":
        return 0.0
    found = _DURATION.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a duration: use a number and a unit, e.g. 72h, 14d, 30m")
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


def _read_toml(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the one key we need is a plain string
        data: dict[str, Any] = {}
        for line in text.splitlines():
            found = re.match(r"""^\s*([A-Za-z_][\w-]*)\s*=\s*(["'])(.*)\2\s*(#.*)?$""", line)
            if found:
                data[found.group(1)] = found.group(3)
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigProblem(f"{path}: not valid TOML ({err})") from None


def config_paths(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Config files in the order they are consulted: ./.dedup.toml, then the user's."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME") or Path.home()) / ".config")
    return [(cwd or Path.cwd()) / ".dedup.toml", base / "wire-dedup" / "config.toml"]


def resolve_location(
    option: str | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[str, str]:
    """Where the index is, and what said so: ``--db``, then ``$DEDUP_DB``, then
    ``./.dedup.toml``, then ``~/.config/wire-dedup/config.toml`` (``db = "..."``). A relative
    path in a config file is taken from the file's own folder, so cron's working directory
    does not matter."""
    env = os.environ if environ is None else environ
    if option:
        return option, "--db"
    if env.get(ENV_VAR):
        return env[ENV_VAR], f"${ENV_VAR}"
    for path in config_paths(cwd, env):
        if not path.is_file():
            continue
        try:
            value = _read_toml(path).get("db")
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigProblem(f"{path}: cannot read it ({err})") from None
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigProblem(f"{path}: db must be a non-empty string")
        if not _is_url(value) and not os.path.isabs(os.path.expanduser(value)):
            value = str(path.parent / value)
        return os.path.expanduser(value), str(path)
    raise ConfigProblem(
        f'no index given: use --db PATH, set {ENV_VAR}, or put db = "PATH" in ./.dedup.toml '
        "or ~/.config/wire-dedup/config.toml"
    )


def _is_url(location: str) -> bool:
    return location.startswith(("redis://", "rediss://"))


# -- records -------------------------------------------------------------------------------


Ref = Any
"""A store's handle on one stored story: the SQLite row id, or the story id in Redis."""

_ROW_FIELDS = (
    "id",
    "digest",
    "outlet_key",
    "stamp",
    "date",
    "ingested",
    "headline",
    "outlet",
    "url",
    "path",
    "record",
    "cluster",
    "copy_of",
)


@dataclass(frozen=True)
class Row:
    """A stored story's metadata (no text, no fingerprint): enough to filter and order."""

    ref: Ref
    id: str
    digest: bytes
    outlet_key: str
    stamp: float
    """The window's clock: the story's date, else the time it was ingested."""
    date: datetime | None
    ingested: float
    headline: str = ""
    outlet: str = ""
    url: str = ""
    path: str | None = None
    record: int | None = None
    cluster: str | None = None
    copy_of: str | None = None

    @property
    def sort_key(self) -> tuple[float, str]:
        """``Story.sort_key`` of the stored story (its key is its id, unique in an index)."""
        return (self.date.timestamp() if self.date else _INF, self.id)

    def story(self, body: str = "") -> Story:
        """The stored story as the pipeline sees it; its key is its id."""
        return Story(
            key=self.id,
            id=self.id,
            body=body,
            headline=self.headline,
            date=self.date,
            outlet=self.outlet,
            url=self.url,
            path=self.path,
            record=self.record,
            paragraphs=split_paragraphs(body) if body else (),
        )


@dataclass(frozen=True)
class Entry:
    """A story about to be stored, with everything derived from it."""

    story: Story
    fingerprint: Fingerprint
    digest: bytes
    outlet_key: str
    stamp: float
    ingested: float
    cluster: str | None
    copy_of: str | None


@dataclass(frozen=True)
class Verdict:
    """What the index says about one incoming story.

    ``status`` is ``new`` (matches nothing indexed in the window), ``copy`` (matches an
    indexed story), ``indexed`` (this very story, by id or by content from the same outlet,
    is already there) or ``updated`` (same id, changed text: a new version replaced the old).
    """

    story: Story
    status: str
    copies: str | None = None
    """Id of the indexed story it copies: the earliest of those it matches (for
    ``indexed``, the one it was found to copy when it was ingested)."""
    cluster: str | None = None
    origin: str | None = None
    """Id of the cluster's origin: its earliest member."""
    match: Match | None = None
    """The verified link with ``copies``."""
    matches: tuple[str, ...] = ()
    """Ids of every indexed story it matches, earliest first."""
    indexed_as: str | None = None
    """For ``indexed``: the id it is stored under (another id for a re-delivery)."""

    @property
    def is_new(self) -> bool:
        return self.status == NEW

    def record(self) -> dict[str, Any]:
        """One JSON Lines row (``--format jsonl``)."""
        match = self.match
        return {
            "id": self.story.id,
            "path": self.story.path,
            "record": self.story.record,
            "status": self.status,
            "copies": self.copies,
            "cluster": self.cluster,
            "origin": self.origin,
            "kind": match.kind if match else None,
            "shared": match.shared if match else None,
            "resemblance": round(match.resemblance, 4) if match else None,
            "containment": round(match.containment, 4) if match else None,
            "matches": list(self.matches),
            "indexed_as": self.indexed_as,
        }


@dataclass
class _Judgement:
    status: str
    existing: Row | None = None
    matches: list[tuple[Row, Match]] = field(default_factory=list)


def signed(values: np.ndarray) -> list[int]:
    """uint64 keys as the signed 64-bit integers SQLite stores (same bits)."""
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64).ravel().tolist()


def content_digest(story: Story, fingerprint: Fingerprint) -> bytes:
    """Same headline and paragraphs after normalisation, same digest: a re-delivery of a story
    under another name is recognised even when its whitespace or quotes changed."""
    headline = "\x1f".join(tokens(story.headline)).encode("utf-8", "surrogatepass")
    body = fingerprint.exact.astype("<u8").tobytes()
    return hashlib.blake2b(headline + b"\x1e" + body, digest_size=16).digest()


# -- storage -------------------------------------------------------------------------------


class Store(ABC):
    """What the index logic needs from a backend; each method reads or writes only the rows
    it names, so no operation costs more than the stories it concerns."""

    location: str
    kind: str
    fingerprinter: Fingerprinter | None = None

    @abstractmethod
    def settings(self) -> dict[str, Any] | None:
        """The stored settings, or None for an index not initialised yet."""

    @abstractmethod
    def initialise(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Record the settings of a new index (the first writer wins); returns the stored ones."""

    def attach(self, fingerprinter: Fingerprinter) -> None:
        self.fingerprinter = fingerprinter

    @abstractmethod
    def exclusive(self, timeout: float) -> contextlib.AbstractContextManager[None]:
        """Hold the index against other writers for a whole run, waiting ``timeout`` seconds
        at most (``IndexBusy``); released even when the process dies."""

    @abstractmethod
    def writing(self) -> contextlib.AbstractContextManager[None]:
        """One transaction: everything inside is committed together or not at all."""

    @abstractmethod
    def reading(self) -> contextlib.AbstractContextManager[None]:
        """A consistent view for a series of reads."""

    def keepalive(self) -> None:  # noqa: B027 - optional for backends whose lock never expires
        """Called after each story written; lets a lock with a lease renew it."""

    @abstractmethod
    def by_id(self, story_id: str) -> Row | None: ...

    @abstractmethod
    def by_content(self, digest: bytes, outlet_key: str) -> Row | None: ...

    @abstractmethod
    def neighbours(
        self, fingerprint: Fingerprint, passages: Sequence[int], cap: int, exclude: Ref | None
    ) -> list[tuple[Any, list[Ref], bool]]:
        """Groups of stored stories that share an LSH bucket with the given passages:
        ``(handle, refs, complete)``; a group longer than ``cap`` may be cut short
        (``complete`` False) and read in full by ``group_in_window``."""

    @abstractmethod
    def group_in_window(
        self, handle: Any, low: float, high: float, exclude: Ref | None
    ) -> list[Ref]:
        """Every story of one LSH group whose stamp lies in [low, high]."""

    @abstractmethod
    def rows(self, refs: Iterable[Ref]) -> dict[Ref, Row]: ...

    @abstractmethod
    def fingerprints(self, refs: Iterable[Ref]) -> dict[Ref, Fingerprint]: ...

    @abstractmethod
    def paragraph_counts(
        self, exacts: Iterable[int], cap: int, exclude: Ref | None
    ) -> dict[int, int]:
        """Stories carrying each paragraph key (uint64), counted up to ``cap``."""

    @abstractmethod
    def paragraph_carriers(self, exact: int) -> list[tuple[tuple[float, str], Ref, str]]:
        """(sort key, story, outlet key) of every story carrying one paragraph key."""

    @abstractmethod
    def cluster_members(self, cluster: str) -> list[Row]: ...

    @abstractmethod
    def add(self, entry: Entry) -> Ref: ...

    @abstractmethod
    def set_cluster(self, ref: Ref, cluster: str) -> None: ...

    @abstractmethod
    def remove(self, ref: Ref) -> None: ...

    @abstractmethod
    def select(self, since: float | None) -> Iterator[tuple[Row, Fingerprint]]:
        """Every story whose stamp is at least ``since`` (all when None)."""

    @abstractmethod
    def older_than(self, cutoff: float, limit: int) -> list[Ref]: ...

    @abstractmethod
    def text(self, ref: Ref) -> str: ...

    @abstractmethod
    def counts(self) -> dict[str, Any]: ...

    @abstractmethod
    def close(self) -> None: ...


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


def _sort_key(date: str | None, story_id: str) -> tuple[float, str]:
    return (datetime.fromisoformat(date).timestamp() if date else _INF, story_id)


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
            raise IndexUnusable(_version_message(self.location, version))
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
                        raise IndexBusy(_busy_message(self.location, timeout)) from None
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
                raise IndexBusy(_busy_message(self.location, self._timeout)) from None
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
    ) -> list[tuple[Any, list[Ref], bool]]:
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
                groups.append((key, refs, len(refs) <= cap))
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
        return {sid: _fingerprint(story_id, data, self.location) for sid, story_id, data in found}

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

    def paragraph_carriers(self, exact: int) -> list[tuple[tuple[float, str], Ref, str]]:
        found = self.db.execute(
            "SELECT p.story, o.name, s.date, s.id FROM paragraphs p "
            "JOIN outlets o ON o.oid = p.outlet JOIN stories s ON s.sid = p.story "
            "WHERE p.exact = ?",
            (signed(np.array([exact], dtype=np.uint64))[0],),
        )
        return [(_sort_key(date, story_id), ref, outlet) for ref, outlet, date, story_id in found]

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
        self.db.execute("INSERT INTO texts VALUES (?, ?)", (sid, _pack_text(story.body)))
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
            fingerprint = _fingerprint(found[0], found[1], self.location)
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
            (-_INF if since is None else since,),
        )
        for values in found:
            row = _row(values[:-1])
            yield row, _fingerprint(row.id, values[-1], self.location)

    def older_than(self, cutoff: float, limit: int) -> list[Ref]:
        found = self.db.execute(
            "SELECT sid FROM stories WHERE stamp < ? ORDER BY stamp LIMIT ?", (cutoff, limit)
        )
        return [sid for (sid,) in found]

    def text(self, ref: Ref) -> str:
        found = self.db.execute("SELECT body FROM texts WHERE sid = ?", (ref,)).fetchone()
        return _unpack_text(found[0]) if found else ""

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


def _busy_message(location: str, timeout: float) -> str:
    return (
        f"the index {location} is busy: another run holds it and --lock-timeout "
        f"({timeout:g} s) ran out; try again later"
    )


def _version_message(location: str, version: int) -> str:
    if version > SCHEMA_VERSION:
        hint = "it was made by a newer wire-dedup: upgrade this one"
    else:
        hint = "it was made by an older wire-dedup and cannot be migrated: ingest into a new index"
    return (
        f"{location} has index schema version {version}, "
        f"this wire-dedup reads {SCHEMA_VERSION}; {hint}"
    )


def _fingerprint(story_id: str, data: bytes, location: str) -> Fingerprint:
    try:
        return Fingerprint.from_bytes(story_id, bytes(data))
    except ValueError as err:
        raise IndexUnusable(
            f"{location}: stored fingerprint of {story_id} unreadable ({err})"
        ) from None


def _pack_text(body: str) -> bytes:
    return zlib.compress(body.encode("utf-8", "surrogatepass"), 6)


def _unpack_text(data: bytes) -> str:
    return zlib.decompress(bytes(data)).decode("utf-8", "surrogatepass")


# -- Redis ---------------------------------------------------------------------------------


class RedisStore(Store):
    """An index on a Redis server, shared by several hosts.

    The LSH is datasketch's own ``MinHashLSH`` with Redis storage, fed the passages'
    datasketch signatures (``Fingerprinter.minhashes``); its banding is checked equal to the
    Fingerprinter's. Story records (metadata, fingerprint, compressed text) are Redis hashes;
    a sorted set orders them by stamp for windows and pruning. Keys are prefixed with
    ``?prefix=NAME`` from the URL (default ``wire-dedup``), so one server can hold several
    indexes. Writers take a Redis lock with a two-minute lease, renewed after every story, so a
    writer that dies holds it two minutes at most.
    """

    kind = "redis"
    _LEASE = 120.0

    def __init__(self, url: str, *, create: bool, timeout: float) -> None:
        try:
            import redis
        except ModuleNotFoundError:
            raise IndexUnusable(
                "a redis:// index needs the redis package: pip install 'wire-dedup[redis]'"
            ) from None
        from urllib.parse import parse_qs, urlsplit

        self.location = url
        self._timeout = timeout
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = (query.pop("prefix", ["wire-dedup"])[0]).encode("utf-8")
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise IndexUnusable(f"{url}: the path must be a database number, as in /0")
        # Time limits, so that an unreachable server fails a cron run instead of hanging it.
        self._params: dict[str, Any] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or 6379,
            "db": int(database or 0),
            "ssl": parts.scheme == "rediss",
            "socket_connect_timeout": 5,
            "socket_timeout": 60,
        }
        if parts.password:
            self._params["password"] = parts.password
        if parts.username:
            self._params["username"] = parts.username
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        self.r = redis.Redis(**self._params, retry=Retry(ExponentialBackoff(1.0, 0.1), 2))
        try:
            self.r.ping()
            self._meta = self.r.hgetall(self._k("meta"))
        except redis.RedisError as err:
            raise IndexUnusable(f"cannot reach the index at {url}: {err}") from None
        if not self._meta and not create:
            raise IndexUnusable(f"no index at {url} (dedup ingest creates one)")
        if self._meta:
            version = int(self._meta.get(b"schema", b"0"))
            if version != SCHEMA_VERSION:
                raise IndexUnusable(_version_message(url, version))
        self.lsh: Any = None
        self._lock: Any = None

    def _k(self, *parts: str) -> bytes:
        return b":".join([self.prefix, *(part.encode("utf-8") for part in parts)])

    def settings(self) -> dict[str, Any] | None:
        value = self._meta.get(b"settings")
        return json.loads(value) if value else None

    def initialise(self, settings: dict[str, Any]) -> dict[str, Any]:
        key = self._k("meta")
        self.r.hsetnx(key, "schema", SCHEMA_VERSION)
        self.r.hsetnx(key, "settings", json.dumps(settings))
        self.r.hsetnx(key, "created", time.time())
        self._meta = self.r.hgetall(key)
        version = int(self._meta.get(b"schema", b"0"))
        if version != SCHEMA_VERSION:
            raise IndexUnusable(_version_message(self.location, version))
        stored = self.settings()
        assert stored is not None
        return stored

    def attach(self, fingerprinter: Fingerprinter) -> None:
        from datasketch import MinHashLSH

        super().attach(fingerprinter)
        settings = fingerprinter.settings
        self.lsh = MinHashLSH(
            threshold=settings.passage_threshold,
            num_perm=settings.num_perm,
            storage_config={"type": "redis", "basename": self._k("lsh"), "redis": self._params},
        )
        if (self.lsh.b, self.lsh.r) != (fingerprinter.bands, fingerprinter.rows):
            raise IndexUnusable(
                f"datasketch bands the LSH as {self.lsh.b}x{self.lsh.r}, the fingerprints as "
                f"{fingerprinter.bands}x{fingerprinter.rows}: the two would not agree"
            )

    @contextlib.contextmanager
    def exclusive(self, timeout: float) -> Iterator[None]:
        import redis

        lock = self.r.lock(
            self._k("lock").decode(),
            timeout=self._LEASE,
            blocking_timeout=timeout,
            thread_local=False,
        )
        try:
            acquired = lock.acquire()
        except redis.RedisError as err:
            raise IndexUnusable(f"{self.location}: cannot take the lock ({err})") from None
        if not acquired:
            raise IndexBusy(_busy_message(self.location, timeout))
        self._lock = lock
        try:
            yield
        finally:
            self._lock = None
            with contextlib.suppress(redis.RedisError):
                lock.release()

    def keepalive(self) -> None:
        if self._lock is not None:
            self._lock.reacquire()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        yield

    def _rows(self, ids: Sequence[str]) -> list[Row | None]:
        pipe = self.r.pipeline(transaction=False)
        for story_id in ids:
            pipe.hmget(self._k("story", story_id), *_ROW_FIELDS)
        return [_redis_row(story_id, values) for story_id, values in zip(ids, pipe.execute())]

    def by_id(self, story_id: str) -> Row | None:
        return self._rows([story_id])[0]

    def by_content(self, digest: bytes, outlet_key: str) -> Row | None:
        found = self.r.hget(self._k("content"), _content_key(digest, outlet_key))
        return self.by_id(found.decode("utf-8")) if found else None

    def neighbours(
        self, fingerprint: Fingerprint, passages: Sequence[int], cap: int, exclude: Ref | None
    ) -> list[tuple[Any, list[Ref], bool]]:
        assert self.fingerprinter is not None and self.lsh is not None
        wanted = {int(i) for i in passages}
        groups = []
        for index, minhash in self.fingerprinter.minhashes(fingerprint):
            if index in wanted:
                found = {key[0] for key in self.lsh.query(minhash)} - {exclude}
                if found:
                    groups.append((index, sorted(found), True))
        return groups

    def group_in_window(
        self, handle: Any, low: float, high: float, exclude: Ref | None
    ) -> list[Ref]:
        raise NotImplementedError("Redis groups are always complete")

    def rows(self, refs: Iterable[Ref]) -> dict[Ref, Row]:
        ids = list(refs)
        return {row.ref: row for row in self._rows(ids) if row is not None}

    def fingerprints(self, refs: Iterable[Ref]) -> dict[Ref, Fingerprint]:
        ids = list(refs)
        pipe = self.r.pipeline(transaction=False)
        for story_id in ids:
            pipe.hget(self._k("story", story_id), "print")
        return {
            story_id: _fingerprint(story_id, data, self.location)
            for story_id, data in zip(ids, pipe.execute())
            if data is not None
        }

    def paragraph_counts(
        self, exacts: Iterable[int], cap: int, exclude: Ref | None
    ) -> dict[int, int]:
        keys = list(exacts)
        pipe = self.r.pipeline(transaction=False)
        for exact in keys:
            pipe.hlen(self._k("para", str(exact)))
            pipe.hexists(self._k("para", str(exact)), exclude or "")
        found = pipe.execute()
        return {
            key: min(cap, found[2 * i] - int(bool(found[2 * i + 1]))) for i, key in enumerate(keys)
        }

    def paragraph_carriers(self, exact: int) -> list[tuple[tuple[float, str], Ref, str]]:
        found = self.r.hgetall(self._k("para", str(exact)))
        carriers = {key.decode("utf-8"): value.decode("utf-8") for key, value in found.items()}
        rows = self.rows(carriers)
        return [
            (rows[ref].sort_key, ref, outlet) for ref, outlet in carriers.items() if ref in rows
        ]

    def cluster_members(self, cluster: str) -> list[Row]:
        ids = sorted(
            member.decode("utf-8") for member in self.r.smembers(self._k("cluster", cluster))
        )
        return [row for row in self._rows(ids) if row is not None]

    def add(self, entry: Entry) -> Ref:
        assert self.fingerprinter is not None and self.lsh is not None
        story, fingerprint = entry.story, entry.fingerprint
        # The LSH first: a story becomes visible only with its record, written last in one
        # transaction, so a run killed in between leaves keys that lead nowhere and are ignored.
        for index, minhash in self.fingerprinter.minhashes(fingerprint):
            self.lsh.insert((story.id, index), minhash, check_duplication=False)
        record = {
            "id": story.id,
            "digest": entry.digest,
            "outlet_key": entry.outlet_key,
            "stamp": repr(entry.stamp),
            "date": story.date.isoformat() if story.date else "",
            "ingested": repr(entry.ingested),
            "headline": story.headline,
            "outlet": story.outlet,
            "url": story.url,
            "path": story.path if story.path is not None else "",
            "record": "" if story.record is None else str(story.record),
            "cluster": entry.cluster or "",
            "copy_of": entry.copy_of or "",
            "print": fingerprint.to_bytes(),
            "text": _pack_text(story.body),
        }
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self._k("story", story.id), mapping=record)
        pipe.zadd(self._k("stamps"), {story.id: entry.stamp})
        pipe.hset(self._k("content"), _content_key(entry.digest, entry.outlet_key), story.id)
        for exact in set(fingerprint.exact.tolist()) - {0}:
            pipe.hset(self._k("para", str(exact)), story.id, entry.outlet_key)
        if entry.cluster:
            pipe.sadd(self._k("cluster", entry.cluster), story.id)
        pipe.execute()
        return story.id

    def set_cluster(self, ref: Ref, cluster: str) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self._k("story", ref), "cluster", cluster)
        pipe.sadd(self._k("cluster", cluster), ref)
        pipe.execute()

    def remove(self, ref: Ref) -> None:
        key = self._k("story", ref)
        digest, outlet_key, cluster, data = self.r.hmget(
            key, "digest", "outlet_key", "cluster", "print"
        )
        if data is not None:
            fingerprint = _fingerprint(ref, data, self.location)
            for index in fingerprint.passages.tolist():
                if (ref, int(index)) in self.lsh:
                    self.lsh.remove((ref, int(index)))
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(key)
        pipe.zrem(self._k("stamps"), ref)
        if digest is not None:
            pipe.hdel(self._k("content"), _content_key(digest, (outlet_key or b"").decode()))
        if data is not None:
            for exact in set(fingerprint.exact.tolist()) - {0}:
                pipe.hdel(self._k("para", str(exact)), ref)
        if cluster:
            pipe.srem(self._k("cluster", cluster.decode("utf-8")), ref)
        pipe.execute()

    def select(self, since: float | None) -> Iterator[tuple[Row, Fingerprint]]:
        low = "-inf" if since is None else since
        ids = [m.decode("utf-8") for m in self.r.zrangebyscore(self._k("stamps"), low, "+inf")]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            prints = self.fingerprints(chunk)
            for row in self._rows(chunk):
                if row is not None and row.ref in prints:
                    yield row, prints[row.ref]

    def older_than(self, cutoff: float, limit: int) -> list[Ref]:
        found = self.r.zrangebyscore(self._k("stamps"), "-inf", f"({cutoff}", start=0, num=limit)
        return [member.decode("utf-8") for member in found]

    def text(self, ref: Ref) -> str:
        data = self.r.hget(self._k("story", ref), "text")
        return _unpack_text(data) if data else ""

    def counts(self) -> dict[str, Any]:
        ids = [m.decode("utf-8") for m in self.r.zrange(self._k("stamps"), 0, -1)]
        stamps, ingested, outlets = [], [], set()
        clusters: set[str] = set()
        clustered = copies = 0
        for start in range(0, len(ids), 1000):
            for row in self._rows(ids[start : start + 1000]):
                if row is None:
                    continue
                stamps.append(row.stamp)
                ingested.append(row.ingested)
                outlets.add(row.outlet_key)
                copies += row.copy_of is not None
                if row.cluster:
                    clusters.add(row.cluster)
                    clustered += 1
        return {
            "stories": len(stamps),
            "clusters": len(clusters),
            "clustered": clustered,
            "copies": copies,
            "outlets": len(outlets),
            "oldest": min(stamps, default=None),
            "newest": max(stamps, default=None),
            "last_ingest": max(ingested, default=None),
            "bytes": None,
        }

    def close(self) -> None:
        self.r.close()


def _content_key(digest: bytes, outlet_key: str) -> bytes:
    return outlet_key.encode("utf-8") + b"\x1f" + digest


def _redis_row(story_id: str, values: Sequence[bytes | None]) -> Row | None:
    if values[0] is None:
        return None
    text = {
        name: (value.decode("utf-8") if value is not None else "")
        for name, value in zip(_ROW_FIELDS, values)
        if name != "digest"
    }
    return Row(
        ref=story_id,
        id=text["id"],
        digest=values[1] or b"",
        outlet_key=text["outlet_key"],
        stamp=float(text["stamp"]),
        date=datetime.fromisoformat(text["date"]) if text["date"] else None,
        ingested=float(text["ingested"]),
        headline=text["headline"],
        outlet=text["outlet"],
        url=text["url"],
        path=text["path"] or None,
        record=int(text["record"]) if text["record"] else None,
        cluster=text["cluster"] or None,
        copy_of=text["copy_of"] or None,
    )


# -- the index -----------------------------------------------------------------------------


def open_store(location: str, *, create: bool, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Store:
    """The backend a location names: a ``redis://`` URL, else an SQLite file path."""
    if _is_url(location):
        return RedisStore(location, create=create, timeout=timeout)
    return SQLiteStore(location, create=create, timeout=timeout)


def open_index(
    location: str,
    *,
    create: bool = False,
    changes: Mapping[str, Any] | None = None,
    window: float | None = DEFAULT_WINDOW,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Index:
    """Open (or, with ``create``, make) the index at ``location``.

    The index's stored settings are the run's defaults; ``changes`` override the ones that
    only judge matches (``near_duplicate``, ``min_shared``...). A change to a setting that
    shapes fingerprints (``FINGERPRINT_SETTINGS``) is refused with ``IndexUnusable``: the new
    fingerprints could not be compared with the stored ones.
    """
    wanted = {key: value for key, value in (changes or {}).items() if value is not None}
    store = open_store(location, create=create, timeout=lock_timeout)
    try:
        stored = store.settings()
        if stored is None:
            stored = store.initialise(DEFAULT.with_changes(**wanted).as_dict())
        known = {f.name for f in fields(Settings)}
        base = replace(DEFAULT, **{k: v for k, v in stored.items() if k in known})
        differing = [
            f"--{name.replace('_', '-')} {wanted[name]} (the index uses {getattr(base, name)})"
            for name in FINGERPRINT_SETTINGS
            if name in wanted and wanted[name] != getattr(base, name)
        ]
        if differing:
            raise IndexUnusable(
                f"{location} was built with other fingerprint settings: "
                + "; ".join(differing)
                + ". Fingerprints would not be comparable: drop the option or use a new index"
            )
        settings = base.with_changes(**wanted)
        return Index(store, settings, window=window, lock_timeout=lock_timeout)
    except BaseException:
        store.close()
        raise


class Index:
    """Ingest stories into, and ask questions of, one persistent index."""

    _PRINT_CACHE = 4096
    _KEY_CACHE = 200_000
    """Paragraph keys whose carriers or verdict are remembered; a long run starts afresh
    past this, so memory stays flat however many stories go through."""

    def __init__(
        self,
        store: Store,
        settings: Settings = DEFAULT,
        *,
        window: float | None = DEFAULT_WINDOW,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.store = store
        self.settings = settings
        self.window = window or None
        self.lock_timeout = lock_timeout
        self.fingerprinter = Fingerprinter(settings)
        store.attach(self.fingerprinter)
        self._carriers: dict[int, list[tuple[tuple[float, str], Ref, str]]] = {}
        self._rule: dict[int, dict[Ref | None, bool]] = {}
        self._prints: dict[Ref, Fingerprint] = {}

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- questions -------------------------------------------------------------------------

    def check(self, stories: Iterable[Story], *, now: float | None = None) -> list[Verdict]:
        """The verdict on each story, writing nothing: what ``ingest`` would say. A story
        already indexed is ``indexed``, with what it matches among the others."""
        now = time.time() if now is None else now
        verdicts = []
        with self.store.reading():
            self._reset()
            for story in stories:
                fingerprint = self.fingerprinter(story)
                judged = self._judge(story, fingerprint, now, explain=True)
                verdicts.append(self._verdict(story, judged, None, now))
        return verdicts

    def story(self, story_id: str) -> Story | None:
        """A stored story with its text, as it was ingested: the source file may be gone."""
        with self.store.reading():
            row = self.store.by_id(story_id)
            return row.story(self.store.text(row.ref)) if row else None

    def scan(self, since: float | None = None) -> ScanResult:
        """Clusters over the stories whose stamp is at least ``since`` (all when None),
        computed by the scan's own ``cluster_fingerprints``: the same clusters a scan of those
        stories gives."""
        with self.store.reading():
            loaded = [(row.story(), fingerprint) for row, fingerprint in self.store.select(since)]
        loaded.sort(key=lambda pair: pair[0].sort_key)
        stories = [story for story, _ in loaded]
        prints = [fingerprint for _, fingerprint in loaded]
        del loaded  # cluster_fingerprints lets each fingerprint go once it is used
        return cluster_fingerprints(stories, prints, self.settings)

    def stats(self) -> dict[str, Any]:
        """Counts and settings, for ``dedup stats``."""
        with self.store.reading():
            counts = self.store.counts()
        return {
            "index": self.store.location,
            "backend": self.store.kind,
            "schema": SCHEMA_VERSION,
            **counts,
            "settings": self.settings.as_dict(),
        }

    # -- changes ---------------------------------------------------------------------------

    def ingest(
        self, stories: Iterable[Story], *, batch: int = DEFAULT_BATCH, now: float | None = None
    ) -> Iterator[Verdict]:
        """Add stories, yielding each one's verdict once its batch is committed.

        The whole run holds the index (``Store.exclusive``); each batch is one transaction
        in which every story is judged against everything committed before it, the earlier
        stories of the batch included. A run killed mid-way loses only its open batch.
        """
        now = time.time() if now is None else now
        with self.store.exclusive(self.lock_timeout):
            self._reset()
            pending: list[Story] = []
            for story in stories:
                pending.append(story)
                if len(pending) >= batch:
                    yield from self._ingest_batch(pending, now)
                    pending = []
            if pending:
                yield from self._ingest_batch(pending, now)

    def _ingest_batch(self, stories: list[Story], now: float) -> list[Verdict]:
        prints = self.fingerprinter.batch(stories)
        verdicts = []
        with self.store.writing():
            for story, fingerprint in zip(stories, prints):
                judged = self._judge(story, fingerprint, now, explain=False)
                verdicts.append(self._apply(story, fingerprint, judged, now))
                self.store.keepalive()
        return verdicts

    def prune(self, older_than: float, *, now: float | None = None, batch: int = 500) -> int:
        """Remove the stories whose stamp is more than ``older_than`` seconds old."""
        cutoff = (time.time() if now is None else now) - older_than
        removed = 0
        with self.store.exclusive(self.lock_timeout):
            self._reset()
            while True:
                with self.store.writing():
                    refs = self.store.older_than(cutoff, batch)
                    for ref in refs:
                        self.store.remove(ref)
                        self.store.keepalive()
                removed += len(refs)
                if len(refs) < batch:
                    return removed

    # -- the decision ----------------------------------------------------------------------

    def _judge(
        self, story: Story, fingerprint: Fingerprint, now: float, explain: bool
    ) -> _Judgement:
        store = self.store
        digest = content_digest(story, fingerprint)
        outlet_key = outlet_of(story)
        existing = store.by_id(story.id)
        if existing is None:
            same = store.by_content(digest, outlet_key)
            if same is not None:
                return _Judgement(INDEXED, same)
        elif existing.digest == digest and not explain:
            return _Judgement(INDEXED, existing)
        exclude = existing.ref if existing is not None else None
        stamp = story.date.timestamp() if story.date else now
        if existing is not None and existing.digest == digest:
            stamp = existing.stamp  # asked about a story it holds: as it was ingested
        matches = self._matches(story, fingerprint, stamp, outlet_key, exclude)
        if existing is not None:
            status = INDEXED if existing.digest == digest else UPDATED
        else:
            status = COPY if matches else NEW
        return _Judgement(status, existing, matches)

    def _matches(
        self,
        story: Story,
        fingerprint: Fingerprint,
        stamp: float,
        outlet_key: str,
        exclude: Ref | None,
    ) -> list[tuple[Row, Match]]:
        """Indexed stories within the window around ``stamp`` that ``story`` is a copy of (or
        that copy it), earliest first: LSH groups, the scan's widely-shared rule, boilerplate,
        exact check."""
        store, settings = self.store, self.settings
        low, high = (stamp - self.window, stamp + self.window) if self.window else (-_INF, _INF)
        mine = set(fingerprint.exact.tolist()) - {0}
        counts = {
            key: count + 1
            for key, count in store.paragraph_counts(
                mine, settings.boilerplate_max_df + 1, exclude
            ).items()
        }
        # A passage whose very text is boilerplate by count carries no weight anywhere, and
        # its band groups are the largest of all: it is not looked up.
        passage_keys = fingerprint.exact[fingerprint.passages].tolist()
        usable = [
            int(index)
            for index, key in zip(fingerprint.passages.tolist(), passage_keys)
            if counts.get(key, 1) <= settings.boilerplate_max_df
        ]
        groups = store.neighbours(fingerprint, usable, settings.widely_shared, exclude)
        rows = store.rows({ref for _, refs, complete in groups if complete for ref in refs})
        mine_key = (stamp if story.date else _INF, story.id)
        candidates: set[Ref] = set()
        for handle, refs, complete in groups:
            if complete:
                inside = [ref for ref in refs if ref in rows and low <= rows[ref].stamp <= high]
            else:
                inside = store.group_in_window(handle, low, high, exclude)
                rows.update(store.rows([ref for ref in inside if ref not in rows]))
                inside = [ref for ref in inside if ref in rows]
            if not inside:
                continue
            if len(inside) + 1 <= settings.widely_shared:
                candidates.update(inside)
                continue
            # The scan pairs a widely shared passage's stories with the earliest one only.
            earliest = min(inside, key=lambda ref: rows[ref].sort_key)
            if mine_key < rows[earliest].sort_key:
                candidates.update(inside)
            else:
                candidates.add(earliest)
        candidates.discard(exclude)
        if not candidates:
            return []
        prints = self._fingerprints(candidates)
        removed = self._boilerplate(story, fingerprint, outlet_key, prints, counts, exclude)
        content = without(fingerprint.shingles, removed)
        found = []
        for ref in sorted(prints, key=lambda ref: rows[ref].sort_key):
            row = rows[ref]
            shared = overlap(content, without(prints[ref].shingles, removed))
            kind = decide(shared, settings)
            if kind:
                first, second = (
                    (row.id, story.id) if row.sort_key < mine_key else (story.id, row.id)
                )
                match = Match(
                    first, second, shared.shared, shared.resemblance, shared.containment, kind
                )
                found.append((row, match))
        return found

    def _boilerplate(
        self,
        story: Story,
        fingerprint: Fingerprint,
        outlet_key: str,
        prints: Mapping[Ref, Fingerprint],
        counts: dict[int, int],
        exclude: Ref | None,
    ) -> np.ndarray:
        """Shingles of the paragraphs, among this story's and its candidates', that the scan
        would call boilerplate: ``verify.is_boilerplate`` on each paragraph's carriers in the
        index (this story included), earliest first."""
        settings = self.settings
        mine = set(fingerprint.exact.tolist()) - {0}
        others = {key for p in prints.values() for key in p.exact.tolist()} - mine - {0}
        decided = {}
        for key in others:
            known = self._rule.get(key, {})
            if exclude in known:
                decided[key] = known[exclude]
            elif None in known and not self._carries(key, exclude):
                decided[key] = known[None]
        unknown = [key for key in others if key not in decided]
        counts = dict(counts)
        counts.update(
            self.store.paragraph_counts(unknown, settings.boilerplate_max_df + 1, exclude)
        )
        mine_key = (story.date.timestamp() if story.date else _INF, story.id)
        for key in unknown:
            decided[key] = self._index_rule(key, counts[key], exclude)
        for key in mine:
            incoming = (mine_key, outlet_key, fingerprint)
            decided[key] = self._own_rule(key, counts[key], incoming, exclude)
        boilerplate = {key for key, found in decided.items() if found}
        parts: dict[int, np.ndarray] = {}
        for print_ in (fingerprint, *prints.values()):
            for index, key in enumerate(print_.exact.tolist()):
                if key in boilerplate and key not in parts:
                    parts[key] = print_.paragraph(index)
        if not parts:
            return np.zeros(0, dtype=np.uint32)
        return np.unique(np.concatenate(list(parts.values())))

    def _carried_rule(
        self,
        key: int,
        count: int,
        incoming: tuple[tuple[float, str], str, Fingerprint] | None,
        exclude: Ref | None,
    ) -> bool:
        """Whether paragraph ``key`` is boilerplate, its carriers being the indexed ones
        (``count`` of them, with ``incoming`` added when the story at hand carries it)."""
        settings = self.settings
        if count > settings.boilerplate_max_df:
            return True
        if count < settings.boilerplate_min:
            return False
        carriers = [c for c in self._carriers_of(key) if c[1] != exclude]
        if incoming is not None:
            carriers.append((incoming[0], None, incoming[1]))
            carriers.sort(key=lambda c: c[0])
        per_outlet: dict[str, int] = {}
        for _, _, outlet in carriers:
            per_outlet[outlet] = per_outlet.get(outlet, 0) + 1
        wanted = {
            outlet
            for outlet, number in per_outlet.items()
            if outlet and number >= settings.boilerplate_min
        }
        if not wanted and len(carriers) <= settings.boilerplate_max_df:
            return False
        needed = [ref for _, ref, outlet in carriers if outlet in wanted and ref is not None]
        prints = self._fingerprints(needed)
        outlets: list[str] = []
        judged: list[Fingerprint | None] = []
        for _, ref, outlet in carriers:
            if outlet not in wanted:
                outlets.append("")  # counts towards the total only
                judged.append(None)
            elif ref is None:
                assert incoming is not None
                outlets.append(outlet)
                judged.append(incoming[2])
            elif ref in prints:
                outlets.append(outlet)
                judged.append(prints[ref])
        return is_boilerplate(outlets, lambda k: judged[k].shingles, settings)

    def _own_rule(
        self,
        key: int,
        count: int,
        incoming: tuple[tuple[float, str], str, Fingerprint],
        exclude: Ref | None,
    ) -> bool:
        """The rule for a paragraph the story at hand carries. When the indexed carriers
        alone make it boilerplate and the story comes after all of them, it still is (a
        carrier added last never undoes the rule): the common case of an outlet's footer."""
        settings = self.settings
        if count > settings.boilerplate_max_df or count < settings.boilerplate_min:
            return count > settings.boilerplate_max_df
        alone = self._index_rule(key, count - 1, exclude)
        carriers = [c for c in self._carriers_of(key) if c[1] != exclude]
        if alone:
            if not carriers or incoming[0] > carriers[-1][0]:
                return True
        elif sum(c[2] == incoming[1] for c in carriers) + 1 < settings.boilerplate_min:
            return False  # only the story's own outlet could have tipped the rule
        return self._carried_rule(key, count, incoming, exclude)

    def _index_rule(self, key: int, count: int, exclude: Ref | None) -> bool:
        """The rule over the indexed carriers of a paragraph alone (``count`` of them, the
        excluded story apart), remembered for the run."""
        settings = self.settings
        if count > settings.boilerplate_max_df or count < settings.boilerplate_min:
            return count > settings.boilerplate_max_df
        if not self._carries(key, exclude):
            exclude = None  # the same carriers: the same verdict
        known = self._rule.get(key)
        if known is None:
            if len(self._rule) >= self._KEY_CACHE:
                self._rule.clear()
            known = self._rule[key] = {}
        if exclude not in known:
            known[exclude] = self._carried_rule(key, count, None, exclude)
        return known[exclude]

    def _carries(self, key: int, ref: Ref | None) -> bool:
        return ref is not None and any(c[1] == ref for c in self._carriers_of(key))

    def _carriers_of(self, key: int) -> list[tuple[tuple[float, str], Ref, str]]:
        """(sort key, ref, outlet key) of every indexed story carrying a paragraph, earliest
        first; kept for the run, dropped when a story carrying it is added or removed."""
        found = self._carriers.get(key)
        if found is None:
            found = sorted(self.store.paragraph_carriers(key), key=lambda c: c[0])
            if len(self._carriers) >= self._KEY_CACHE // 10:
                self._carriers.clear()
            self._carriers[key] = found
        return found

    def _fingerprints(self, refs: Iterable[Ref]) -> dict[Ref, Fingerprint]:
        """Stored fingerprints through a small cache: the stories of one outlet or one
        cluster come up again and again within a run."""
        cache = self._prints
        found = {ref: cache[ref] for ref in refs if ref in cache}
        missing = [ref for ref in refs if ref not in found]
        if missing:
            loaded = self.store.fingerprints(missing)
            found.update(loaded)
            cache.update(loaded)
            while len(cache) > self._PRINT_CACHE:
                cache.pop(next(iter(cache)))
        return found

    def _learn(self, entry: Entry, ref: Ref) -> None:
        """Bring the caches up to date with a story just added: it joins the carriers of its
        paragraphs; a verdict it could change is dropped."""
        story = entry.story
        sort_key = (story.date.timestamp() if story.date else _INF, story.id)
        for key in set(entry.fingerprint.exact.tolist()) - {0}:
            carriers = self._carriers.get(key)
            last = carriers[-1][0] if carriers else None
            if carriers is not None:
                bisect.insort(carriers, (sort_key, ref, entry.outlet_key), key=lambda c: c[0])
            known = self._rule.get(key)
            if known and carriers is not None:
                # True stays true for a carrier added last; False stays false while the
                # count is low and the new carrier's outlet is still short of the minimum.
                stays_true = last is None or sort_key > last
                same = sum(c[2] == entry.outlet_key for c in carriers)
                stays_false = len(carriers) <= self.settings.boilerplate_max_df and (
                    not entry.outlet_key or same < self.settings.boilerplate_min
                )
                kept = {
                    exclude: value
                    for exclude, value in known.items()
                    if (stays_true if value else stays_false)
                }
                if kept:
                    self._rule[key] = kept
                else:
                    del self._rule[key]
            elif known:
                del self._rule[key]
        self._prints[ref] = entry.fingerprint
        while len(self._prints) > self._PRINT_CACHE:
            self._prints.pop(next(iter(self._prints)))

    def _reset(self) -> None:
        """Forget everything cached: other runs may have written since."""
        self._carriers.clear()
        self._rule.clear()
        self._prints.clear()

    def _apply(
        self, story: Story, fingerprint: Fingerprint, judged: _Judgement, now: float
    ) -> Verdict:
        """Store a judged story (unless already indexed) and say what became of it."""
        store = self.store
        if judged.status == INDEXED:
            return self._verdict(story, judged, None, now)
        existing = judged.existing
        if existing is not None:
            store.remove(existing.ref)
            self._reset()
        cluster = existing.cluster if existing is not None else None
        anchor = judged.matches[0][0] if judged.matches else None
        if anchor is not None:
            cluster = anchor.cluster or cluster_id(anchor.story())
            if anchor.cluster is None:
                store.set_cluster(anchor.ref, cluster)
        entry = Entry(
            story=story,
            fingerprint=fingerprint,
            digest=content_digest(story, fingerprint),
            outlet_key=outlet_of(story),
            stamp=story.date.timestamp() if story.date else now,
            ingested=now,
            cluster=cluster,
            copy_of=anchor.id if anchor else None,
        )
        self._learn(entry, store.add(entry))
        return self._verdict(story, judged, cluster, now)

    def _verdict(
        self, story: Story, judged: _Judgement, cluster: str | None, now: float
    ) -> Verdict:
        """The verdict, with the cluster's origin: its earliest member, this story included.
        A story already indexed keeps what was recorded when it was ingested."""
        existing = judged.existing
        anchor, match = judged.matches[0] if judged.matches else (None, None)
        if judged.status == INDEXED and existing is not None:
            copies = existing.copy_of
            cluster = existing.cluster
            found = [m for row, m in judged.matches if row.id == copies]
            match = found[0] if found else None
        else:
            copies = anchor.id if anchor else None
        if cluster is None and anchor is not None:
            cluster = anchor.cluster or cluster_id(anchor.story())
        if cluster is None and existing is not None:
            cluster = existing.cluster
        origin = None
        if cluster is not None:
            members = {row.id: row.sort_key for row in self.store.cluster_members(cluster)}
            if anchor is not None and anchor.cluster in (None, cluster):
                members.setdefault(anchor.id, anchor.sort_key)
            if judged.status != INDEXED:
                members[story.id] = (story.date.timestamp() if story.date else _INF, story.id)
            origin = min(members, key=members.__getitem__) if members else None
        return Verdict(
            story=story,
            status=judged.status,
            copies=copies,
            cluster=cluster,
            origin=origin,
            match=match,
            matches=tuple(row.id for row, _ in judged.matches),
            indexed_as=existing.id if judged.status == INDEXED and existing else None,
        )
