"""Parse XML from outside safely, and read text out of it.

Agency feeds and scraped archives are untrusted input. The parser never expands entities,
never loads a DTD, never touches the network and keeps libxml2's depth and size limits
(no ``huge_tree``); a document that declares entities is refused outright, so neither an
external entity (a local file's content leaking into a story) nor an expansion bomb (the
billion laughs) can get through, and the user is told why.
"""

from __future__ import annotations

import html.entities
import re

from lxml import etree

from dedup.read.formats import FormatError, collapse
from dedup.read.formats.encoding import CONTROL, bom_encoding

_REFUSED = (
    "refused: the document declares XML entities (<!ENTITY>); for safety they are never "
    "expanded (external files, entity bombs) and such documents are not read"
)
_SUBSET = re.compile(r"<!DOCTYPE[^\[>]*\[", re.I)
_BOMB_HINTS = ("amplification", "entity reference loop", "entities")
_LXML_WHERE = re.compile(r"(?:,? line \d+, column \d+)?(?: \([^()]*, line \d+\))?$")
# Everything that may come before the root element: XML declaration, processing
# instructions, comments, a document type declaration (with an internal subset).
_PROLOG = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.S | re.I)
_ROOT = re.compile(r"\s*<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def parser() -> etree.XMLParser:
    """A fresh parser (lxml parsers must not be shared between threads)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        # Not collect_ids=False: with it, libxml2 loads the external DTD subset after all.
    )


def parse(data: bytes) -> etree._Element:
    """The root element; raises FormatError for malformed, entity-declaring or empty XML."""
    if _declares_entities(data):
        raise FormatError(_REFUSED)
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as err:
        message = _LXML_WHERE.sub("", str(err.msg or err)).strip()
        if any(hint in message.lower() for hint in _BOMB_HINTS):
            raise FormatError(_REFUSED) from None
        column = f" (column {err.position[1]})" if err.position and err.position[1] else ""
        raise FormatError(f"invalid XML: {message}{column}", line=err.lineno) from None
    except ValueError as err:  # lxml refuses some inputs before parsing
        raise FormatError(f"invalid XML: {err}") from None
    if root is None:
        raise FormatError("invalid XML: empty document")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and next(iter(dtd.iterentities()), None) is not None:
        raise FormatError(_REFUSED)
    return root


def _declares_entities(data: bytes) -> bool:
    """An ``<!ENTITY`` in the document type's internal subset, found without parsing, so
    that an entity bomb is refused before the parser sees it."""
    head = data[: 1 << 20]
    encoding = bom_encoding(head)
    text = head.decode(encoding or "latin-1", errors="replace")
    subset = _SUBSET.search(text)
    if subset is None:
        return False
    end = text.find("]>", subset.end())
    return "<!ENTITY" in text[subset.end() : end if end >= 0 else len(text)]


def root_name(head: str) -> str | None:
    """Local name of the root element from the start of a document, without parsing it:
    enough to tell NewsML-G2 from NITF, a feed or a web page."""
    pos = 0
    head = head.lstrip("\ufeff")
    while match := _PROLOG.match(head, pos):
        if match.end() == pos:
            break
        pos = match.end()
    match = _ROOT.match(head, pos)
    return match.group(1) if match else None


def localname(element: etree._Element) -> str:
    """Tag without namespace; "" for comments, entities and other non-elements."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if localname(child) == name]


def child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element along ``path`` of local names (namespaces vary between senders)."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if localname(c) == name), None)
    return element


def descendants(element: etree._Element, name: str) -> list[etree._Element]:
    return [node for node in element.iter() if localname(node) == name]


def text_of(element: etree._Element | None) -> str:
    """All text inside ``element`` on one line. Entity references left unexpanded (an
    undeclared ``&eacute;`` from an NITF DTD that is never loaded) become their HTML
    character when they have one; a line break separates words."""
    if element is None:
        return ""
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            if isinstance(node, etree._Entity):
                parts.append(html.entities.html5.get(f"{node.name};", ""))
            elif localname(node) == "br":
                parts.append(" ")
            elif node.text and isinstance(node.tag, str):
                parts.append(node.text)
        elif node is not element and node.tail:
            parts.append(node.tail)
    return collapse(CONTROL.sub(" ", "".join(parts)))


def block_texts(
    container: etree._Element, blocks: frozenset[str], skip: frozenset[str] = frozenset()
) -> list[str]:
    """Texts of the block elements (``blocks``, by local name) in document order, leaving out
    those inside ``skip`` elements and those that hold another block (its inner blocks are
    taken instead)."""
    texts: list[str] = []
    skipping = 0
    for event, node in etree.iterwalk(container, events=("start", "end")):
        name = localname(node)
        if name in skip:
            skipping += 1 if event == "start" else -1
            continue
        if skipping or event != "start" or name not in blocks:
            continue
        if any(localname(inner) in blocks for inner in node.iterdescendants()):
            continue
        text = text_of(node)
        if text:
            texts.append(text)
    return texts


def with_dateline(paragraphs: list[str], dateline: str) -> list[str]:
    """Put the dateline in front of the first paragraph, as agencies print it ("PORT ELLERY,
    March 12 — ..."), unless that paragraph already starts with one. Matching strips it
    again, so it only serves the display and the diff."""
    from dedup.read.text import strip_dateline

    if not dateline or not paragraphs:
        return paragraphs
    first = paragraphs[0]
    if first.casefold().startswith(dateline.casefold()) or strip_dateline(first) != first:
        return paragraphs
    joiner = " " if dateline[-1] in "—–-" else " — "
    return [f"{dateline}{joiner}{first}", *paragraphs[1:]]
