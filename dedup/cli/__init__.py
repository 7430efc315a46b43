"""The ``dedup`` command: a thin click layer over the Python API.

Results go to stdout, logs and progress to stderr. Tables and colour are drawn only for a
terminal (or with ``--color``); anything else gets plain, stable text.

- ``app``: the ``dedup`` group, which registers every command, and ``main`` (the console
  script);
- ``common``: what the commands share (messages, options, settings, reading inputs,
  terminal decisions, index failures);
- ``exitcodes``: the documented exit codes, and the one mapping from library exceptions to
  them;
- one module per command or family: ``scan`` (local, Spark and ``--db``), ``diff``,
  ``evaluate`` (``eval``), ``index`` (``ingest``, ``check``, ``prune``, ``stats``) and
  ``views`` (``show``, ``report``, ``explain``);
- ``render``: the rich tables and views drawn on a terminal (imported only to draw them).

``dedup.cli.cli`` and ``dedup.cli.main`` are looked up in ``app`` when first asked for, so
that importing one module of the package (``exitcodes``, ``common``) does not import every
command, and no module's import comes back to the one that started it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dedup.cli.app import cli, main

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dedup.cli import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
