"""Parquet archives: one story per row, read a batch of rows at a time.

pyarrow is an optional dependency (``pip install wire-dedup[parquet]``): it is large and
only archives need it. Only the columns that ``Fields`` can use are read, and rows stream
by batch, so a big archive never has to fit in memory.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, BinaryIO

from dedup.read.formats import FormatError

MISSING = "Parquet needs: pip install wire-dedup[parquet]"
_BATCH = 1024


def parquet_rows(
    source: str | BinaryIO, wanted: Collection[str], body_names: Collection[str]
) -> Iterator[dict[str, Any]]:
    """Rows as dicts of the ``wanted`` columns; FormatError if the file is unusable (even
    after some rows were yielded: a damaged row group is found only when read)."""
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        raise FormatError(MISSING) from None
    failures = (pyarrow.ArrowException, OSError, ValueError, TypeError, NotImplementedError)
    read = 0
    try:
        table = pq.ParquetFile(source)
        names = table.schema_arrow.names
        if not any(name in names for name in body_names):
            raise FormatError(
                f"no story text column (looked for {'/'.join(body_names)}; "
                "name yours with --field body=COLUMN)"
            )
        columns = [name for name in names if name in wanted]
        for batch in table.iter_batches(batch_size=_BATCH, columns=columns):
            rows = batch.to_pylist()
            read += len(rows)
            yield from rows
    except failures as err:
        where = f" after {read} rows" if read else ""
        raise FormatError(f"invalid Parquet file{where}: {err}") from None
