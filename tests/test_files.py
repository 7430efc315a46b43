"""Files put where other programs read them: whole or not at all, never over another."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_story

from dedup.files import NotPlaced, free_names, place_story, write_file


def test_write_file_is_atomic_and_refuses_to_clobber(tmp_path: Path):
    target = tmp_path / "r.html"
    write_file(str(target), "one")
    with pytest.raises(FileExistsError):
        write_file(str(target), "two")
    assert target.read_text() == "one"
    write_file(str(target), "three", replace=True)
    assert target.read_text() == "three"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_free_names_number_before_the_suffixes_they_keep():
    names = free_names("out", "feed.txt.gz")
    assert [next(names) for _ in range(3)] == [
        "out/feed.txt.gz",
        "out/feed.1.txt.gz",
        "out/feed.2.txt.gz",
    ]
    assert next(iter(free_names("out", "notes.v2.md"))) == "out/notes.v2.md"
    assert list(zip(range(2), free_names("out", "README")))[1] == (1, "out/README.1")


def test_a_story_is_placed_only_when_it_is_its_whole_file(tmp_path: Path):
    source = tmp_path / "story.txt"
    source.write_text("A headline\n\nA paragraph.\n")
    whole = replace(make_story("one", ["A paragraph."]), path=str(source))
    assert place_story(whole, str(tmp_path / "kept"), move=False) == str(
        tmp_path / "kept" / "story.txt"
    )
    assert source.exists()
    shared = replace(make_story("two", ["Another."]), path=str(tmp_path / "feed.jsonl"), record=2)
    with pytest.raises(NotPlaced, match=r"one of several stories in .*feed\.jsonl"):
        place_story(shared, str(tmp_path / "kept"), move=True)
    missing = replace(make_story("three", ["Gone."]), path=str(tmp_path / "gone.txt"))
    with pytest.raises(NotPlaced, match="could not move it to"):
        place_story(missing, str(tmp_path / "kept"), move=True)


def test_write_file_writes_names_that_are_not_utf8_as_escapes(tmp_path: Path):
    name = (b"caf\xe9.txt").decode("utf-8", "surrogateescape")  # as os.listdir gives it
    target = tmp_path / "r.html"
    write_file(str(target), f"<p>{name}</p>")
    assert target.read_bytes().decode("utf-8") == "<p>caf\\udce9.txt</p>"


def test_write_file_writes_into_a_device_and_never_replaces_it(tmp_path: Path):
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_file(str(fifo), "page", replace=True)
        assert os.read(reader, 100) == b"page"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
