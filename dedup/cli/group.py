"""The ``dedup`` group's own behaviour, shared by every command: ``-v`` after a command's
name too, and writes that fail because of the output (its reader gone, a full disk, no
standard output at all) turned into their documented exit codes.

It imports click and the exit codes only, so that ``dedup --version`` stays quick.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import sys
from typing import Any

import click

from dedup.cli import exitcodes

_OUTPUT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF, errno.EROFS}
"""Errors of a write that failed for a reason outside the program (full disk, quota, closed
or read-only output): exit ``OUTPUT``, never ``INTERNAL``."""


def set_verbose(verbose: bool) -> None:
    """Notes of the ``dedup`` loggers on stderr (``-v``), else warnings only."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("dedup: %(message)s"))
    logger = logging.getLogger("dedup")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def _verbose_after_command(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        set_verbose(True)
    return value


VERBOSE_HELP = (
    "Also log notes on stderr (encodings guessed, feed entries with a summary only, "
    "superseded NewsML versions)."
)


class OutputFailure(click.ClickException):
    """Results that could not be written (full disk, closed stdout, unwritable report):
    one line on stderr and exit ``OUTPUT``."""

    exit_code = exitcodes.OUTPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"dedup: {self.format_message()}", err=True)


class _ClosedOutput(io.TextIOBase):
    """Standard output when the process was started without one (``>&-``): Python gives
    None, and click would then drop every result without a word; this makes the first
    write fail instead, so the run ends with ``OUTPUT``."""

    def write(self, text: str) -> int:
        if isinstance(text, str) and not text:
            return 0
        if not isinstance(text, str):
            raise TypeError("text only")
        raise OSError(errno.EBADF, "standard output is closed")

    def writable(self) -> bool:
        return True


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that nothing still buffered for a broken or
    full output is written again (and fails again, as exit 120) when Python exits."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _output_exit(err: OSError) -> click.ClickException | click.exceptions.Exit:
    """What a failed write becomes: ``PIPE`` in silence when the reader went away, else
    one line naming the file (standard output when none) and ``OUTPUT``."""
    _discard_stdout()
    if err.errno == errno.EPIPE:
        return click.exceptions.Exit(exitcodes.PIPE)
    where = err.filename if err.filename else "standard output"
    reason = err.strerror or str(err)
    return OutputFailure(f"cannot write to {where}: {reason[:1].lower()}{reason[1:]}")


def _is_output_error(err: BaseException) -> bool:
    return isinstance(err, OSError) and (err.errno == errno.EPIPE or err.errno in _OUTPUT_ERRORS)


class DedupGroup(click.Group):
    """The ``dedup`` group: every command also takes ``-v`` after its name, and a write
    that fails because of the output (its reader gone, a full disk, no stdout at all)
    ends the run with its own documented exit code (``PIPE``, ``OUTPUT``) instead of a
    traceback, exit 1 (``check``'s "copy") or exit 70."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any("--verbose" in getattr(p, "opts", ()) for p in cmd.params):
            cmd.params.append(
                click.Option(
                    ["--verbose", "-v"],
                    is_flag=True,
                    expose_value=False,
                    is_eager=True,
                    callback=_verbose_after_command,
                    help=VERBOSE_HELP,
                )
            )
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        if sys.stdout is None:
            sys.stdout = _ClosedOutput()
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            # A file name that is not valid UTF-8 reaches Python as lone surrogates: written
            # as \udcXX escapes, output stays valid UTF-8, and JSON readers decode the escape
            # back to the same surrogate (os.fsencode then gives the original bytes).
            reconfigure(errors="backslashreplace")
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # buffered results fail here, not after the exit code
        except OSError as err:
            if not _is_output_error(err):
                raise
            raise _output_exit(err) from None

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:  # the group's own --help and --version write here
            return super().make_context(*args, **kwargs)
        except OSError as err:
            if not _is_output_error(err):
                raise
            raise _output_exit(err) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except SystemExit:
            try:  # what --help and --version left in the buffer
                if sys.stdout is not None:
                    sys.stdout.flush()
            except OSError as err:
                if not _is_output_error(err):
                    raise
                failed = _output_exit(err)
                if isinstance(failed, click.ClickException):
                    failed.show()
                raise SystemExit(failed.exit_code) from None
            raise
