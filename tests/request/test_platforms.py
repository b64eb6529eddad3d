"""The platform directory: shipped facts with sources, the user's copy, overrides."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from cybercase.errors import InvalidInputError
from cybercase.request import RequestConfig, init_user_directory, load_directory
from cybercase.request.platforms import SHIPPED_PATH, user_directory_path
from tests.conftest import CliResult


def test_shipped_directory_cites_its_facts() -> None:
    directory = load_directory()
    assert directory.origin == "shipped" and directory.path == SHIPPED_PATH
    assert directory.defaults.sources, "the default periods need a source"
    assert all(s.startswith("https://") for s in directory.defaults.sources)
    assert directory.platforms, "the directory is empty"
    for key, platform in directory.platforms.items():
        if platform.placeholder:
            assert not (platform.portal or platform.email or platform.postal), key
            continue
        assert platform.sources, f"{key} states facts without a source"
        assert all(s.startswith("https://") for s in platform.sources), key
    raw = tomllib.loads(SHIPPED_PATH.read_text(encoding="utf-8"))
    assert raw["format"] == "cybercase-platforms/1"


def test_find_by_key_name_or_alias() -> None:
    directory = load_directory()
    assert directory.find("META") is not None
    assert directory.find("instagram") == directory.find("meta")
    assert directory.find("Example Marketplace (placeholder)") is not None
    assert directory.find("nowhere") is None


def test_deadline_policy_from_most_specific_to_least() -> None:
    directory = load_directory(
        RequestConfig.from_config(
            {
                "request": {"preservation_days": 60, "extension_notice_days": 10},
                "platforms": {"example": {"extension_days": 30}},
            }
        )
    )
    config = RequestConfig.from_config(
        {"request": {"preservation_days": 60, "extension_notice_days": 10}}
    )
    example = directory.platforms["example"]
    policy = directory.policy(example, config)
    assert (policy.preservation_days, policy.extension_days, policy.extension_notice_days) == (
        60,
        30,
        10,
    )
    assert directory.policy(example, config, days=120).preservation_days == 120
    meta = directory.policy(directory.platforms["meta"], RequestConfig())
    assert (meta.preservation_days, meta.extension_days, meta.max_extensions) == (90, 90, 1)
    unknown = directory.policy(None, RequestConfig())
    assert (unknown.preservation_days, unknown.extension_notice_days) == (90, 7)
    assert unknown.max_extensions is None
    assert directory.overridden == ["example"]


def test_user_copy_takes_the_place_of_the_shipped_one() -> None:
    path = init_user_directory()
    assert path == user_directory_path() and path.read_bytes() == SHIPPED_PATH.read_bytes()
    with pytest.raises(InvalidInputError, match="already exists"):
        init_user_directory()
    path.write_text(
        'format = "cybercase-platforms/1"\n[platforms.bazaar]\nname = "Bazaar"\n'
        'legal_entity = "Bazaar Ltd"\nemail = "le@bazaar.example"\npreservation_days = 30\n',
        encoding="utf-8",
    )
    directory = load_directory()
    assert directory.origin == "user" and list(directory.platforms) == ["bazaar"]
    bazaar = directory.platforms["bazaar"]
    assert bazaar.channel() == "le@bazaar.example"
    assert directory.policy(bazaar, RequestConfig()).preservation_days == 30


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[platforms.x\n", "is not valid TOML"),
        ('[platforms.x]\nname = "X"\nportl = "typo"\n', "platforms.x.portl"),
        ('[platforms.x]\nname = "X"\naccount_url_patterns = ["("]\n', "not a valid regular"),
        ("[defaults]\npreservation_days = 0\n", "defaults.preservation_days"),
    ],
)
def test_bad_directory_files_are_one_line_errors(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "platforms.toml"
    path.write_text(text, encoding="utf-8")
    config = RequestConfig.from_config({"request": {"platforms": str(path)}})
    with pytest.raises(InvalidInputError, match=words) as caught:
        load_directory(config)
    assert "\n" not in caught.value.one_line()


def test_bad_configuration_tables_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"\[officer\] badg"):
        RequestConfig.from_config({"officer": {"badg": "1"}})
    with pytest.raises(InvalidInputError, match=r"\[platforms.meta\] max_extensions"):
        load_directory(RequestConfig.from_config({"platforms": {"meta": {"max_extensions": -1}}}))
    with pytest.raises(InvalidInputError, match=r"\[platforms.meta\] must be a table"):
        RequestConfig.from_config({"platforms": {"meta": 3}})


def test_cli_lists_the_directory_and_where_it_is(cli: Callable[..., CliResult]) -> None:
    shown = cli("request", "platforms")
    assert shown.code == 0
    assert str(SHIPPED_PATH) in shown.stdout.replace("\n", "")
    assert "--init" in shown.stdout
    data = cli("request", "platforms", "--json").json()
    assert data["origin"] == "shipped" and "meta" in data["platforms"]  # type: ignore[index]
    one = cli("request", "platforms", "facebook")
    assert one.code == 0 and "Meta Platforms Ireland Limited" in one.stdout
    missing = cli("request", "platforms", "nowhere")
    assert missing.code == 2 and "no platform 'nowhere'" in missing.stderr
    created = cli("request", "platforms", "--init", "--json")
    assert created.code == 0 and Path(created.json()["created"]).is_file()  # type: ignore[index]
    assert cli("request", "platforms", "--json").json()["origin"] == "user"  # type: ignore[index]
