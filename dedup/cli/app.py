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
from dedup.cli.group import DedupGroup

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


class LazyGroup(DedupGroup):
    """A group whose commands are imported from ``COMMANDS`` when first looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

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
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("dedup: %(message)s"))
    logger = logging.getLogger("dedup")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def main() -> None:
    """Console entry point: user errors get a one-line message, never a traceback."""
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
