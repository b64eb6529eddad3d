"""Safe names: nothing a web page or a platform sends can steer where a file is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cybercase.errors import InvalidInputError
from cybercase.report.names import (
    FolderNames,
    check_relative,
    inside,
    safe_file_name,
    slug,
    url_slug,
)

SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


@given(st.text())
def test_safe_file_name_is_one_safe_component(name: str) -> None:
    safe = safe_file_name(name)
    assert SAFE.match(safe)
    assert safe not in (".", "..")
    assert not safe.startswith((".", "-"))
    assert len(safe) <= 100
    check_relative(f"a/{safe}")


@given(st.text())
def test_slug_is_lowercase_ascii(text: str) -> None:
    value = slug(text)
    assert re.match(r"^[a-z0-9-]*$", value)
    assert len(value) <= 40
    assert not value.startswith("-") and not value.endswith("-")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x", "x"),
        ("..\\..\\evil.exe", "evil.exe"),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\a.png", "a.png"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("", "file"),
        ("..", "file"),
        ("photo of tusk (1).JPG", "photo_of_tusk_1.JPG"),
        ("éléphant.png", "elephant.png"),
        ("x" * 300 + ".warc.gz", "x" * 97 + ".gz"),
    ],
)
def test_known_hostile_names(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_url_slug() -> None:
    assert url_slug("https://Market.example/ivory?id=7") == "market-example-ivory-id-7"


def test_folder_names_never_collide_even_by_case() -> None:
    names = FolderNames()
    assert [names.claim(n) for n in ("a.png", "A.png", "a.png", "b")] == [
        "a.png",
        "A_2.png",
        "a_3.png",
        "b",
    ]


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/../../b", "a\\b", "c:/x", "", "a//b", "a b"])
def test_unsafe_relative_paths_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        inside(tmp_path, bad)


def test_inside_refuses_a_symlink_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidInputError, match="outside"):
        inside(root, "link/x")
    assert inside(root, "a/b.txt") == root / "a" / "b.txt"
