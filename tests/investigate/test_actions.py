"""``analysis.ran`` is written by its model exactly as the hand-built dict was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cybercase.evidence import Signer
from cybercase.investigate.actions import ANALYSIS_RAN, AnalysisRanDetail
from cybercase.investigate.analysis import DERIVED_DIR, TOOL, analyze_case, logged_analyses
from tests.investigate.helpers import new_case, seller_files, settings


@pytest.mark.parametrize("region", ["US", None])
def test_the_entry_is_the_old_dict(tmp_path: Path, signer: Signer, region: str | None) -> None:
    case = new_case(tmp_path / "case", signer, "WL-A", seller_files())
    used = settings(region)
    run = analyze_case(case, signer, used)
    entry = list(case.entries())[-1]
    assert entry.action == ANALYSIS_RAN
    summary = run.summary()
    old: dict[str, Any] = {
        "tool": TOOL,
        "lexicon": used.lexicon.digest,
        "lexicons": [
            {"name": name, "lexicon": parsed.lexicon.name, "version": parsed.lexicon.version}
            for name, parsed in used.lexicon.files
        ],
        "default_region": region,  # null when no region: the key is always there
        "derived": DERIVED_DIR.as_posix(),
        "results": entry.detail["results"],
        "summary": summary,
        "result": (
            f"{summary['items']} item(s): {summary['entities']} entities, "
            f"{summary['lexicon_hits']} lexicon hits, {summary['images_hashed']} images hashed"
        ),
    }
    assert entry.detail == old
    assert entry.detail_as(AnalysisRanDetail).to_detail() == old
    assert sorted(old["results"]) == ["E0001", "E0002"]


def test_a_reader_skips_an_entry_it_cannot_read(tmp_path: Path, signer: Signer) -> None:
    from cybercase.evidence import EntryDraft

    case = new_case(tmp_path / "case", signer, "WL-B", seller_files())
    analyze_case(case, signer, settings())
    case.append(signer, EntryDraft(ANALYSIS_RAN, (), {"results": "not a mapping"}))
    assert sorted(logged_analyses(case)) == ["E0001", "E0002"]
