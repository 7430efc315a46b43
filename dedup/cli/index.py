"""Commands over the persistent index: ``ingest``, ``check``, ``prune``, ``stats``.

They are written for cron: results on stdout (one line per story, or only the paths a
pipeline asked for with ``--emit``), problems as one line each on stderr, and an exit code
for every outcome (``dedup.cli.exitcodes``). ``scan --db`` (in ``dedup.cli.scan``) runs the
scan over what the index holds.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import click

from dedup.cli import exitcodes
from dedup.cli.common import (
    Reporter,
    field_option,
    guard,
    index_settings_options,
    input_format_option,
    open_index_at,
    printable,
    quiet_option,
    read_options,
    settings_changes,
    warn,
)
from dedup.engines.index import (
    COPY,
    DEFAULT_BATCH,
    DEFAULT_LOCK_TIMEOUT,
    INDEXED,
    NEW,
    UPDATED,
    Verdict,
    parse_duration,
)
from dedup.read.inputs import ReadOptions, read_inputs
from dedup.records import InputProblem, Story

EMIT = {"new": (NEW,), "copies": (COPY,), "all": (NEW, COPY, INDEXED, UPDATED)}

INDEX_HELP = """\b
Index: --db PATH (an SQLite file, made on first ingest) or redis://HOST:PORT/DB;
else $DEDUP_DB; else db = "..." in ./.dedup.toml; else in
~/.config/wire-dedup/config.toml. Settings default to those the index was made
with; --shingle, --anchor-window and --num-perm must match."""


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


def _stories(
    inputs: tuple[str, ...], options: ReadOptions, reporter: Reporter
) -> tuple[Iterator[Story], list[InputProblem]]:
    """Stories streamed from the inputs; problems reported as they come and collected."""
    problems: list[InputProblem] = []

    def stream() -> Iterator[Story]:
        for item in read_inputs(inputs, options):
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


@click.command(epilog=INDEX_HELP + "\n\n" + exitcodes.help_for(*exitcodes.WITH_INDEX))
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
    help=(
        "Stories judged together and committed as one transaction: a larger batch sees "
        "more of the run at once, so it is faster, and takes more memory. A batch spans "
        "eight weeks at most."
    ),
)
@field_option
@input_format_option
@quiet_option
@index_settings_options
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
    input_format: str,
    quiet: bool,
    **values: Any,
) -> None:
    """Add the stories in INPUT to the index, saying of each whether it is new, a copy
    (linked to a story seen before it), already indexed, or an updated version (same id with
    new text, or a near-duplicate of the same outlet's earlier story).

    The stories of a run are judged in date order, against everything indexed and the
    earlier stories of the run, within --window: a run over a folder says what a scan of it
    says. An original that arrives after its copies is a copy (of the earliest of them), and
    the origin of its cluster. Each batch is committed once its stories are reported; a
    story's text is stored with it.
    """
    from dedup.files import NotPlaced, place_story  # here: check never places a file

    changes = settings_changes(values)
    reporter = Reporter(quiet)
    stories, problems = _stories(inputs, read_options(field_specs, input_format), reporter)
    tally = dict.fromkeys((NEW, COPY, INDEXED, UPDATED), 0)
    failed = False
    with (
        guard(),
        open_index_at(
            db, create=True, changes=changes, window=window, lock_timeout=lock_timeout
        ) as index,
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
                try:
                    placed = place_story(verdict.story, target, move=target == move_copies)
                except NotPlaced as err:
                    warn(str(err))
                    failed = True
                else:
                    where = placed
                    record["moved_to" if target == move_copies else "copied_to"] = placed
            if emit is not None and verdict.status not in EMIT[emit]:
                continue
            if fmt == "jsonl":
                click.echo(json.dumps(record, ensure_ascii=False))
            elif emit is not None:
                click.echo(where)
            else:
                click.echo(printable(_line(verdict, where)))
    total = sum(tally.values())
    reporter.info(
        f"{total} {'story' if total == 1 else 'stories'}: {tally[NEW]} new, {tally[COPY]} "
        f"{'copy' if tally[COPY] == 1 else 'copies'}, {tally[INDEXED]} already indexed, "
        f"{tally[UPDATED]} updated" + (f"; {len(problems)} could not be read" if problems else "")
    )
    sys.exit(exitcodes.INPUT if problems or failed else exitcodes.OK)


# -- check ---------------------------------------------------------------------------------


@click.command(
    epilog=INDEX_HELP + "\n\n" + exitcodes.help_for(exitcodes.COPY, *exitcodes.WITH_INDEX)
)
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
@index_settings_options
def check(
    inputs: tuple[str, ...],
    db: str | None,
    fmt: str,
    show_diff: bool,
    window: float | None,
    field_specs: tuple[str, ...],
    input_format: str,
    quiet: bool,
    **values: Any,
) -> None:
    """Say whether each story in INPUT is new or a copy of one already indexed, without
    changing the index: what ingest would say of it alone.

    Exit code 0: every story is new; 1: at least one is a copy, or already indexed; 3: an
    input could not be read. The diff (--diff) uses the text stored in the index, so it
    works after the indexed story's file is gone.
    """
    changes = settings_changes(values)
    reporter = Reporter(quiet)
    stories, problems = _stories(inputs, read_options(field_specs, input_format), reporter)
    with guard(), open_index_at(db, changes=changes, window=window) as index:
        verdicts = index.check(stories)
        for verdict in verdicts:
            if fmt == "jsonl":
                click.echo(json.dumps(verdict.record(), ensure_ascii=False))
                continue
            click.echo(printable(_line(verdict, _where(verdict.story))))
            if show_diff and verdict.copies:
                indexed = index.story(verdict.copies)
                if indexed is not None:
                    from dedup.views import output
                    from dedup.views.align import align

                    click.echo(printable(output.diff_text(align(indexed, verdict.story))))
    if not verdicts and not problems:
        warn("no story found in the input")
    # The strongest finding wins: a story already in the index (1) is what a pipeline acts
    # on, so it is not hidden by an input that could not be read (3, told on stderr).
    if any(v.status != NEW for v in verdicts):
        sys.exit(exitcodes.COPY)
    sys.exit(exitcodes.INPUT if problems or not verdicts else exitcodes.OK)


# -- prune, stats --------------------------------------------------------------------------


@click.command(epilog=INDEX_HELP + "\n\n" + exitcodes.help_for(*exitcodes.INDEX_ONLY))
@db_option
@click.option(
    "--older-than",
    required=True,
    callback=_duration,
    metavar="DURATION",
    help="Remove stories dated (or, undated, ingested) longer ago than this, e.g. 14d.",
)
@click.option("--vacuum", is_flag=True, help="Also give the freed space back to the disk.")
@click.option("--yes", is_flag=True, help="Confirm --older-than 0, which removes every story.")
@lock_option
def prune(db: str | None, older_than: float, vacuum: bool, yes: bool, lock_timeout: float) -> None:
    """Remove old stories from the index, with everything stored about them."""
    if older_than <= 0 and not yes:
        raise click.UsageError(
            "--older-than 0 removes every story in the index; add --yes to confirm"
        )
    with guard(), open_index_at(db, lock_timeout=lock_timeout) as index:
        removed = index.prune(older_than)
        compact = getattr(index.store, "checkpoint", None)
        if compact is not None:
            with index.store.exclusive(lock_timeout):
                compact(vacuum=vacuum)
    click.echo(f"pruned {removed} {'story' if removed == 1 else 'stories'}")


@click.command(epilog=INDEX_HELP + "\n\n" + exitcodes.help_for(*exitcodes.INDEX_ONLY))
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
def stats(db: str | None, fmt: str) -> None:
    """What the index holds: stories, clusters, time span, size, settings."""
    with guard(), open_index_at(db) as index:
        data = index.stats()
    for name in ("oldest", "newest", "last_ingest"):  # ISO 8601, as every other output
        if data.get(name) is not None:
            data[name] = datetime.fromtimestamp(data[name], tz=timezone.utc).isoformat(
                timespec="seconds"
            )
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    for name, value in data.items():
        if name == "settings":
            value = " ".join(f"{k}={v}" for k, v in value.items())
        elif name == "bytes" and value is not None:
            value = f"{value} ({value / 1e6:.1f} MB)"
        click.echo(f"{name:<12} {'-' if value is None else value}")
