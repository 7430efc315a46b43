"""Why an index cannot serve a run. The command line maps each type to its exit code."""

from __future__ import annotations


class IndexProblem(Exception):
    """Why the index cannot serve this run."""


class IndexUnusable(IndexProblem):
    """Missing, damaged, of another schema version, or built with other fingerprint settings."""


class IndexBusy(IndexProblem):
    """Another run holds the index and the lock timeout ran out."""


class ConfigProblem(IndexProblem):
    """No index location was given anywhere, or a config file cannot be read."""
