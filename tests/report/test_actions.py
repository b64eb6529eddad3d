"""``case.exported`` writes exactly what the hand-built dicts of earlier versions wrote."""

from __future__ import annotations

from cybercase.evidence.details import registered_actions
from cybercase.report.actions import CASE_EXPORTED, CaseExported, ExportedLog

DIGEST = "sha256:" + "ab" * 32
WACZ = {
    "wacz": DIGEST,
    "wacz_bytes": 1234,
    "wacz_public_key": "KEY",
    "wacz_timestamped": False,
    "wacz_items": ["E0001"],
}


def test_a_bagit_export_writes_the_old_detail() -> None:
    old = {
        "package": "C1_2026-01-01",
        "format": "bagit",
        "tagmanifest": DIGEST,
        "files": 12,
        "bytes": 3456,
        "items": ["E0001", "R0001"],
        "excluded": [],
        "log": {"seq": 9, "hash": DIGEST},
        "to": "/out/C1_2026-01-01",
        "host": "laptop",
    }
    model = CaseExported(
        package="C1_2026-01-01",
        format="bagit",
        tagmanifest=DIGEST,
        files=12,
        bytes=3456,
        items=["E0001", "R0001"],
        excluded=[],
        log=ExportedLog(seq=9, hash=DIGEST),
        zip=None,
        to="/out/C1_2026-01-01",
        host="laptop",
    )
    assert model.to_detail() == old
    zipped = CaseExported.model_validate({**old, "zip": DIGEST, **WACZ})
    assert zipped.to_detail() == {**old, "zip": DIGEST, **WACZ}


def test_a_wacz_export_writes_the_old_detail_even_without_a_size() -> None:
    assert CaseExported(package="C1.wacz", format="wacz", **WACZ).to_detail() == {
        "package": "C1.wacz",
        "format": "wacz",
        **WACZ,
    }
    unknown = {**WACZ, "wacz_bytes": None}
    assert CaseExported(package="C1.wacz", format="wacz", **unknown).to_detail() == {
        "package": "C1.wacz",
        "format": "wacz",
        **unknown,
    }


def test_case_exported_is_the_report_layers_action() -> None:
    [known] = [a for a in registered_actions() if a.name == CASE_EXPORTED]
    assert known.layer == "report" and known.model is CaseExported
