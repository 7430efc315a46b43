"""IPTC NITF: one story per document, as newspapers and agencies archive it.

The headline is ``hedline/hl1``, the id ``doc-id@id-string``, the date ``date.issue@norm``
and the body the ``<p>`` (sub-heading ``hl2``, list item) elements of ``body.content``; the
byline and dateline of ``body.head`` open the body as a reader sees them. The outlet is
the publication (``pubdata@name``), else the copyright holder: a newspaper's NITF copy of
an agency story names the agency as holder, and the copy belongs to the newspaper.
"""

from __future__ import annotations

from lxml import etree

from dedup.read.formats import FormatError, Item, collapse
from dedup.read.formats.safexml import (
    block_texts,
    child,
    descendants,
    localname,
    parse,
    text_of,
    with_dateline,
)

CONTENT_BLOCKS = frozenset({"p", "hl2", "li", "dd", "dt", "pre", "bq"})
"""Paragraph-like elements of NITF ``body.content``."""
CONTENT_SKIP = frozenset({"media", "table", "note", "fn"})
"""Captions, tables, editorial notes and footnotes: not the story's running text."""


def read_nitf(data: bytes) -> Item:
    root = parse(data)
    if localname(root) != "nitf":
        raise FormatError(f"not an NITF document (root element <{localname(root)}>)")
    head = child(root, "head")
    body = child(root, "body")
    body_head = child(body, "body.head")
    content = child(body, "body.content")
    paragraphs = block_texts(content, CONTENT_BLOCKS, CONTENT_SKIP) if content is not None else []
    if not paragraphs:
        raise FormatError("NITF document has no body text (no <p> in body.content)")
    paragraphs = with_dateline(paragraphs, text_of(child(body_head, "dateline")))
    byline = text_of(child(body_head, "byline"))
    if byline and byline.casefold() != paragraphs[0].casefold():
        paragraphs = [byline, *paragraphs]
    docdata = child(head, "docdata")
    pubdata = child(head, "pubdata")
    return Item(
        paragraphs=tuple(paragraphs),
        headline=text_of(child(body_head, "hedline", "hl1")) or text_of(child(head, "title")),
        id=_attribute(child(docdata, "doc-id"), "id-string"),
        date=_date(docdata, pubdata, body_head),
        outlet=_attribute(pubdata, "name")
        or _attribute(child(docdata, "doc.copyright"), "holder")
        or text_of(child(body_head, "distributor"))
        or _attribute(child(docdata, "doc-id"), "regsrc"),
        url=_url(pubdata),
    )


def _attribute(element: etree._Element | None, name: str) -> str:
    return "" if element is None else collapse(element.get(name, ""))


def _date(
    docdata: etree._Element | None, pubdata: etree._Element | None, body_head: etree._Element | None
) -> str:
    """Issue date, else release or publication date, else the dateline's story date."""
    for element, attribute in (
        (child(docdata, "date.issue"), "norm"),
        (child(docdata, "date.release"), "norm"),
        (pubdata, "date.publication"),
    ):
        value = _attribute(element, attribute)
        if value:
            return value
    dateline = child(body_head, "dateline")
    story_date = (
        next(iter(descendants(dateline, "story.date")), None) if dateline is not None else None
    )
    return _attribute(story_date, "norm")


def _url(pubdata: etree._Element | None) -> str:
    reference = _attribute(pubdata, "ex-ref")
    return reference if reference.startswith(("http://", "https://")) else ""
