"""Every tunable number of the pipeline, in one place, with the reason for its default.

The defaults were chosen by measurement on the labelled samples (README, "Choosing the
defaults") and hold for news in any language without tuning. The CLI exposes each field as
an option of the same name, so the README, ``--help`` and this file describe the same knobs.
A ``Settings`` checks its own values, so no engine ever runs with a meaningless one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from numbers import Integral, Real

SHARES = ("passage_threshold", "near_duplicate", "min_containment")
"""Fields that are shares of a story or a passage: in (0, 1]."""
MINIMUMS = {
    "shingle": 1,
    "num_perm": 16,
    "min_passage": 1,
    "min_shared": 1,
    "boilerplate_min": 1,
    "boilerplate_max_df": 1,
    "widely_shared": 1,
}
"""Fields that are counts, with their smallest meaningful value: below 16 permutations a
MinHash estimates resemblance too roughly (error about 1/sqrt(num_perm)) for the LSH
threshold to mean anything."""


@dataclass(frozen=True)
class Settings:
    """Thresholds and sizes that decide what counts as a copy; a value out of its range
    (``SHARES``, ``MINIMUMS``) is a ``ValueError`` naming the field."""

    shingle: int = field(
        default=5,
        metadata={
            "help": ("Tokens per shingle. Five words is a phrase that rarely repeats by chance.")
        },
    )

    num_perm: int = field(
        default=64,
        metadata={
            "help": (
                "MinHash permutations per passage. Only used to find candidates, which are then "
                "checked exactly, so a small signature is enough."
            )
        },
    )

    passage_threshold: float = field(
        default=0.4,
        metadata={
            "help": (
                "Resemblance at which two passages become candidates (LSH tuning point). Low "
                "enough that a paragraph merged into a twice-longer one (resemblance 0.5) is "
                "still found."
            )
        },
    )

    min_passage: int = field(
        default=8,
        metadata={
            "help": (
                "Shingles a paragraph needs before it is indexed; shorter lines (bylines, "
                "'Watch ... Live') are too common to be evidence of anything."
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
                "Shingles two stories must share (about a 35-word passage) for a partial reuse."
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

    boilerplate_min: int = field(
        default=3,
        metadata={
            "help": (
                "A paragraph an outlet repeats in this many of its own different stories is that "
                "outlet's boilerplate (footers, 'Watch ... Live', related links) and carries no "
                "weight."
            )
        },
    )

    boilerplate_max_df: int = field(
        default=50,
        metadata={
            "help": (
                "A paragraph found in more stories than this, whatever their outlets, is "
                "boilerplate."
            )
        },
    )

    widely_shared: int = field(
        default=50,
        metadata={
            "help": (
                "A passage shared by more stories than this is checked against its earliest story "
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

    def with_changes(self, **changes: object) -> Settings:
        """Return a copy with the given fields replaced, ignoring ``None`` values."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, object]:
        """The settings as plain data, for JSON output and the index."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _is_number(value: object, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


DEFAULT = Settings()
