"""Benchmarks of wire-dedup (``make bench``, ``make bench-index``, ``make bench-spark``)."""

import compileall
from pathlib import Path


def compile_package() -> None:
    """Write the package's bytecode before anything is timed. An installed package has it
    (pip compiles on install; any run writes it after the first), so a benchmark that left
    it out would time compiling the package at every process start, which no user pays
    twice; ``PYTHONDONTWRITEBYTECODE`` in the environment would make every run pay it."""
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "dedup", quiet=1)
