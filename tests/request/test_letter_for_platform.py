"""What a platform reads in a letter: each item's URL, capture time (UTC) and one SHA-256."""

from __future__ import annotations

from pathlib import Path

from cybercase.evidence import Case
from tests.report.html.test_custody_tables import tables_of, visible_text


def test_each_item_is_named_by_url_time_and_one_hash(rich_case: Case, package: Path) -> None:
    letters = sorted((package / "data" / "2-requests").rglob("letter.html"))
    assert letters
    checked = 0
    for letter in letters:
        text = " ".join(visible_text(letter).split())
        assert text.count("Example Marketplace Ltd") == 1, letter
        for table in tables_of(letter):
            if table[0] != ["Item", "What", "Time (UTC)", "SHA-256"]:
                continue
            for item_id, what, when, digest in table[1:]:
                view = rich_case.item(item_id)
                main = next(
                    (a for a in view.artifacts if a.role in ("warc", "original")),
                    view.artifacts[0],
                )
                assert digest.count("sha256:") == 1, digest
                assert digest == f"{main.name}: {main.digest}"
                if view.detail.get("kind") == "capture":
                    url = view.detail.get("final_url") or view.detail["url"]
                    assert url in what and main.role == "warc"
                    assert when.split(" – ")[0].strip()
                checked += 1
    assert checked >= 1
