"""The ``dedup`` group: global options, every command registered, and the console entry
point. This is the only module that knows all the commands; none of them imports it."""

from __future__ import annotations

import os
import sys

import click

from dedup.cli import exitcodes
from dedup.cli.diff import diff
from dedup.cli.evaluate import evaluate_command
from dedup.cli.index import check, ingest, prune, stats
from dedup.cli.scan import scan
from dedup.cli.views import explain, report, show


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


for command in (scan, diff, evaluate_command, ingest, check, prune, stats, show, report, explain):
    cli.add_command(command)


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
