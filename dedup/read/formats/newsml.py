"""IPTC NewsML-G2: an agency's ``newsItem``, alone or wrapped in a ``newsMessage``.

Each text newsItem is one story: the guid is its id, the provider its outlet, the body the
``<p>`` (and sub-heading, list item) elements of its ``inlineXML`` content, which may be
XHTML or NITF. The version and ``versionCreated`` travel with the item so that the reader
can keep only the latest version of each guid (an update is not a new copy). Pictures,
video and other non-text items are passed over: they have no words to compare.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from lxml import etree

from dedup.read.formats import FormatError, Item, Skip, collapse
from dedup.read.formats.nitf import CONTENT_BLOCKS, CONTENT_SKIP
from dedup.read.formats.safexml import (
    block_texts,
    child,
    children,
    descendants,
    localname,
    parse,
    text_of,
    with_dateline,
)

log = logging.getLogger("dedup.read")

ROOTS = frozenset({"newsItem", "newsMessage", "packageItem", "itemSet"})
_XHTML_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote"})
_BLANK_LINE = re.compile(r"\n\s*\n")
_XHTML_SKIP = frozenset({"head", "script", "style", "table", "figure", "aside", "nav"})


def read_newsml(data: bytes) -> Iterator[Item | Skip]:
    """Every text newsItem of the document, in document order."""
    root = parse(data)
    name = localname(root)
    if name == "newsItem":
        items, many = [root], False
    else:
        items, many = descendants(root, "newsItem"), True
    if not items:
        hint = " (a packageItem only refers to its items)" if name == "packageItem" else ""
        raise FormatError(f"no NewsML-G2 newsItem in this <{name}> document{hint}")
    found = False
    for number, element in enumerate(items, start=1):
        if not _is_text(element):
            log.debug("newsItem %s is not text (%s): passed over", number, _item_class(element))
            continue
        found = True
        yield _item(element, number if many else None)
    if not found:
        raise FormatError("no text newsItem in this document (only pictures, video or other)")


def _item_class(element: etree._Element) -> str:
    item_class = child(element, "itemMeta", "itemClass")
    return "" if item_class is None else item_class.get("qcode", item_class.get("uri", ""))


def _is_text(element: etree._Element) -> bool:
    code = _item_class(element)
    return not code or code.rstrip("/").rsplit(":", 1)[-1].rsplit("/", 1)[-1] == "text"


def _item(element: etree._Element, number: int | None) -> Item | Skip:
    guid = collapse(element.get("guid", ""))
    meta = child(element, "itemMeta")
    content_meta = child(element, "contentMeta")
    paragraphs = _body(element)
    if not paragraphs:
        label = f"newsItem {guid}" if guid else "newsItem"
        return Skip(number, f"{label} has no body text (no <p> in inlineXML, no inlineData)")
    dateline = text_of(child(content_meta, "dateline"))
    paragraphs = with_dateline(paragraphs, dateline)
    byline = text_of(child(content_meta, "by"))
    if byline and byline.casefold() != paragraphs[0].casefold():
        paragraphs = [byline, *paragraphs]
    return Item(
        paragraphs=tuple(paragraphs),
        headline=_headline(content_meta) or text_of(child(meta, "title")),
        id=guid,
        # The story existed from its first version on; copies are dated after that.
        date=_first_text(meta, "firstCreated")
        or _first_text(content_meta, "contentCreated")
        or _first_text(meta, "versionCreated"),
        outlet=_provider(meta),
        number=number,
        version=_version(element.get("version")),
        version_created=_first_text(meta, "versionCreated"),
    )


def _first_text(parent: etree._Element | None, name: str) -> str:
    return text_of(child(parent, name))


def _version(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _headline(content_meta: etree._Element | None) -> str:
    """The main headline: one without a role, or with a "main" role, else the first."""
    if content_meta is None:
        return ""
    headlines = children(content_meta, "headline")
    for headline in headlines:
        role = headline.get("role", "")
        if not role or role.rsplit(":", 1)[-1] == "main":
            return text_of(headline)
    return text_of(headlines[0]) if headlines else ""


def _provider(meta: etree._Element | None) -> str:
    """Provider name, else its literal, else the code after the scheme ("nprov:EXW")."""
    provider = child(meta, "provider")
    if provider is None:
        return ""
    name = text_of(child(provider, "name"))
    if name:
        return name
    for attribute in ("literal", "qcode"):
        value = collapse(provider.get(attribute, ""))
        if value:
            return value.rsplit(":", 1)[-1] if attribute == "qcode" else value
    host = urlsplit(provider.get("uri", "")).hostname
    return host or ""


def _body(element: etree._Element) -> list[str]:
    """Paragraphs of the first content rendition that has any: inlineXML (XHTML or NITF),
    else plain-text inlineData."""
    content_set = child(element, "contentSet")
    if content_set is None:
        return []
    for inline in children(content_set, "inlineXML"):
        nitf_body = next(iter(descendants(inline, "body.content")), None)
        if nitf_body is not None:
            paragraphs = block_texts(nitf_body, CONTENT_BLOCKS, CONTENT_SKIP)
        else:
            paragraphs = block_texts(inline, _XHTML_BLOCKS, _XHTML_SKIP)
        if paragraphs:
            return paragraphs
    for inline in children(content_set, "inlineData"):
        paragraphs = [collapse(chunk) for chunk in _BLANK_LINE.split(inline.text or "")]
        paragraphs = [p for p in paragraphs if p]
        if paragraphs:
            return paragraphs
    return []
