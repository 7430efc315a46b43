"""Readers for structured story formats: NewsML-G2, NITF, HTML pages, RSS/Atom feeds, Parquet.

Each reader turns the bytes of one document into ``Item`` values (or ``Skip`` for an entry
it cannot use) and raises ``FormatError`` when the document as a whole is unusable.
``dedup.read`` owns everything around them (detection, size limits, decompression,
provenance, turning items into ``Story`` records), so a reader only has to know its format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class FormatError(Exception):
    """The whole document is unusable; the message is shown to the user as is."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        """Line of the document where the problem was found, when the parser knows it."""


@dataclass(frozen=True)
class Item:
    """One story found in a document, before it becomes a ``Story``.

    ``paragraphs`` hold single-line texts (inner whitespace collapsed), so that joining them
    with blank lines gives a body that ``split_paragraphs`` cuts back into the same pieces.
    """

    paragraphs: tuple[str, ...]
    headline: str = ""
    id: str = ""
    date: Any = None
    """Raw date value (string, number or datetime); ``dedup.read.parse_date`` reads it."""
    outlet: str = ""
    url: str = ""
    number: int | None = None
    """1-based position in a document that can hold several stories; None for one-story
    documents, whose provenance is the path alone."""
    version: int | None = None
    """NewsML-G2 item version: a later version of the same guid replaces the earlier one."""
    version_created: Any = None
    summary_only: bool = False
    """A feed entry that carried only its summary, not the full story."""


@dataclass(frozen=True)
class Skip:
    """One entry of a multi-story document that cannot be used; the others still are."""

    number: int | None
    reason: str


def collapse(text: str) -> str:
    """One line with single spaces: the unit ``Item.paragraphs`` is made of."""
    return " ".join(text.split())
