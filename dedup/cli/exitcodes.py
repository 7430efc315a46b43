"""Exit codes, shared by every command so that scripts and cron jobs can branch on them, and
the one mapping from the library's exceptions to them (``failure``).

The library raises exceptions that say what went wrong (``IndexBusy``, ``IndexUnusable``...);
which number a shell sees for each is the command line's decision, taken here only.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

OK = 0
"""Success: every input was read (``check``: the story is new)."""
COPY = 1
"""``check`` only: the story is a copy of one already indexed."""
USAGE = 2
"""Bad command line (click's own code), or no index named anywhere."""
INPUT = 3
"""Some inputs could not be read; they were reported on stderr and skipped, and the results
cover the rest."""
BUSY = 4
"""Another run holds the index and ``--lock-timeout`` ran out."""
INDEX = 5
"""The index could not be opened or used (unknown schema version, not an index, damaged)."""
INTERNAL = 70
"""An unexpected error inside wire-dedup (a bug; please report it with DEDUP_DEBUG=1 output)."""
OUTPUT = 74
"""Results or a report could not be written: a full disk, a closed standard output, an
unwritable file (sysexits' EX_IOERR). The results are incomplete; one line on stderr says why."""
PIPE = 141
"""Standard output was closed by its reader (``dedup scan | head -1``): what a shell shows
for a process killed by SIGPIPE (128 + 13), so ``set -o pipefail`` scripts see the usual
code. Nothing is written on stderr: the reader chose to stop."""

MEANINGS: dict[int, str] = {
    OK: "success",
    COPY: "check: the story is a copy of an indexed one (wins over 3)",
    USAGE: "usage error (bad option or argument, no index named)",
    INPUT: "some input could not be read (reported on stderr, skipped)",
    BUSY: "the index is locked by another run (--lock-timeout ran out)",
    INDEX: "the index cannot be used (wrong schema version, damaged)",
    INTERNAL: "internal error (set DEDUP_DEBUG=1 for a traceback)",
    OUTPUT: "output could not be written (disk full, closed stdout, unwritable file)",
    PIPE: "stdout closed by its reader (e.g. | head); nothing on stderr",
}
"""The one table of exit codes: every ``--help`` footer and the README's table show it."""

READING = (OK, USAGE, INPUT, OUTPUT, PIPE, INTERNAL)
"""What a command that reads INPUT files and writes results can return."""
WITH_INDEX = (OK, USAGE, INPUT, BUSY, INDEX, OUTPUT, PIPE, INTERNAL)
"""What a command that reads INPUT files and an index can return (``scan --db``, ``ingest``)."""
INDEX_ONLY = (OK, USAGE, BUSY, INDEX, OUTPUT, PIPE, INTERNAL)
"""What a command that works on an index alone can return (``prune``, ``stats``)."""


def help_for(*codes: int) -> str:
    """The ``--help`` footer listing ``codes`` (each command lists only the codes it can
    return), in numeric order, from ``MEANINGS``."""
    meanings = {**MEANINGS, OK: "success (check: the story is new)"} if COPY in codes else MEANINGS
    lines = [f"  {code:<4}{meanings[code]}" for code in sorted(set(codes))]
    return "\b\nExit codes:\n" + "\n".join(lines)


HELP = help_for(*MEANINGS)
"""Every exit code: the footer of ``dedup --help``."""


class Failure(NamedTuple):
    """What the command line says about an expected failure: its exit code and message."""

    code: int
    message: str


def failure(error: BaseException) -> Failure | None:
    """The exit code and one-line message for an exception the index raises or lets through
    (its own, SQLite's, Redis's), by the exception's type; None for any other exception,
    which is a bug (``INTERNAL``)."""
    from dedup.engines.index import ConfigProblem, IndexBusy, IndexProblem, IndexUnusable

    by_type: tuple[tuple[type[BaseException], int], ...] = (
        (ConfigProblem, USAGE),
        (IndexBusy, BUSY),
        (IndexUnusable, INDEX),
        (IndexProblem, INDEX),
    )
    for kind, code in by_type:
        if isinstance(error, kind):
            return Failure(code, str(error))
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return Failure(BUSY, f"the index is busy ({error})")
        return Failure(INDEX, f"the index cannot be used ({error})")
    if isinstance(error, sqlite3.DatabaseError):
        return Failure(INDEX, f"the index is damaged ({error})")
    if type(error).__module__.startswith("redis"):  # redis-py's errors, without importing it
        return Failure(INDEX, f"the Redis index failed: {error}")
    return None
