"""Commands over the persistent index: ``ingest``, ``check``, ``prune``, ``stats``.

They are written for cron: results on stdout (one line per story, or only the paths a
pipeline asked for with ``--emit``), problems as one line each on stderr, and an exit code
for every outcome (``dedup.exitcodes``). ``scan --db`` (in ``dedup.cli``) runs the scan over
what the index holds through ``scan_index`` below.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from dedup import exitcodes
from dedup.cli import (
    Reporter,
    build_settings,
    cli,
    field_option,
    input_format_option,
    parse_fields,
    quiet_option,
    settings_options,
)
from dedup.engines.index import (
    COPY,
    DEFAULT_BATCH,
    DEFAULT_LOCK_TIMEOUT,
    INDEXED,
    NEW,
    UPDATED,
    ConfigProblem,
    Index,
    IndexProblem,
    Verdict,
    open_index,
    parse_duration,
    resolve_location,
)
from dedup.engines.local import ScanResult
from dedup.read.inputs import read_inputs
from dedup.records import InputProblem, Story
from dedup.settings import Settings
from dedup.views import output

EMIT = {"new": (NEW,), "copies": (COPY,), "all": (NEW, COPY, INDEXED, UPDATED)}
_COMPRESSED = {".gz", ".bz2", ".xz"}

INDEX_HELP = """\b
Index: --db PATH (an SQLite file, made on first ingest) or redis://HOST:PORT/DB;
else $DEDUP_DB; else db = "..." in ./.dedup.toml; else in
~/.config/wire-dedup/config.toml. Settings default to those the index was made
with; --shingle, --num-perm, --passage-threshold and --min-passage must match."""


class IndexFailure(click.ClickException):
    """An index problem as a one-line message with its documented exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"dedup: {self.format_message()}", err=True)


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Turn what can go wrong with an index into one line on stderr and an exit code."""
    try:
        yield
    except ConfigProblem as err:
        raise click.UsageError(str(err)) from None
    except IndexProblem as err:
        raise IndexFailure(str(err), err.exit_code) from None
    except sqlite3.OperationalError as err:
        if "locked" in str(err).lower() or "busy" in str(err).lower():
            raise IndexFailure(f"the index is busy ({err})", exitcodes.BUSY) from None
        raise IndexFailure(f"the index cannot be used ({err})", exitcodes.INDEX) from None
    except sqlite3.DatabaseError as err:
        raise IndexFailure(f"the index is damaged ({err})", exitcodes.INDEX) from None
    except Exception as err:
        if type(err).__module__.startswith("redis"):
            raise IndexFailure(f"the Redis index failed: {err}", exitcodes.INDEX) from None
        raise


def _duration(_ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param=param) from None


db_option = click.option(
    "--db",
    metavar="PATH|URL",
    help="The index: an SQLite file (created on first ingest) or redis://host:port/db. "
    "Default: $DEDUP_DB, then db in ./.dedup.toml, then ~/.config/wire-dedup/config.toml.",
)
window_option = click.option(
    "--window",
    default="72h",
    show_default=True,
    callback=_duration,
    metavar="DURATION",
    help="Match only stories this close in time (their own date, else when they were "
    "ingested), e.g. 36h, 7d; 0 for no limit.",
)
lock_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_LOCK_TIMEOUT,
    show_default=True,
    help="Seconds to wait for another run holding the index, then exit 4.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "jsonl")),
    default="text",
    show_default=True,
    help="text: one line per story; jsonl: one JSON object per story (id, path, status, "
    "copies, cluster, origin, and the match).",
)


def settings_changes(values: dict[str, Any]) -> dict[str, Any]:
    """The settings given on the command line (validated), to lay over the index's own."""
    names = set(Settings.__dataclass_fields__)
    changes = {k: v for k, v in values.items() if k in names and v is not None}
    build_settings(dict(values))  # raises a usage error on a bad value
    for name in names:
        values.pop(name, None)
    return changes


def _open(
    db: str | None,
    *,
    create: bool = False,
    changes: dict[str, Any] | None = None,
    window: float | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Index:
    location, _ = resolve_location(db)
    return open_index(
        location, create=create, changes=changes, window=window, lock_timeout=lock_timeout
    )


def _stories(
    inputs: tuple[str, ...], field_specs: tuple[str, ...], reporter: Reporter
) -> tuple[Iterator[Story], list[InputProblem]]:
    """Stories streamed from the inputs; problems reported as they come and collected."""
    fields = parse_fields(field_specs)
    problems: list[InputProblem] = []

    def stream() -> Iterator[Story]:
        for item in read_inputs(inputs, fields):
            if isinstance(item, InputProblem):
                reporter.problem(item)
                problems.append(item)
            else:
                yield item

    return stream(), problems


def _where(story: Story) -> str:
    """What ``--emit`` prints: the file of a story that is a whole file, else its id."""
    return story.path if story.path is not None and story.record is None else story.id


def _line(verdict: Verdict, where: str) -> str:
    """One plain line per story: status, id, what it copies, where it came from."""
    line = f"{verdict.status:<8} {verdict.story.id}"
    if verdict.indexed_as and verdict.indexed_as != verdict.story.id:
        line += f"  as {verdict.indexed_as}"
    if verdict.copies:
        line += f"  copy of {verdict.copies}"
        if verdict.match is not None:
            line += f" ({verdict.match.kind}, {verdict.match.shared} shingles shared)"
    if verdict.origin and verdict.copies and verdict.origin != verdict.copies:
        line += f", origin {verdict.origin}"
    if where != verdict.story.id:
        line += f"  [{where}]"
    return line


# -- ingest --------------------------------------------------------------------------------


@cli.command(epilog=INDEX_HELP + "\n\n" + exitcodes.HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@db_option
@click.option(
    "--emit",
    type=click.Choice(tuple(EMIT)),
    help="Print only the paths (ids for stories inside multi-story files) of the new "
    "stories, the copies, or all, one per line: for xargs.",
)
@format_option
@click.option(
    "--move-copies",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Move the files of copies into DIR (never overwriting: name.1.txt, ...).",
)
@click.option(
    "--copy-new",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Copy the files of new stories into DIR (never overwriting).",
)
@window_option
@lock_option
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Stories per committed transaction.",
)
@field_option
@input_format_option
@quiet_option
@settings_options
def ingest(
    inputs: tuple[str, ...],
    db: str | None,
    emit: str | None,
    fmt: str,
    move_copies: str | None,
    copy_new: str | None,
    window: float | None,
    lock_timeout: float,
    batch: int,
    field_specs: tuple[str, ...],
    quiet: bool,
    **values: Any,
) -> None:
    """Add the stories in INPUT to the index, saying of each whether it is new, a copy of
    one already indexed, already indexed, or an updated version (same id, new text).

    Each story is judged against everything indexed before it, within --window. Stories
    are reported once their batch is committed; a story's text is stored with it.
    """
    changes = settings_changes(values)
    reporter = Reporter(quiet)
    stories, problems = _stories(inputs, field_specs, reporter)
    tally = dict.fromkeys((NEW, COPY, INDEXED, UPDATED), 0)
    failed = False
    with (
        guard(),
        _open(db, create=True, changes=changes, window=window, lock_timeout=lock_timeout) as index,
    ):
        for verdict in index.ingest(stories, batch=batch):
            tally[verdict.status] += 1
            where = _where(verdict.story)
            target = None
            if verdict.status == COPY and move_copies:
                target = move_copies
            elif verdict.status == NEW and copy_new:
                target = copy_new
            record = verdict.record()
            if target is not None:
                placed = _act(verdict.story, target, move=target == move_copies)
                failed |= placed is None
                if placed is not None:
                    where = placed
                    record["moved_to" if target == move_copies else "copied_to"] = placed
            if emit is not None and verdict.status not in EMIT[emit]:
                continue
            if fmt == "jsonl":
                click.echo(json.dumps(record, ensure_ascii=False))
            elif emit is not None:
                click.echo(where)
            else:
                click.echo(_line(verdict, where))
    total = sum(tally.values())
    reporter.info(
        f"{total} {'story' if total == 1 else 'stories'}: {tally[NEW]} new, {tally[COPY]} "
        f"{'copy' if tally[COPY] == 1 else 'copies'}, {tally[INDEXED]} already indexed, "
        f"{tally[UPDATED]} updated" + (f"; {len(problems)} could not be read" if problems else "")
    )
    sys.exit(exitcodes.INPUT if problems or failed else exitcodes.OK)


def _act(story: Story, directory: str, *, move: bool) -> str | None:
    """Move or copy a story's file into ``directory``; None (reported) when it cannot."""
    what = "move" if move else "copy"
    if story.path is None or story.record is not None:
        where = story.path or "standard input"
        _warn(f"{story.key}: not {what}d: it is one of several stories in {where}")
        return None
    try:
        return place(story.path, directory, move=move)
    except OSError as err:
        _warn(f"{story.path}: could not {what} it to {directory}: {err}")
        return None


def _warn(message: str) -> None:
    click.secho(f"dedup: {message}", err=True, fg="red")


def _names(directory: str, name: str) -> Iterator[str]:
    """``name``, then ``stem.1.ext``, ``stem.2.ext``... (``.txt.gz`` kept together)."""
    suffixes = Path(name).suffixes
    keep = suffixes[-2:] if len(suffixes) >= 2 and suffixes[-1] in _COMPRESSED else suffixes[-1:]
    suffix = "".join(keep)
    stem = name[: len(name) - len(suffix)] if suffix else name
    yield os.path.join(directory, name)
    number = 1
    while True:
        yield os.path.join(directory, f"{stem}.{number}{suffix}")
        number += 1


def place(source: str, directory: str, *, move: bool) -> str:
    """Put ``source`` into ``directory`` atomically, never overwriting: a file appears there
    whole or not at all, under its own name or the first free ``name.N.ext``. The source is
    removed only when moving, and only once the target exists."""
    os.makedirs(directory, exist_ok=True)
    name = os.path.basename(source)
    if move:
        try:
            for target in _names(directory, name):
                try:
                    os.link(source, target)  # fails rather than overwrite
                except FileExistsError:
                    continue
                os.unlink(source)
                return target
        except OSError as err:
            if err.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                raise
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(source, temporary)
        target = _publish(temporary, directory, name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    if move:
        os.unlink(source)
    return target


def _publish(temporary: str, directory: str, name: str) -> str:
    """Give a finished temporary file its final name without overwriting anything."""
    for target in _names(directory, name):
        try:
            os.link(temporary, target)
            return target
        except FileExistsError:
            continue
        except OSError as err:
            if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                raise
            # No hard links here: reserve the name exclusively, then replace the reservation.
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(temporary, target)
            return target
    raise AssertionError("unreachable")  # pragma: no cover


# -- check ---------------------------------------------------------------------------------


@cli.command(epilog=INDEX_HELP + "\n\n" + exitcodes.HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@db_option
@format_option
@click.option(
    "--diff", "show_diff", is_flag=True, help="Show each copy's diff with the indexed story."
)
@window_option
@field_option
@input_format_option
@quiet_option
@settings_options
def check(
    inputs: tuple[str, ...],
    db: str | None,
    fmt: str,
    show_diff: bool,
    window: float | None,
    field_specs: tuple[str, ...],
    quiet: bool,
    **values: Any,
) -> None:
    """Say whether each story in INPUT is new or a copy of one already indexed, without
    changing the index.

    Exit code 0: every story is new; 1: at least one is a copy, or already indexed; 3: an
    input could not be read. The diff (--diff) uses the text stored in the index, so it
    works after the indexed story's file is gone.
    """
    changes = settings_changes(values)
    reporter = Reporter(quiet)
    stories, problems = _stories(inputs, field_specs, reporter)
    with guard(), _open(db, changes=changes, window=window) as index:
        verdicts = index.check(stories)
        for verdict in verdicts:
            if fmt == "jsonl":
                click.echo(json.dumps(verdict.record(), ensure_ascii=False))
                continue
            click.echo(_line(verdict, _where(verdict.story)))
            if show_diff and verdict.copies:
                indexed = index.story(verdict.copies)
                if indexed is not None:
                    from dedup.views.align import align

                    click.echo(output.diff_text(align(indexed, verdict.story)))
    if not verdicts and not problems:
        _warn("no story found in the input")
    if problems or not verdicts:
        sys.exit(exitcodes.INPUT)
    sys.exit(exitcodes.OK if all(v.status == NEW for v in verdicts) else exitcodes.COPY)


# -- prune, stats --------------------------------------------------------------------------


@cli.command(epilog=INDEX_HELP + "\n\n" + exitcodes.HELP)
@db_option
@click.option(
    "--older-than",
    required=True,
    callback=_duration,
    metavar="DURATION",
    help="Remove stories dated (or, undated, ingested) longer ago than this, e.g. 14d.",
)
@click.option("--vacuum", is_flag=True, help="Also give the freed space back to the disk.")
@lock_option
def prune(db: str | None, older_than: float, vacuum: bool, lock_timeout: float) -> None:
    """Remove old stories from the index, with everything stored about them."""
    with guard(), _open(db, lock_timeout=lock_timeout) as index:
        removed = index.prune(older_than)
        compact = getattr(index.store, "checkpoint", None)
        if compact is not None:
            with index.store.exclusive(lock_timeout):
                compact(vacuum=vacuum)
    click.echo(f"pruned {removed} {'story' if removed == 1 else 'stories'}")


@cli.command(epilog=INDEX_HELP + "\n\n" + exitcodes.HELP)
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
def stats(db: str | None, fmt: str) -> None:
    """What the index holds: stories, clusters, time span, size, settings."""
    with guard(), _open(db) as index:
        data = index.stats()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    for name, value in data.items():
        if name == "settings":
            value = " ".join(f"{k}={v}" for k, v in value.items())
        elif name in ("oldest", "newest", "last_ingest") and value is not None:
            value = datetime.fromtimestamp(value, tz=timezone.utc).isoformat(timespec="seconds")
        elif name == "bytes" and value is not None:
            value = f"{value} ({value / 1e6:.1f} MB)"
        click.echo(f"{name:<12} {'-' if value is None else value}")


# -- scan --db -----------------------------------------------------------------------------


def scan_index(
    db: str | None, since: str | None, inputs: tuple[str, ...], values: dict[str, Any]
) -> ScanResult:
    """``dedup scan --db``: clusters over the stories the index holds (stamped within
    ``since`` of now), by the scan's own code."""
    if inputs:
        raise click.UsageError("give INPUT or --db, not both: --db scans what the index holds")
    changes = settings_changes(values)
    seconds = None
    if since is not None:
        try:
            seconds = parse_duration(since)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--since") from None
    if db is None:
        try:
            resolve_location(None)
        except ConfigProblem:
            raise click.UsageError(
                "Missing argument 'INPUT...' (or --db to scan an index)"
            ) from None
    with guard(), _open(db, changes=changes) as index:
        return index.scan(time.time() - seconds if seconds else None)
