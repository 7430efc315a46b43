"""``dedup scan``: clusters of copies, from INPUT files on this machine (the local engine),
from an archive on Apache Spark (``--engine spark``), or from what an index holds (``--db``).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from typing import Any

import click

from dedup.cli import exitcodes
from dedup.cli.common import (
    GroupedCommand,
    GroupedOption,
    Reporter,
    build_settings,
    color_option,
    console,
    field_option,
    guard,
    input_format_option,
    jobs_option,
    open_index_at,
    printable,
    quiet_option,
    read_options,
    settings_changes,
    settings_options,
    wants_rich,
)
from dedup.engines.local import scan as scan_inputs
from dedup.read.inputs import ReadOptions
from dedup.records import ScanResult
from dedup.settings import Settings
from dedup.views import output

FORMATS = ("table", "json", "jsonl", "csv")


@click.command(cls=GroupedCommand, epilog=exitcodes.help_for(*exitcodes.WITH_INDEX))
@click.argument("inputs", nargs=-1, required=False, metavar="[INPUT...]")
@click.option(
    "--db",
    metavar="PATH|URL",
    help="Scan the stories a persistent index holds instead of INPUT (see dedup ingest); "
    "without INPUT, $DEDUP_DB or a .dedup.toml names the index.",
)
@click.option(
    "--since",
    metavar="DURATION",
    help="With an index: only stories dated (else ingested) within this span, e.g. 24h.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table: for people (plain text when not on a terminal); json: one object; "
    "jsonl / csv: one row per story.",
)
@click.option("--singletons", is_flag=True, help="Also list stories that are copies of nothing.")
@jobs_option
@field_option
@input_format_option
@quiet_option
@color_option
@click.option(
    "--engine",
    type=click.Choice(("local", "spark")),
    default="local",
    show_default=True,
    help="local: this machine; spark: Apache Spark for archives (pip install "
    "'wire-dedup[spark]'), JSON Lines or Parquet in, files in --output DIR out.",
)
@click.option(
    "--output",
    "output_dir",
    metavar="DIR",
    cls=GroupedOption,
    group="Spark",
    help="With --engine spark (required): folder or URI for the member rows, cluster "
    "summaries, problems and summary.json.",
)
@click.option(
    "--output-format",
    type=click.Choice(("jsonl", "parquet")),
    cls=GroupedOption,
    group="Spark",
    default="jsonl",
    show_default=True,
    help="With --engine spark: format of the files written to --output.",
)
@click.option(
    "--master",
    metavar="URL",
    cls=GroupedOption,
    group="Spark",
    default=None,
    help="With --engine spark: Spark master URL [default: local[*], unless spark-submit, "
    "SPARK_SUBMIT_ARGS or PYSPARK_SUBMIT_ARGS name one].",
)
@settings_options
def scan(
    inputs: tuple[str, ...],
    db: str | None,
    since: str | None,
    fmt: str,
    singletons: bool,
    jobs: int,
    field_specs: tuple[str, ...],
    input_format: str,
    quiet: bool,
    color: bool | None,
    engine: str,
    output_dir: str | None,
    output_format: str,
    master: str | None,
    **values: Any,
) -> None:
    """Cluster the copies of the same story among INPUT files, folders (read recursively),
    glob patterns, or - for standard input (its format sniffed as a file's).

    Stories are plain text or Markdown (first short line = headline, paragraphs separated by
    blank lines, optional '---' front matter), JSON / JSON Lines / Parquet records,
    NewsML-G2, NITF, HTML pages and RSS / Atom feeds, compressed or not.
    """
    if db is not None or since is not None or not inputs:
        result = _scan_index(db, since, inputs, values)
        _print_scan(result, fmt, singletons, color, Reporter(quiet, color))
        sys.exit(exitcodes.OK)
    settings = build_settings(values)
    options = read_options(field_specs, input_format)
    reporter = Reporter(quiet, color)
    if engine == "spark":
        sys.exit(
            _scan_spark(
                inputs,
                output_dir,
                output_format=output_format,
                master=master,
                settings=settings,
                options=options,
                singletons=singletons,
                reporter=reporter,
            )
        )
    if output_dir or master:
        raise click.UsageError("--output and --master go with --engine spark")
    result = scan_inputs(
        list(inputs),
        settings,
        read_options=options,
        jobs=jobs,
        progress=reporter.progress(),
        keep_text=False,
        on_problem=reporter.problem,
    )
    _print_scan(result, fmt, singletons, color, reporter)
    sys.exit(exitcodes.INPUT if result.problems else exitcodes.OK)


def _print_scan(
    result: ScanResult, fmt: str, singletons: bool, color: bool | None, reporter: Reporter
) -> None:
    if fmt == "json":
        import json

        click.echo(json.dumps(output.scan_json(result, singletons), ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        click.echo(output.to_jsonl(output.scan_rows(result, singletons)), nl=False)
    elif fmt == "csv":
        rows = output.to_csv(output.scan_rows(result, singletons))
        # Exact for programs (click would strip ANSI sequences from a pipe without
        # color=True); escaped only when a person reads it on a terminal.
        click.echo(printable(rows) if sys.stdout.isatty() else rows, nl=False, color=True)
    elif wants_rich(color):
        from dedup.cli.render import scan_table

        scan_table(result, console(color), singletons)
    else:
        click.echo(printable(output.scan_text(result, singletons)), nl=False)
    reporter.info(output.summary_line(result))


# -- scan --db -----------------------------------------------------------------------------


def _scan_index(
    db: str | None, since: str | None, inputs: tuple[str, ...], values: dict[str, Any]
) -> ScanResult:
    """``dedup scan --db``: clusters over the stories the index holds (stamped within
    ``since`` of now), by the scan's own code."""
    from dedup.engines.index import ConfigProblem, parse_duration, resolve_location

    if inputs and db is None:
        raise click.UsageError(
            "--since selects stories of an index by date: give --db (or none of INPUT, to use "
            "$DEDUP_DB or .dedup.toml); INPUT files are always read whole"
        )
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
    with guard(), open_index_at(db, changes=changes) as index:
        return index.scan(time.time() - seconds if seconds else None)


# -- scan --engine spark -------------------------------------------------------------------


def _scan_spark(
    inputs: Sequence[str],
    output_dir: str | None,
    *,
    output_format: str,
    master: str | None,
    settings: Settings,
    options: ReadOptions,
    singletons: bool,
    reporter: Reporter,
) -> int:
    """``dedup scan --engine spark``: check what can be checked before Spark starts (which
    takes seconds), run the engine, report problems and the summary on stderr, and return
    the exit code (3 when some input could not be read)."""
    from dedup.engines import spark

    if not output_dir:
        raise click.UsageError("--engine spark writes its results to a folder: give --output DIR")
    if options.input_format not in spark.INPUT_FORMATS:
        raise click.BadParameter(
            "the Spark engine reads JSON Lines and Parquet: use auto, jsonl or parquet",
            param_hint="--input-format",
        )
    try:
        spark.require_pyspark()
    except ImportError as err:
        raise click.UsageError(str(err)) from None
    if not spark.is_uri(output_dir):  # Spark's own file systems are checked once it runs
        taken = [name for name in spark.OUTPUTS if os.path.exists(os.path.join(output_dir, name))]
        if taken:
            raise click.BadParameter(
                f"{output_dir} already holds {', '.join(taken)}; choose a new folder",
                param_hint="--output",
            )
    from pyspark.sql import SparkSession

    starting = "PYSPARK_GATEWAY_PORT" not in os.environ and not SparkSession.getActiveSession()
    if starting and not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise click.UsageError("Spark needs Java 17 or later: install a JDK or set JAVA_HOME")
    with spark.spark_session(master) as session:
        try:
            result = spark.scan_spark(
                session,
                inputs,
                output_dir,
                settings,
                read_options=options,
                output_format=output_format,
                singletons=singletons,
            )
        except FileExistsError as err:
            raise click.BadParameter(str(err), param_hint="--output") from None
    for problem in result.first_problems:
        reporter.problem(problem)
    if result.problems > len(result.first_problems):
        more = result.problems - len(result.first_problems)
        reporter.info(f"dedup: {more} more problems in {result.output}/problems")
    reporter.info(result.summary_line())
    return exitcodes.INPUT if result.problems else exitcodes.OK
