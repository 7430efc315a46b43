"""wire-dedup: find the copies of the same wire story across outlets.

The package is usable on its own, without the command line (importing it loads neither
click nor rich)::

    from dedup import ReadOptions, Settings, align, scan
    result = scan(["samples/"], Settings(min_containment=0.2))
    for cluster in result.clusters:
        print(cluster.id, [member.id for member in cluster.members])
    a, b = result.stories[:2]
    print(align(a, b).summary())

``ReadOptions`` (``Fields``, the input format, the file size limit) says how inputs are
read: ``scan(inputs, read_options=ReadOptions(input_format="jsonl"))``. The persistent
index is ``dedup.engines.index.open_index``; ``dedup.files`` places and writes files
atomically; ``dedup.cli`` is the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dedup.engines.local import load, scan, scan_stories
    from dedup.read.inputs import Fields, ReadOptions
    from dedup.records import Cluster, InputProblem, Match, Member, Paragraph, ScanResult, Story
    from dedup.settings import DEFAULT, Settings
    from dedup.views.align import align

__version__ = "0.1.0"

__all__ = [
    "DEFAULT",
    "Cluster",
    "Fields",
    "InputProblem",
    "Match",
    "Member",
    "Paragraph",
    "ReadOptions",
    "ScanResult",
    "Settings",
    "Story",
    "__version__",
    "align",
    "load",
    "scan",
    "scan_stories",
]

_HOMES = {
    "load": "dedup.engines.local",
    "scan": "dedup.engines.local",
    "scan_stories": "dedup.engines.local",
    "Fields": "dedup.read.inputs",
    "ReadOptions": "dedup.read.inputs",
    "Cluster": "dedup.records",
    "InputProblem": "dedup.records",
    "Match": "dedup.records",
    "Member": "dedup.records",
    "Paragraph": "dedup.records",
    "ScanResult": "dedup.records",
    "Story": "dedup.records",
    "DEFAULT": "dedup.settings",
    "Settings": "dedup.settings",
    "align": "dedup.views.align",
}
"""Where each public name lives. They are imported when first asked for, so that
``dedup --version`` or a single command does not pay for numpy and every engine just because
Python imports this package before any of its modules."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
