"""The agency commands' help: each teaches in the user's words, without the extra installed."""

from __future__ import annotations

import pytest

from tests.conftest import Cli


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["replicate"], ["s3://BUCKET/PREFIX", "--retention-days", "compliance|governance"]),
        (["restore"], ["s3://BUCKET/PREFIX", "DIR"]),
        (["verify"], ["--against", "s3://BUCKET/PREFIX"]),
        (["queue", "add"], ["URL...", "--from", "FILE", "CASE-ID", "postgresql://"]),
        (["queue", "status"], ["postgresql://"]),
        (["worker"], ["--concurrency", "--cases", "DIR", "--watch-every", "SECONDS"]),
        (["index"], ["--to", "postgresql://", "rebuild"]),
        (["search"], ["--db", "postgresql://"]),
    ],
)
def test_help_names_things_in_the_users_words(cli: Cli, args: list[str], words: list[str]) -> None:
    result = cli(*args, "--help")
    assert result.code == 0
    text = " ".join(result.stdout.split())
    for word in words:
        assert word in text, (args, word)
    assert "<int" not in text and "TEXT" not in text.replace("TEXTS", "")


def test_index_without_to_or_subcommand_is_usage(cli: Cli) -> None:
    result = cli("index", "--json")
    assert result.code == 2
