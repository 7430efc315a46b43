"""The ``show``, ``report`` and ``explain`` commands: the views that make a scan's findings
obvious.

Like ``scan`` they take the settings options, so a cluster is shown, reported or explained
exactly as the scan with the same options formed it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from typing import Any

import click

from dedup.cli import exitcodes
from dedup.cli.common import (
    Reporter,
    build_settings,
    color_option,
    console,
    echo,
    field_option,
    guard,
    index_pair,
    input_format_option,
    jobs_option,
    load_inputs,
    one_story,
    open_index_at,
    pager_option,
    printable,
    quiet_option,
    read_options,
    settings_changes,
    settings_options,
    wants_rich,
)
from dedup.cli.group import OutputFailure
from dedup.engines.local import scan_stories
from dedup.read.inputs import ReadOptions
from dedup.records import InputProblem, ScanResult, Story
from dedup.settings import Settings
from dedup.views.maps import ClusterSource, ScanSource

FORMATS = ("text", "json")

db_option = click.option(
    "--db",
    metavar="PATH|URL",
    help="Read the clusters and stories a persistent index holds (see dedup ingest) instead "
    "of scanning INPUT: no source file is needed.",
)
since_option = click.option(
    "--since",
    metavar="DURATION",
    help="With --db: only the clusters of stories dated (else ingested) within this span, "
    "e.g. 24h.",
)


def _source(
    inputs: tuple[str, ...],
    db: str | None,
    since: str | None,
    values: dict[str, Any],
    options: ReadOptions,
    jobs: int,
    reporter: Reporter,
) -> tuple[ClusterSource, ScanResult, list[InputProblem]]:
    """The clusters to show: those an index holds (``--db``, or without INPUT the index
    ``$DEDUP_DB`` or a config file names, as for ``scan``: its stored clusters, no new scan),
    else those of a fresh scan of INPUT (``_scanned``)."""
    if db is None and not inputs:
        from dedup.engines.index import ConfigProblem, resolve_location

        with contextlib.suppress(ConfigProblem):  # none configured: INPUT is missing
            db, _ = resolve_location(None)
    if db is None:
        if since is not None:
            raise click.UsageError("--since selects an index's stories by date: give --db")
        return _scanned(inputs, options, build_settings(values), jobs, reporter)
    if inputs:
        raise click.UsageError("give INPUT or --db, not both: --db reads what the index holds")
    from dedup.engines.index import parse_duration
    from dedup.engines.index.source import IndexSource

    cutoff = None
    if since is not None:
        try:
            cutoff = time.time() - parse_duration(since)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--since") from None
    changes = settings_changes(values)
    if changes:
        given = ", ".join(f"--{name.replace('_', '-')}" for name in sorted(changes))
        raise click.UsageError(
            f"{given}: with --db the clusters are the ones the index stored, formed with its "
            "own settings; use dedup scan --db to judge its stories with other settings"
        )
    with guard(), open_index_at(db) as index:
        source = IndexSource.load(index, cutoff)
    return source, source.result(), []


def _scanned(
    inputs: tuple[str, ...],
    options: ReadOptions,
    settings: Settings,
    jobs: int,
    reporter: Reporter,
) -> tuple[ClusterSource, ScanResult, list[InputProblem]]:
    """The clusters to show, from a fresh scan of INPUT (``_source`` decides between this
    and an index)."""
    if not inputs:
        raise click.UsageError("give the INPUT stories to scan, or --db to read an index")
    stories, problems = load_inputs(inputs, options, reporter)
    result = scan_stories(stories, settings, jobs=jobs, progress=reporter.progress())
    result.problems = problems
    return ScanSource(result), result, problems


@click.command(epilog=exitcodes.help_for(*exitcodes.READING))
@click.argument("cluster_ref", metavar="CLUSTER")
@click.argument("inputs", nargs=-1, metavar="[INPUT...]")
@db_option
@since_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: a table on a terminal, plain text otherwise; json: one object.",
)
@click.option("--additions", is_flag=True, help="List each copy's own paragraphs.")
@pager_option
@jobs_option
@field_option
@input_format_option
@quiet_option
@color_option
@settings_options
def show(
    cluster_ref: str,
    inputs: tuple[str, ...],
    db: str | None,
    since: str | None,
    fmt: str,
    additions: bool,
    pager: bool,
    jobs: int,
    field_specs: tuple[str, ...],
    input_format: str,
    quiet: bool,
    color: bool | None,
    **values: Any,
) -> None:
    """Show how one story travelled: who ran it and when, and for each paragraph of the
    origin whether each copy kept it, reworded it (trimmed, merged, split...) or cut it.

    INPUT is scanned as by scan (same options); CLUSTER is a cluster id from that scan or
    the id of any story in the cluster. With --db instead of INPUT, the clusters are those
    the index holds, and the stories' text is the stored one.
    """
    from dedup.views.maps import (
        cluster_boilerplate,
        cluster_map,
        find_cluster,
        map_json,
        map_text,
    )

    reporter = Reporter(quiet, color)
    options = read_options(field_specs, input_format)
    source, result, problems = _source(inputs, db, since, values, options, jobs, reporter)
    settings = result.settings
    try:
        cluster = find_cluster(source.clusters(), cluster_ref)
    except LookupError as err:
        raise click.BadParameter(str(err.args[0]), param_hint="CLUSTER") from None
    stories = source.stories()
    plates = cluster_boilerplate(cluster, stories, result.boilerplate, settings)
    cmap = cluster_map(cluster, stories, plates)
    if fmt == "json":
        click.echo(json.dumps(map_json(cmap), ensure_ascii=False, indent=2))
    elif wants_rich(color):
        from dedup.cli.render import cluster_map_view, paged

        screen = console(color)
        with paged(screen, pager):
            cluster_map_view(cmap, screen, additions)
    else:
        echo(map_text(cmap, additions), pager)
    sys.exit(exitcodes.INPUT if problems else exitcodes.OK)


@click.command(epilog=exitcodes.help_for(*exitcodes.READING))
@click.argument("inputs", nargs=-1, metavar="[INPUT...]")
@db_option
@since_option
@click.option(
    "--html",
    "html_path",
    required=True,
    metavar="FILE",
    help="Write the report to FILE (- for standard output).",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists (atomically).")
@click.option("--title", default="Wire copies", show_default=True, help="The report's title.")
@jobs_option
@field_option
@input_format_option
@quiet_option
@settings_options
def report(
    inputs: tuple[str, ...],
    db: str | None,
    since: str | None,
    html_path: str,
    force: bool,
    title: str,
    jobs: int,
    field_specs: tuple[str, ...],
    input_format: str,
    quiet: bool,
    **values: Any,
) -> None:
    """Write one self-contained HTML page about the copies among INPUT: a list of clusters
    and, for each, who ran it, the paragraph map and side-by-side diffs of the origin with
    every copy. It works offline, on a phone and on paper.

    INPUT is scanned as by scan (same options). With --db instead of INPUT, the report
    covers the clusters the index holds (with --since, those of the stories of that span,
    e.g. a daily report from cron). An existing FILE is never replaced unless --force is
    given.
    """
    from dedup.files import write_file
    from dedup.views.html import report_html

    reporter = Reporter(quiet)
    to_stdout = html_path == "-"
    if not to_stdout:
        _check_target(html_path, force)
    options = read_options(field_specs, input_format)
    source, result, problems = _source(inputs, db, since, values, options, jobs, reporter)
    page = report_html(result, source, inputs=inputs or _named(db, since), title=title, jobs=jobs)
    if to_stdout:
        click.echo(page, nl=False)
    else:
        try:
            write_file(html_path, page, replace=force)
        except FileExistsError:
            raise click.UsageError(f"{html_path} exists; use --force to replace it") from None
        except OSError as err:
            raise OutputFailure(f"cannot write {html_path}: {err.strerror or err}") from None
        clusters = len(result.clusters)
        reporter.info(f"wrote {html_path}: {clusters} cluster{'s' if clusters != 1 else ''}")
    sys.exit(exitcodes.INPUT if problems else exitcodes.OK)


def _named(db: str | None, since: str | None) -> tuple[str, ...]:
    """What the report says it covers when it reads an index."""
    if db is None:
        return ()
    return (f"the index {db}" + (f" (the last {since})" if since else ""),)


def _check_target(path: str, force: bool) -> None:
    """Refuse before scanning, so a long scan is not wasted on a file that cannot be
    written; ``write_file`` checks again at the end."""
    if os.path.isdir(path):
        raise click.UsageError(f"{path} is a folder; give a file name for --html")
    if os.path.isfile(path) and not force:  # a device (/dev/stdout) is written into
        raise click.UsageError(f"{path} exists; use --force to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise click.UsageError(f"cannot write {path}: folder {folder} does not exist")


@click.command(epilog=exitcodes.help_for(*exitcodes.READING))
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.argument("extra", nargs=-1, metavar="[--context INPUT...]")
@click.option(
    "--context",
    "context",
    multiple=True,
    metavar="INPUT",
    help="The stories the pair was scanned with (files, folders, globs), so that boilerplate "
    "can be judged; the inputs after --context all count.",
)
@click.option(
    "--db",
    metavar="PATH|URL",
    help="A and B are ids of stories a persistent index holds (see dedup ingest), judged "
    "with the stored stories around them as the context.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: for people; json: one object.",
)
@field_option
@input_format_option
@quiet_option
@color_option
@settings_options
def explain(
    a: str,
    b: str,
    extra: tuple[str, ...],
    context: tuple[str, ...],
    db: str | None,
    fmt: str,
    field_specs: tuple[str, ...],
    input_format: str,
    quiet: bool,
    color: bool | None,
    **values: Any,
) -> None:
    """Say why stories A and B were or were not put together: what they share once
    boilerplate is taken out, the passages it comes from, whether a scan compares them, the
    verbatim thresholds and the rewrite decision (sentences aligned in order).

    A and B are files read like scan's inputs; name one story of a multi-story file as
    FILE#ID or FILE#N. Boilerplate needs a corpus: give the stories the pair was scanned
    with after --context. With --db, A and B are story ids in the index, judged with its
    settings and the stored stories around them (those sharing a passage with either, and
    their clusters) as the context.
    """
    from dedup.views.explain import explain as explain_pair
    from dedup.views.explain import explain_json, explain_text

    if extra and not context:
        raise click.UsageError(
            f"unexpected input {extra[0]!r}: give context stories after --context"
        )
    if db is not None and context:
        raise click.UsageError("give --context or --db, not both: --db is its own context")
    options = read_options(field_specs, input_format)
    reporter = Reporter(quiet, color)
    problems: list[InputProblem] = []
    others: list[Story] = []
    if db is not None:
        story_a, story_b, others, settings = _stored_pair(db, a, b, values)
    else:
        settings = build_settings(values)
        story_a, story_b = (one_story(spec, options, reporter) for spec in (a, b))
    if context:
        others, problems = load_inputs((*context, *extra), options, reporter)
        own = {_where(story_a), _where(story_b)}
        others = [story for story in others if _where(story) not in own]
    if story_a.key == story_b.key:
        raise click.UsageError(f"A and B are the same story ({a}): give two stories")
    found = explain_pair(story_a, story_b, others, settings)
    if fmt == "json":
        click.echo(json.dumps(explain_json(found), ensure_ascii=False, indent=2))
    elif wants_rich(color):
        from dedup.cli.render import explain_view

        explain_view(found, console(color))
    else:
        click.echo(printable(explain_text(found)), nl=False)
    sys.exit(exitcodes.INPUT if problems else exitcodes.OK)


def _stored_pair(
    db: str, a: str, b: str, values: dict[str, Any]
) -> tuple[Story, Story, list[Story], Settings]:
    """A and B as the index at ``db`` holds them, the stored stories around them, and the
    index's settings (with the options given laid over them)."""
    from dedup.engines.index.source import stored_context

    with guard(), open_index_at(db, changes=settings_changes(values)) as index:
        story_a, story_b = index_pair(index, db, a, b)
        return story_a, story_b, stored_context(index, (a, b)), index.settings


def _where(story: Story) -> tuple[str, int | None] | str:
    """Where a story was read from, whatever the spelling of its path: A and B found again
    among the context stories are the same stories, not two more of the corpus."""
    if story.path is None:
        return story.key
    return (os.path.realpath(story.path), story.record)
