"""The plain MinHash pipelines that wire-dedup is measured against.

This is what a user would write from the datasketch README: one MinHash per whole
story, MinHashLSH candidates, and union-find over every candidate pair with no
verification. It is deliberately naive; its weaknesses (e.g. chaining unrelated
stories through shared boilerplate) are what the benchmark is meant to expose.

``--engine rensa`` runs the same pipeline on rensa (MinHash and LSH in Rust, the optional
``bench`` extra): what a user in a hurry picks, so the fastest peer to measure speed against.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence


def shingles(text: str, k: int = 5) -> set[str]:
    """Lower-cased word k-shingles; a story shorter than k words is one shingle."""
    tokens = re.findall(r"\w+", text.lower())
    if len(tokens) < k:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


ENGINES = ("datasketch", "rensa")
_BANDS = {(0.5, 128): (25, 5)}
"""datasketch's MinHashLSH bands and rows for (threshold, num_perm)."""


def baseline_clusters(
    stories: Iterable[tuple[str, str]],
    threshold: float = 0.5,
    num_perm: int = 128,
    shingle: int = 5,
    engine: str = "datasketch",
) -> dict[str, str]:
    """Map story id -> cluster id (the smallest id of its component) for (id, text) pairs.

    "Smallest" is plain string order. Each story queries the index before being
    inserted, which finds every candidate pair once (LSH collisions are symmetric)
    without a second pass. Stories with no words are never indexed, since all empty
    MinHashes would collide with each other; they stay singletons. ``engine`` is the
    MinHash library (``ENGINES``); each is imported only when used, so that neither run
    pays for the other's import.
    """
    index, query, insert = _index(engine, threshold, num_perm)
    parent: dict[str, str] = {}
    names: list[str] = []

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
        m = index(grams)
        for other in query(m):
            a, b = find(story_id), find(names[other])
            if a != b:
                # The smaller root wins, so every root is its component's smallest id.
                parent[max(a, b)] = min(a, b)
        insert(len(names), m)
        names.append(story_id)
    return {story_id: find(story_id) for story_id in parent}


def _index(
    engine: str, threshold: float, num_perm: int
) -> tuple[Callable[[set[str]], object], Callable[[object], Iterable[int]], Callable]:
    """(signature of a story's shingles, query, insert) for ``engine``; LSH keys are the
    stories' numbers in reading order. rensa's LSH takes its bands, not a threshold, and
    uses every permutation: it gets datasketch's bands and rows for the same threshold and
    permutations, and bands x rows permutations, as many as datasketch's LSH reads
    (``_BANDS`` holds the defaults', so that the rensa run imports neither datasketch nor
    scipy)."""
    if engine == "datasketch":
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)

        def signature(grams: set[str]) -> object:
            m = MinHash(num_perm=num_perm)
            m.update_batch(g.encode("utf-8") for g in grams)
            return m

        def insert(key: int, m: object) -> None:
            lsh.insert(key, m, check_duplication=False)

        return signature, lsh.query, insert
    if engine != "rensa":
        raise SystemExit(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    try:
        from rensa import RMinHash, RMinHashLSH
    except ImportError:
        raise SystemExit("rensa is not installed: pip install -e '.[bench]'") from None
    bands, rows = _BANDS.get((threshold, num_perm), (0, 0))
    if not bands:
        from datasketch import MinHashLSH

        chosen = MinHashLSH(threshold=threshold, num_perm=num_perm)
        bands, rows = chosen.b, chosen.r
    rensa_lsh = RMinHashLSH(threshold, bands * rows, bands)

    def rensa_signature(grams: set[str]) -> object:
        m = RMinHash(bands * rows, 42)
        m.update(list(grams))
        return m

    return rensa_signature, rensa_lsh.query, rensa_lsh.insert


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
    parser.add_argument("--engine", choices=ENGINES, default="datasketch")
    args = parser.parse_args(argv)
    clusters = baseline_clusters(
        _read_corpus(args.corpus), args.threshold, args.num_perm, args.shingle, args.engine
    )
    out = sys.stdout
    for story_id, cluster in clusters.items():
        out.write(f"{story_id}\t{cluster}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
