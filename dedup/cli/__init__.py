"""The ``dedup`` command: a thin click layer over the Python API.

Results go to stdout, logs and progress to stderr. Tables and colour are drawn only for a
terminal (or with ``--color``); anything else gets plain, stable text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from typing import Any

import click

from dedup import exitcodes
from dedup.engines.local import ScanResult, load, scan_stories
from dedup.engines.local import scan as scan_inputs
from dedup.read.inputs import INPUT_FORMATS, Fields, input_format
from dedup.records import InputProblem, Story
from dedup.settings import DEFAULT, Settings
from dedup.views import output
from dedup.views.align import align

FORMATS = ("table", "json", "jsonl", "csv")


class Reporter:
    """Where a command's messages go: stderr, quiet or not, coloured only on a terminal."""

    def __init__(self, quiet: bool = False, color: bool | None = None) -> None:
        self.quiet = quiet
        self.color = color
        self.is_terminal = sys.stderr.isatty()

    def problem(self, problem: InputProblem) -> None:
        click.secho(f"dedup: skipped {problem}", err=True, fg="red", color=self._color())

    def info(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True, color=self._color())

    def _color(self) -> bool | None:
        return self.color if self.color is not None else None

    def progress(self) -> Callable[[str, int, int], None] | None:
        """A progress callback drawn on stderr, only on a terminal and only for long runs."""
        if self.quiet or not self.is_terminal:
            return None
        state: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            """``total`` 0 means not known yet (input still being read)."""
            if max(total, done) < 5000 and "progress" not in state:
                return
            if "progress" not in state:
                from rich.console import Console
                from rich.progress import Progress

                bar = Progress(console=Console(stderr=True), transient=True)
                bar.start()
                state["progress"], state["task"] = bar, bar.add_task(stage, total=None)
            bar = state["progress"]
            bar.update(state["task"], completed=done, total=total or None, description=stage)
            if total and done >= total:
                bar.stop()

        return update


def settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One option per ``Settings`` field, so every threshold is tunable and documented."""
    for spec in reversed(dataclass_fields(Settings)):
        name = "--" + spec.name.replace("_", "-")
        kind = float if isinstance(spec.default, float) else int
        help_text = f"{spec.metadata['help']} [default: {spec.default}]"
        command = click.option(name, spec.name, type=kind, default=None, help=help_text)(command)
    return command


def build_settings(values: dict[str, Any]) -> Settings:
    names = {spec.name for spec in dataclass_fields(Settings)}
    chosen = {k: values.pop(k) for k in list(values) if k in names}
    try:
        settings = DEFAULT.with_changes(**chosen)
        _check_settings(settings)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None
    return settings


def _check_settings(settings: Settings) -> None:
    for name in ("passage_threshold", "near_duplicate", "min_containment"):
        value = getattr(settings, name)
        if not 0.0 < value <= 1.0:
            raise ValueError(f"--{name.replace('_', '-')} must be in (0, 1], got {value}")
    for name in ("shingle", "min_passage", "min_shared", "boilerplate_min", "widely_shared"):
        if getattr(settings, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
    if settings.num_perm < 16:
        raise ValueError("--num-perm must be at least 16")


def parse_fields(specs: tuple[str, ...]) -> Fields:
    try:
        return Fields.parse(specs)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--field") from None


field_option = click.option(
    "--field",
    "field_specs",
    multiple=True,
    metavar="NAME=FIELD",
    help="JSON field holding a story part, e.g. body=story_text or id=guid (repeatable). "
    "NAME is one of id, headline, body, date, outlet, url.",
)


def _use_input_format(ctx: click.Context, _param: click.Parameter, value: str) -> None:
    """The readers take the format from context for the command's run, so ``load`` and
    ``scan`` keep their signatures."""
    ctx.with_resource(input_format(value))


input_format_option = click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    expose_value=False,
    callback=_use_input_format,
    help="auto: each file's format from its extension and content (text, markdown, json, "
    "jsonl, newsml for NewsML-G2, nitf, html, rss for RSS and Atom, parquet; gz, bz2 and xz "
    "compressed too); any other value reads every input as that format.",
)
pager_option = click.option(
    "--pager", is_flag=True, help="Page the output (through $PAGER, else less) on a terminal."
)
jobs_option = click.option(
    "--jobs",
    "-j",
    type=int,
    default=0,
    show_default=True,
    help="Processes for fingerprinting; 0 means all cores. Results do not depend on it.",
)


def echo(text: str, pager: bool) -> None:
    """Plain text to stdout, through the pager only when asked (click pages only on a
    terminal, so pipes and files get the text as it is; it adds the final newline)."""
    if pager:
        click.echo_via_pager(text.rstrip("\n"), color=False)
    else:
        click.echo(text, nl=False)


quiet_option = click.option("--quiet", "-q", is_flag=True, help="No summary or progress on stderr.")
color_option = click.option(
    "--color/--no-color",
    default=None,
    help="Force or forbid colour and tables (default: only on a terminal; NO_COLOR is honoured).",
)


@click.group(epilog=exitcodes.HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wire-dedup", prog_name="dedup")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also log notes on stderr (encodings guessed, feed entries with a summary only, "
    "superseded NewsML versions).",
)
def cli(verbose: bool) -> None:
    """Find the copies of the same wire story across outlets, and show what each copy kept,
    changed and added."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("dedup: %(message)s"))
    logger = logging.getLogger("dedup")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


@cli.command(epilog=exitcodes.HELP)
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
    help="With --engine spark (required): folder or URI for the member rows, cluster "
    "summaries, problems and summary.json.",
)
@click.option(
    "--output-format",
    type=click.Choice(("jsonl", "parquet")),
    default="jsonl",
    show_default=True,
    help="With --engine spark: format of the files written to --output.",
)
@click.option(
    "--master",
    metavar="URL",
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
    quiet: bool,
    color: bool | None,
    engine: str,
    output_dir: str | None,
    output_format: str,
    master: str | None,
    **values: Any,
) -> None:
    """Cluster the copies of the same story among INPUT files, folders (read recursively),
    glob patterns, or - for JSON Lines on standard input.

    Stories are plain text or Markdown (first short line = headline, paragraphs separated by
    blank lines, optional '---' front matter), JSON / JSON Lines / Parquet records,
    NewsML-G2, NITF, HTML pages and RSS / Atom feeds, compressed or not.
    """
    if db is not None or since is not None or not inputs:
        from dedup.cli.index_commands import scan_index

        result = scan_index(db, since, inputs, values)
        _print_scan(result, fmt, singletons, color, Reporter(quiet, color))
        sys.exit(exitcodes.OK)
    settings = build_settings(values)
    fields = parse_fields(field_specs)
    reporter = Reporter(quiet, color)
    if engine == "spark":
        from dedup.engines.spark import scan_command

        sys.exit(
            scan_command(
                inputs,
                output_dir,
                output_format=output_format,
                master=master,
                settings=settings,
                fields=fields,
                singletons=singletons,
                reporter=reporter,
            )
        )
    if output_dir or master:
        raise click.UsageError("--output and --master go with --engine spark")
    result = scan_inputs(
        list(inputs),
        settings,
        fields=fields,
        jobs=jobs,
        progress=reporter.progress(),
        keep_text=False,
        on_problem=reporter.problem,
    )
    _print_scan(result, fmt, singletons, color, reporter)
    sys.exit(exitcodes.INPUT if result.problems else exitcodes.OK)


def _load(
    inputs: tuple[str, ...], fields: Fields, reporter: Reporter
) -> tuple[list[Story], list[InputProblem]]:
    stories, problems = load(inputs, fields)
    for problem in problems:
        reporter.problem(problem)
    return stories, problems


def _wants_rich(color: bool | None) -> bool:
    return color if color is not None else sys.stdout.isatty()


def _console(color: bool | None):
    from rich.console import Console

    if color:
        return Console(force_terminal=True)
    if color is False:
        return Console(no_color=True)
    return Console()


def _print_scan(
    result: ScanResult, fmt: str, singletons: bool, color: bool | None, reporter: Reporter
) -> None:
    if fmt == "json":
        import json

        click.echo(json.dumps(output.scan_json(result, singletons), ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        click.echo(output.to_jsonl(output.scan_rows(result, singletons)), nl=False)
    elif fmt == "csv":
        click.echo(output.to_csv(output.scan_rows(result, singletons)), nl=False)
    elif _wants_rich(color):
        from dedup.cli.render import scan_table

        scan_table(result, _console(color), singletons)
        return
    else:
        click.echo(output.scan_text(result, singletons), nl=False)
        return
    reporter.info(output.summary_line(result))


@cli.command(epilog=exitcodes.HELP)
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="text: side by side on a terminal, stacked otherwise.",
)
@pager_option
@field_option
@input_format_option
@quiet_option
@color_option
def diff(
    a: str,
    b: str,
    fmt: str,
    pager: bool,
    field_specs: tuple[str, ...],
    quiet: bool,
    color: bool | None,
) -> None:
    """Show, paragraph by paragraph, what stories A and B share, what changed (reworded,
    trimmed, merged or split) and what is unique to each.

    A and B are files read like scan's inputs; for a file holding several stories (JSON
    array, JSON Lines) name one as FILE#ID, or FILE#N for the N-th record.
    """
    fields = parse_fields(field_specs)
    reporter = Reporter(quiet, color)
    story_a, story_b = (_one_story(spec, fields, reporter) for spec in (a, b))
    alignment = align(story_a, story_b)
    if fmt == "json":
        import json

        click.echo(json.dumps(output.diff_json(alignment), ensure_ascii=False, indent=2))
    elif _wants_rich(color):
        from dedup.cli.render import diff_view, paged

        console = _console(color)
        with paged(console, pager):
            diff_view(alignment, console)
    else:
        echo(output.diff_text(alignment), pager)


def _one_story(spec: str, fields: Fields, reporter: Reporter) -> Story:
    path, selector = spec, None
    if not os.path.exists(spec) and "#" in spec:
        path, _, selector = spec.rpartition("#")
    stories, problems = load([path], fields)
    for problem in problems:
        reporter.problem(problem)
    if selector is not None:
        chosen = [s for s in stories if s.id == selector or str(s.record) == selector]
        if not chosen:
            raise click.BadParameter(f"no story with id or record number {selector!r} in {path}")
        return chosen[0]
    if len(stories) == 1:
        return stories[0]
    if not stories:
        raise click.BadParameter(f"no readable story in {spec}")
    ids = ", ".join(s.id for s in stories[:5]) + (" ..." if len(stories) > 5 else "")
    raise click.BadParameter(f"{spec} holds {len(stories)} stories; name one as {spec}#ID ({ids})")


@cli.command(name="eval", epilog=exitcodes.HELP)
@click.argument("inputs", nargs=-1, metavar="[INPUT...]")
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(dir_okay=False),
    required=True,
    help='True clusters: JSON Lines {"id", "cluster"} or CSV with id,cluster.',
)
@click.option(
    "--pairs",
    "pairs_path",
    type=click.Path(dir_okay=False),
    help='Also score judged pairs: JSON Lines {"a", "b", "label"} or CSV a,b,label.',
)
@click.option(
    "--predicted",
    "predicted_path",
    type=click.Path(dir_okay=False),
    help="Score these clusters (dedup scan --format jsonl/csv output, or id,cluster "
    "labels) instead of scanning INPUT; labelled ids absent from it are singletons.",
)
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@click.option(
    "--errors",
    "error_limit",
    type=int,
    default=10,
    show_default=True,
    help="How many of the worst errors to list.",
)
@jobs_option
@field_option
@quiet_option
@settings_options
def evaluate_command(
    inputs: tuple[str, ...],
    labels_path: str,
    pairs_path: str | None,
    predicted_path: str | None,
    fmt: str,
    error_limit: int,
    jobs: int,
    field_specs: tuple[str, ...],
    quiet: bool,
    **values: Any,
) -> None:
    """Score a clustering against ground truth: pairwise precision, recall and F1, Adjusted
    Rand Index, B-cubed, and the worst errors (false merges, missed pairs) with headlines.

    Clusters come from scanning INPUT with the given settings, or from --predicted.
    """
    from dedup.views import evaluate

    settings = build_settings(values)
    reporter = Reporter(quiet)
    try:
        truth = evaluate.read_labels(labels_path)
        pairs = evaluate.read_pair_labels(pairs_path) if pairs_path else None
        if predicted_path:
            # Stories a scan did not cluster are absent from its rows: they are singletons.
            predicted = evaluate.read_labels(predicted_path)
            predicted.update({i: "single:" + i for i in truth if i not in predicted})
            headlines: dict[str, str] = {}
            problems: list[InputProblem] = []
        elif inputs:
            stories, problems = _load(inputs, parse_fields(field_specs), reporter)
            result = scan_stories(stories, settings, jobs=jobs, progress=reporter.progress())
            predicted = {s.id: "single:" + s.id for s in result.stories}
            predicted.update({m.id: c.id for c in result.clusters for m in c.members})
            headlines = {s.id: s.headline for s in result.stories}
        else:
            raise click.UsageError("give INPUT to scan, or --predicted clusters")
    except (OSError, ValueError) as err:
        raise click.BadParameter(str(err)) from None
    scores = evaluate.score(predicted, truth)
    errors = evaluate.worst_errors(predicted, truth, headlines, limit=error_limit)
    pair_scores = evaluate.score_pairs(predicted, pairs) if pairs is not None else None
    if fmt == "json":
        import json
        from dataclasses import asdict

        data = {"scores": asdict(scores), "errors": [asdict(e) for e in errors]}
        if pair_scores is not None:
            data["pairs"] = asdict(pair_scores)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(_scores_text(scores, errors, pair_scores), nl=False)
    sys.exit(exitcodes.INPUT if problems else exitcodes.OK)


def _scores_text(scores: Any, errors: list[Any], pair_scores: Any) -> str:
    lines = [
        f"stories scored        {scores.stories}",
        f"pairwise precision    {scores.pairwise_precision:.4f}   ({scores.correct_pairs} of "
        f"{scores.predicted_pairs} predicted pairs are true)",
        f"pairwise recall       {scores.pairwise_recall:.4f}   ({scores.correct_pairs} of "
        f"{scores.true_pairs} true pairs found)",
        f"pairwise F1           {scores.pairwise_f1:.4f}",
        f"adjusted Rand index   {scores.ari:.4f}",
        f"B-cubed P / R / F1    {scores.bcubed_precision:.4f} / {scores.bcubed_recall:.4f} / "
        f"{scores.bcubed_f1:.4f}",
    ]
    if scores.missing_from_prediction:
        lines.append(f"labelled but not found: {len(scores.missing_from_prediction)}")
    if scores.unlabelled:
        lines.append(f"found but not labelled: {len(scores.unlabelled)}")
    if pair_scores is not None:
        lines.append(
            f"judged pairs          P {pair_scores.precision:.4f}  R {pair_scores.recall:.4f}"
            f"  F1 {pair_scores.f1:.4f}"
        )
        for row in pair_scores.rows:
            lines.append(
                f"  {row.label:<20} {row.linked:>6} of {row.pairs:<6} linked "
                f"({row.share_linked:.1%})"
            )
    if errors:
        lines.append("worst errors:")
        for error in errors:
            heads = f"  [{error.a_headline} | {error.b_headline}]" if error.a_headline else ""
            lines.append(f"  {error.kind:<12} {error.a}  {error.b}{heads}")
    else:
        lines.append("no errors")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Console entry point: user errors get a one-line message, never a traceback."""
    try:
        cli.main(prog_name="dedup")
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(exitcodes.OK)
    except KeyboardInterrupt:
        click.echo("dedup: interrupted", err=True)
        sys.exit(130)
    except Exception as err:  # last line of defence, see exitcodes.INTERNAL
        if os.environ.get("DEDUP_DEBUG"):
            raise
        click.echo(f"dedup: internal error: {type(err).__name__}: {err}", err=True)
        sys.exit(exitcodes.INTERNAL)


from dedup.cli import index_commands  # noqa: E402,F401,I001  (registers ingest, check, prune, stats)
from dedup.cli import view_commands  # noqa: E402,F401  (registers show, report, explain)
