"""Settings check their own values, whoever makes them (the CLI, the index, a Python caller)."""

from __future__ import annotations

from dataclasses import fields

import pytest

from dedup.settings import DEFAULT, MINIMUMS, SHARES, Settings


def test_every_field_has_a_range_and_the_defaults_are_in_it():
    assert set(SHARES) | set(MINIMUMS) | {"links"} == {spec.name for spec in fields(Settings)}
    assert Settings() == DEFAULT
    assert Settings(rewrite_similarity=1, near_duplicate=1.0, min_containment=0.01)
    assert Settings(num_perm=16, shingle=1, boilerplate_min=2, widely_shared=1, links="copy")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("near_duplicate", 1.5, r"near_duplicate must be a number in \(0, 1\], got 1.5"),
        ("min_containment", 0.0, r"min_containment must be a number in \(0, 1\]"),
        ("rewrite_coverage", float("nan"), r"rewrite_coverage must be a number in \(0, 1\]"),
        ("rewrite_similarity", "0.4", r"rewrite_similarity must be a number"),
        ("num_perm", 8, r"num_perm must be a whole number, at least 16; got 8"),
        ("shingle", 0, r"shingle must be a whole number, at least 1"),
        ("shingle", 2.5, r"shingle must be a whole number, at least 1; got 2.5"),
        ("min_shared", True, r"min_shared must be a whole number"),
        ("boilerplate_min", 1, r"boilerplate_min must be a whole number, at least 2"),
        ("num_perm", 33, r"num_perm must be even"),
        ("links", "some", r"links must be one of all, copy; got 'some'"),
        ("widely_shared", -3, r"widely_shared must be a whole number, at least 1"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_field(name, value, message):
    with pytest.raises(ValueError, match=message):
        Settings(**{name: value})
    with pytest.raises(ValueError, match=message):
        DEFAULT.with_changes(**{name: value})
