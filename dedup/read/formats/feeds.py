"""RSS and Atom feeds: one story per entry.

feedparser evens out the many feed dialects (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, their date
formats and content types) and sanitises entry HTML. The document is first parsed with the
safe XML parser, so a feed that declares entities or is not well-formed is reported rather
than half-read: a truncated feed's last entry would otherwise pass as a complete story. The
one fault let through is an HTML entity (``&nbsp;``) that XML does not define: feeds are
full of them and feedparser reads them.

An entry's full content (``content:encoded``, Atom ``content``) is used when present; an
entry that carries only its summary is still read, and marked ``summary_only``.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from dedup.read.formats import FormatError, Item, Skip, collapse
from dedup.read.formats.html import html_paragraphs
from dedup.read.formats.safexml import localname, parse

log = logging.getLogger("dedup.read")

_UNDEFINED_ENTITY = re.compile(r"^invalid XML: Entity '[\w.\-]+' not defined\b")
ROOTS = frozenset({"rss", "feed", "RDF", "channel"})
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


def read_feed(data: bytes) -> Iterator[Item | Skip]:
    try:
        root: etree._Element | None = parse(data)
    except FormatError as err:
        # HTML entities such as &nbsp; are not XML, yet common in feeds; feedparser knows
        # them. Any other fault (truncation, an entity declaration) is the feed's.
        if not _UNDEFINED_ENTITY.search(str(err)):
            raise
        log.info("feed uses HTML entities XML does not define (%s); read leniently", err)
        root = None
    if root is not None and localname(root) not in ROOTS:
        raise FormatError(f"not an RSS or Atom feed (root element <{localname(root)}>)")
    try:
        import feedparser
    except ImportError as err:
        raise FormatError(f"feeds need feedparser: pip install wire-dedup ({err})") from None
    try:
        parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=False)
    except Exception as err:  # a third-party parser on hostile input: any failure is the feed's
        raise FormatError(f"could not read the feed: {type(err).__name__}: {err}") from None
    entries = parsed.get("entries") or []
    if not entries:
        raise FormatError("feed has no entries" if parsed.get("version") else "not a feed")
    feed_title = _plain(parsed.get("feed", {}).get("title_detail"), parsed.get("feed", {}))
    for number, entry in enumerate(entries, start=1):
        yield _item(entry, number, feed_title)


def _item(entry: Any, number: int, feed_title: str) -> Item | Skip:
    contents = [c for c in entry.get("content") or [] if (c.get("value") or "").strip()]
    summary_only = False
    if contents:
        chosen = max(contents, key=lambda c: len(c.get("value") or ""))
        paragraphs = _paragraphs(chosen.get("value", ""), chosen.get("type", ""))
    else:
        detail = entry.get("summary_detail") or {}
        paragraphs = _paragraphs(entry.get("summary") or "", detail.get("type", "text/html"))
        summary_only = True
    if not paragraphs:
        return Skip(number, "feed entry has neither content nor summary")
    source = entry.get("source") or {}
    return Item(
        paragraphs=tuple(paragraphs),
        headline=_plain(entry.get("title_detail"), entry),
        id=collapse(entry.get("id") or ""),
        date=entry.get("published") or entry.get("updated") or _parsed_date(entry),
        # An aggregator names each entry's publisher as its source; else the feed is it.
        outlet=collapse(source.get("title") or "") or feed_title,
        url=_web_address(entry.get("link")),
        number=number,
        summary_only=summary_only,
    )


def _web_address(value: Any) -> str:
    """The entry's link when it is a web address (feedparser falls back to an Atom id such
    as ``tag:...``, which is no address)."""
    link = collapse(value or "") if isinstance(value, str) else ""
    return link if link.lower().startswith(("http://", "https://")) else ""


def _paragraphs(value: str, kind: str) -> list[str]:
    if kind in _HTML_TYPES or "<" in value:
        return html_paragraphs(value)
    return [p for p in (collapse(chunk) for chunk in value.split("\n")) if p]


def _plain(detail: Any, holder: Any) -> str:
    """A title as plain text, whether the feed sent it as text or as HTML."""
    value = holder.get("title") or ""
    if detail and detail.get("type") in _HTML_TYPES:
        return " ".join(html_paragraphs(value))
    return collapse(value)


def _parsed_date(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed"):
        value = entry.get(name)
        if value:
            try:
                return datetime(*value[:6], tzinfo=timezone.utc)
            except (TypeError, ValueError):
                continue
    return None
