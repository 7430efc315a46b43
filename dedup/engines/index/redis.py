"""The Redis back end: an index on a Redis server, shared by several hosts."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from dedup.detect.fingerprint import Fingerprint, Fingerprinter
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
                raise IndexUnusable(version_message(url, version))
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
            raise IndexUnusable(version_message(self.location, version))
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
    ) -> list[BandGroup]:
        assert self.fingerprinter is not None and self.lsh is not None
        wanted = {int(i) for i in passages}
        groups = []
        for index, minhash in self.fingerprinter.minhashes(fingerprint):
            if index in wanted:
                found = {key[0] for key in self.lsh.query(minhash)} - {exclude}
                if found:
                    groups.append(BandGroup(index, sorted(found), True))
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
            story_id: stored_fingerprint(story_id, data, self.location)
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

    def paragraph_carriers(self, exact: int) -> list[Carrier]:
        found = self.r.hgetall(self._k("para", str(exact)))
        carriers = {key.decode("utf-8"): value.decode("utf-8") for key, value in found.items()}
        rows = self.rows(carriers)
        return [
            Carrier(rows[ref].sort_key, ref, outlet)
            for ref, outlet in carriers.items()
            if ref in rows
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
            "text": pack_text(story.body),
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
            fingerprint = stored_fingerprint(ref, data, self.location)
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
        return unpack_text(data) if data else ""

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
