"""Exit codes, shared by every command so that scripts and cron jobs can branch on them."""

from __future__ import annotations

OK = 0
"""Success: every input was read (``check``: the story is new)."""
COPY = 1
"""``check`` only: the story is a copy of one already indexed."""
USAGE = 2
"""Bad command line (click's own code)."""
INPUT = 3
"""Some inputs could not be read; they were reported on stderr and skipped, and the results
cover the rest."""
BUSY = 4
"""Another run holds the index and ``--lock-timeout`` ran out."""
INDEX = 5
"""The index could not be opened or used (unknown schema version, not an index, damaged)."""
INTERNAL = 70
"""An unexpected error inside wire-dedup (a bug; please report it with DEDUP_DEBUG=1 output)."""

HELP = f"""\b
Exit codes:
  {OK}   success (check: the story is new)
  {COPY}   check: the story is a copy of an indexed one
  {USAGE}   usage error
  {INPUT}   some input could not be read (reported on stderr, skipped)
  {BUSY}   the index is locked by another run (--lock-timeout ran out)
  {INDEX}   the index cannot be used (wrong schema version, damaged)
  {INTERNAL}  internal error (set DEDUP_DEBUG=1 for a traceback)"""
