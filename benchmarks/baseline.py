"""The plain datasketch pipeline that wire-dedup is measured against.

This is what a user would write from the datasketch README: one MinHash per whole
story, MinHashLSH candidates, and union-find over every candidate pair with no
verification. It is deliberately naive; its weaknesses (e.g. chaining unrelated
stories through shared boilerplate) are what the benchmark is meant to expose.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence

from datasketch import MinHash, MinHashLSH


def shingles(text: str, k: int = 5) -> set[str]:
    """Lower-cased word k-shingles; a story shorter than k words is one shingle."""
    tokens = re.findall(r"\w+", text.lower())
    if len(tokens) < k:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def baseline_clusters(
    stories: Iterable[tuple[str, str]],
    threshold: float = 0.5,
    num_perm: int = 128,
    shingle: int = 5,
) -> dict[str, str]:
    """Map story id -> cluster id (the smallest id of its component) for (id, text) pairs.

    "Smallest" is plain string order. Each story queries the index before being
    inserted, which finds every candidate pair once (LSH collisions are symmetric)
    without a second pass. Stories with no words are never indexed, since all empty
    MinHashes would collide with each other; they stay singletons.
    """
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for story_id, text in stories:
        if story_id in parent:
            raise ValueError(f"duplicate story id {story_id!r}")
        parent[story_id] = story_id
        grams = shingles(text, shingle)
        if not grams:
            continue
        m = MinHash(num_perm=num_perm)
        m.update_batch(g.encode("utf-8") for g in grams)
        for other in lsh.query(m):
            a, b = find(story_id), find(other)
            if a != b:
                # The smaller root wins, so every root is its component's smallest id.
                parent[max(a, b)] = min(a, b)
        lsh.insert(story_id, m, check_duplication=False)
    return {story_id: find(story_id) for story_id in parent}


def _read_corpus(path: str) -> Iterable[tuple[str, str]]:
    """Yield (id, text) from JSON Lines with ``id`` and ``body`` (or ``text``)."""
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            text = record.get("body", record.get("text"))
            if "id" not in record or text is None:
                raise SystemExit(f"{path}:{line_no}: need 'id' and 'body' or 'text'")
            yield str(record["id"]), str(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Print ``id<TAB>cluster`` for every story in a JSON Lines corpus."""
    parser = argparse.ArgumentParser(
        description="Cluster a corpus with plain MinHash LSH and union-find."
    )
    parser.add_argument("corpus", help="JSON Lines with id and body (or text)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--shingle", type=int, default=5)
    args = parser.parse_args(argv)
    clusters = baseline_clusters(
        _read_corpus(args.corpus), args.threshold, args.num_perm, args.shingle
    )
    out = sys.stdout
    for story_id, cluster in clusters.items():
        out.write(f"{story_id}\t{cluster}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
