"""Read stories from files, folders, globs and standard input.

Readers never raise on bad input: every file or record that cannot be used becomes an
``InputProblem`` (with its path and position) and reading goes on, so one broken file in an
inbox never costs the rest of the run.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from .records import InputProblem, Story
from .text import split_headline, split_paragraphs

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open}
STORY_SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES


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


DEFAULT_FIELDS = Fields()


def read_inputs(
    inputs: Iterable[str], fields: Fields = DEFAULT_FIELDS, stdin: IO[str] | None = None
) -> Iterator[Story | InputProblem]:
    """Yield every story found in ``inputs`` (files, folders, globs, ``-`` for JSON Lines on
    standard input), and an ``InputProblem`` for everything that could not be read."""
    for source, root in _expand(inputs):
        if isinstance(source, InputProblem):
            yield source
        elif source == "-":
            yield from _read_jsonl_lines(stdin if stdin is not None else _stdin(), "-", fields)
        else:
            yield from read_file(source, fields, root=root)


def _stdin() -> IO[str]:
    import sys

    return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="strict")


def _expand(inputs: Iterable[str]) -> Iterator[tuple[Any, str | None]]:
    """Resolve arguments to files in a stable order; folders are walked recursively (story
    files only, hidden entries skipped), globs are expanded when the shell did not."""
    for item in inputs:
        if item == "-":
            yield "-", None
            continue
        path = Path(item)
        if path.is_dir():
            for found in sorted(_walk(path)):
                yield found, item
        elif path.is_file():
            yield item, None
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                yield InputProblem(item, "no file matches this pattern"), None
            for match in matches:
                if Path(match).is_dir():
                    for found in sorted(_walk(Path(match))):
                        yield found, match
                else:
                    yield match, None
        else:
            yield InputProblem(item, "no such file or directory"), None


def _walk(folder: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and _story_suffix(name) in STORY_SUFFIXES:
                yield os.path.join(dirpath, name)


def _story_suffix(name: str) -> str:
    suffixes = Path(name.lower()).suffixes
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def read_file(
    path: str, fields: Fields = DEFAULT_FIELDS, root: str | None = None
) -> Iterator[Story | InputProblem]:
    """Read one file; its format is chosen by extension, then by a look at its content."""
    try:
        text = _decode(_read_bytes(path), path)
    except (OSError, EOFError, ValueError) as err:
        yield InputProblem(path, _reason(err))
        return
    if not text.strip():
        yield InputProblem(path, "empty file")
        return
    suffix = _story_suffix(path)
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl_lines(io.StringIO(text), path, fields)
    elif suffix in JSON_SUFFIXES or (suffix not in TEXT_SUFFIXES and text.lstrip()[:1] in "[{"):
        yield from _read_json(text, path, fields)
    else:
        yield _read_text(text, path, _default_id(path, root))


def _read_bytes(path: str) -> bytes:
    opener = COMPRESSED.get(Path(path.lower()).suffix)
    if opener is not None:
        with opener(path, "rb") as handle:
            return handle.read()
    with open(path, "rb") as handle:
        return handle.read()


def _decode(data: bytes, path: str) -> str:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("binary file (contains NUL bytes), not a story")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return str(err) or type(err).__name__


def _default_id(path: str, root: str | None) -> str:
    """A file's id when its metadata gives none: its path inside the folder that was
    scanned, or its name when it was named directly."""
    if root is not None:
        return Path(os.path.relpath(path, root)).as_posix()
    return Path(path).name


def _read_text(text: str, path: str, default_id: str) -> Story:
    """Plain text or Markdown: optional ``---`` front matter, a first short line as the
    headline, paragraphs separated by blank lines."""
    meta, text = _front_matter(text)
    headline = split_headline(text)
    record = {**meta, "body": text}
    if headline and "headline" not in meta and "title" not in meta:
        record["headline"] = headline
    return _story(record, DEFAULT_FIELDS, key=path, path=path, record=None, default_id=default_id)


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
        yield InputProblem(f"{path}:{err.lineno}", f"invalid JSON: {err.msg} (column {err.colno})")
        return
    records = data if isinstance(data, list) else [data]
    many = isinstance(data, list)
    for number, record in enumerate(records, start=1):
        where = f"{path}#{number}" if many else path
        yield _story_or_problem(record, fields, where, path, number if many else None)


def _read_jsonl_lines(
    lines: Iterable[str], path: str, fields: Fields
) -> Iterator[Story | InputProblem]:
    number = 0
    try:
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            number += 1
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                yield InputProblem(
                    f"{path}:{line_no}", f"invalid JSON: {err.msg} (column {err.colno})"
                )
                continue
            yield _story_or_problem(record, fields, f"{path}#{number}", path, number, line_no)
    except UnicodeDecodeError as err:
        yield InputProblem(path, f"not valid UTF-8 ({err.reason})")


def _story_or_problem(
    record: Any, fields: Fields, key: str, path: str, number: int | None, line_no: int | None = None
) -> Story | InputProblem:
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


def outlet_of(story: Story) -> str:
    """The outlet a story belongs to: its metadata, else the host of its URL, else ""."""
    if story.outlet:
        return story.outlet.casefold()
    host = urlsplit(story.url).hostname if story.url else None
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


def parse_date(value: Any) -> datetime | None:
    """ISO 8601, RFC 2822 (feeds) or epoch seconds; naive times are taken as UTC. An
    unreadable date is treated as unknown rather than failing the story."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed
