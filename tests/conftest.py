"""Shared fixtures: the founding seed pair, and made-up prose for detection cases."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dedup.read.text import split_paragraphs
from dedup.records import Story

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
SAMPLES = ROOT / "samples"

_SYLLABLES = "ka lo mi ren tu vas sel or an ti per dro mun fa gel hos ib quen ra zo".split()


def _vocabulary(size: int = 3000, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))))
    return sorted(words)


VOCABULARY = _vocabulary()


def sentence(rng: random.Random, words: int = 18) -> str:
    chosen = [rng.choice(VOCABULARY) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def paragraphs(seed: int, count: int, sentences: int = 2) -> list[str]:
    """Distinct made-up paragraphs: no two seeds share a five-word run by chance."""
    rng = random.Random(seed)
    return [" ".join(sentence(rng) for _ in range(sentences)) for _ in range(count)]


def make_story(
    key: str, paras: list[str], outlet: str = "", date: str | None = None, headline: str = ""
) -> Story:
    from dedup.read.inputs import parse_date

    body = "\n\n".join(paras)
    return Story(
        key=key,
        id=key,
        body=body,
        headline=headline,
        outlet=outlet,
        date=parse_date(date),
        paragraphs=split_paragraphs(body),
    )


@pytest.fixture
def seeds() -> tuple[Path, Path]:
    ap, cbs = SEEDS / "ap-original.txt", SEEDS / "cbs-rewrite.txt"
    if not ap.exists():
        pytest.skip("the seed pair (../shared/seeds) is not beside this checkout")
    return ap, cbs
