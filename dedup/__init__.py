"""wire-dedup: find the copies of the same wire story across outlets.

The package is usable on its own, without the command line::

    from dedup import scan, diff_stories, Settings
    result = scan(["samples/"])
    for cluster in result.clusters:
        print(cluster.id, [member.id for member in cluster.members])
"""

from dedup.engines.local import ScanResult, load, scan, scan_stories
from dedup.records import Cluster, InputProblem, Match, Member, Paragraph, Story
from dedup.settings import DEFAULT, Settings

__version__ = "0.1.0"

__all__ = [
    "DEFAULT",
    "Cluster",
    "InputProblem",
    "Match",
    "Member",
    "Paragraph",
    "ScanResult",
    "Settings",
    "Story",
    "__version__",
    "load",
    "scan",
    "scan_stories",
]
