"""Putting files where other programs will read them, without ever showing a half-made one.

``dedup ingest --move-copies/--copy-new`` hands files to pipelines (a publishing script, a
folder another job watches) and ``dedup report --html`` writes a page someone may have open.
A reader must find each file whole or not at all, and nothing already there may be lost, even
when two runs race or a run is killed half-way. Both rules are about files, not about the
command line, so they live here, usable from Python like the rest of the package:

- ``place`` moves or copies a file into a folder (``place_story``: the file a story was read
  from, refused for a story that shares its file with others): a hard link when it can
  (atomic, and the source goes only once the target exists), else a copy to a hidden
  temporary name in the folder that is then linked into place. A taken name is never
  overwritten: the file becomes ``name.1.txt``, ``name.2.txt``... (``.txt.gz`` kept
  together).
- ``write_file`` writes text through a temporary file beside its target, then links it into
  place (refusing an existing file) or, when asked, replaces the old file in one rename; a
  device or pipe (``/dev/stdout``) is written into, never replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from dedup.records import Story

COMPRESSED = frozenset({".gz", ".bz2", ".xz"})
"""Suffixes kept with the one before them when a free name is made (``feed.1.txt.gz``)."""


def free_names(directory: str, name: str) -> Iterator[str]:
    """``name`` in ``directory``, then ``stem.1.ext``, ``stem.2.ext``... without end."""
    suffixes = Path(name).suffixes
    keep = suffixes[-2:] if len(suffixes) >= 2 and suffixes[-1] in COMPRESSED else suffixes[-1:]
    suffix = "".join(keep)
    stem = name[: len(name) - len(suffix)] if suffix else name
    yield os.path.join(directory, name)
    number = 1
    while True:
        yield os.path.join(directory, f"{stem}.{number}{suffix}")
        number += 1


class NotPlaced(Exception):
    """A story's file was not moved or copied; the message says which and why."""


def place_story(story: Story, directory: str, *, move: bool) -> str:
    """Move or copy the file ``story`` was read from into ``directory`` with ``place``, and
    return where it went. A file holding several stories, or standard input, is left alone:
    ``NotPlaced``, as when the file system refuses."""
    what = "move" if move else "copy"
    if story.path is None or story.record is not None:
        where = story.path or "standard input"
        raise NotPlaced(f"{story.key}: not {what}d: it is one of several stories in {where}")
    try:
        return place(story.path, directory, move=move)
    except OSError as err:
        raise NotPlaced(f"{story.path}: could not {what} it to {directory}: {err}") from err


def place(source: str, directory: str, *, move: bool) -> str:
    """Put ``source`` into ``directory`` atomically, never overwriting: a file appears there
    whole or not at all, under its own name or the first free ``name.N.ext``, which is
    returned. The source is removed only when moving, and only once the target exists."""
    os.makedirs(directory, exist_ok=True)
    name = os.path.basename(source)
    if move:
        try:
            for target in free_names(directory, name):
                try:
                    os.link(source, target)  # fails rather than overwrite
                except FileExistsError:
                    continue
                os.unlink(source)
                return target
        except OSError as err:
            if err.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                raise
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(source, temporary)
        target = publish(temporary, directory, name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    if move:
        os.unlink(source)
    return target


def publish(temporary: str, directory: str, name: str) -> str:
    """Give a finished temporary file in ``directory`` its final name (``name`` or the first
    free ``name.N.ext``, returned) without overwriting anything. The temporary file stays
    for the caller to remove when it was hard-linked."""
    for target in free_names(directory, name):
        try:
            os.link(temporary, target)
            return target
        except FileExistsError:
            continue
        except OSError as err:
            if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                raise
            # No hard links here: reserve the name exclusively, then replace the reservation.
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(temporary, target)
            return target
    raise AssertionError("unreachable")  # pragma: no cover


_NAMES = "backslashreplace"
"""How text that cannot be UTF-8 is written: file names that are not UTF-8 reach Python as
lone surrogates, and are written as their ``\\udcXX`` escapes, as on standard output."""


def write_file(path: str, content: str, replace: bool = False) -> None:
    """Write ``content`` to ``path`` without ever leaving a half-written file: the text goes
    to a temporary file in the same directory first. Without ``replace`` an existing file is
    never replaced (``FileExistsError``), even one created while this was writing; with it,
    the old file is swapped for the new one in a single ``os.replace``."""
    if _is_device(path):
        # /dev/stdout, a named pipe, a terminal: written into, as a shell's ``>`` does;
        # renaming a file over it would replace the device itself.
        with open(path, "w", encoding="utf-8", errors=_NAMES, newline="\n") as stream:
            stream.write(content)
        return
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".dedup-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors=_NAMES, newline="\n") as stream:
            stream.write(content)
        os.chmod(temporary, 0o666 & ~_umask())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails if path exists, atomically
            except OSError as err:
                if isinstance(err, FileExistsError):
                    raise
                if os.path.exists(path):  # no hard links here: check, then move
                    raise FileExistsError(path) from None
                os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _is_device(path: str) -> bool:
    """A path that exists and is neither a regular file nor a folder (a device, a pipe)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
