"""``dedup diff``: two stories side by side, paragraph by paragraph."""

from __future__ import annotations

import sys

import click

from dedup.cli import exitcodes
from dedup.cli.common import (
    Reporter,
    color_option,
    console,
    echo,
    field_option,
    input_format_option,
    load_inputs,
    one_story,
    pager_option,
    quiet_option,
    read_options,
    wants_rich,
)
from dedup.records import InputProblem
from dedup.views import output
from dedup.views.align import align


@click.command(epilog=exitcodes.help_for(*exitcodes.READING))
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.argument("extra", nargs=-1, metavar="[--context INPUT...]")
@click.option(
    "--context",
    "context",
    multiple=True,
    metavar="INPUT",
    help="The stories A and B were scanned with (files, folders, globs), so that their "
    "boilerplate is shown as such; the inputs after --context all count.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="text: side by side on a terminal, stacked otherwise.",
)
@click.option(
    "--changes-only",
    is_flag=True,
    help="Leave out identical paragraphs (and boilerplate) from text output; JSON has all.",
)
@pager_option
@field_option
@input_format_option
@quiet_option
@color_option
def diff(
    a: str,
    b: str,
    extra: tuple[str, ...],
    context: tuple[str, ...],
    fmt: str,
    changes_only: bool,
    pager: bool,
    field_specs: tuple[str, ...],
    input_format: str,
    quiet: bool,
    color: bool | None,
) -> None:
    """Show, paragraph by paragraph, what stories A and B share, what changed (reworded,
    trimmed, merged, split or rewritten) and what is unique to each, with the words that
    differ marked: in colour on a terminal, as [-A's words-]{+B's words+} in plain text.

    A and B are files read like scan's inputs; for a file holding several stories (JSON
    array, JSON Lines) name one as FILE#ID, or FILE#N for the N-th record. A story with no
    paragraph breaks is compared sentence by sentence. With --context, boilerplate (text
    repeated across stories that share nothing else) is judged as a scan of A, B and the
    context judges it, and shown as boilerplate, neither shared nor unique.
    """
    if extra and not context:
        raise click.UsageError(
            f"unexpected input {extra[0]!r}: give context stories after --context"
        )
    options = read_options(field_specs, input_format)
    reporter = Reporter(quiet, color)
    story_a, story_b = (one_story(spec, options, reporter) for spec in (a, b))
    problems: list[InputProblem] = []
    plate_a: set[int] = set()
    plate_b: set[int] = set()
    if context:
        from dedup.views.maps import pair_boilerplate

        others, problems = load_inputs((*context, *extra), options, reporter)
        plate_a, plate_b = pair_boilerplate(story_a, story_b, others)
    alignment = align(story_a, story_b, boilerplate_a=plate_a, boilerplate_b=plate_b)
    if fmt == "json":
        import json

        click.echo(json.dumps(output.diff_json(alignment), ensure_ascii=False, indent=2))
    elif wants_rich(color):
        from dedup.cli.render import diff_view, paged

        screen = console(color)
        with paged(screen, pager):
            diff_view(alignment, screen, changes_only)
    else:
        echo(output.diff_text(alignment, changes_only), pager)
    if problems:
        sys.exit(exitcodes.INPUT)
