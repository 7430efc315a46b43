"""Every tunable number of the pipeline, in one place, with the reason for its default.

The defaults were chosen by measurement (README, "Choosing the defaults": the labelled
samples, generated corpora, and real agency copy with the newspaper stories made from it)
and hold for news in any language without tuning. The CLI exposes each field as an option
of the same name, so the README, ``--help`` and this file describe the same knobs. A
``Settings`` checks its own values, so no engine ever runs with a meaningless one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from numbers import Integral, Real

SHARES = (
    "near_duplicate",
    "min_containment",
    "short_share",
    "rewrite_similarity",
    "rewrite_coverage",
)
"""Fields that are shares of a story or a sentence: in (0, 1]."""
MINIMUMS = {
    "shingle": 1,
    "anchor_window": 1,
    "num_perm": 16,
    "min_shared": 1,
    "boilerplate_min": 2,
    "widely_shared": 1,
    "rewrite_sentences": 1,
    "rewrite_window": 0,
}
"""Fields that are counts, with their smallest meaningful value: below 16 permutations a
unit's MinHash estimates resemblance too roughly for its bands to mean anything."""
LINKS = ("all", "copy")
"""Values of ``links``: every link, or verbatim copies only."""
DETECTION = ("shingle", "anchor_window", "num_perm")
"""Fields that change fingerprints: an index made with others cannot be read with these."""


@dataclass(frozen=True)
class Settings:
    """Thresholds and sizes that decide what counts as a copy; a value out of its range
    (``SHARES``, ``MINIMUMS``, ``LINKS``) is a ``ValueError`` naming the field."""

    shingle: int = field(
        default=5,
        metadata={
            "help": "Words per shingle. Five words is a phrase that rarely repeats by chance."
        },
    )

    anchor_window: int = field(
        default=24,
        metadata={
            "help": (
                "Shingles per window whose smallest hash is an anchor. Two stories sharing a "
                "verbatim run of shingle + anchor_window - 1 words (28) always become "
                "candidates, whatever their layout."
            )
        },
    )

    num_perm: int = field(
        default=32,
        metadata={
            "help": (
                "MinHash permutations per sentence unit, in LSH bands of two: the candidates "
                "for rewrites. Candidates are then checked, so a small signature is enough."
            )
        },
    )

    near_duplicate: float = field(
        default=0.5,
        metadata={
            "help": (
                "Whole-story resemblance (shared / combined text) above which two stories are the "
                "same story with light edits."
            )
        },
    )

    min_shared: int = field(
        default=30,
        metadata={
            "help": (
                "Shingles two stories must share (about a 35-word passage) for a partial reuse; "
                "a short story needs only short_share of its own shingles."
            )
        },
    )

    short_share: float = field(
        default=0.33,
        metadata={
            "help": (
                "A story too short to hold min_shared shingles twice is a partial copy when "
                "this share of it is shared (and at least 2 x shingle shingles): a brief that "
                "reuses half a wire story is linked, one that quotes one of its sentences not. "
                "Two stories of one outlet need this share of the smaller, whatever its length: "
                "a write-thru is linked, a next-day story repeating a background paragraph not."
            )
        },
    )

    min_containment: float = field(
        default=0.15,
        metadata={
            "help": (
                "Share of the smaller story that must come from the other for a partial reuse: a "
                "broadcaster's web version that keeps a quarter of the wire copy passes, two "
                "stories that quote the same sentence of background do not."
            )
        },
    )

    rewrite_similarity: float = field(
        default=0.4,
        metadata={
            "help": (
                "Share of a sentence's character 4-grams (numbers apart) its counterpart in the "
                "other story must hold for the two to be one sentence rewritten."
            )
        },
    )

    rewrite_coverage: float = field(
        default=0.25,
        metadata={
            "help": (
                "Share of the smaller story's words that must sit in sentences with a "
                "counterpart, aligned in order, for a rewrite. Two independent reports of one "
                "event share names and numbers, not sentences."
            )
        },
    )

    rewrite_sentences: int = field(
        default=2,
        metadata={
            "help": (
                "Aligned sentences a rewrite needs: one shared sentence (a quote, a line of "
                "background) never makes one."
            )
        },
    )

    rewrite_window: int = field(
        default=3,
        metadata={
            "help": (
                "Days two dated stories may lie apart and still be a rewrite of one another "
                "(0: no limit); a rewrite follows its source within hours or days."
            )
        },
    )

    links: str = field(
        default="all",
        metadata={
            "help": "Links that form clusters: all, or copy (verbatim reuse only, no rewrites).",
            "choices": LINKS,
        },
    )

    boilerplate_min: int = field(
        default=3,
        metadata={
            "help": (
                "Text repeated in this many stories that share nothing else (of one outlet, "
                "or of unknown outlets) is boilerplate (footers, 'Watch ... Live', related "
                "links) and carries no weight."
            )
        },
    )

    widely_shared: int = field(
        default=50,
        metadata={
            "help": (
                "Text shared by more stories than this is checked against its earliest story "
                "only, instead of every pair, which keeps the cost linear."
            )
        },
    )

    def __post_init__(self) -> None:
        for name in SHARES:
            value = getattr(self, name)
            if not _is_number(value, Real) or not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
        for name, least in MINIMUMS.items():
            value = getattr(self, name)
            if not _is_number(value, Integral) or value < least:
                raise ValueError(f"{name} must be a whole number, at least {least}; got {value!r}")
        if self.num_perm % 2:
            raise ValueError(f"num_perm must be even (bands of two), got {self.num_perm}")
        if self.links not in LINKS:
            raise ValueError(f"links must be one of {', '.join(LINKS)}; got {self.links!r}")

    @property
    def evidence_floor(self) -> int:
        """Fewest shared shingles that link two stories at all: a run of about twice the
        shingle size."""
        return 2 * self.shingle

    def with_changes(self, **changes: object) -> Settings:
        """Return a copy with the given fields replaced, ignoring ``None`` values."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, object]:
        """The settings as plain data, for JSON output and the index."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _is_number(value: object, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


DEFAULT = Settings()
