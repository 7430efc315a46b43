"""The Apache Spark engine: ``dedup scan --engine spark`` for archives one machine cannot hold.

Spark only moves data between the functions the local engine uses, so both engines give the
same clusters: every rule is a ``dedup.detect`` function called inside the executors, never
rewritten as DataFrame code. The stages:

1. Read JSON Lines (line numbers restored per file from per-chunk counts, so keys and record
   numbers are the local engine's) or Parquet (``_metadata.row_index``); fingerprint with
   ``Fingerprinter``.
2. Order stories by ``records.story_order`` and number them with increasing ids: "earliest"
   and pair order then mean what they mean locally.
3. Boilerplate: anchors grouped by their ``KeyTable`` head give each anchor's carriers;
   anchors grouped by their set of carriers give the repeated texts; for each text of
   ``boilerplate_min`` carriers or more, ``is_boilerplate`` decides on the shingle sets of
   its earliest ``widely_shared`` carriers. Each story gets the union of the boilerplate
   texts it carries; their anchors bring no candidates.
4. Copy candidates: each group of carriers of a remaining anchor paired by ``group_pairs``.
5. Verification: Spark counts the shingles each pair shares (boilerplate taken out) and
   ``decide_all`` decides, a batch of pairs at a time.
6. Rewrites (unless ``links == "copy"``): items are the connected components of the copy
   matches, each named by its likely origin (``item_origins``); each story's usable unit band keys
   (``dedup.detect.links.rewrite_keys``) grouped over items; keys of at most ``COMMON_KEY``
   items pair them, pairs sharing ``keys_needed`` keys and ``within_window`` are decided by
   ``verify_rewrites`` on their origins, a batch at a time; then each rewrite
   link's earlier story with each near-duplicate of the later one (``_republished``).
7. Connected components of all matches by min-label propagation with pointer jumping, in
   DataFrame joins; the driver only counts the labels that changed.
8. ``form_clusters`` per component: centre clustering never looks outside a component.

The driver holds the file list, per-chunk line counts and counts; stories, keys, pairs and
shingles never reach it.

``scan_spark`` runs a scan and returns its counts; ``dedup.cli.scan`` is the command line.
pyspark is imported only when a session is made, so the package works without it.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import numpy as np

from dedup.detect.boilerplate import is_boilerplate
from dedup.detect.candidates import (
    COMMON_KEY,
    REWRITE_KEYS,
    KeyTable,
    group_pairs,
    item_origins,
    keys_needed,
    pack_pairs,
    within_window,
)
from dedup.detect.cluster import form_clusters
from dedup.detect.fingerprint import Fingerprint, Fingerprinter, distinct
from dedup.detect.links import rewrite_keys
from dedup.detect.verify import KINDS, Overlap, decide_all, verify_rewrites, without
from dedup.read import inputs as read
from dedup.read.formats.encoding import is_binary
from dedup.read.inputs import DEFAULT_READ, Fields, ReadOptions, outlet_of
from dedup.records import MEMBER_COLUMNS, SCHEMA, InputProblem, Match, Story, member_record
from dedup.settings import DEFAULT, Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MISSING = "the Spark engine needs pyspark: pip install 'wire-dedup[spark]'"
INPUT_FORMATS = ("auto", "jsonl", "parquet")
OUTPUT_FORMATS = ("jsonl", "parquet")
SHOWN_PROBLEMS = 20
"""Problems printed on stderr; all of them are in ``DIR/problems``."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DAY = 86400.0
"""Seconds in a day: ``rewrite_window`` counts days (``dedup.detect.links.story_days``)."""
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
OUTPUTS = ("members", "clusters", "problems", "summary.json")
"""What ``scan_spark`` writes into its output folder: a folder holding any of them is refused."""
_LOG4J = """\
rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
logger.native.name = org.apache.hadoop.util.NativeCodeLoader
logger.native.level = error
logger.host.name = org.apache.spark.util.Utils
logger.host.level = error
logger.spill.name = org.apache.spark.storage.memory.MemoryStore
logger.spill.level = error
logger.disk.name = org.apache.spark.storage.BlockManager
logger.disk.level = error
"""
"""Spark's own logs on stderr, at WARN (the level Spark keeps for a Python session), without
the notices of a normal run: no native Hadoop, a loopback host name, caches spilling to disk
(which is what they are asked to do when memory runs short)."""

# Stage A: one row per record read, a story or a problem.
_READ_SCHEMA = (
    "problem_source string, problem_reason string, key string, id string, stamp double, "
    "date string, outlet string, url string, path string, record long, headline string, "
    "outlet_key string, fp binary, sset binary"
)
_TYPES = {"record": "long", "reuse": "double", "shared": "long"}
_TYPES.update(resemblance="double", containment="double")
_MEMBER_SCHEMA = ", ".join(f"{name} {_TYPES.get(name, 'string')}" for name in MEMBER_COLUMNS)
"""The typed columns of ``records.MEMBER_COLUMNS``, as the Parquet output holds them."""
_CLUSTER_SCHEMA = "id string, size long, origin string, centre string, headline string"
_ROW_SCHEMA = (
    "tag string, idx long, grp int, neg_size long, origin_idx long, position long, "
    f"line string, {_MEMBER_SCHEMA}, "
    + ", ".join("c_" + column for column in _CLUSTER_SCHEMA.split(", "))
)
_MEMBER_COLUMNS = list(MEMBER_COLUMNS)
_CLUSTER_COLUMNS = [spec.split()[0] for spec in _CLUSTER_SCHEMA.split(", ")]


@dataclass(frozen=True)
class SparkScanResult:
    """Counts of a Spark scan; the clusters themselves are in ``output``."""

    output: str
    stories: int
    problems: int
    clusters: int
    clustered: int
    candidates: int
    matches: int
    boilerplate_texts: int
    rounds: int
    """Label-propagation rounds the connected components took (items, then clusters)."""
    first_problems: tuple[InputProblem, ...] = field(default=())

    def summary(self) -> dict[str, int]:
        """The same counts as ``dedup scan --format json``'s summary."""
        return {
            "stories": self.stories,
            "clusters": self.clusters,
            "clustered": self.clustered,
            "singletons": self.stories - self.clustered,
            "problems": self.problems,
            "candidates": self.candidates,
            "matches": self.matches,
            "boilerplate_texts": self.boilerplate_texts,
        }

    def summary_line(self) -> str:
        """Worded like the local engine's summary line."""
        line = (
            f"{_count(self.stories, 'story', 'stories')}: {_count(self.clusters, 'cluster')} "
            f"of copies ({_count(self.clustered, 'story', 'stories')}), "
            f"{_count(self.stories - self.clustered, 'singleton')}"
        )
        if self.problems:
            line += f"; {_count(self.problems, 'input')} could not be read"
        return f"{line}; results in {self.output}"


def is_uri(path: str) -> bool:
    """A location Spark reads or writes through its own file systems (hdfs://, s3a://,
    file://...), not a local path."""
    return bool(_URI.match(path))


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


# -- the session ---------------------------------------------------------------------------


def require_pyspark() -> None:
    """Raise ImportError with the install hint when pyspark is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ImportError(MISSING) from None


@contextmanager
def spark_session(
    master: str | None = None,
    *,
    temp_dir: str | os.PathLike[str] | None = None,
    conf: Mapping[str, str] | None = None,
    log_level: str = "WARN",
) -> Iterator[SparkSession]:
    """The active session (spark-submit, a notebook, a test fixture), or a new one that is
    stopped on exit.

    A new session keeps stdout clean: Spark logs at ``log_level`` on stderr, without console
    progress bars, and its scratch space (local dirs, JVM temp files) lives under
    ``temp_dir``. The master is ``master``, else the one SPARK_SUBMIT_ARGS /
    PYSPARK_SUBMIT_ARGS or spark-submit gives, else ``local[*]``.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        _ship_package(active)
        yield active
        return
    scratch = Path(tempfile.mkdtemp(prefix="dedup-spark-", dir=temp_dir))
    names = ("PYSPARK_SUBMIT_ARGS", "PYSPARK_PYTHON", "SPARK_LOCAL_DIRS")
    saved = {name: os.environ.get(name) for name in names}
    submit = submit_args()
    launched_here = "PYSPARK_GATEWAY_PORT" not in os.environ  # not already inside spark-submit
    options = {
        "spark.app.name": "wire-dedup",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.sql.debug.maxToStringFields": "200",
    }
    if master:
        options["spark.master"] = master
    elif launched_here and "--master" not in submit:
        options["spark.master"] = "local[*]"
    cores = local_cores(options.get("spark.master", ""))
    if cores and "spark.sql.shuffle.partitions" not in submit:
        # Spark's 200 suits a cluster; on one machine each shuffle would cost 200 tasks.
        options["spark.sql.shuffle.partitions"] = str(2 * cores)
    if cores and launched_here and not re.search(r"driver[-.]memory", submit):
        # In local mode the driver is the only executor: Spark's 1 GB would spill at once.
        options["spark.driver.memory"] = f"{_half_the_memory()}m"
    if launched_here:
        os.environ.setdefault("SPARK_LOCAL_DIRS", str(scratch / "local"))
        java = [f"-Djava.io.tmpdir={scratch}"]
        if "log4j" not in submit:
            config = scratch / "log4j2.properties"
            config.write_text(_LOG4J.format(level=log_level.lower()), encoding="utf-8")
            java.append(f"-Dlog4j2.configurationFile={config.as_uri()}")
        options["spark.driver.extraJavaOptions"] = " ".join(java)
        if cores and not os.environ.get("PYSPARK_PYTHON"):
            os.environ["PYSPARK_PYTHON"] = sys.executable  # local workers import this dedup
    options.update(conf or {})
    builder = SparkSession.builder
    for key, value in options.items():
        builder = builder.config(key, value)
    spark = None
    try:
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel(log_level)
        _ship_package(spark)
        yield spark
    finally:
        if spark is not None:
            spark.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(scratch, ignore_errors=True)


def local_cores(master: str) -> int:
    """Cores of a ``local``, ``local[N]`` or ``local[*]`` master; 0 for any other."""
    found = re.match(r"local(?:\[(\*|\d+)(?:,\d+)?\])?$", master)
    if not found:
        return 0
    count = found.group(1) or "1"
    return (os.cpu_count() or 1) if count == "*" else int(count)


def _half_the_memory() -> int:
    """Half of this machine's memory in MiB (at least 1 GiB), for a local master's JVM."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        total = 2048
    return max(1024, total // 2)


def submit_args() -> str:
    """PYSPARK_SUBMIT_ARGS, taken from SPARK_SUBMIT_ARGS when only that one is set (pyspark
    reads the former; people write the latter)."""
    own = os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    given = os.environ.get("SPARK_SUBMIT_ARGS", "").strip()
    if not own and given:
        own = given if given.endswith("pyspark-shell") else given + " pyspark-shell"
        os.environ["PYSPARK_SUBMIT_ARGS"] = own
    return own


def _ship_package(spark: SparkSession) -> None:
    """Send this dedup package to a cluster's executors (its dependencies must be installed
    there); local masters import it from this Python."""
    context = spark.sparkContext
    if local_cores(context.master) or context.applicationId in _SHIPPED:
        return
    package = Path(__file__).resolve().parent.parent
    folder = tempfile.mkdtemp(prefix="dedup-package-")
    atexit.register(shutil.rmtree, folder, True)
    target = Path(folder) / "dedup.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package.rglob("*.py")):
            archive.write(path, Path("dedup") / path.relative_to(package))
    context.addPyFile(str(target))
    _SHIPPED.add(context.applicationId)


_SHIPPED: set[str] = set()


# -- inputs --------------------------------------------------------------------------------


@dataclass
class Inputs:
    """Files to hand Spark, by format, and how the local engine names each local file."""

    jsonl: list[str] = field(default_factory=list)
    parquet: list[str] = field(default_factory=list)
    display: dict[str, str] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)


def resolve_inputs(inputs: Iterable[str], input_format: str) -> Inputs:
    """Local files, folders and globs are expanded by dedup.read, as the local engine does,
    so stories get the same keys; URIs go to Spark as they are."""
    found = Inputs()
    for item in inputs:
        if item == "-":
            found.problems.append(
                InputProblem("-", "the Spark engine cannot read standard input; save it to a file")
            )
            continue
        if is_uri(item):
            kind = _kind(item, input_format) or "jsonl"
            (found.parquet if kind == "parquet" else found.jsonl).append(item)
            continue
        for source, _root in read.expand_inputs([item]):
            if isinstance(source, InputProblem):
                found.problems.append(source)
                continue
            kind = _kind(source, input_format)
            problem = _check_local(source, kind)
            if problem:
                found.problems.append(InputProblem(source, problem))
                continue
            absolute = os.path.abspath(source)
            if absolute in found.display:
                continue
            found.display[absolute] = source
            (found.parquet if kind == "parquet" else found.jsonl).append("file://" + absolute)
    return found


def _kind(path: str, input_format: str) -> str | None:
    """``jsonl``, ``parquet`` or None (a format only the local engine reads)."""
    if input_format != "auto":
        return input_format
    name = urlsplit(path).path if is_uri(path) else path
    suffixes = Path(name.lower()).suffixes
    if suffixes[-1:] in ([".gz"], [".bz2"]):  # Spark decompresses these by extension
        return "jsonl" if suffixes[-2:-1] in ([".jsonl"], [".ndjson"]) else None
    kind = read.EXTENSION_FORMATS.get(suffixes[-1] if suffixes else "")
    return kind if kind in ("jsonl", "parquet") else None


def _check_local(path: str, kind: str | None) -> str | None:
    """What the local engine would report about a whole file before reading its records."""
    if kind is None:
        return (
            "not JSON Lines or Parquet, the formats the Spark engine reads "
            "(use --engine local, or name the format with --input-format)"
        )
    try:
        head = read.file_head(path)
    except (OSError, EOFError, ValueError) as err:
        return read.error_reason(err)
    if not head.strip() and len(head) < 65536:
        return "empty file"
    if kind == "parquet" and not head.startswith(b"PAR1"):
        return "invalid Parquet file: no Parquet header"
    if kind == "jsonl" and is_binary(head):
        return "binary file (contains NUL bytes), not JSON Lines"
    if kind == "jsonl" and read.opener_for(path) and _kind(path, "auto") != "jsonl":
        return "compressed without a .gz or .bz2 name, which Spark needs to read it: rename it"
    return None


def _display(file: str, display: Mapping[str, str]) -> str:
    """The path the local engine would print for a file Spark names by URI."""
    parts = urlsplit(file)
    if parts.scheme in ("", "file"):
        local = unquote(parts.path)
        return display.get(local, local)
    return unquote(file)


def nonblank_pattern() -> str:
    """A Java regex finding a character Python's ``str.strip`` keeps: the local reader skips
    lines that strip to nothing and numbers the others."""
    spaces = [code for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    ranges: list[list[int]] = []
    for code in spaces:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[^{parts}]"


# -- stage A: read and fingerprint (executors) ---------------------------------------------


def _read_rows(
    items: Iterable[Story | InputProblem], fingerprinter: Fingerprinter, chunk: int = 128
) -> Iterator[tuple]:
    """Stage A rows of stories and problems (a problem fills only the first two columns), in
    their order; stories are fingerprinted a chunk at a time (``Fingerprinter.batch``), as
    the local engine does."""
    held: list[Story | InputProblem] = []

    def flush() -> Iterator[tuple]:
        prints = iter(fingerprinter.batch([item for item in held if isinstance(item, Story)]))
        for item in held:
            if isinstance(item, InputProblem):
                yield (item.source, item.reason, *([None] * 12))
            else:
                yield _story_row(item, next(prints))
        held.clear()

    for item in items:
        held.append(item)
        if len(held) >= chunk:
            yield from flush()
    yield from flush()


def _story_row(item: Story, fingerprint: Fingerprint) -> tuple:
    """A story with its fingerprint (``Fingerprint.to_bytes``) and its distinct shingles (as
    little-endian uint32 bytes), the set boilerplate and verification compare."""
    date = item.date
    return (
        None,
        None,
        item.key,
        item.id,
        date.timestamp() if date else None,
        date.isoformat() if date else None,
        item.outlet,
        item.url,
        item.path,
        item.record,
        item.headline,
        outlet_of(item),
        fingerprint.to_bytes(),
        fingerprint.shingle_set().astype("<u4").tobytes(),
    )


def _jsonl_partition(
    rows: Iterable[Any],
    offsets: Any,
    display: Any,
    fields: Fields,
    settings: Settings,
) -> Iterator[tuple]:
    """JSON Lines records of one partition, numbered as dedup.read numbers them: ``offsets``
    gives, per (file, chunk start), the lines and records of the file before the chunk."""

    def records() -> Iterator[Story | InputProblem]:
        chunk = None
        path, line_no, number = "", 0, 0
        for file, start, line in rows:
            if (file, start) != chunk:
                chunk = (file, start)
                line_no, number = offsets.value[chunk]
                path = _display(file, display.value)
            line_no += 1
            if line_no == 1:
                line = line.lstrip("\ufeff")
            if not line.strip():
                continue
            number += 1
            yield _json_record(line, fields, path, number, line_no)

    return _read_rows(records(), Fingerprinter(settings))


def _json_record(
    line: str, fields: Fields, path: str, number: int, line_no: int
) -> Story | InputProblem:
    """One JSON Lines record, with dedup.read's messages for the lines it cannot use."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return InputProblem(f"{path}:{line_no}", f"invalid JSON: {err.msg} (column {err.colno})")
    except (ValueError, RecursionError) as err:
        return InputProblem(f"{path}:{line_no}", f"invalid JSON: {read.json_error_reason(err)}")
    return read.record_story(record, fields, f"{path}#{number}", path, number, line_no)


def _parquet_partition(
    rows: Iterable[Any],
    display: Any,
    timestamps: Sequence[str],
    fields: Fields,
    settings: Settings,
) -> Iterator[tuple]:
    """Parquet rows, numbered by their row index in their file like dedup.read does."""

    def records() -> Iterator[Story | InputProblem]:
        for row in rows:
            record = row.asDict(recursive=True)
            path = _display(record.pop("__dedup_file"), display.value)
            number = record.pop("__dedup_row") + 1
            for name in timestamps:  # instants travel as microseconds: no time zone guessing
                if record.get(name) is not None:
                    record[name] = _EPOCH + timedelta(microseconds=record[name])
            yield read.record_story(record, fields, f"{path}#{number}", path, number)

    return _read_rows(records(), Fingerprinter(settings))


def _read(
    spark: SparkSession, found: Inputs, fields: Fields, settings: Settings
) -> DataFrame | None:
    """Stage A rows (``_READ_SCHEMA``) of every input, None when there is none. JSON Lines
    lines are counted per file split first, so that each task numbers its records from
    where the splits before it stopped."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    context = spark.sparkContext
    display = context.broadcast(found.display)
    parts = []
    if found.jsonl:
        lines = (
            spark.read.option("lineSep", "\n")
            .text(found.jsonl)
            .select(
                F.col("_metadata.file_path").alias("file"),
                F.col("_metadata.file_block_start").alias("start"),
                "value",
            )
        )
        counts = (
            lines.groupBy("file", "start")
            .agg(
                F.count(F.lit(1)).alias("lines"),
                F.sum(F.col("value").rlike(nonblank_pattern()).cast("long")).alias("records"),
            )
            .collect()
        )
        offsets: dict[tuple[str, int], tuple[int, int]] = {}
        running: dict[str, tuple[int, int]] = {}
        for row in sorted(counts, key=lambda row: (row.file, row.start)):
            before = running.get(row.file, (0, 0))
            offsets[(row.file, row.start)] = before
            running[row.file] = (before[0] + row.lines, before[1] + (row.records or 0))
        parts.append(
            lines.rdd.mapPartitions(
                partial(
                    _jsonl_partition,
                    offsets=context.broadcast(offsets),
                    display=display,
                    fields=fields,
                    settings=settings,
                )
            )
        )
    if found.parquet:
        table = spark.read.option("mergeSchema", "true").parquet(*found.parquet)
        wanted = fields.names()
        columns = [spec for spec in table.schema.fields if spec.name in wanted]
        if not any(spec.name in fields.body for spec in columns):
            reason = (
                f"no story text column (looked for {'/'.join(fields.body)}; "
                "name yours with --field body=COLUMN)"
            )
            found.problems.extend(
                InputProblem(_display(path, found.display), reason) for path in found.parquet
            )
        else:
            timestamps = [spec.name for spec in columns if isinstance(spec.dataType, TimestampType)]
            selected = table.select(
                *(
                    F.unix_micros(spec.name).alias(spec.name)
                    if spec.name in timestamps
                    else F.col(spec.name)
                    for spec in columns
                ),
                F.col("_metadata.file_path").alias("__dedup_file"),
                F.col("_metadata.row_index").alias("__dedup_row"),
            )
            parts.append(
                selected.rdd.mapPartitions(
                    partial(
                        _parquet_partition,
                        display=display,
                        timestamps=timestamps,
                        fields=fields,
                        settings=settings,
                    )
                )
            )
    if not parts:
        return None
    rows = parts[0] if len(parts) == 1 else context.union(parts)
    return spark.createDataFrame(rows, _READ_SCHEMA, verifySchema=False)


# -- stage C: boilerplate ------------------------------------------------------------------


def _anchor_rows(rows: Iterable[Any], count: int) -> Iterator[tuple[int, list[int]]]:
    """``(idx, heads)``: each story's distinct anchors, as heads in the ``KeyTable`` of
    ``count`` stories, so that equal heads group here as they do locally. One row a story:
    Spark explodes the array in the JVM, cheaper than a Python row per anchor."""
    for row in rows:
        print_ = Fingerprint.from_bytes(row.key, row.fp)
        yield row.idx, KeyTable.of([print_.anchors], count).heads.astype(np.int64).tolist()


def _boilerplate(
    stories: DataFrame, carriers: DataFrame, settings: Settings
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """``(idx, removed)``: the boilerplate shingles each story carries; ``(head)``: the
    boilerplate anchors; and the boilerplate texts (``carriers``, ``heads``, ``common``;
    persisted, the other two are read from it), as
    ``dedup.detect.boilerplate.find_boilerplate`` finds them.

    The anchors carried by the same set of ``boilerplate_min`` stories or more make one
    repeated text; ``is_boilerplate`` decides each in an executor, on the shingle sets of its
    earliest ``widely_shared`` carriers (all that the rule reads)."""
    from pyspark.sql import functions as F

    spark = stories.sparkSession
    texts = (  # a text is named by its set of carriers: the same on any recomputation
        carriers.where(F.size("carriers") >= settings.boilerplate_min)
        .groupBy("carriers")
        .agg(F.collect_list("head").alias("heads"))
        .persist()
    )
    compared = (
        texts.select(
            "carriers",
            F.posexplode(F.slice("carriers", 1, settings.widely_shared)).alias("at", "idx"),
        )
        .join(stories.select("idx", "outlet_key", "sset"), "idx")
        .groupBy("carriers")
        .agg(F.array_sort(F.collect_list(F.struct("at", "outlet_key", "sset"))).alias("compared"))
    )
    decided = spark.createDataFrame(
        compared.rdd.mapPartitions(partial(_decide_boilerplate, settings=settings)),
        "carriers array<long>, common binary",
    )
    found = texts.join(decided, "carriers").select("carriers", "heads", "common").persist()
    found.count()
    texts.unpersist()
    removed = spark.createDataFrame(
        found.select(F.explode("carriers").alias("idx"), "common")
        .groupBy("idx")
        .agg(F.collect_list("common").alias("parts"))
        .rdd.map(_united),
        "idx long, removed binary",
    )
    heads = found.select(F.explode("heads").alias("head"))
    return removed, heads, found


def _decide_boilerplate(rows: Iterable[Any], settings: Settings) -> Iterator[tuple]:
    """``is_boilerplate`` on each repeated text; yields the boilerplate ones' shingles."""
    for row in rows:
        outlets = [carrier.outlet_key for carrier in row.compared]
        sets = [_array(carrier.sset) for carrier in row.compared]
        common = is_boilerplate(range(len(sets)), outlets, sets.__getitem__, settings)
        if common is not None:
            yield row.carriers, common.astype("<u4").tobytes()


def _united(row: Any) -> tuple[int, bytes]:
    """A story's boilerplate: the union of the texts it carries."""
    parts = [_array(part) for part in row.parts]
    union = parts[0] if len(parts) == 1 else distinct(np.concatenate(parts))
    return row.idx, union.astype("<u4").tobytes()


def _array(data: bytes | None) -> np.ndarray:
    """Sorted uint32 shingles as they travel in Spark (little-endian bytes)."""
    if not data:
        return _NO_SHINGLES
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


_NO_SHINGLES = np.zeros(0, dtype=np.uint32)


# -- stage D: copy candidates --------------------------------------------------------------


def _copy_candidates(carriers: DataFrame, boilerplate: DataFrame, settings: Settings) -> DataFrame:
    """Pairs ``(a, b)``, ``a < b``, of stories sharing an anchor that is not boilerplate, by
    ``dedup.detect.candidates.group_pairs`` on each group of carriers (``copy_candidates``).
    Persisted."""
    groups = carriers.join(boilerplate, "head", "left_anti").select("carriers").distinct()
    return _pairs_of(groups, settings.widely_shared).distinct().persist()


def _pairs_of(groups: DataFrame, limit: int) -> DataFrame:
    """``(a, b)``: the pairs ``group_pairs`` makes of each row's ``carriers`` (sorted), one
    Python row per group, exploded in the JVM."""
    from pyspark.sql import functions as F

    made = groups.sparkSession.createDataFrame(
        groups.select("carriers").rdd.map(partial(_group_pairs, limit=limit)),
        "firsts array<long>, seconds array<long>",
    )
    pairs = made.select(F.explode(F.arrays_zip("firsts", "seconds")).alias("pair"))
    return pairs.select(F.col("pair.firsts").alias("a"), F.col("pair.seconds").alias("b"))


def _group_pairs(row: Any, limit: int) -> tuple[list[int], list[int]]:
    """The one widely-shared rule, on one group of carriers (sorted, earliest first)."""
    pairs = group_pairs(list(row.carriers), limit)
    return [a for a, _ in pairs], [b for _, b in pairs]


# -- stage E: verification -----------------------------------------------------------------


def _evidence(rows: Iterable[Any]) -> Iterator[tuple]:
    """Each story's content (shingles without boilerplate; as int32, Spark's integer type,
    where only equality matters) and its boilerplate shingles."""
    for row in rows:
        removed = _array(row.removed)
        content = without(_array(row.sset), removed)
        yield row.idx, content.view(np.int32).tolist(), removed.astype("<u4").tobytes()


def _shingles(values: Sequence[int]) -> np.ndarray:
    """Back from Spark's int32 to sorted uint32 shingles."""
    return np.array(values, dtype=np.int32).view(np.uint32)


def _batches(rows: Iterable[Any], size: int = 4096) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _decide(rows: Iterable[Any], settings: Settings) -> Iterator[tuple]:
    """``decide_all`` on the overlaps Spark measured, a batch of pairs at a time."""
    for batch in _batches(rows):
        shared = np.array([row.shared for row in batch], dtype=np.int64)
        size_a = np.array([row.size_a for row in batch], dtype=np.int64)
        size_b = np.array([row.size_b for row in batch], dtype=np.int64)
        same = np.array([row.same for row in batch], dtype=bool)
        codes = decide_all(shared, size_a, size_b, settings, same)
        for at in np.flatnonzero(codes).tolist():
            found = Overlap(int(shared[at]), int(size_a[at]), int(size_b[at]))
            kind = KINDS[int(codes[at])]
            row = batch[at]
            yield row.a, row.b, found.shared, found.resemblance, found.containment, kind, 0.0


def _verify(
    pairs: DataFrame, evidence: DataFrame, stories: DataFrame, settings: Settings
) -> DataFrame:
    """Matches among the copy candidates. The shingles stay in the JVM: only the counts of
    each pair, and whether its stories are of one outlet, travel to Python, where
    ``decide_all`` decides."""
    from pyspark.sql import functions as F

    sides = evidence.select("idx", "content").join(stories.select("idx", "outlet_key"), "idx")
    a_side = sides.select(
        F.col("idx").alias("a"), F.col("content").alias("ca"), F.col("outlet_key").alias("oa")
    )
    b_side = sides.select(
        F.col("idx").alias("b"), F.col("content").alias("cb"), F.col("outlet_key").alias("ob")
    )
    measured = (
        pairs.join(a_side, "a")
        .join(b_side, "b")
        .select(
            "a",
            "b",
            F.size(F.array_intersect("ca", "cb")).alias("shared"),
            F.size("ca").alias("size_a"),
            F.size("cb").alias("size_b"),
            ((F.col("oa") != "") & (F.col("oa") == F.col("ob"))).alias("same"),
        )
    )
    return pairs.sparkSession.createDataFrame(
        measured.rdd.mapPartitions(partial(_decide, settings=settings)), _MATCH_SCHEMA
    )


_MATCH_SCHEMA = (
    "a long, b long, shared long, resemblance double, containment double, kind string, "
    "coverage double"
)


# -- stage F: rewrites ---------------------------------------------------------------------


def _rewrite_pairs(
    stories: DataFrame,
    evidence: DataFrame,
    labels: DataFrame | None,
    count: int,
    settings: Settings,
) -> DataFrame:
    """Story pairs ``(a, b)`` for the rewrite decision, as ``dedup.detect.links`` makes them:
    items (a story's item is the component of copy matches it is in; its label is its
    likely origin, ``_origins``) sharing ``keys_needed`` usable unit band keys that at most
    ``COMMON_KEY`` items carry, within ``rewrite_window`` days; each item stands for its
    origin. Persisted."""
    from pyspark.sql import functions as F

    spark = stories.sparkSession
    item = stories.select("idx", "stamp")
    if labels is not None:
        item = item.join(labels.withColumnRenamed("v", "idx"), "idx", "left")
    else:
        item = item.withColumn("comp", F.lit(None).cast("long"))
    item = item.select("idx", "stamp", F.coalesce("comp", "idx").alias("item")).persist()
    grouped = 0
    if labels is not None:
        grouped = labels.count() - labels.select("comp").distinct().count()
    bits = max(count - grouped - 1, 1).bit_length()  # the KeyTable of the local engine's items
    keyed = (
        stories.select("idx", "key", "fp")
        .join(evidence.select("idx", "removed"), "idx")
        .join(item.select("idx", "item"), "idx")
    )
    unit_rows = spark.createDataFrame(
        keyed.rdd.mapPartitions(partial(_unit_heads, bits=bits, settings=settings)),
        "idx long, item long, units long, heads array<long>",
    ).persist()
    keys = unit_rows.select(F.explode("heads").alias("head"), "item").distinct()
    # Each item's usable units are its earliest story's, the story its label names.
    units = unit_rows.where(F.col("idx") == F.col("item")).select("item", "units")
    groups = (
        keys.groupBy("head")
        .agg(F.array_sort(F.collect_list("item")).alias("carriers"))
        .where(F.size("carriers").between(2, COMMON_KEY))
    )
    counted = (
        _pairs_of(groups, COMMON_KEY)  # every pair: no group is larger
        .groupBy("a", "b")
        .count()
        .where(F.col("count") >= REWRITE_KEYS)
        .join(units.select(F.col("item").alias("a"), F.col("units").alias("units_a")), "a")
        .join(units.select(F.col("item").alias("b"), F.col("units").alias("units_b")), "b")
    )
    pairs = spark.createDataFrame(
        counted.rdd.mapPartitions(partial(_enough_keys, settings=settings)), "a long, b long"
    )
    if settings.rewrite_window:
        days = (
            item.select("item", (F.col("stamp") / _DAY).alias("day"))
            .groupBy("item")
            .agg(F.min("day").alias("low"), F.max("day").alias("high"))
        )
        dated = pairs.join(
            days.select(
                F.col("item").alias("a"), F.col("low").alias("low_a"), F.col("high").alias("high_a")
            ),
            "a",
        ).join(
            days.select(
                F.col("item").alias("b"), F.col("low").alias("low_b"), F.col("high").alias("high_b")
            ),
            "b",
        )
        pairs = spark.createDataFrame(
            dated.rdd.mapPartitions(partial(_within_window, settings=settings)), "a long, b long"
        )
    pairs = pairs.persist()
    pairs.count()
    item.unpersist()
    unit_rows.unpersist()
    return pairs


def _unit_heads(rows: Iterable[Any], bits: int, settings: Settings) -> Iterator[tuple]:
    """``(idx, item, units, heads)``: a story's usable unit band keys (``rewrite_keys``), as
    heads in the ``KeyTable`` that ``rewrite_candidates`` builds over items, and how many
    usable units it has; one row a story."""
    for row in rows:
        print_ = Fingerprint.from_bytes(row.key, row.fp)
        keys, units = rewrite_keys(print_, _array(row.removed), settings)
        table = KeyTable.packed(keys, np.zeros(len(keys), dtype=np.uint64), bits)
        yield row.idx, row.item, units, table.heads.astype(np.int64).tolist()


def _enough_keys(rows: Iterable[Any], settings: Settings) -> Iterator[tuple[int, int]]:
    """The item pairs that share the band keys ``keys_needed`` asks of them, a batch at a
    time."""
    for batch in _batches(rows):
        count = np.array([row["count"] for row in batch])
        units_a = np.array([row.units_a for row in batch])
        needed = keys_needed(units_a, np.array([row.units_b for row in batch]), settings)
        for at in np.flatnonzero(count >= needed).tolist():
            yield batch[at].a, batch[at].b


def _within_window(rows: Iterable[Any], settings: Settings) -> Iterator[tuple[int, int]]:
    """``within_window`` on item pairs, a batch at a time (an item with no dated story is
    given inf to -inf, as ``rewrite_candidates`` gives it: all time to the window)."""

    def side(batch: list[Any], name: str, empty: float) -> np.ndarray:
        return np.array([empty if row[name] is None else row[name] for row in batch])

    for batch in _batches(rows):
        keep = within_window(
            side(batch, "low_a", np.inf),
            side(batch, "high_a", -np.inf),
            side(batch, "low_b", np.inf),
            side(batch, "high_b", -np.inf),
            settings,
        )
        for at in np.flatnonzero(keep).tolist():
            yield batch[at].a, batch[at].b


def _verify_rewrites(
    pairs: DataFrame, stories: DataFrame, evidence: DataFrame, settings: Settings
) -> DataFrame:
    """Rewrite matches: ``verify_rewrites`` in the executors, on each pair's fingerprints,
    content and boilerplate."""
    from pyspark.sql import functions as F

    sides = stories.select("idx", "key", "outlet_key", "fp").join(evidence, "idx")
    columns = ("key", "outlet_key", "fp", "content", "removed")
    a_side = sides.select(F.col("idx").alias("a"), *(F.col(c).alias(c + "_a") for c in columns))
    b_side = sides.select(F.col("idx").alias("b"), *(F.col(c).alias(c + "_b") for c in columns))
    # A story's pairs side by side, so that a batch prepares its sentences once.
    joined = pairs.join(a_side, "a").join(b_side, "b").sortWithinPartitions("a", "b")
    return pairs.sparkSession.createDataFrame(
        joined.rdd.mapPartitions(partial(_decide_rewrites, settings=settings)), _MATCH_SCHEMA
    )


def _republished(rewrites: DataFrame, copies: DataFrame) -> DataFrame:
    """``dedup.detect.links``'s second rewrite decision: the earlier story of each rewrite
    link with each near-duplicate of the later one (a rewrite republished word for word),
    as pairs ``(a, b)`` not linked yet."""
    from pyspark.sql import functions as F

    twins = copies.where(F.col("kind") == "near-duplicate").select("a", "b")
    twins = twins.union(twins.select(F.col("b").alias("a"), F.col("a").alias("b")))
    links = rewrites.select(F.least("a", "b").alias("early"), F.greatest("a", "b").alias("late"))
    pairs = (
        links.join(twins.select(F.col("a").alias("late"), F.col("b").alias("twin")), "late")
        .where(F.col("twin") != F.col("early"))
        .select(F.least("early", "twin").alias("a"), F.greatest("early", "twin").alias("b"))
        .distinct()
    )
    return pairs.join(rewrites.select("a", "b"), ["a", "b"], "left_anti")


def _decide_rewrites(rows: Iterable[Any], settings: Settings) -> Iterator[tuple]:
    """One ``verify_rewrites`` call per batch of pairs, its stories numbered in the batch."""
    for batch in _batches(rows, 1024):
        number: dict[int, int] = {}
        idxs: list[int] = []
        keys: list[str] = []
        prints: list[Fingerprint] = []
        content: list[np.ndarray] = []
        removed: list[np.ndarray] = []
        outlets: list[str] = []
        for row in batch:
            for side in ("a", "b"):
                idx = row[side]
                if idx in number:
                    continue
                number[idx] = len(idxs)
                idxs.append(idx)
                keys.append(row["key_" + side])
                outlets.append(row["outlet_key_" + side] or "")
                prints.append(Fingerprint.from_bytes(row["key_" + side], row["fp_" + side]))
                content.append(_shingles(row["content_" + side]))
                removed.append(_array(row["removed_" + side]))
        first = np.array([number[row.a] for row in batch], dtype=np.int64)
        second = np.array([number[row.b] for row in batch], dtype=np.int64)
        idx_of = dict(zip(keys, idxs))
        packed = pack_pairs(first, second)
        for m in verify_rewrites(packed, keys, prints, content, removed, settings, None, outlets):
            yield (
                idx_of[m.a],
                idx_of[m.b],
                m.shared,
                m.resemblance,
                m.containment,
                m.kind,
                m.coverage,
            )


# -- stage G: connected components ---------------------------------------------------------


def _components(matches: DataFrame) -> tuple[DataFrame, int]:
    """``(v, comp)``: each matched story and the smallest id in its connected component.

    Min-label propagation (each story takes the smallest label among its neighbours) with
    pointer jumping (then the label of its label), so long chains converge in about log2 of
    their length rounds. Labels only fall, so a round that changes none ends it; each round is
    checkpointed to keep Spark's plan short.
    """
    from pyspark.sql import functions as F

    edges = matches.select(F.col("a").alias("src"), F.col("b").alias("dst"))
    both = edges.union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    both = both.localCheckpoint()
    labels = both.select(F.col("src").alias("v")).distinct().withColumn("l", F.col("v"))
    rounds = 0
    while True:
        rounds += 1
        hooked = both.join(labels.withColumnRenamed("v", "src"), "src").select(
            F.col("dst").alias("v"), "l", F.lit(None).cast("long").alias("old")
        )
        step = (
            labels.withColumn("old", F.col("l"))
            .unionByName(hooked)
            .groupBy("v")
            .agg(F.min("l").alias("l"), F.max("old").alias("old"))
        )
        jumped = (
            step.join(step.select(F.col("v").alias("l"), F.col("l").alias("next")), "l")
            .select("v", F.least("l", "next").alias("l"), "old")
            .localCheckpoint()
        )
        changed = jumped.where(F.col("l") < F.col("old")).count()
        labels = jumped.select("v", "l")
        if not changed:
            return labels.withColumnRenamed("l", "comp"), rounds


def _origins(labels: DataFrame, matches: DataFrame, stories: DataFrame) -> DataFrame:
    """``(v, comp)`` of copy matches' components, each labelled by its likely origin, the
    story that stands for it in the rewrite decision (``item_origins``, applied to each
    component in an executor), instead of its smallest story."""
    from pyspark.sql import functions as F

    ends = matches.select(F.col("a").alias("v"), "shared").unionByName(
        matches.select(F.col("b").alias("v"), "shared")
    )
    undated = stories.select(F.col("idx").alias("v"), F.col("stamp").isNull().alias("undated"))
    members = (
        labels.join(ends.groupBy("v").agg(F.sum("shared").alias("shared")), "v")
        .join(undated, "v")
        .groupBy("comp")
        .agg(F.array_sort(F.collect_list(F.struct("v", "undated", "shared"))).alias("members"))
    )
    relabelled = stories.sparkSession.createDataFrame(
        members.rdd.flatMap(_relabelled), "v long, comp long"
    )
    return relabelled.localCheckpoint()


def _relabelled(row: Any) -> Iterator[tuple[int, int]]:
    """``(v, origin)`` for each story of one component (its ``members``, sorted by story
    number, which is story order)."""
    members = row.members
    undated = np.array([member.undated for member in members], dtype=bool)
    shared = np.array([member.shared for member in members], dtype=np.int64)
    one = np.zeros(len(members), dtype=np.int64)  # all of one item
    origin = members[int(item_origins(one, undated, shared)[0])].v
    for member in members:
        yield member.v, origin


# -- stage H: clusters per component (executors) -------------------------------------------


def _light_story(row: Any) -> Story:
    """The story's metadata, all that clustering and the output rows use."""
    return Story(
        key=row.key,
        id=row.id,
        body="",
        headline=row.headline or "",
        date=datetime.fromisoformat(row.date) if row.date else None,
        outlet=row.outlet or "",
        url=row.url or "",
        path=row.path,
        record=row.record,
    )


def _member_row(
    record: dict[str, Any], idx: int, grp: int, neg_size: int, origin: int, position: int
) -> tuple:
    """A member row: the local engine's JSON line and typed columns, with its sort keys."""
    line = json.dumps(record, ensure_ascii=False)
    typed = tuple(record[column] for column in _MEMBER_COLUMNS)
    return ("m", idx, grp, neg_size, origin, position, line, *typed, *([None] * 5))


def _cluster_component(row: Any) -> Iterator[tuple]:
    """Centre clustering of one connected component with dedup.detect.cluster.form_clusters."""
    stories = [_light_story(story) for story in row.stories]
    idx_of = {story.key: story.idx for story in row.stories}
    key_of = {story.idx: story.key for story in row.stories}
    content = {story.key: _shingles(story.content) for story in row.stories}
    matches = [  # in the local engine's order: copies, then rewrites, each by pair
        Match(key_of[m.a], key_of[m.b], m.shared, m.resemblance, m.containment, m.kind, m.coverage)
        for m in sorted(row.matches, key=lambda m: (m.coverage > 0, m.a, m.b))
    ]
    for cluster in form_clusters(stories, matches, content):
        origin = idx_of[cluster.origin_key]
        for position, member in enumerate(cluster.members):
            record = member_record(cluster, member)
            yield _member_row(record, idx_of[member.key], 0, -cluster.size, origin, position)
        summary = {
            "id": cluster.id,
            "size": cluster.size,
            "origin": cluster.origin,
            "centre": cluster.centre,
            "headline": cluster.origin_member.headline or None,
        }
        line = json.dumps(summary, ensure_ascii=False)
        yield (
            "c",
            origin,
            0,
            -cluster.size,
            origin,
            0,
            line,
            *([None] * len(_MEMBER_COLUMNS)),
            *(summary[column] for column in _CLUSTER_COLUMNS),
        )


def _singleton_rows(rows: Iterable[Any]) -> Iterator[tuple]:
    """Singletons come after every cluster, in story order, as the local engine lists them."""
    for row in rows:
        yield _member_row(member_record(None, _light_story(row)), row.idx, 1, 0, row.idx, 0)


# -- the scan ------------------------------------------------------------------------------


def scan_spark(
    spark: SparkSession,
    inputs: Iterable[str],
    output: str,
    settings: Settings = DEFAULT,
    *,
    read_options: ReadOptions = DEFAULT_READ,
    output_format: str = "jsonl",
    singletons: bool = False,
) -> SparkScanResult:
    """Cluster the copies among ``inputs`` (JSON Lines or Parquet files, folders, globs, or
    URIs Spark reads), read with ``read_options``, and write to the folder ``output``:

    - ``members``: one row per clustered story (and per singleton with ``singletons``) with
      the columns of ``dedup scan --format jsonl``, in the same order;
    - ``clusters``: id, size, origin, centre and headline of each cluster;
    - ``problems``: source and reason of each input that could not be read;
    - ``summary.json``: the counts of ``dedup scan --format json`` and the settings.
    """
    from pyspark.sql import functions as F

    if read_options.input_format not in INPUT_FORMATS:
        raise ValueError(
            f"the Spark engine reads jsonl or parquet, not {read_options.input_format}"
        )
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"output format must be one of {', '.join(OUTPUT_FORMATS)}")
    output = output if is_uri(output) else os.path.abspath(output)
    existing = [name for name in OUTPUTS if _exists(spark, f"{output}/{name}")]
    if existing:
        raise FileExistsError(f"{output} already holds {', '.join(existing)}; choose a new folder")

    phase = spark.sparkContext.setJobDescription  # names the jobs in Spark's UI
    phase("dedup: read and fingerprint")
    found = resolve_inputs(inputs, read_options.input_format)
    stories, problems = _read_stories(spark, found, read_options.fields, settings)
    count = stories.count()
    phase("dedup: boilerplate")
    anchors = spark.createDataFrame(
        stories.select("idx", "key", "fp").rdd.mapPartitions(partial(_anchor_rows, count=count)),
        "idx long, heads array<long>",
    ).select("idx", F.explode("heads").alias("head"))
    carriers = (
        anchors.groupBy("head")
        .agg(F.array_sort(F.collect_list("idx")).alias("carriers"))
        .where(F.size("carriers") > 1)
        .persist()
    )
    removed, boilerplate, texts = _boilerplate(stories, carriers, settings)
    boilerplate_count = texts.count()
    cached = [carriers, texts]
    phase("dedup: copy candidates")
    pairs = _copy_candidates(carriers, boilerplate, settings)
    candidates = pairs.count()
    evidence = spark.createDataFrame(
        stories.select("idx", "sset").join(removed, "idx", "left").rdd.mapPartitions(_evidence),
        "idx long, content array<int>, removed binary",
    ).persist()  # cached DataFrames spill to disk when memory runs short
    evidence.count()
    for frame in cached:  # what evidence and pairs were made from
        frame.unpersist()
    phase("dedup: verify")
    matches = _verify(pairs, evidence, stories, settings).persist()
    cached = [matches]
    rounds = 0
    if settings.links == "all":
        phase("dedup: rewrite candidates")
        items, rounds = _components(matches) if matches.count() else (None, 0)
        if items is not None:
            items = _origins(items, matches, stories)
        rewrites = _rewrite_pairs(stories, evidence, items, count, settings)
        candidates += rewrites.count()
        phase("dedup: rewrites")
        first = _verify_rewrites(rewrites, stories, evidence, settings).persist()
        later = _republished(first, matches).persist()
        candidates += later.count()
        found = first.union(_verify_rewrites(later, stories, evidence, settings))
        matches = matches.union(found).persist()
        cached += [rewrites, first, later, matches]
    match_count = matches.count()
    phase("dedup: connected components")
    labels, more = _components(matches) if match_count else (None, 0)
    rounds += more
    phase("dedup: clusters")
    meta = stories.select("idx", "key", "id", "date", "outlet", "url", "path", "record", "headline")
    content = evidence.select("idx", "content")
    rows = _cluster_rows(meta, content, matches, labels, singletons)
    counts = {
        row.tag: row["count"]
        for row in rows.where(F.col("grp") == 0).groupBy("tag").count().collect()
    }
    phase("dedup: write")
    _write_rows(rows, problems, output, output_format)
    first_problems = tuple(
        InputProblem(row.source, row.reason) for row in problems.limit(SHOWN_PROBLEMS).collect()
    )
    result = SparkScanResult(
        output=output,
        stories=count,
        problems=problems.count(),
        clusters=counts.get("c", 0),
        clustered=counts.get("m", 0),
        candidates=candidates,
        matches=match_count,
        boilerplate_texts=boilerplate_count,
        rounds=rounds,
        first_problems=first_problems,
    )
    summary = {
        "schema": SCHEMA,
        "engine": "spark",
        "summary": result.summary(),
        "settings": settings.as_dict(),
        "format": output_format,
        "files": {name: name for name in ("members", "clusters", "problems")},
        "component_rounds": rounds,
    }
    _write_text(spark, f"{output}/summary.json", json.dumps(summary, indent=2) + "\n")
    for frame in (rows, *cached, evidence, pairs, problems, stories):
        frame.unpersist()
    phase(None)
    return result


def _read_stories(
    spark: SparkSession, found: Inputs, fields: Fields, settings: Settings
) -> tuple[DataFrame, DataFrame]:
    """Stories, fingerprinted, in ``Story.sort_key`` order with an increasing ``idx``; and
    the problems met on the way (``source``, ``reason``). Both are cached."""
    from pyspark.sql import functions as F

    raw = _read(spark, found, fields, settings)
    if raw is None:
        raw = spark.createDataFrame([], _READ_SCHEMA)
    raw = raw.persist()
    raw.count()  # fingerprints are made once, here; sorting samples its input first
    problems = (
        spark.createDataFrame(
            [(problem.source, problem.reason) for problem in found.problems],
            "source string, reason string",
        )
        .union(
            raw.where(F.col("problem_source").isNotNull()).select(
                "problem_source", "problem_reason"
            )
        )
        .persist()
    )
    stories = (
        raw.where(F.col("problem_source").isNull())
        .drop("problem_source", "problem_reason")
        .orderBy(F.col("stamp").asc_nulls_last(), "id", "key")  # records.story_order
        .withColumn("idx", F.monotonically_increasing_id())  # increasing in sort_key order
        .persist()
    )
    stories.count()
    problems.count()
    raw.unpersist()
    return stories, problems


def _cluster_rows(
    meta: DataFrame,
    content: DataFrame,
    matches: DataFrame,
    labels: DataFrame | None,
    singletons: bool,
) -> DataFrame:
    """Output rows (``_ROW_SCHEMA``, cached): clusters formed per component, then the
    singletons when asked for."""
    from pyspark.sql import functions as F

    spark = meta.sparkSession
    rows = spark.createDataFrame([], _ROW_SCHEMA)
    if labels is not None:
        stories = (
            labels.withColumnRenamed("v", "idx")
            .join(meta, "idx")
            .join(content, "idx")
            .groupBy("comp")
            .agg(F.collect_list(F.struct(*meta.columns, "content")).alias("stories"))
        )
        links = (
            matches.join(labels.select(F.col("v").alias("a"), "comp"), "a")
            .groupBy("comp")
            .agg(F.collect_list(F.struct(*matches.columns)).alias("matches"))
        )
        made = stories.join(links, "comp").rdd.flatMap(_cluster_component)
        rows = spark.createDataFrame(made, _ROW_SCHEMA)
    rows = rows.persist()
    if singletons:
        placed = rows.where(F.col("tag") == "m").select("idx")
        alone = meta.join(placed, "idx", "left_anti").rdd.mapPartitions(_singleton_rows)
        rows = rows.union(spark.createDataFrame(alone, _ROW_SCHEMA)).persist()
    return rows


def _write_rows(rows: DataFrame, problems: DataFrame, output: str, output_format: str) -> None:
    """Members and clusters in the local engine's order (largest first, then by origin),
    and the problems, as JSON Lines (the local engine's exact lines) or Parquet."""
    from pyspark.sql import functions as F

    order = ["grp", "neg_size", "origin_idx", "position"]
    members = rows.where(F.col("tag") == "m").orderBy(*order)
    clusters = rows.where(F.col("tag") == "c").orderBy(*order)
    if output_format == "jsonl":
        members.select("line").write.mode("errorifexists").text(f"{output}/members")
        clusters.select("line").write.mode("errorifexists").text(f"{output}/clusters")
        problem_lines = problems.select(F.to_json(F.struct("source", "reason")))
        problem_lines.write.mode("errorifexists").text(f"{output}/problems")
        return
    members.select(*_MEMBER_COLUMNS).write.mode("errorifexists").parquet(f"{output}/members")
    clusters.select(
        *(F.col("c_" + column).alias(column) for column in _CLUSTER_COLUMNS)
    ).write.mode("errorifexists").parquet(f"{output}/clusters")
    problems.write.mode("errorifexists").parquet(f"{output}/problems")


def _hadoop_path(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    hadoop = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop, hadoop.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _exists(spark: SparkSession, path: str) -> bool:
    """Through Hadoop's file systems, so that any URI Spark writes to works."""
    hadoop, fs = _hadoop_path(spark, path)
    return bool(fs.exists(hadoop))


def _write_text(spark: SparkSession, path: str, text: str) -> None:
    """A small file written by the driver, wherever Spark writes (HDFS, S3, local)."""
    hadoop, fs = _hadoop_path(spark, path)
    stream = fs.create(hadoop, False)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
