"""Read stories from files, folders, globs and standard input.

Readers never raise on bad input: every file or record that cannot be used becomes an
``InputProblem`` (with its path and position) and reading goes on, so one broken file in an
inbox never costs the rest of the run.

Formats (``INPUT_FORMATS``) are chosen by extension, then by a look at the (decompressed)
content: plain text and Markdown, JSON, JSON Lines, NewsML-G2, NITF, HTML pages, RSS/Atom
feeds and Parquet, each optionally gzip, bz2 or xz compressed. ``ReadOptions.input_format``
forces one; ``ReadOptions`` also says where JSON fields are found and how big a file may be.

Provenance: a file holding one story is its path (``Story.key == path``, no record number);
in a file that can hold several (JSON array, JSON Lines, Parquet, a NewsML-G2
``newsMessage``, a feed) the story's key is ``path#N`` and ``Story.record`` is N, its 1-based
position, so output and ``diff FILE#N`` point back to it. A story's id is the one its
metadata gives (JSON id field, NewsML-G2 guid, NITF doc-id, feed entry id, a page's canonical
URL), else its key (several per file) or its path inside the scanned folder (one per file).

Notes that are not problems go to the ``dedup.read`` logger: an encoding that had to be
detected (info), a feed entry read from its summary only (info), an earlier NewsML-G2
version set aside for a later one (debug).
"""

from __future__ import annotations

import bz2
import errno
import glob
import gzip
import io
import json
import logging
import lzma
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, BinaryIO

from dedup.read.formats import FormatError, Item, Skip
from dedup.read.formats.encoding import bom_encoding, decode_text, is_binary, with_bom
from dedup.read.text import split_paragraphs, take_headline
from dedup.records import InputProblem, Story

log = logging.getLogger("dedup.read")

INPUT_FORMATS = (
    "auto",
    "text",
    "markdown",
    "json",
    "jsonl",
    "newsml",
    "nitf",
    "html",
    "rss",
    "parquet",
)
"""Values of ``--input-format``; ``rss`` covers Atom feeds too."""

EXTENSION_FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "xml",  # NewsML-G2, NITF, a feed or XHTML: the root element says which
    ".newsml": "newsml",
    ".nitf": "nitf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".rss": "rss",
    ".atom": "rss",
    ".parquet": "parquet",
}
COMPRESSED: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_MAGIC = ((b"\x1f\x8b\x08", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))
STORY_SUFFIXES = set(EXTENSION_FORMATS)

_ROOT_FORMATS = {
    "newsitem": "newsml",
    "newsmessage": "newsml",
    "packageitem": "newsml",
    "nitf": "nitf",
    "rss": "rss",
    "feed": "rss",
    "rdf": "rss",
    "html": "html",
}
_NAMES = {
    "newsml": "NewsML-G2",
    "nitf": "NITF",
    "rss": "RSS/Atom",
    "html": "HTML",
}

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Default size limit of whole-file formats (everything but JSON Lines and Parquet, which
are streamed); ``DEDUP_MAX_FILE_MIB`` changes it. It keeps a stray 2 GB dump (or a
decompression bomb) from taking the machine's memory: such a file is reported and skipped."""
MAX_FILE_ENV = "DEDUP_MAX_FILE_MIB"
_HEAD = 65536

SUMMARY_ONLY = "~summary"
"""Appended to the key of a story made from a feed entry's summary alone. ``Story`` has no
field for it, and the key is the story's provenance, which is what this is about: the
record at ``feed.xml#3`` was only a summary. See ``is_summary_only``."""


def is_summary_only(story: Story) -> bool:
    """True for a story read from a feed entry that carried only its summary: it is short
    by nature, so its low overlap with the full story says little."""
    return story.key.endswith(SUMMARY_ONLY)


@dataclass(frozen=True)
class Fields:
    """Where each part of a story is found in a JSON record: the first name present wins.

    Archives name their fields differently; ``Fields.parse(["body=story_text"])`` adapts
    the readers without code.
    """

    id: tuple[str, ...] = ("id", "guid", "doc_id", "uid")
    headline: tuple[str, ...] = ("headline", "title", "hed")
    body: tuple[str, ...] = ("body", "text", "content", "article", "story")
    date: tuple[str, ...] = ("date", "published", "pubdate", "datetime", "timestamp", "created")
    outlet: tuple[str, ...] = ("outlet", "source", "publisher", "provider", "site")
    url: tuple[str, ...] = ("url", "link", "uri")

    @classmethod
    def parse(cls, specs: Iterable[str]) -> Fields:
        """Build from ``name=field[,field...]`` overrides; raises ValueError on a bad spec."""
        fields = cls()
        for spec in specs:
            name, sep, value = spec.partition("=")
            name = name.strip()
            names = tuple(v.strip() for v in value.split(",") if v.strip())
            if not sep or not names or name not in cls.__dataclass_fields__:
                known = ", ".join(cls.__dataclass_fields__)
                raise ValueError(
                    f"bad field mapping {spec!r}: use NAME=FIELD with NAME one of {known}"
                )
            fields = replace(fields, **{name: names})
        return fields

    def names(self) -> set[str]:
        """Every field name any part may come from (the Parquet columns worth reading)."""
        return {name for spec in self.__dataclass_fields__ for name in getattr(self, spec)}


DEFAULT_FIELDS = Fields()


@dataclass(frozen=True)
class ReadOptions:
    """How inputs are read, given to every reader and engine as an argument, so that what a
    run reads never depends on state set elsewhere."""

    fields: Fields = DEFAULT_FIELDS
    """Where each part of a story is found in a JSON record or a Parquet row."""
    input_format: str = "auto"
    """One of ``INPUT_FORMATS``: ``auto`` decides each file's format by its extension, then
    by its content; any other value reads every input as that format."""
    max_file_bytes: int | None = None
    """Size limit of whole-file formats; None means ``DEDUP_MAX_FILE_MIB``, else
    ``MAX_FILE_BYTES``, looked up when a read starts."""

    def __post_init__(self) -> None:
        if self.input_format not in INPUT_FORMATS:
            known = ", ".join(INPUT_FORMATS)
            raise ValueError(f"unknown input format {self.input_format!r}: use one of {known}")
        if self.max_file_bytes is not None and self.max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be positive, got {self.max_file_bytes}")

    def file_limit(self) -> int:
        """The size limit in bytes that applies now."""
        return self.max_file_bytes if self.max_file_bytes is not None else max_file_bytes()


DEFAULT_READ = ReadOptions()


def read_inputs(
    inputs: Iterable[str], options: ReadOptions = DEFAULT_READ, stdin: IO[str] | None = None
) -> Iterator[Story | InputProblem]:
    """Yield every story found in ``inputs`` (files, folders, globs, ``-`` for standard
    input, its format sniffed like a file's), and an ``InputProblem`` for everything that
    could not be read.

    Only the latest version of each NewsML-G2 guid is kept across the whole run, so those
    stories come last, once every input has been seen.
    """
    fields, fmt, limit = options.fields, options.input_format, options.file_limit()
    latest = _Latest()
    for source, root in expand_inputs(inputs):
        if isinstance(source, InputProblem):
            yield source
            continue
        if source == "-":
            items = _read_stdin(stdin, fields, fmt, limit)
        else:
            items = _read_path(source, fields, root, fmt, limit)
        for item in items:
            if isinstance(item, _Versioned):
                latest.offer(item)
            else:
                yield item
    yield from latest.stories()


def read_file(
    path: str, options: ReadOptions = DEFAULT_READ, root: str | None = None
) -> Iterator[Story | InputProblem]:
    """Read one file; its format is chosen by extension, then by a look at its content
    (unless ``options`` forces one)."""
    fields, fmt, limit = options.fields, options.input_format, options.file_limit()
    latest = _Latest()
    for item in _read_path(path, fields, root, fmt, limit):
        if isinstance(item, _Versioned):
            latest.offer(item)
        else:
            yield item
    yield from latest.stories()


def max_file_bytes() -> int:
    """The whole-file size limit: ``DEDUP_MAX_FILE_MIB`` if set to a positive number."""
    value = os.environ.get(MAX_FILE_ENV, "").strip()
    if value:
        try:
            mib = float(value)
        except ValueError:
            mib = 0.0
        if mib > 0:
            return int(mib * 1024 * 1024)
        log.warning("%s=%r is not a positive number of MiB; using the default", MAX_FILE_ENV, value)
    return MAX_FILE_BYTES


def expand_inputs(inputs: Iterable[str]) -> Iterator[tuple[Any, str | None]]:
    """Resolve arguments to files in a stable order; folders are walked recursively (story
    files only, hidden entries skipped, symlinked folders followed once each), globs are
    expanded when the shell did not. What cannot be looked at (a folder that cannot be
    listed, a path behind a folder that cannot be entered) is an ``InputProblem``."""
    for item in inputs:
        if item == "-":
            yield "-", None
            continue
        try:
            kind = _kind(item)
        except OSError as err:
            yield InputProblem(item, error_reason(err)), None
            continue
        if kind == "dir":
            yield from _folder(item)
        elif kind == "file":
            yield item, None
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                yield InputProblem(item, "no file matches this pattern"), None
            for match in matches:
                if os.path.isdir(match):
                    yield from _folder(match)
                else:
                    yield match, None
        elif kind == "other":
            yield InputProblem(item, "not a regular file (device, pipe or socket)"), None
        else:
            yield InputProblem(item, "no such file or directory"), None


def _kind(path: str) -> str:
    """One of "dir", "file", "other" or "missing"; raises OSError when the path cannot be looked
    at (a folder on the way that cannot be entered), which is not the same as missing."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise OSError(err.errno, "symbolic link loop", path) from None
        raise
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"


def _folder(folder: str) -> Iterator[tuple[str | InputProblem, str]]:
    """The story files of a folder, sorted, then the problems met walking it."""
    problems: list[InputProblem] = []
    files = sorted(_walk(Path(folder), problems))
    for found in files:
        yield found, folder
    for problem in problems:
        yield problem, folder


def _walk(folder: Path, problems: list[InputProblem]) -> Iterator[str]:
    """Story files under ``folder``. A subfolder that cannot be listed is a problem (its
    stories are lost, and the run says so); a symlinked folder is followed like a real one,
    as a user who linked it into an inbox expects, but each real folder is read once, so a
    link back up the tree (a loop) or to a folder already read adds nothing twice."""
    seen: set[tuple[int, int]] = set()

    def failed(err: OSError) -> None:
        problems.append(InputProblem(str(err.filename or folder), error_reason(err)))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=failed, followlinks=True):
        try:
            info = os.stat(dirpath)
        except OSError as err:
            failed(err)
            dirnames[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            log.info("%s: a folder already read (a symbolic link to it); skipped", dirpath)
            dirnames[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and _story_suffix(name) in STORY_SUFFIXES:
                yield os.path.join(dirpath, name)


def _story_suffix(name: str) -> str:
    suffixes = Path(name.lower()).suffixes
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


# -- one file ------------------------------------------------------------------------------


class _TooBig(Exception):
    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


_FILE_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


def _read_path(
    path: str, fields: Fields, root: str | None, fmt: str, limit: int
) -> Iterator[Story | InputProblem | _Versioned]:
    """Everything one file holds. Decides the format, then streams (JSON Lines, Parquet) or
    reads the whole file within ``limit``."""
    if os.path.exists(path) and not os.path.isfile(path):
        # A pipe or device would block the read or never end.
        yield InputProblem(path, "not a regular file (device, pipe or socket)")
        return
    chosen = fmt if fmt != "auto" else EXTENSION_FORMATS.get(_story_suffix(path))
    try:
        head = with_bom(file_head(path))
    except _FILE_ERRORS as err:
        yield InputProblem(path, error_reason(err))
        return
    if not head.strip() and len(head) < _HEAD:
        yield InputProblem(path, "empty file")
        return
    root_name = ""
    if chosen in (None, "xml"):
        found, root_name = _sniff(head)
        chosen = found or ("xml" if chosen == "xml" else "text")
    if chosen == "jsonl":
        if is_binary(head):
            yield InputProblem(path, "binary file (contains NUL bytes), not JSON Lines")
        else:
            yield from _stream_jsonl(path, fields, limit)
        return
    if chosen == "parquet" and opener_for(path) is None:
        yield from _read_parquet(path, path, fields)
        return
    try:
        data = with_bom(_read_bytes(path, limit))
    except _TooBig as err:
        yield InputProblem(path, _too_big(err.size, limit))
        return
    except _FILE_ERRORS as err:
        yield InputProblem(path, error_reason(err))
        return
    if chosen != "parquet" and is_binary(head):
        yield InputProblem(path, "binary file (contains NUL bytes), not a story")
        return
    if chosen == "xml":
        what = f"XML with root element <{root_name}>" if root_name else "not XML"
        yield InputProblem(
            path,
            f"{what}: not NewsML-G2, NITF, RSS/Atom or XHTML (name the format with --input-format)",
        )
        return
    yield from _read_data(data, path, fields, root, chosen)


def _read_data(
    data: bytes, path: str, fields: Fields, root: str | None, fmt: str
) -> Iterator[Story | InputProblem | _Versioned]:
    """Read a whole document already in memory as ``fmt``."""
    default_id = _default_id(path, root)
    if fmt == "parquet":
        yield from _read_parquet(io.BytesIO(data), path, fields)
        return
    if fmt == "jsonl":
        yield from _read_jsonl_lines(_bounded_lines(io.BytesIO(data), len(data)), path, fields)
        return
    if fmt in ("newsml", "nitf", "html", "rss"):
        yield from _read_structured(data, path, default_id, fmt)
        return
    try:
        text, note = decode_text(data)
    except ValueError as err:
        yield InputProblem(path, str(err))
        return
    if note:
        log.info("%s: %s", path, note)
    if not text.strip():
        yield InputProblem(path, "empty file")
    elif fmt == "json":
        yield from _read_json(text, path, fields)
    else:
        yield _read_text(text, path, default_id)


def file_head(path: str) -> bytes:
    """The first bytes of a file, decompressed: enough to detect its format."""
    with _open(path) as handle:
        return handle.read(_HEAD)


def opener_for(path: str) -> Callable[..., Any] | None:
    """How to decompress ``path``: by its extension, else by its first bytes (an archive
    that lost its ``.gz``)."""
    opener = COMPRESSED.get(Path(path.lower()).suffix)
    if opener is not None:
        return opener
    with open(path, "rb") as handle:
        magic = handle.read(8)
    return next((opener for prefix, opener in _MAGIC if magic.startswith(prefix)), None)


def _open(path: str) -> BinaryIO:
    opener = opener_for(path)
    return opener(path, "rb") if opener is not None else open(path, "rb")


def _read_bytes(path: str, limit: int) -> bytes:
    """The whole (decompressed) file, refusing more than ``limit`` bytes without reading
    them: by its size on disk, or by decompressing one byte past the limit."""
    if opener_for(path) is None:
        size = os.path.getsize(path)
        if size > limit:
            raise _TooBig(size)
    with _open(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _TooBig(None)
    return data


def _too_big(size: int | None, limit: int) -> str:
    actual = f"{_size(size)}, " if size is not None else ""
    return (
        f"too large to read whole ({actual}over the {_size(limit)} limit): split it, convert "
        f"it to JSON Lines (read line by line), or raise {MAX_FILE_ENV}"
    )


def _size(count: int) -> str:
    mib = 1024 * 1024
    return f"{count / mib:.4g} MiB" if count >= mib else f"{count} bytes"


def _sniff(head: bytes) -> tuple[str | None, str]:
    """The format the content shows, by magic number, XML root element or JSON bracket, and
    the root element's name; None for plain text or XML that no reader knows."""
    if head.startswith(b"PAR1"):
        return "parquet", ""
    text = head.decode(bom_encoding(head) or "utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        from dedup.read.formats.safexml import root_name

        name = root_name(stripped) or ""
        return _ROOT_FORMATS.get(name.lower()), name
    if stripped[:1] in ("[", "{"):
        return "json", ""
    return None, ""


def error_reason(err: BaseException) -> str:
    """A short reason for a read error, fit for ``InputProblem.reason``."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return str(err) or type(err).__name__


def _default_id(path: str, root: str | None) -> str:
    """A file's id when its metadata gives none: its path inside the folder that was
    scanned, or its name when it was named directly."""
    if root is not None:
        return Path(os.path.relpath(path, root)).as_posix()
    return Path(path).name


# -- standard input ------------------------------------------------------------------------


def _read_stdin(
    stdin: IO[str] | IO[bytes] | None, fields: Fields, fmt: str, limit: int
) -> Iterator[Story | InputProblem | _Versioned]:
    """Standard input, read as a file is: its format sniffed from its first bytes (a forced
    format wins), compressed or not. JSON Lines is streamed; anything else is one document,
    read whole within the limit. A closed or unreadable stdin, or binary bytes, is one
    problem, never one per "line"."""
    stream: Any = sys.stdin if stdin is None else stdin
    if stream is None:
        yield InputProblem("-", "standard input is closed")
        return
    source: Any = getattr(stream, "buffer", stream)
    try:
        head = source.read(_HEAD)
        if isinstance(head, str):  # a text stream without a buffer (tests, embedding)
            source = io.BytesIO((head + source.read()).encode("utf-8"))
            head = source.read(_HEAD)
        opener = next((opener for prefix, opener in _MAGIC if head.startswith(prefix)), None)
        if opener is not None:
            source = opener(_Rejoined(head, source), "rb")
            head = source.read(_HEAD)
    except (*_FILE_ERRORS, UnicodeDecodeError) as err:
        yield InputProblem("-", error_reason(err))
        return
    if not head.strip():
        if fmt not in ("auto", "jsonl"):  # an empty stream is JSON Lines with no record
            yield InputProblem("-", "empty input")
        return
    head = with_bom(head)  # UTF-16 without its mark gets one, for every reader after this
    chosen = fmt
    if fmt == "auto":
        found, root_name = _sniff(head)
        chosen = found or ("xml" if root_name else "text")
        if found == "json" and _first_line_is_json(head):
            chosen = "jsonl"
    if chosen != "parquet" and is_binary(head):
        yield InputProblem("-", "binary input (contains NUL bytes), not a story")
        return
    rest = io.BufferedReader(_Rejoined(head, source))
    if chosen == "jsonl":
        yield from _read_jsonl_lines(_bounded_lines(rest, limit), "-", fields, limit)
        return
    try:
        data = rest.read(limit + 1)
    except _FILE_ERRORS as err:
        yield InputProblem("-", error_reason(err))
        return
    if len(data) > limit:
        yield InputProblem("-", _too_big(None, limit))
    elif chosen == "xml":
        yield InputProblem("-", "XML that is not NewsML-G2, NITF, RSS/Atom or XHTML")
    else:
        yield from _read_data(data, "-", fields, None, chosen)


def _first_line_is_json(head: bytes) -> bool:
    """JSON Lines rather than one JSON document: the first line is a whole JSON value (or
    longer than the look, which streaming handles either way)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    line, newline, _ = text.partition("\n")
    if not newline:
        return len(head) >= _HEAD
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


class _Rejoined(io.RawIOBase):
    """A stream whose first bytes were already read to sniff it: those bytes, then the
    rest, so that standard input (which cannot seek) is read once."""

    def __init__(self, head: bytes, rest: Any) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        return count


# -- text, JSON, JSON Lines ----------------------------------------------------------------


def _read_text(text: str, path: str, default_id: str) -> Story:
    """Plain text or Markdown: optional ``---`` front matter, the headline taken out of the
    body (``take_headline``), paragraphs separated by blank lines."""
    meta, text = _front_matter(text)
    given = meta.get("headline") or meta.get("title") or meta.get("hed") or ""
    headline, body = take_headline(text, given)
    record = {**meta, "body": body}
    if headline:
        record["headline"] = headline
    return _story(
        record,
        DEFAULT_FIELDS,
        key=path,
        path=None if path == "-" else path,
        record=None,
        default_id=default_id,
    )


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    stripped = text.lstrip("\ufeff")
    if not stripped.startswith("---"):
        return {}, text
    lines = stripped.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return meta, "\n".join(lines[number + 1 :])
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return {}, text


def _read_json(text: str, path: str, fields: Fields) -> Iterator[Story | InputProblem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and _story_suffix(path) != ".json":
            # One object per line in a file whose name does not say so: JSON Lines.
            lines = _bounded_lines(io.BytesIO(text.encode("utf-8")), len(text) * 4 + 1)
            yield from _read_jsonl_lines(lines, path, fields)
            return
        yield InputProblem(f"{path}:{err.lineno}", f"invalid JSON: {err.msg} (column {err.colno})")
        return
    except (ValueError, RecursionError) as err:
        yield InputProblem(path, f"invalid JSON: {json_error_reason(err)}")
        return
    records = data if isinstance(data, list) else [data]
    many = isinstance(data, list)
    for number, record in enumerate(records, start=1):
        where = f"{path}#{number}" if many else path
        yield record_story(record, fields, where, path, number if many else None)


def json_error_reason(err: BaseException) -> str:
    """Why a JSON document could not be decoded, when json's own message says little."""
    if isinstance(err, RecursionError):
        return "nested too deeply"
    return str(err) or type(err).__name__


class _TooLong:
    """A JSON Lines line over the size limit, skipped without being held in memory."""


_TOO_LONG = _TooLong()


def _bounded_lines(handle: IO[bytes], limit: int) -> Iterator[bytes | _TooLong]:
    """Lines of a binary stream, never holding more than ``limit`` bytes of one line."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = handle.readline(1 << 20)
            yield _TOO_LONG
            continue
        yield line


def _stream_jsonl(path: str, fields: Fields, limit: int) -> Iterator[Story | InputProblem]:
    """JSON Lines straight from the file, one line at a time: any size works."""
    try:
        handle = _open(path)
    except _FILE_ERRORS as err:
        yield InputProblem(path, error_reason(err))
        return
    with handle:
        yield from _read_jsonl_lines(_bounded_lines(handle, limit), path, fields, limit)


def _read_jsonl_lines(
    lines: Iterable[bytes | str | _TooLong],
    path: str,
    fields: Fields,
    limit: int | None = None,
) -> Iterator[Story | InputProblem]:
    """One record per non-blank line; a bad line is reported with its line number and the
    others are still read."""
    number = 0
    line_no = 0
    iterator = iter(lines)
    while True:
        try:
            line = next(iterator)
        except StopIteration:
            return
        except UnicodeDecodeError as err:  # a text stream cannot resynchronise
            yield InputProblem(
                f"{path}:{line_no + 1}", f"not valid UTF-8 ({err.reason}); the rest is skipped"
            )
            return
        except _FILE_ERRORS as err:  # damaged compressed data
            yield InputProblem(f"{path}:{line_no + 1}", f"{error_reason(err)}; the rest is skipped")
            return
        line_no += 1
        if isinstance(line, _TooLong):
            number += 1
            size = f"the {_size(limit)} limit" if limit else "the limit"
            yield InputProblem(f"{path}:{line_no}", f"line longer than {size}; skipped")
            continue
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as err:
                number += 1
                yield InputProblem(
                    f"{path}:{line_no}",
                    f"not valid UTF-8 (byte 0x{line[err.start]:02x} at column {err.start + 1})",
                )
                continue
        if line_no == 1:
            line = line.lstrip("\ufeff")
        if not line or line.isspace():  # not line.strip(), which copies every line
            continue
        number += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield InputProblem(f"{path}:{line_no}", f"invalid JSON: {err.msg} (column {err.colno})")
            continue
        except (ValueError, RecursionError) as err:
            yield InputProblem(f"{path}:{line_no}", f"invalid JSON: {json_error_reason(err)}")
            continue
        yield record_story(record, fields, f"{path}#{number}", path, number, line_no)


def record_story(
    record: Any, fields: Fields, key: str, path: str, number: int | None, line_no: int | None = None
) -> Story | InputProblem:
    """The story in one decoded JSON record (or Parquet row), or the problem with it; every
    engine reads records through this."""
    where = f"{path}:{line_no}" if line_no else key
    if not isinstance(record, dict):
        return InputProblem(where, f"expected a JSON object, found {type(record).__name__}")
    try:
        return _story(
            record,
            fields,
            key=key,
            path=None if path == "-" else path,
            record=number,
            default_id=key,
        )
    except ValueError as err:
        return InputProblem(where, str(err))


def _story(
    data: Mapping[str, Any],
    fields: Fields,
    *,
    key: str,
    path: str | None,
    record: int | None,
    default_id: str,
) -> Story:
    body = _first(data, fields.body)
    if isinstance(body, list):
        body = "\n\n".join(str(part) for part in body if part is not None)
    if not isinstance(body, str) or not body.strip():
        names = "/".join(fields.body)
        raise ValueError(f"no story text (looked for a non-empty field {names})")
    story_id = _first(data, fields.id)
    url = _text(_first(data, fields.url))
    outlet = _text(_first(data, fields.outlet))
    return Story(
        key=key,
        id=_text(story_id) or default_id,
        body=body,
        headline=_text(_first(data, fields.headline)),
        date=parse_date(_first(data, fields.date)),
        outlet=outlet,
        url=url,
        path=path,
        record=record,
        paragraphs=split_paragraphs(body),
    )


# -- Parquet -------------------------------------------------------------------------------


def _read_parquet(
    source: str | BinaryIO, path: str, fields: Fields
) -> Iterator[Story | InputProblem]:
    """One story per row, rows streamed by batch; records numbered like JSON Lines."""
    from dedup.read.formats.parquet import parquet_rows

    number = 0
    try:
        for number, row in enumerate(parquet_rows(source, fields.names(), fields.body), start=1):
            yield record_story(row, fields, f"{path}#{number}", path, number)
    except FormatError as err:
        yield InputProblem(f"{path}#{number + 1}" if number else path, str(err))


# -- NewsML-G2, NITF, HTML, feeds ----------------------------------------------------------


@dataclass(frozen=True)
class _Versioned:
    """A NewsML-G2 story held back until the run has seen every version of its guid."""

    story: Story
    version: int
    created: float


class _Latest:
    """The latest version of each NewsML-G2 guid: a later version is an update of the same
    story (a corrected figure, an added paragraph), not a copy of it."""

    def __init__(self) -> None:
        self._kept: dict[str, _Versioned] = {}

    def offer(self, item: _Versioned) -> None:
        guid = item.story.id
        kept = self._kept.get(guid)
        if kept is None:
            self._kept[guid] = item
            return
        newer = (item.version, item.created) >= (kept.version, kept.created)
        old, new = (kept, item) if newer else (item, kept)
        log.info(
            "%s: version %s of %s set aside for version %s (%s)",
            old.story.key,
            old.version,
            guid,
            new.version,
            new.story.key,
        )
        self._kept[guid] = new

    def stories(self) -> Iterator[Story]:
        for item in self._kept.values():
            yield item.story


def _read_structured(
    data: bytes, path: str, default_id: str, fmt: str
) -> Iterator[Story | InputProblem | _Versioned]:
    """NewsML-G2, NITF, HTML or a feed: the format module finds the items, this turns them
    into stories with their provenance."""
    from dedup.read.formats.feeds import read_feed
    from dedup.read.formats.html import read_html
    from dedup.read.formats.newsml import read_newsml
    from dedup.read.formats.nitf import read_nitf

    items: Iterable[Item | Skip]
    try:
        if fmt == "newsml":
            items = list(read_newsml(data))
        elif fmt == "nitf":
            items = [read_nitf(data)]
        elif fmt == "html":
            item, note = read_html(data)
            if note:
                log.info("%s: %s", path, note)
            items = [item]
        else:
            items = list(read_feed(data))
    except FormatError as err:
        where = f"{path}:{err.line}" if err.line else path
        yield InputProblem(where, f"{_NAMES[fmt]}: {err}")
        return
    for item in items:
        yield _from_item(item, path, default_id, versioned=fmt == "newsml")


def _from_item(
    item: Item | Skip, path: str, default_id: str, versioned: bool
) -> Story | InputProblem | _Versioned:
    where = f"{path}#{item.number}" if item.number is not None else path
    if isinstance(item, Skip):
        return InputProblem(where, item.reason)
    body = "\n\n".join(item.paragraphs)
    story = Story(
        key=where + SUMMARY_ONLY if item.summary_only else where,
        id=item.id or (where if item.number is not None else default_id),
        body=body,
        headline=item.headline,
        date=parse_date(item.date),
        outlet=item.outlet,
        url=item.url,
        path=None if path == "-" else path,
        record=item.number,
        paragraphs=split_paragraphs(body),
    )
    if item.summary_only:
        log.info("%s: the feed entry has only a summary; read as a short story", where)
    if versioned and item.id:
        created = parse_date(item.version_created)
        return _Versioned(story, item.version or 0, created.timestamp() if created else -1e18)
    return story


# -- metadata ------------------------------------------------------------------------------


def outlet_of(story: Story) -> str:
    """The outlet a story belongs to: its metadata, else the host of its URL, else ""."""
    if story.outlet:  # before the import, which costs more than this when it runs per story
        return story.outlet.casefold()
    from urllib.parse import urlsplit

    try:
        host = urlsplit(story.url).hostname if story.url else None
    except ValueError:
        host = None
    return host.removeprefix("www.") if host else ""


def _first(record: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or ""
    return " ".join(str(value).split())


# ISO 8601 basic format (NITF's norm attributes): 20250312T140500Z, 20250312T1405+0100.
_ISO_BASIC = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(?:[T ](\d{2})(\d{2})(\d{2})?(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.I,
)


def parse_date(value: Any) -> datetime | None:
    """ISO 8601 (extended or basic), RFC 2822 (feeds), epoch seconds or a date/datetime
    object (Parquet); naive times are taken as UTC. An unreadable or out-of-range date is
    treated as unknown rather than failing the story."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        parsed = _parse_date_text(str(value).strip())
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        parsed.timestamp()  # every stage sorts by it: a date it cannot give is no date
    except (OverflowError, OSError, ValueError):
        return None
    return parsed


def _parse_date_text(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    basic = _ISO_BASIC.match(text)
    if basic:
        year, month, day, hour, minute, second, zone = basic.groups()
        try:
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
            if zone and zone.upper() != "Z":
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                return parsed.replace(tzinfo=timezone(sign * offset))
            return parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    from email.utils import parsedate_to_datetime  # RFC 2822 dates (feeds) only: 15 ms to load

    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
