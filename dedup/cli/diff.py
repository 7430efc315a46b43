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
    guard,
    index_pair,
    input_format_option,
    load_inputs,
    one_story,
    open_index_at,
    pager_option,
    quiet_option,
    read_options,
    wants_rich,
)
from dedup.records import InputProblem, Story
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
    "--db",
    metavar="PATH|URL",
    help="A and B are ids of stories a persistent index holds (see dedup ingest): their stored "
    "text is compared, and boilerplate is judged over the stored stories around them.",
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
    db: str | None,
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

    With --db, A and B are story ids in the index: their stored text is compared (the source
    files may be gone), with boilerplate judged over the stored stories around them.
    """
    if extra and not context:
        raise click.UsageError(
            f"unexpected input {extra[0]!r}: give context stories after --context"
        )
    if db is not None and context:
        raise click.UsageError("give --context or --db, not both: --db judges boilerplate itself")
    options = read_options(field_specs, input_format)
    reporter = Reporter(quiet, color)
    problems: list[InputProblem] = []
    plate_a: set[int] = set()
    plate_b: set[int] = set()
    if db is not None:
        story_a, story_b, plate_a, plate_b = stored_pair(db, a, b)
    else:
        story_a, story_b = (one_story(spec, options, reporter) for spec in (a, b))
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


def stored_pair(db: str, a: str, b: str) -> tuple[Story, Story, set[int], set[int]]:
    """Stories A and B as the index at ``db`` holds them, with their boilerplate paragraphs
    judged over the stored stories around them; an id the index lacks is a usage error."""
    from dedup.engines.index.source import stored_boilerplate
    from dedup.views.maps import boilerplate_paragraphs

    with guard(), open_index_at(db) as index:
        pair = list(index_pair(index, db, a, b))
        removed = stored_boilerplate(index, pair)
        plates = []
        for story in pair:
            gone = removed.get(story.id)
            if gone is None or not len(gone):
                plates.append(set())
                continue
            print_ = index.fingerprinter.batch([story])[0]
            plates.append(boilerplate_paragraphs(story, print_, gone, index.settings))
    return pair[0], pair[1], plates[0], plates[1]
