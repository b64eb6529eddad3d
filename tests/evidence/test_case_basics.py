"""Creating a case, adding files, and a clean verification."""

from __future__ import annotations

from pathlib import Path

from cybercase.evidence import Case, Signer
from cybercase.evidence.verify.case import verify_case


def test_new_case_verifies(case: Case) -> None:
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    assert report.stats["entries"] == 1
    assert report.case_id == "WL-2026-001"


def test_add_files_numbers_items_and_stores_once(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    views = case.add_files(signer, [a, b], note="two copies")
    assert [v.id for v in views] == ["E0001", "E0002"]
    assert views[0].artifacts[0].digest == views[1].artifacts[0].digest
    objects = [p for p in case.store.iter_objects()]
    assert len(objects) == 1
    assert verify_case(case.root).ok
