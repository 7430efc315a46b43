"""Turn the bytes of a text file into text: UTF-8 first, then a detected encoding.

Archives and older agency feeds still deliver Latin-1 or Windows-1252 text. Refusing it would
lose the story and guessing silently would hide a wrong guess, so a detected encoding is
used and said (the caller logs the note).
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls other than tab, newline and carriage return: never in text, and XML and HTML
# parsers refuse them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PREFERRED = "cp1252"


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces, if the data starts with one."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def with_bom(data: bytes) -> bytes:
    """``data`` with the byte-order mark of the UTF-16 it is written in when it has none
    (an XML export from a Windows tool, often), so that every reader after this one (the
    binary check, the XML and HTML parsers, text decoding) sees UTF-16, not NUL bytes.

    Without a mark, UTF-16 text in Latin script has a NUL in every other byte: markup and
    news text are mostly ASCII. Anything less regular is left alone (and found binary)."""
    if bom_encoding(data) is not None or b"\x00" not in data[:2]:
        return data
    sample = data[: 4096 - 4096 % 2] if len(data) >= 4096 else data[: len(data) - len(data) % 2]
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 2:
        return data
    if even.count(0) == 0 and odd.count(0) >= 0.95 * len(odd):
        return codecs.BOM_UTF16_LE + data
    if odd.count(0) == 0 and even.count(0) >= 0.95 * len(even):
        return codecs.BOM_UTF16_BE + data
    return data


def is_binary(data: bytes) -> bool:
    """NUL bytes early on mean an image, archive or executable, unless a UTF-16/32 byte-order
    mark explains them."""
    return bom_encoding(data) is None and b"\x00" in data[:8192]


def decode_text(data: bytes) -> tuple[str, str | None]:
    """Decode a text file; returns the text and a note when the encoding had to be detected.

    Raises ValueError (with a message for the user) for binary data or bytes no encoding fits.
    """
    declared = bom_encoding(data)
    if declared:
        try:
            return data.decode(declared), None
        except UnicodeDecodeError as err:
            raise ValueError(f"not valid {declared.upper()} despite its byte-order mark") from err
    if is_binary(data):
        raise ValueError("binary file (contains NUL bytes), not a story")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        problem = f"not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})"
    guess = detect(data)
    if guess is None:
        raise ValueError(f"{problem}, and no other text encoding fits")
    try:
        text = data.decode(guess)
    except (UnicodeDecodeError, LookupError):
        raise ValueError(f"{problem}, and no other text encoding fits") from None
    if CONTROL.search(text[:8192]):
        raise ValueError(f"{problem}, and it does not look like text in any encoding")
    return text, f"not UTF-8; read as {guess} (detected)"


def detect(data: bytes) -> str | None:
    """charset-normalizer's best guess, or None when nothing fits.

    Short texts fit many single-byte code pages equally well; among the guesses tied for
    best, Windows-1252 (a superset of Latin-1 for text) is preferred, since it is what
    Western news archives that are not UTF-8 are almost always in.
    """
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        tied = match.chaos <= best.chaos and match.coherence >= best.coherence
        if tied and _PREFERRED in match.could_be_from_charset:
            return _PREFERRED
    return best.encoding
