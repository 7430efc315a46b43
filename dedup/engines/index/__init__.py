"""The persistent index: stories seen over days, asked "new or a copy?" one run at a time.

A cron job that runs every few minutes cannot rescan everything it has seen. The index keeps,
for every story, what the detection core would compute again: metadata, the fingerprint
(``store.pack_print``), its anchors and sentence-unit band keys (to find the stories
around a new one), the matches it takes part in, the cluster it belongs to, and its text (so
diffs still work once the source file is gone). Two back ends hold it: one SQLite file (the
default, stdlib ``sqlite3`` in WAL mode) or a Redis server shared by several hosts
(``redis://host:6379/0``).

- ``config``: where the index is (``--db``, ``$DEDUP_DB``, config files), durations, defaults;
- ``errors``: why an index cannot serve a run;
- ``store``: the ``Store`` interface the back ends implement, and the records they exchange;
- ``sqlite``, ``redis``: the two back ends;
- ``logic``: ``Index``, which ingests and judges stories, and ``open_index``.

None of it needs click or rich; ``dedup.cli.index_commands`` is the command-line layer.
"""

from dedup.engines.index.config import (
    DEFAULT_BATCH,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_WINDOW,
    ENV_VAR,
    config_paths,
    parse_duration,
    resolve_location,
)
from dedup.engines.index.errors import ConfigProblem, IndexBusy, IndexProblem, IndexUnusable
from dedup.engines.index.logic import (
    COPY,
    FINGERPRINT_SETTINGS,
    INDEXED,
    NEW,
    STATUSES,
    UPDATED,
    Index,
    Verdict,
    content_digest,
    open_index,
    open_store,
)
from dedup.engines.index.sqlite import SQLiteStore
from dedup.engines.index.store import SCHEMA_VERSION, Entry, Row, Store

__all__ = [
    "COPY",
    "DEFAULT_BATCH",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_WINDOW",
    "ENV_VAR",
    "FINGERPRINT_SETTINGS",
    "INDEXED",
    "NEW",
    "SCHEMA_VERSION",
    "STATUSES",
    "UPDATED",
    "ConfigProblem",
    "Entry",
    "Index",
    "IndexBusy",
    "IndexProblem",
    "IndexUnusable",
    "RedisStore",
    "Row",
    "SQLiteStore",
    "Store",
    "Verdict",
    "config_paths",
    "content_digest",
    "open_index",
    "open_store",
    "parse_duration",
    "resolve_location",
]


def __getattr__(name: str) -> object:
    """``RedisStore`` is imported when first asked for: most indexes are SQLite files, and a
    cron job's ``check`` should not load the Redis back end to open one."""
    if name == "RedisStore":
        from dedup.engines.index.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
