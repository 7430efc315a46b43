"""Spools: the parts of a scan's fingerprints that later stages read once, held out of the
process's memory until then.

A scan of many stories holds every fingerprint from fingerprinting until clustering ends, but
reads each token text only for a rewrite decision, and each story's unit band keys and
content set once each: written to unnamed temporary files as fingerprinting makes them and
read back (texts) or mapped back (keys, content sets) when a stage needs them, they cost disk
in the system's temporary folder instead of memory. ``dedup scan`` and the API's
``scan(keep_text=False)`` use them; everything else keeps fingerprints in memory.
"""

from __future__ import annotations

import mmap
import os
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np


class Spooled:
    """Where a ``TextSpool`` holds one text: a fingerprint's ``words`` once spooled."""

    __slots__ = ("place", "spool")

    def __init__(self, spool: TextSpool, place: int) -> None:
        self.spool = spool
        self.place = place
        """Offset << 32 | length in bytes: one integer, not two."""

    def read(self) -> str:
        return self.spool.read(self.place >> 32, self.place & 0xFFFFFFFF)


class TextSpool:
    """Fingerprints' token texts in a temporary file, read back one at a time
    (``Fingerprint.text``), and their unit keys in another (``KeySpool``).

    The text is the largest part of a fingerprint, and a scan reads it only for the stories
    put to a rewrite decision, after every other stage: held out of the process's memory
    until then, it costs a write and, for those stories, a read. The file has no name (it is
    gone when closed, or when the process ends however it ends), and closes when the last
    fingerprint holding it is let go."""

    def __init__(self) -> None:
        import tempfile  # here: a check of one story never spools, and tempfile is slow to import

        self._file = tempfile.TemporaryFile(prefix="dedup-")  # noqa: SIM115 - held open
        self._end = 0
        self.keys = KeySpool() if KeySpool.usable() else None

    def write(self, texts: Sequence[str]) -> list[Spooled]:
        """Where each of ``texts`` is held once written here (one write for them all)."""
        data = [text.encode("utf-8", "surrogatepass") for text in texts]
        with _named_spool():
            self._file.write(b"".join(data))
            self._file.flush()  # read with os.pread, which sees only what is written
        places = []
        for part in data:
            places.append(Spooled(self, self._end << 32 | len(part)))
            self._end += len(part)
        return places

    def read(self, offset: int, size: int) -> str:
        return os.pread(self._file.fileno(), size, offset).decode("utf-8", "surrogatepass")


class KeySpool:
    """Fingerprints' unit keys in a temporary file, mapped back into memory as read-only
    arrays (``Fingerprint.unit_keys`` stays an array).

    Unit keys are the largest part of a fingerprint once its text is spooled (about 4 kB a
    story), and a scan reads them once, after boilerplate is known. A page of a mapped
    file counts in the process's memory only from when it is read until it is dropped: the
    keys of each batch (``hold``) lie on pages of their own, dropped as soon as the batch's
    last story lets its keys go, so a scan holds the keys it is reading, not all of them.
    The file is mapped a segment of ``_SEGMENT`` bytes at a time (a few maps, each holding
    an open file, at any scale); it has no name and is gone when the last map is."""

    _SEGMENT = 1 << 26

    def __init__(self) -> None:
        import tempfile

        self._file = tempfile.TemporaryFile(prefix="dedup-keys-")  # noqa: SIM115 - held open
        self._map: mmap.mmap | None = None
        self._start = 0  # where the segment mapped now starts in the file
        self._used = 0  # bytes of it written
        self._segments: weakref.WeakSet[mmap.mmap] = weakref.WeakSet()  # for drop

    def drop(self) -> None:
        """Drops every page of the file read so far from the process's memory: what is read
        again is mapped again, from the system's file cache or the disk."""
        for segment in self._segments:
            segment.madvise(mmap.MADV_DONTNEED)

    @staticmethod
    def usable() -> bool:
        """Whether the system can drop a mapped file's pages (``madvise``; not on Windows):
        without, the keys stay in memory as fingerprinting makes them."""
        return hasattr(mmap, "MADV_DONTNEED") and hasattr(os, "pwrite")

    def hold(self, keys: Sequence[np.ndarray]) -> list[np.ndarray]:
        """``keys`` (arrays of one dtype and width: a batch's unit keys, a block of stories'
        content sets) as views of one read-only array over the file, written with one
        write."""
        together = np.ascontiguousarray(np.concatenate(keys)) if keys else None
        if together is None or not together.size:
            return list(keys)
        grain = mmap.ALLOCATIONGRANULARITY
        size = -(-together.nbytes // grain) * grain  # the next batch starts on a new page
        if self._map is None or self._used + size > len(self._map):
            self._start += len(self._map) if self._map is not None else 0
            length = max(self._SEGMENT, size)
            fileno = self._file.fileno()
            with _named_spool():
                os.ftruncate(fileno, self._start + length)
            self._map = mmap.mmap(fileno, length, access=mmap.ACCESS_READ, offset=self._start)
            self._segments.add(self._map)
            self._used = 0
        view, written = memoryview(together).cast("B"), 0
        with _named_spool():
            while written < len(view):
                written += os.pwrite(
                    self._file.fileno(), view[written:], self._start + self._used + written
                )
        flat = np.frombuffer(
            self._map, dtype=together.dtype, count=together.size, offset=self._used
        )
        weakref.finalize(flat, self._map.madvise, mmap.MADV_DONTNEED, self._used, size)
        self._used += size
        mapped = flat.reshape(together.shape)
        ends = np.cumsum([len(part) for part in keys]).tolist()
        return [mapped[end - len(part) : end] for part, end in zip(keys, ends)]


@contextmanager
def _named_spool() -> Iterator[None]:
    """A spool's write failing (a full temporary folder) names the folder, so that it is
    not taken for the output."""
    try:
        yield
    except OSError as err:
        import tempfile

        where = f"the temporary folder {tempfile.gettempdir()} (TMPDIR)"
        raise OSError(err.errno, err.strerror, where) from err
