"""The whole life of a request, through the library, on a real case."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from cybercase.clock import parse_utc
from cybercase.digest import hash_file
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from cybercase.request import (
    RequestConfig,
    close_request,
    create_request,
    extend_request,
    mark_sent,
    record_response,
    request_details,
)
from cybercase.request.lifecycle import derive
from cybercase.request.models import RequestRecord
from tests.fixtures.requests import preservation_spec


def test_whole_preservation_lifecycle(
    rcase: Case, signer: Signer, request_config: RequestConfig, tmp_path: Path
) -> None:
    created = create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    assert created.request_id == "R0001"
    assert created.status.phase == "draft"
    assert [a.name for a in created.artifacts] == ["request.json", "letter.html"]
    assert [a.role for a in created.artifacts] == ["request", "letter"]
    record = RequestRecord.model_validate_json(rcase.read_object(created.artifacts[0].digest))
    assert record.officer.badge == "NWCU-0457"
    assert record.authority.address == "PO Box 40241, Nairobi"
    assert record.grounds.follow_up == "mutual-legal-assistance"
    assert record.grounds.offence == "Dealing in a listed species"  # from the case
    assert record.data.categories == ["subscriber", "traffic"]
    assert record.deadlines is not None and record.deadlines.preservation_days == 90
    assert [t.kind for t in record.targets] == ["url", "account"]
    letter = rcase.read_object(created.artifacts[1].digest).decode()
    assert "https://market.example/listing/991" in letter
    assert "NWCU-0457" in letter and "WL-2026-014/R0001" in letter
    assert "PDF not made: not asked for" in " ".join(created.messages)

    sent = mark_sent(rcase, signer, "R0001", via="portal", reference="LE-2026-5521")
    assert sent.status.phase == "sent" and sent.status.reference == "LE-2026-5521"
    assert sent.status.sent_at is not None
    assert sent.status.expires_at == sent.status.sent_at + timedelta(days=90)
    assert sent.entry.detail["expires"].startswith("2026-05-30")

    returned = tmp_path / "subscriber.csv"
    returned.write_text("name,email\nJ. Doe,jd@mail.example\n", encoding="utf-8")
    logins = tmp_path / "logins.txt"
    logins.write_bytes(b"2026-02-01T10:00:00Z 198.51.100.7\n")
    response = record_response(
        rcase, signer, "r0001", [returned, logins], reference="LE-2026-5521/1"
    )
    assert response.items == ["E0001", "E0002"]
    assert response.entry.action == "response.received"
    assert response.entry.items == ("R0001", "E0001", "E0002")
    assert [f["digest"] for f in response.entry.detail["files"]] == [
        str(hash_file(returned)),
        str(hash_file(logins)),
    ]
    for item_id, path in (("E0001", returned), ("E0002", logins)):
        view = rcase.item(item_id)
        assert view.detail["request"] == "R0001"
        assert view.detail["source"] == "example"
        stored = rcase.store.path_for(hash_file(path))
        assert stored.read_bytes() == path.read_bytes()

    extended = extend_request(rcase, signer, "R0001", config=request_config, pdf=None)
    assert len(extended.status.extensions) == 1
    assert extended.status.expires_at == sent.status.sent_at + timedelta(days=180)
    assert [a.role for a in extended.artifacts] == ["extension-letter"]
    ext_letter = rcase.read_object(extended.artifacts[0].digest).decode()
    assert "extension 1" in ext_letter and "LE-2026-5521" in ext_letter

    closed = close_request(rcase, signer, "R0001", outcome="fulfilled", note="all data received")
    assert closed.status.phase == "closed" and closed.status.outcome == "fulfilled"

    details = request_details(rcase, "R0001")
    assert [e.action for e in details.entries] == [
        "request.created",
        "request.sent",
        "response.received",
        "request.extended",
        "request.closed",
    ]
    assert {a.name for a in details.artifacts} == {
        "request.json",
        "letter.html",
        "extension-1.html",
    }
    assert details.deadline is None
    again = derive("R0001", rcase.entries())
    assert again == details.status
    report = verify_case(rcase.root)
    assert report.ok, [f.line() for f in report.findings]
    assert report.stats["objects"] >= 5


def test_disclosure_follows_preservation_as_a_separate_record(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    mark_sent(rcase, signer, "R0001", via="email", reference="PRES-77")
    disclosure = create_request(
        rcase,
        signer,
        preservation_spec(
            type="disclosure",
            targets=(),
            categories=(),
            follows="R0001",
            legal_basis="Production order of the Chief Magistrate, Nairobi, No. 12/2026",
            necessity=None,
            follow_up=None,
        ),
        config=request_config,
        pdf=None,
    )
    assert disclosure.request_id == "R0002"
    record = RequestRecord.model_validate_json(rcase.read_object(disclosure.artifacts[0].digest))
    assert record.follows == "R0001"
    assert record.deadlines is None
    assert [t.value for t in record.targets] == [
        "https://market.example/listing/991",
        "ivory_dealer_77",
    ]
    assert record.data.categories == ["subscriber", "traffic"]
    letter = rcase.read_object(disclosure.artifacts[1].digest).decode()
    assert "WL-2026-014/R0001 (your reference PRES-77)" in letter
    # The preservation is untouched by the new request.
    first = request_details(rcase, "R0001")
    assert first.status.phase == "sent" and len(first.entries) == 2
    assert disclosure.status.follows == "R0001"


def test_emergency_and_takedown_letters(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    emergency = create_request(
        rcase,
        signer,
        preservation_spec(
            type="emergency",
            emergency="A live juvenile pangolin is offered for delivery tonight.",
            categories=("subscriber",),
        ),
        config=request_config,
        pdf=None,
    )
    html = rcase.read_object(emergency.artifacts[1].digest).decode()
    assert "Emergency disclosure request" in html and "juvenile pangolin" in html
    takedown = create_request(
        rcase,
        signer,
        preservation_spec(type="takedown", legal_basis="CITES Appendix I listing"),
        config=request_config,
        pdf=None,
    )
    html = rcase.read_object(takedown.artifacts[1].digest).decode()
    assert "preserve the content" in html
    assert json.loads(rcase.read_object(takedown.artifacts[0].digest))["type"] == "takedown"


def test_sent_at_an_earlier_time_starts_the_clock_then(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    created_at = request_details(rcase, "R0001").status.created_at
    at = created_at + timedelta(seconds=30)
    rcase.clock.now()  # move the stepping clock past ``at``
    for _ in range(40):
        rcase.clock.now()
    sent = mark_sent(rcase, signer, "R0001", via="post", at=at)
    assert sent.status.sent_at == at
    assert parse_utc(sent.entry.detail["sent_at"]) == at
