"""Damaged key files: one clear line naming the file, never a traceback (issue 22, 16).

Each damage is made to a real key file made by ``cybercase key new``, then a command that
needs the key (``init`` unlocks it) and one that only lists it are run through the CLI.
Damage to the key derivation values must never read as "wrong passphrase".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cybercase.errors import InvalidInputError
from cybercase.evidence.keys.redaction import key_path, load_redaction_key
from cybercase.settings import user_home
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def _edit(field: str, value: Any) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        document = json.loads(data)
        target = document
        *parents, last = field.split(".")
        for name in parents:
            target = target[name]
        target[last] = value
        return json.dumps(document, indent=2).encode()

    return change


def _flip_salt_digit(data: bytes) -> bytes:
    document = json.loads(data)
    salt = document["kdf"]["salt"]
    document["kdf"]["salt"] = ("1" if salt[0] != "1" else "2") + salt[1:]
    return json.dumps(document, indent=2).encode()


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "truncated JSON": lambda data: data[: len(data) // 2],
    "empty file": lambda data: b"",
    "not UTF-8": lambda data: b"\xff\xfe" + data,
    "public key bad base64 (Incorrect padding)": lambda data: _edit(
        "public_key", json.loads(data)["public_key"][:-2]
    )(data),
    "salt not hex": _edit("kdf.salt", "zz" * 16),
    "salt one digit changed": _flip_salt_digit,
    "cost not a power of two": _edit("kdf.n", 30000),
    "cost huge": _edit("kdf.n", 2**40),
    "r zero": _edit("kdf.r", 0),
    "kdf missing": lambda data: json.dumps(
        {k: v for k, v in json.loads(data).items() if k != "kdf"}
    ).encode(),
    "PEM framing broken": lambda data: _edit(
        "private_key_pem", json.loads(data)["private_key_pem"].replace("BEGIN", "BEGlN")
    )(data),
    "deeply nested": lambda data: b"[" * 100_000,
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_key_file_is_one_line_naming_it(cli: Cli, tmp_path: Path, damage: str) -> None:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    [key_file] = (user_home() / "keys").glob("*.json")
    key_file.write_bytes(DAMAGES[damage](key_file.read_bytes()))
    for args in (("init", tmp_path / "c", "--id", "X", "--title", "t", "--agency", "a"),):
        result = cli(*args)
        assert result.code == 3, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert str(key_file) in lines[0].replace("\n", "")
        assert "damaged" in lines[0] and "backup" in lines[0]
        assert "passphrase" not in lines[0].lower()
    assert not (tmp_path / "c").exists()


def test_default_marker_naming_another_key_is_named(cli: Cli, tmp_path: Path) -> None:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = user_home() / "keys"
    [key_file] = folder.glob("*.json")
    # The file's name says one fingerprint, its content another (was a StopIteration).
    key_file.rename(folder / ("0" * 64 + ".json"))
    (folder / "default").write_text("0" * 64 + "\n")
    result = cli("key", "show")
    assert result.code == 3 and "Traceback" not in result.stderr
    assert "damaged" in result.stderr and "name and the fingerprint inside differ" in result.stderr
    (folder / "default").write_bytes(b"\xff\x00garbage")
    (folder / ("0" * 64 + ".json")).rename(key_file)
    result = cli("key", "show")
    assert result.code == 3 and "default-key marker" in result.stderr
    assert "key default" in result.stderr


def test_a_wrong_passphrase_is_still_called_so(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    monkeypatch.setenv("CYBERCASE_PASSPHRASE", "not the passphrase at all")
    result = cli("init", tmp_path / "c", "--id", "X", "--title", "t", "--agency", "a")
    assert result.code == 3 and "wrong passphrase" in result.stderr
    assert "damaged" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b'{"format": "cybercase-redaction-key/1", "key": "abc"}', b"[" * 50_000],
)
def test_damaged_redaction_key_is_named_and_never_replaced(content: bytes) -> None:
    load_redaction_key(user_home())
    path = key_path(user_home())
    path.write_bytes(content)
    with pytest.raises(InvalidInputError) as raised:
        load_redaction_key(user_home())
    assert str(path) in raised.value.message and "damaged" in raised.value.message
    assert path.read_bytes() == content
