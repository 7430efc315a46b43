"""The Redis back end: an index on a Redis server, shared by several hosts."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from dedup.detect.fingerprint import Fingerprint
from dedup.engines.index.errors import ConfigProblem, IndexBusy, IndexUnusable
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
_CHUNK = 500


def _carried(keys: Sequence[np.ndarray]) -> Iterator[tuple[int, list[int]]]:
    """Each key of the stories ``keys`` (one array each) with the stories that carry it, by
    number: one command a key rather than one a key and story, as a batch's commands are
    held until its transaction is sent (a batch of 5,000 stories carries about three
    million keys)."""
    counts = [len(found) for found in keys]
    if not sum(counts):
        return
    flat = np.concatenate([np.asarray(found, dtype=np.uint64) for found in keys])
    owner = np.repeat(np.arange(len(keys)), counts)
    order = np.argsort(flat, kind="stable")
    flat, owner = flat[order], owner[order]
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    ends = np.append(starts[1:], len(flat))
    owners = owner.tolist()
    for key, start, end in zip(flat[starts].tolist(), starts.tolist(), ends.tolist()):
        yield key, owners[start:end]


class RedisStore(Store):
    """An index on a Redis server, shared by several hosts.

    Story records (metadata, fingerprint, compressed text) are Redis hashes; a sorted set
    orders them by stamp for windows and pruning. Each anchor and sentence-unit band key is a
    sorted set of its carriers scored by stamp (a window and a cap are one range read), and
    each story's matches are a hash keyed by the other story. Keys are prefixed with
    ``?prefix=NAME`` from the URL (default ``wire-dedup``), so one server can hold several
    indexes. Writers take a Redis lock with a two-minute lease, renewed after every batch, so
    a writer that dies holds it two minutes at most.
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
            raise ConfigProblem(f"{url}: the path must be a database number, as in /0")
        try:
            port = parts.port or 6379
        except ValueError:
            raise ConfigProblem(f"{url}: the port must be a number from 1 to 65535") from None
        # Time limits, so that an unreachable server fails a cron run instead of hanging it.
        self._params: dict[str, Any] = {
            "host": parts.hostname or "localhost",
            "port": port,
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
            self._check_version()
        self._lock: Any = None

    def _check_version(self) -> None:
        try:
            version = int(self._meta.get(b"schema", b"0"))
        except ValueError:
            version = 0
        if version != SCHEMA_VERSION:
            raise IndexUnusable(version_message(self.location, version))

    def _k(self, *parts: str) -> bytes:
        return b":".join([self.prefix, *(part.encode("utf-8") for part in parts)])

    def settings(self) -> dict[str, Any] | None:
        value = self._meta.get(b"settings")
        if not value:
            return None
        try:
            found = json.loads(value)
        except ValueError as err:
            raise IndexUnusable(
                f"{self.location}: its stored settings are damaged ({err}); rebuild the index"
            ) from None
        if not isinstance(found, dict):
            raise IndexUnusable(f"{self.location}: its stored settings are damaged")
        return found

    def initialise(self, settings: dict[str, Any]) -> dict[str, Any]:
        key = self._k("meta")
        self.r.hsetnx(key, "schema", SCHEMA_VERSION)
        self.r.hsetnx(key, "settings", json.dumps(settings))
        self.r.hsetnx(key, "created", time.time())
        self._meta = self.r.hgetall(key)
        self._check_version()
        stored = self.settings()
        assert stored is not None
        return stored

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
            raise IndexBusy(busy_message(self.location, timeout))
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

    def rows(self, ids: Iterable[str]) -> dict[str, Row]:
        wanted = list(dict.fromkeys(ids))
        pipe = self.r.pipeline(transaction=False)
        for story_id in wanted:
            pipe.hmget(self._k("story", story_id), *_ROW_FIELDS)
        found = (_redis_row(values) for values in pipe.execute())
        return {row.id: row for row in found if row is not None}

    def by_content(self, digest: bytes, outlet_key: str) -> Row | None:
        found = self.r.hget(self._k("content"), _content_key(digest, outlet_key))
        if not found:
            return None
        story_id = found.decode("utf-8")
        return self.rows([story_id]).get(story_id)

    def carriers(
        self, kind: str, keys: np.ndarray, low: float, high: float, cap: int
    ) -> dict[int, list[tuple[str, str | None]]]:
        low_, high_ = _score(low), _score(high)
        wanted = [int(key) for key in keys.tolist()]
        found: dict[int, list[str]] = {}
        for start in range(0, len(wanted), 4 * _CHUNK):
            chunk = wanted[start : start + 4 * _CHUNK]
            pipe = self.r.pipeline(transaction=False)
            for key in chunk:
                pipe.zrangebyscore(self._k(kind, str(key)), low_, high_, start=0, num=cap)
            for key, members in zip(chunk, pipe.execute()):
                if members:
                    found[key] = [member.decode("utf-8") for member in members]
        ids = sorted({story_id for members in found.values() for story_id in members})
        pipe = self.r.pipeline(transaction=False)
        for story_id in ids:
            pipe.hget(self._k("story", story_id), "cluster")
        clusters = {
            story_id: value.decode("utf-8") or None
            for story_id, value in zip(ids, pipe.execute())
            if value is not None
        }
        return {
            key: [(story_id, clusters[story_id]) for story_id in members if story_id in clusters]
            for key, members in found.items()
        }

    def _match_hashes(self, ids: Sequence[str]) -> list[dict[bytes, bytes]]:
        pipe = self.r.pipeline(transaction=False)
        for story_id in ids:
            pipe.hgetall(self._k("m", story_id))
        return pipe.execute()

    def linked(self, ids: Iterable[str]) -> set[str]:
        wanted = list(ids)
        found = set()
        for start in range(0, len(wanted), _CHUNK):
            for links in self._match_hashes(wanted[start : start + _CHUNK]):
                found.update(other.decode("utf-8") for other in links)
        return found

    def matches(self, ids: Iterable[str]) -> list[Match]:
        wanted = sorted(set(ids))
        inside = set(wanted)
        found: dict[tuple[str, str], Match] = {}
        for links in self._match_hashes(wanted):
            for other, value in links.items():
                if other.decode("utf-8") in inside:
                    match = Match(*json.loads(value))
                    found[(match.a, match.b)] = match
        return [found[pair] for pair in sorted(found)]

    def fingerprints(self, ids: Iterable[str]) -> dict[str, Fingerprint]:
        wanted = list(ids)
        pipe = self.r.pipeline(transaction=False)
        for story_id in wanted:
            pipe.hmget(self._k("story", story_id), "print", "text")
        return {
            story_id: stored_fingerprint(story_id, data, text, self.location)
            for story_id, (data, text) in zip(wanted, pipe.execute())
            if data is not None
        }

    def add(self, entries: list[Entry]) -> None:
        pipe = self.r.pipeline(transaction=True)
        for entry in entries:
            story = entry.story
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
                "cluster": "",
                "copy_of": entry.copy_of or "",
                "print": pack_print(entry.fingerprint, story.body),
                "text": pack_text(story.body),
            }
            pipe.hset(self._k("story", story.id), mapping=record)
            pipe.zadd(self._k("stamps"), {story.id: entry.stamp})
            pipe.hset(self._k("content"), _content_key(entry.digest, entry.outlet_key), story.id)
        found = [entry_keys(entry.fingerprint) for entry in entries]
        ids = [entry.story.id for entry in entries]
        stamps = [entry.stamp for entry in entries]
        for number, kind in enumerate((ANCHORS, UNITS)):
            for key, owners in _carried([keys[number] for keys in found]):
                pipe.zadd(self._k(kind, str(key)), {ids[at]: stamps[at] for at in owners})
        pipe.execute()

    def remove(self, ids: Iterable[str]) -> None:
        wanted = list(ids)
        pipe = self.r.pipeline(transaction=False)
        for story_id in wanted:
            pipe.hmget(
                self._k("story", story_id), "digest", "outlet_key", "cluster", "print", "text"
            )
            pipe.hkeys(self._k("m", story_id))
        found = pipe.execute()
        pipe = self.r.pipeline(transaction=True)
        for at, story_id in enumerate(wanted):
            (digest, outlet_key, cluster, data, text), others = found[2 * at], found[2 * at + 1]
            if data is not None:
                fingerprint = stored_fingerprint(story_id, data, text or b"", self.location)
                for kind, keys in zip((ANCHORS, UNITS), entry_keys(fingerprint)):
                    for key in keys.tolist():
                        pipe.zrem(self._k(kind, str(key)), story_id)
            if digest is not None:
                outlet = (outlet_key or b"").decode("utf-8")
                pipe.hdel(self._k("content"), _content_key(digest, outlet))
            if cluster:
                pipe.srem(self._k("cluster", cluster.decode("utf-8")), story_id)
            for other in others:
                pipe.hdel(self._k("m", other.decode("utf-8")), story_id)
            pipe.delete(self._k("m", story_id), self._k("story", story_id))
            pipe.zrem(self._k("stamps"), story_id)
        pipe.execute()

    def replace_matches(self, ids: set[str], matches: list[Match]) -> None:
        wanted = sorted(ids)
        pipe = self.r.pipeline(transaction=True)
        for story_id, links in zip(wanted, self._match_hashes(wanted)):
            stale = [other for other in links if other.decode("utf-8") in ids]
            if stale:
                pipe.hdel(self._k("m", story_id), *stale)
        for m in matches:
            value = json.dumps(
                [m.a, m.b, m.shared, m.resemblance, m.containment, m.kind, m.coverage]
            )
            pipe.hset(self._k("m", m.a), m.b, value)
            pipe.hset(self._k("m", m.b), m.a, value)
        pipe.execute()

    def set_clusters(self, clusters: dict[str, str | None]) -> None:
        wanted = list(clusters)
        pipe = self.r.pipeline(transaction=False)
        for story_id in wanted:
            pipe.hget(self._k("story", story_id), "cluster")
        old = pipe.execute()
        pipe = self.r.pipeline(transaction=True)
        for story_id, before in zip(wanted, old):
            cluster = clusters[story_id] or ""
            before = (before or b"").decode("utf-8")
            if before == cluster:
                continue
            if before:
                pipe.srem(self._k("cluster", before), story_id)
            if cluster:
                pipe.sadd(self._k("cluster", cluster), story_id)
            pipe.hset(self._k("story", story_id), "cluster", cluster)
        pipe.execute()

    def cluster_members(self, cluster: str) -> list[Row]:
        ids = sorted(
            member.decode("utf-8") for member in self.r.smembers(self._k("cluster", cluster))
        )
        return list(self.rows(ids).values())

    def select(self, since: float | None) -> Iterator[tuple[Row, Fingerprint]]:
        low = "-inf" if since is None else since
        ids = [m.decode("utf-8") for m in self.r.zrangebyscore(self._k("stamps"), low, "+inf")]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            prints = self.fingerprints(chunk)
            for row in self.rows(chunk).values():
                if row.id in prints:
                    yield row, prints[row.id]

    def older_than(self, cutoff: float, limit: int) -> list[str]:
        found = self.r.zrangebyscore(self._k("stamps"), "-inf", f"({cutoff}", start=0, num=limit)
        return [member.decode("utf-8") for member in found]

    def text(self, story_id: str) -> str:
        data = self.r.hget(self._k("story", story_id), "text")
        return unpack_text(data, story_id, self.location) if data else ""

    def counts(self) -> dict[str, Any]:
        ids = [m.decode("utf-8") for m in self.r.zrange(self._k("stamps"), 0, -1)]
        stamps, ingested, outlets = [], [], set()
        clusters: set[str] = set()
        clustered = copies = 0
        for start in range(0, len(ids), 1000):
            for row in self.rows(ids[start : start + 1000]).values():
                stamps.append(row.stamp)
                ingested.append(row.ingested)
                outlets.add(row.outlet_key)
                copies += row.copy_of is not None
                if row.cluster:
                    clusters.add(row.cluster)
                    clustered += 1
        pipe = self.r.pipeline(transaction=False)
        for story_id in ids:
            pipe.hlen(self._k("m", story_id))
        matches = sum(pipe.execute()) // 2
        return {
            "stories": len(stamps),
            "clusters": len(clusters),
            "clustered": clustered,
            "copies": copies,
            "matches": matches,
            "outlets": len(outlets),
            "oldest": min(stamps, default=None),
            "newest": max(stamps, default=None),
            "last_ingest": max(ingested, default=None),
            "bytes": None,
        }

    def close(self) -> None:
        self.r.close()


def _score(value: float) -> str | float:
    if value == float("inf"):
        return "+inf"
    if value == float("-inf"):
        return "-inf"
    return value


def _content_key(digest: bytes, outlet_key: str) -> bytes:
    return outlet_key.encode("utf-8") + b"\x1f" + digest


def _redis_row(values: Sequence[bytes | None]) -> Row | None:
    if values[0] is None:
        return None
    text = {
        name: (value.decode("utf-8") if value is not None else "")
        for name, value in zip(_ROW_FIELDS, values)
        if name != "digest"
    }
    return Row(
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
