"""The investigate commands as a contract: exit codes, stdout/stderr, ``--json`` shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.investigate.helpers import THREE_WAYS, seller_files


@pytest.fixture
def case_dir(cli: Cli, tmp_path: Path) -> Path:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "WL-9"
    made = cli("init", folder, "--id", "WL-9", "--title", "Ivory", "--agency", "KWS")
    assert made.code == 0, made.stderr
    sources = tmp_path / "files"
    sources.mkdir()
    names = []
    for name, body in seller_files().items():
        (sources / name).write_bytes(body)
        names.append(sources / name)
    assert cli("add", *names, "--case", folder).code == 0
    return folder


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[investigate]\ndefault_region = "US"\n', encoding="utf-8")
    return path


def test_analyze_show_search_leads(cli: Cli, case_dir: Path, config: Path) -> None:
    done = cli("analyze", "--case", case_dir, "--config", config, "--json")
    assert done.code == 0, done.stderr
    data = done.json()
    assert data["summary"]["items"] == 2 and data["entry"] == 4  # type: ignore[index]
    assert [i["item_id"] for i in data["items"]] == ["E0001", "E0002"]  # type: ignore[index]

    shown = cli("show", "E0002", "--case", case_dir, "--json")
    analysis = shown.json()["analysis"]  # type: ignore[index]
    assert [h["matched"] for h in analysis["hits"]] == ["象牙"]
    assert {e["value"] for e in analysis["entities"] if e["kind"] == "phone"} == {"+12025550147"}
    text = cli("show", "E0002", "--case", case_dir)
    assert text.code == 0 and "Lexicon hits" in text.stdout and "Loxodonta africana" in text.stdout
    assert "+12025550147" in text.stdout and "[zh, product]" in text.stdout

    assert cli("cases", "add", case_dir, "--json").json() == [
        {"kind": "case", "folder": str(case_dir)}
    ]
    found = cli("search", "ivoire", "--config", config, "--json")
    assert found.code == 0, found.stderr
    hits = found.json()["hits"]  # type: ignore[index]
    assert [(h["case"], h["item"]) for h in hits] == [("WL-9", "E0001")]
    assert "«ivoire»" in hits[0]["snippet"]
    by_phone = cli("search", "--entity", f"phone:{THREE_WAYS[2]}", "--config", config, "--json")
    assert [h["item"] for h in by_phone.json()["hits"]] == ["E0001", "E0002"]  # type: ignore[index]
    plain = cli("search", "--species", "African elephant", "--config", config)
    assert plain.code == 0 and "E0001" in plain.stdout and "2 item(s) in 1 case(s)" in plain.stderr

    leads = cli("leads", "--config", config, "--json")
    assert leads.code == 0, leads.stderr
    (phone,) = [lead for lead in leads.json()["leads"] if lead["kind"] == "phone"]  # type: ignore[index]
    assert phone["value"] == "+12025550147" and len(phone["items"]) == 2


def test_index_rebuild_and_cases(cli: Cli, case_dir: Path, config: Path, tmp_path: Path) -> None:
    assert cli("cases", "add", tmp_path).code == 0
    listed = cli("cases", "list", "--json").json()
    assert listed["found"] == [str(case_dir)]  # type: ignore[index]
    rebuilt = cli("index", "rebuild", "--config", config, "--json")
    assert rebuilt.code == 0, rebuilt.stderr
    assert rebuilt.json()["items"] == 2 and rebuilt.json()["computed"] == 2  # type: ignore[index]
    human = cli("index", "rebuild", "--config", config)
    assert "Index rebuilt: 2 item(s) of 1 case(s)" in human.stderr
    assert cli("cases", "remove", tmp_path).code == 0
    missing = cli("cases", "remove", tmp_path)
    assert missing.code == 2 and "not registered" in missing.stderr


def test_invalid_lexicon_is_one_line_naming_the_line(
    cli: Cli, case_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "agency.toml"
    bad.write_text('[lexicon]\nname = "x"\nversion = "1"\n\n[[term]]\ntext = "or blanc\n', "utf-8")
    config = tmp_path / "bad-config.toml"
    config.write_text(f'[investigate]\nlexicons = ["{bad.name}"]\n', encoding="utf-8")
    done = cli("analyze", "--case", case_dir, "--config", config)
    assert done.code == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "line 6" in lines[0] and str(bad) in lines[0]
    assert len(cli("log", "--case", case_dir, "--json").json()) == 3  # type: ignore[arg-type]


def test_search_without_anything_to_search_is_usage(cli: Cli) -> None:
    done = cli("search", "--json")
    assert done.code == 2
    assert done.json()["error"]["type"] == "InvalidInputError"  # type: ignore[index]


def test_analyze_an_unknown_item(cli: Cli, case_dir: Path) -> None:
    done = cli("analyze", "E0042", "--case", case_dir)
    assert done.code == 2 and "no item E0042" in done.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["analyze"], ["[ITEM]...", "lexicon"]),
        (["leads"], ["camera serial", "--case"]),
        (["search"], ["[WORDS]", "KIND:VALUE", "--species NAME"]),
        (["index", "rebuild"], ["derived"]),
        (["cases", "add"], ["DIR..."]),
    ],
)
def test_help_teaches(cli: Cli, args: list[str], words: list[str]) -> None:
    done = cli(*args, "--help")
    assert done.code == 0
    for word in words:
        assert word in done.stdout, word
