"""What every command shares: where messages go, the options that several commands take,
reading inputs and settings from the command line, terminal decisions, and turning the
library's failures into one line and an exit code.

Command modules import from here and from the library, never from each other's private
names nor from the module that assembles the ``dedup`` group (``dedup.cli.app``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import fields as dataclass_fields
from typing import TYPE_CHECKING, Any, ClassVar

import click

from dedup.cli import exitcodes
from dedup.engines.local import load
from dedup.read.inputs import INPUT_FORMATS, Fields, ReadOptions
from dedup.records import InputProblem, Story
from dedup.settings import DEFAULT, Settings

if TYPE_CHECKING:
    from rich.console import Console

    from dedup.engines.index import Index


# -- messages ------------------------------------------------------------------------------


class Reporter:
    """Where a command's messages go: stderr, quiet or not, coloured only on a terminal."""

    def __init__(self, quiet: bool = False, color: bool | None = None) -> None:
        self.quiet = quiet
        self.color = color
        self.is_terminal = sys.stderr.isatty()

    def problem(self, problem: InputProblem) -> None:
        text = printable(f"dedup: skipped {problem}")  # a file name may hold escapes too
        click.secho(text, err=True, fg="red", color=self._color())

    def info(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True, color=self._color())

    def _color(self) -> bool | None:
        return self.color if self.color is not None else None

    def progress(self) -> Callable[[str, int, int], None] | None:
        """A progress callback drawn on stderr for every stage of a run, only on a terminal
        and not with ``--quiet``: a pipe or a log file gets no progress at all."""
        if self.quiet or not self.is_terminal:
            return None
        return RunProgress()


class RunProgress:
    """The library's ``progress(stage, done, total)`` calls as one rich display on stderr:
    a line per stage, added as each starts (count, rate, time spent and, where the total is
    known, time left), cleared once the last stage ends. ``total`` 0 means not known yet
    (input still being read)."""

    LAST = "clustering"
    """The stage that ends a run; the display is cleared when it is done."""

    UNITS: ClassVar[dict[str, str]] = {"verification": "pairs", "rewrite decisions": "pairs"}
    """What a stage counts, when not stories."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = self._start()
        if stage not in self._tasks:
            unit = self.UNITS.get(stage, "stories")
            self._tasks[stage] = self._bar.add_task(stage, total=total or None, unit=unit)
        self._bar.update(self._tasks[stage], completed=done, total=total or None)
        if stage == self.LAST and total and done >= total:
            self.close()

    def close(self) -> None:
        """Clear the display (safe to call twice)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    @staticmethod
    def _start() -> Any:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            """Stories (or pairs) a second, once there is something to measure."""

            def render(self, task: Any) -> Text:
                elapsed = task.finished_time if task.finished else task.elapsed
                speed = task.speed or (task.completed / elapsed if elapsed else 0)
                if not speed:
                    return Text("")
                return Text(f"{speed:,.0f} {task.fields['unit']}/s", style="progress.data.speed")

        bar = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        bar.start()
        atexit.register(bar.stop)  # a run that fails or is interrupted gets its cursor back
        return bar


def warn(message: str) -> None:
    """One red line on stderr about something the run could not do; the run goes on."""
    click.secho(printable(f"dedup: {message}"), err=True, fg="red")


# -- help ----------------------------------------------------------------------------------


class GroupedOption(click.Option):
    """An option listed in ``--help`` under a section of its own (``group``), so that the
    ten detection thresholds and the Spark options do not bury a command's own options."""

    def __init__(self, *args: Any, group: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group


class GroupedCommand(click.Command):
    """A command whose help lists its own options first, then each ``GroupedOption``
    section ("Spark options", "Detection options"), then its examples, then the epilog
    (exit codes). Click has no option groups; this is all they need here."""

    examples: tuple[str, ...] = ()
    """Command lines shown under "Examples", as typed (comments after ``#``)."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
            if record is not None:
                title = getattr(param, "group", None)
                sections.setdefault(f"{title} options" if title else "Options", []).append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.examples:
            with formatter.section("Examples"):
                for line in self.examples:  # as typed: never rewrapped
                    formatter.write(f"{'':>{formatter.current_indent}}{line}\n")
        super().format_epilog(ctx, formatter)


# -- settings ------------------------------------------------------------------------------


def _settings_options(command: Callable[..., Any], default_of: str | None) -> Callable[..., Any]:
    for spec in reversed(dataclass_fields(Settings)):
        name = "--" + spec.name.replace("_", "-")
        if "choices" in spec.metadata:
            kind = click.Choice(spec.metadata["choices"])
        else:
            kind = float if isinstance(spec.default, float) else int
        default = default_of or spec.default
        help_text = f"{spec.metadata['help']} [default: {default}]"
        command = click.option(
            name,
            spec.name,
            type=kind,
            default=None,
            help=help_text,
            cls=GroupedOption,
            group="Detection",
        )(command)
    return command


def settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One option per ``Settings`` field, so every threshold is tunable and documented."""
    return _settings_options(command, None)


def index_settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``settings_options`` for commands that work on an index, whose settings default to
    the index's own (the defaults of ``scan`` only for a new index): the help says so
    rather than show a figure the command would not use."""
    return _settings_options(command, "the index's")


def build_settings(values: dict[str, Any]) -> Settings:
    """The settings given by ``settings_options`` (taken out of ``values``) over the
    defaults. ``Settings`` checks its own values; a bad one is a usage error that names the
    option."""
    names = {spec.name for spec in dataclass_fields(Settings)}
    chosen = {k: values.pop(k) for k in list(values) if k in names}
    try:
        return DEFAULT.with_changes(**chosen)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=_refused_option(chosen)) from None


def _refused_option(chosen: dict[str, Any]) -> str | None:
    """The first option ``Settings`` refuses on its own, for the message (None when only a
    combination of values is refused)."""
    for name, value in chosen.items():
        try:
            DEFAULT.with_changes(**{name: value})
        except ValueError:
            return "--" + name.replace("_", "-")
    return None


def settings_changes(values: dict[str, Any]) -> dict[str, Any]:
    """The settings given on the command line (validated, and taken out of ``values``), to
    lay over an index's own."""
    names = set(Settings.__dataclass_fields__)
    changes = {k: v for k, v in values.items() if k in names and v is not None}
    build_settings(dict(values))  # raises a usage error on a bad value
    for name in names:
        values.pop(name, None)
    return changes


# -- reading -------------------------------------------------------------------------------


def read_options(field_specs: tuple[str, ...], input_format: str = "auto") -> ReadOptions:
    """``--field NAME=FIELD`` and ``--input-format`` as the readers' ``ReadOptions``; a bad
    field mapping is a usage error."""
    try:
        fields = Fields.parse(field_specs)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--field") from None
    return ReadOptions(fields=fields, input_format=input_format)


field_option = click.option(
    "--field",
    "field_specs",
    multiple=True,
    metavar="NAME=FIELD",
    help="JSON field holding a story part, e.g. body=story_text or id=guid (repeatable). "
    "NAME is one of id, headline, body, date, outlet, url.",
)


input_format_option = click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="auto: each file's format from its extension and content (text, markdown, json, "
    "jsonl, newsml for NewsML-G2, nitf, html, rss for RSS and Atom, parquet; gz, bz2 and xz "
    "compressed too); any other value reads every input as that format.",
)


def load_inputs(
    inputs: tuple[str, ...], options: ReadOptions, reporter: Reporter
) -> tuple[list[Story], list[InputProblem]]:
    """Every story in ``inputs``, the problems reported on stderr as well as returned."""
    stories, problems = load(inputs, options)
    for problem in problems:
        reporter.problem(problem)
    return stories, problems


class InputFailure(click.ClickException):
    """A story a command cannot do without (``diff A B``) could not be read: one line on
    stderr and exit ``INPUT``, as for any input that could not be read."""

    exit_code = exitcodes.INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"dedup: {self.format_message()}", err=True)


def one_story(spec: str, options: ReadOptions, reporter: Reporter) -> Story:
    """The one story ``spec`` names: a file holding one story, or ``FILE#ID`` / ``FILE#N``
    for one of several. A file that cannot be read is ``InputFailure`` (exit 3); a file
    that holds no such story is a usage error."""
    path, selector = spec, None
    if not os.path.exists(spec) and "#" in spec:
        path, _, selector = spec.rpartition("#")
    stories, problems = load([path], options)
    if not stories and problems:  # nothing to compare: one line, the reason, exit INPUT
        raise InputFailure(f"cannot read {printable(str(problems[0]))}")
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


# -- output --------------------------------------------------------------------------------

jobs_option = click.option(
    "--jobs",
    "-j",
    type=int,
    default=0,
    show_default=True,
    help="Processes for fingerprinting; 0 means all cores. Results do not depend on it.",
)
pager_option = click.option(
    "--pager", is_flag=True, help="Page the output (through $PAGER, else less) on a terminal."
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No summary or progress on stderr.")
color_option = click.option(
    "--color/--no-color",
    default=None,
    help="Force or forbid colour and tables (default: only on a terminal; NO_COLOR is honoured).",
)


_CONTROLS = {
    code: f"\\x{code:02x}" for code in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))
}
"""Every C0 and C1 control character but tab and newline, with its escape."""


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: control characters from story text (ESC of a
    ``ESC[2J`` that would clear the screen, an OSC sequence that retitles the window, BEL,
    a carriage return that overwrites the line) shown as ``\\x1b``-style escapes. Tab and
    newline stay. Every plain-text output and every table goes through it; JSON escapes
    them anyway and CSV keeps them, as data for programs."""
    return text.translate(_CONTROLS)


def echo(text: str, pager: bool) -> None:
    """Plain text to stdout (made ``printable``), through the pager only when asked (click
    pages only on a terminal, so pipes and files get the text as it is; it adds the final
    newline)."""
    text = printable(text)
    if pager:
        click.echo_via_pager(text.rstrip("\n"), color=False)
    else:
        click.echo(text, nl=False)


def wants_rich(color: bool | None) -> bool:
    """Tables and colour (rich) for ``--color``, or by default on a terminal."""
    return color if color is not None else sys.stdout.isatty()


def console(color: bool | None) -> Console:
    """A rich console for stdout that honours ``--color/--no-color`` (and NO_COLOR), and
    shows control characters in story text as escapes (``printable``)."""
    from rich.console import Console
    from rich.segment import Segment

    class PrintableConsole(Console):
        """Rich draws its own colours and cursor moves as styles and control segments;
        the text of every other segment is story text, escaped here, whatever renderable
        (table cell, heading, diff line) carried it."""

        def render(self, renderable: Any, options: Any = None) -> Iterator[Segment]:
            for segment in super().render(renderable, options):
                if segment.control or segment.text.isprintable():
                    yield segment
                else:
                    yield Segment(printable(segment.text), segment.style, segment.control)

    if color:
        return PrintableConsole(force_terminal=True)
    if color is False:
        return PrintableConsole(no_color=True)
    return PrintableConsole()


# -- the index -----------------------------------------------------------------------------


class IndexFailure(click.ClickException):
    """An index problem as a one-line message with its documented exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"dedup: {self.format_message()}", err=True)


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Turn what can go wrong with an index into one line on stderr and its exit code
    (``exitcodes.failure``): a usage error when no index is named anywhere."""
    try:
        yield
    except Exception as err:
        found = exitcodes.failure(err)
        if found is None:
            raise
        if found.code == exitcodes.USAGE:
            raise click.UsageError(found.message) from None
        raise IndexFailure(found.message, found.code) from None


def open_index_at(
    db: str | None,
    *,
    create: bool = False,
    changes: dict[str, Any] | None = None,
    window: float | None = None,
    lock_timeout: float | None = None,
) -> Index:
    """The index ``--db`` names, else the configured one (``$DEDUP_DB``, config files)."""
    from dedup.engines.index import DEFAULT_LOCK_TIMEOUT, open_index, resolve_location

    location, _ = resolve_location(db)
    return open_index(
        location,
        create=create,
        changes=changes,
        window=window,
        lock_timeout=DEFAULT_LOCK_TIMEOUT if lock_timeout is None else lock_timeout,
    )


def index_pair(index: Any, db: str, a: str, b: str) -> tuple[Story, Story]:
    """Stories A and B as the index holds them (``diff --db``, ``explain --db``); an id the
    index lacks, or the same id twice, is a usage error naming the argument."""
    from dedup.engines.index.source import stored_stories

    stories = stored_stories(index, (a, b))
    for name, wanted in (("A", a), ("B", b)):
        if wanted not in stories:
            raise click.BadParameter(f"the index {db} holds no story {wanted!r}", param_hint=name)
    if a == b:
        raise click.UsageError(f"A and B are the same story ({a}): give two stories")
    return stories[a], stories[b]
