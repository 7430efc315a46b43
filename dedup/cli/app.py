"""The ``dedup`` group: global options, every command registered, and the console entry
point. This is the only module that knows all the commands; none of them imports it.

Commands are registered by name and imported only when one runs or a help page lists them,
so that ``dedup --version`` loads click alone and ``dedup check`` loads the index and not
Spark, the views or the rapidfuzz alignment."""

from __future__ import annotations

import os
import sys
from importlib import import_module

import click

from dedup.cli import exitcodes
from dedup.cli.group import DedupGroup, set_verbose

COMMANDS = {
    "scan": ("dedup.cli.scan", "scan"),
    "diff": ("dedup.cli.diff", "diff"),
    "eval": ("dedup.cli.evaluate", "evaluate_command"),
    "ingest": ("dedup.cli.index", "ingest"),
    "check": ("dedup.cli.index", "check"),
    "prune": ("dedup.cli.index", "prune"),
    "stats": ("dedup.cli.index", "stats"),
    "show": ("dedup.cli.views", "show"),
    "report": ("dedup.cli.views", "report"),
    "explain": ("dedup.cli.views", "explain"),
}
"""Each command's name and where it is defined (module, attribute)."""

EXAMPLES = {
    "scan": (
        "dedup scan samples/                       # clusters, as a table on a terminal",
        "dedup scan inbox/ --format json > clusters.json",
        "dedup scan --db wire.db --since 24h       # an index's stories of the last day",
        "dedup scan archive/ --engine spark --output out/  # on Apache Spark",
    ),
    "diff": (
        "dedup diff samples/wire/meridian/oss-floods.txt samples/radio-vell/oss-floods.txt",
        "dedup diff a.txt b.json --changes-only",
        "dedup diff stories.jsonl#mna-1 stories.jsonl#2   # two stories of one file",
    ),
    "show": (
        "dedup show mna-oss-floods samples/          # how one story travelled",
        "dedup show c4ebf67234f samples/ --format json",
        "dedup show mna-oss-floods --db wire.db      # from what an index holds",
    ),
    "report": (
        "dedup report samples/ --html report.html",
        "dedup report --db wire.db --since 24h --html today.html --force",
        "dedup report inbox/ --html - | gzip > report.html.gz   # - for standard output",
    ),
    "explain": (
        "dedup explain samples/wire/meridian/oss-floods.txt samples/radio-vell/oss-floods.txt",
        "dedup explain a.txt b.txt --context inbox/   # judged among the stories of a scan",
    ),
    "eval": ("dedup eval --labels samples/labels.csv samples/",),
    "ingest": (
        "dedup ingest --db wire.db inbox/            # add new stories, report their copies",
        "dedup ingest --db redis://localhost:6379/0 feeds/   # an index shared on Redis",
    ),
    "check": (
        "dedup check --db wire.db story.txt          # exit 1 when it copies a stored story",
        "cat story.json | dedup check --db wire.db -",
    ),
    "prune": ("dedup prune --db wire.db --older-than 30d",),
    "stats": ("dedup stats --db wire.db --format json",),
}
"""Each command's "Examples" in its ``--help``: kept here, beside the list of commands, as
command lines a reader can copy."""


class LazyGroup(DedupGroup):
    """A group whose commands are imported from ``COMMANDS`` when first looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Every command gets grouped options and its examples in ``--help``. The command
        module is imported by now, and with it ``dedup.cli.common``, so importing it here
        adds nothing to start-up."""
        from dedup.cli.common import GroupedCommand

        if type(cmd) is click.Command:  # same state, a help formatter of its own
            cmd.__class__ = GroupedCommand
        if isinstance(cmd, GroupedCommand):
            cmd.examples = EXAMPLES.get(name or cmd.name or "", ())
        super().add_command(cmd, name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)


@click.group(
    cls=LazyGroup,
    epilog=exitcodes.HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
    set_verbose(verbose)


def main() -> None:
    """Console entry point: user errors get a one-line message, never a traceback."""
    # numpy's BLAS starts a thread for each core as numpy is imported; no command does linear
    # algebra, and on a busy host those threads took a third of a cron job's CPU time.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        cli.main(prog_name="dedup")
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(exitcodes.PIPE)
    except KeyboardInterrupt:
        click.echo("dedup: interrupted", err=True)
        sys.exit(130)
    except Exception as err:  # last line of defence, see exitcodes.INTERNAL
        if os.environ.get("DEDUP_DEBUG"):
            raise
        click.echo(f"dedup: internal error: {type(err).__name__}: {err}", err=True)
        sys.exit(exitcodes.INTERNAL)
