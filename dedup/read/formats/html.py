"""Web pages: the article's text and metadata, without the site around it.

Pages carry navigation, adverts, related links and footers that would otherwise be matched
as if they were part of the story (and make every page of a site look like a copy of every
other). trafilatura, a maintained extraction library, finds the article; this module only
turns its result into paragraphs, keeping the boundaries the page had.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import lxml.html
from lxml import etree

from dedup.read.formats import FormatError, Item, collapse
from dedup.read.formats.encoding import CONTROL, bom_encoding, detect

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
# Block elements of HTML fragments (feed entries) and of trafilatura's own output (head, item,
# quote, list, row, cell): each starts a new paragraph.
_BLOCKS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "dl", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "table", "tr", "td", "th", "section", "article", "header",
        "footer", "figure", "figcaption", "address", "hr", "main", "aside", "nav", "form",
        "head", "item", "quote", "list", "row", "cell", "code", "body", "html",
    }
)  # fmt: skip
_BREAKS = frozenset({"br", "lb"})
_SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math"})
_PUBLISHED = frozenset(
    {
        "article:published_time",
        "og:published_time",
        "datepublished",
        "dc.date.issued",
        "dcterms.issued",
        "parsely-pub-date",
        "sailthru.date",
        "pubdate",
        "publishdate",
    }
)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DATES = {"original_date": True, "extensive_search": False, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def decode_html(data: bytes) -> tuple[str, str | None]:
    """A page's text: by its byte-order mark, else its declared charset, else UTF-8, else a
    detected encoding. Browsers never refuse a page, so neither does this: undecodable bytes
    become U+FFFD, with a note."""
    declared = bom_encoding(data)
    if declared is None:
        match = _META_CHARSET.search(data[:4096])
        if match:
            try:
                declared = codecs.lookup(match.group(1).decode("ascii")).name
            except LookupError:
                declared = None
    for encoding in (declared, "utf-8"):
        if encoding:
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError:
                continue
    guess = detect(data[:65536])
    encoding = guess or declared or "utf-8"
    return data.decode(encoding, errors="replace"), f"not valid UTF-8; read as {encoding}"


def read_html(data: bytes) -> tuple[Item, str | None]:
    """The page's article as one item, and a note about its encoding when one was needed."""
    text, note = decode_html(data)
    text = CONTROL.sub(" ", text)
    try:
        import trafilatura

        document = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=False,
            date_extraction_params=_DATES,
        )
    except ImportError as err:
        raise FormatError(f"HTML needs trafilatura: pip install wire-dedup ({err})") from None
    except Exception as err:  # a third-party parser on hostile input: any failure is the page's
        raise FormatError(f"could not extract an article: {type(err).__name__}: {err}") from None
    body = getattr(document, "body", None) if document is not None else None
    paragraphs = tree_paragraphs(body) if body is not None else []
    title = collapse(getattr(document, "title", None) or "")
    if paragraphs and title and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise FormatError("no article text found in this page")
    url = _metadata(document, "url")
    url = url if url.lower().startswith(("http://", "https://")) else ""
    return (
        Item(
            paragraphs=tuple(paragraphs),
            # The canonical address is the page's own identity: the same wherever the saved
            # file sits, unlike an id made from its path.
            id=url,
            headline=title,
            date=published_time(text) or _metadata(document, "date"),
            outlet=_metadata(document, "sitename"),
            url=url,
        ),
        note,
    )


def published_time(page: str) -> str:
    """The publication time a page's metadata gives to the minute (``article:published_time``
    and its kin). trafilatura keeps only the day of some of them, and the day alone cannot
    tell an agency's morning original from the afternoon copy."""
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(page, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return ""
    for meta in root.iter("meta", "time"):
        names = {
            (meta.get(attribute) or "").strip().lower()
            for attribute in ("property", "name", "itemprop")
        }
        if names & _PUBLISHED:
            value = collapse(meta.get("content") or meta.get("datetime") or "")
            if _TIMESTAMP.match(value):
                return value
    return ""


def _metadata(document: Any, name: str) -> str:
    value = getattr(document, name, None)
    return collapse(value) if isinstance(value, str) else ""


def html_paragraphs(fragment: str) -> list[str]:
    """Paragraphs of an HTML fragment (a feed entry's content): one per block element or
    line break, inline markup dropped."""
    fragment = CONTROL.sub(" ", fragment)
    if not fragment.strip():
        return []
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div", parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return []
    return tree_paragraphs(root)


def tree_paragraphs(root: etree._Element) -> list[str]:
    """Walk a tree (iteratively: hostile pages nest deeply) and cut its text into paragraphs
    at block elements and line breaks."""
    paragraphs: list[str] = []
    buffer: list[str] = []
    skipping = 0

    def flush() -> None:
        text = collapse("".join(buffer))
        if text:
            paragraphs.append(text)
        buffer.clear()

    for event, node in etree.iterwalk(root, events=("start", "end")):
        name = node.tag.rsplit("}", 1)[-1].lower() if isinstance(node.tag, str) else ""
        if event == "start":
            if name in _SKIP or not name:
                skipping += 1
                continue
            if skipping:
                continue
            if name in _BLOCKS or name in _BREAKS:
                flush()
            if node.text:
                buffer.append(node.text)
        else:
            if name in _SKIP or not name:
                skipping -= 1
            elif not skipping and name in _BLOCKS:
                flush()
            if not skipping and node is not root and node.tail:
                buffer.append(node.tail)
    flush()
    return paragraphs
