"""Find candidates: pairs of stories that may share a passage, from MinHash LSH.

No pair of stories is ever compared unless LSH (or an identical paragraph) brings them
together, so the cost grows with the number of stories, not with its square. Identical
paragraphs are indexed once; a passage found in more than ``widely_shared`` stories (a
boilerplate footer, a story picked up everywhere) yields pairs with its earliest story only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations

from datasketch import MinHashLSH

from .fingerprint import Fingerprint
from .settings import DEFAULT, Settings

Pair = tuple[int, int]


def candidate_pairs(prints: Sequence[Fingerprint], settings: Settings = DEFAULT) -> set[Pair]:
    """Pairs ``(i, j)``, ``i < j``, of indexes into ``prints`` worth verifying.

    ``prints`` must be in ``Story.sort_key`` order, so that "earliest" is the lowest index and
    the result does not depend on the order the inputs were read in.
    """
    carriers: dict[int, list[int]] = defaultdict(list)
    signatures = {}
    for index, fingerprint in enumerate(prints):
        for paragraph, signature in fingerprint.passage_signatures():
            exact = fingerprint.exact[paragraph]
            stories = carriers[exact]
            if not stories:
                signatures[exact] = signature
            if not stories or stories[-1] != index:
                stories.append(index)

    lsh = MinHashLSH(threshold=settings.passage_threshold, num_perm=settings.num_perm)
    with lsh.insertion_session() as session:
        for exact, signature in signatures.items():
            session.insert(exact, signature, check_duplication=False)

    # Identical paragraphs pair their stories directly; then each LSH bucket holding two or
    # more passages pairs the stories that carry them. Walking the buckets through
    # datasketch's storage interface (the same for its in-memory and Redis storage) costs
    # one pass, where querying every passage would repeat each bucket's work.
    pairs: set[Pair] = set()
    for stories in carriers.values():
        pairs.update(_pairs_within(stories, settings.widely_shared))
    for table in lsh.hashtables:
        for bucket in table.keys():
            members = table.get(bucket)
            if len(members) < 2:
                continue
            neighbourhood = sorted({story for exact in members for story in carriers[exact]})
            pairs.update(_pairs_within(neighbourhood, settings.widely_shared))
    return pairs


def _pairs_within(stories: list[int], limit: int) -> list[Pair]:
    """Every pair of a small group; the earliest story against each other one in a large
    group, which keeps a widely shared passage from costing a quadratic number of checks."""
    if len(stories) < 2:
        return []
    if len(stories) <= limit:
        return list(combinations(stories, 2))
    first = stories[0]
    return [(first, other) for other in stories[1:]]
