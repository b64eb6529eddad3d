"""A seal anchors every entry before it: any change to them breaks the sealed chain."""

from __future__ import annotations

import json
import shutil
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from cybercase.clock import FixedClock, SystemClock
from cybercase.evidence import Case, Signer
from cybercase.evidence.log.entry import EntryDraft, build_entry, canonical_json
from cybercase.evidence.log.jsonl import HEAD_NAME, LOG_NAME, write_head
from cybercase.evidence.timestamps.grant import add_files, pending_items, seal, timestamp_items
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import verify_case
from cybercase.evidence.verify.findings import VerificationReport
from cybercase.evidence.verify.timestamps import timestamp_check
from cybercase.training.tsa_server import RunningTsa, run_test_tsa


def verify(root: Path, settings: TsaSettings) -> VerificationReport:
    return verify_case(root, extra_checks=[("timestamps", timestamp_check(settings))])


@pytest.fixture
def sealed_case(
    case: Case, signer: Signer, tmp_path: Path, tsa_settings: TsaSettings
) -> tuple[Case, int, int]:
    """A case with six entries, a seal of them (entry 7), and two entries after it."""
    case.add_note(signer, "listing seen on a marketplace")
    for n in range(3):
        path = tmp_path / f"item-{n}.txt"
        path.write_text(f"evidence {n}")
        case.add_files(signer, [path])
    case.add_note(signer, "seller contacted")
    outcome = seal(case, signer, tsa_settings)
    [granted] = outcome.granted
    case.add_note(signer, "after the seal")
    case.add_note(signer, "still after the seal")
    assert granted.seq == 7
    return case, granted.seq, 6


def rewrite_line(root: Path, seq: int, change: dict[str, object]) -> None:
    """Change an entry's detail in place, leaving its hash and signature as they were."""
    log = root / LOG_NAME
    lines = log.read_bytes().splitlines(keepends=True)
    raw = json.loads(lines[seq - 1])
    raw["detail"] = {**raw["detail"], **change}
    lines[seq - 1] = canonical_json(raw) + b"\n"
    log.write_bytes(b"".join(lines))


def test_seal_covers_the_head_and_verifies(
    sealed_case: tuple[Case, int, int], tsa_settings: TsaSettings
) -> None:
    case, seal_seq, sealed = sealed_case
    seal_entry = next(e for e in case.entries() if e.seq == seal_seq)
    head = next(e for e in case.entries() if e.seq == sealed)
    assert seal_entry.detail["covers"] == {"digest": head.hash, "seq": sealed}
    assert seal_entry.detail["kind"] == "seal"
    report = verify(case.root, tsa_settings)
    assert report.ok, [f.line() for f in report.findings]
    [check] = [c for c in report.checks if c.name == "timestamps"]
    assert check.status == "passed"
    assert pending_items(case) == []


@pytest.mark.parametrize("tampered", range(1, 7))
def test_altering_any_sealed_entry_is_reported_as_breaking_the_seal(
    sealed_case: tuple[Case, int, int], tsa_settings: TsaSettings, tmp_path: Path, tampered: int
) -> None:
    case, seal_seq, sealed = sealed_case
    copy = tmp_path / "copy"
    shutil.copytree(case.root, copy)
    rewrite_line(copy, tampered, {"tampered": True})
    report = verify(copy, tsa_settings)
    assert not report.ok
    broken = [f for f in report.findings if f.code == "timestamp.seal-broken"]
    assert len(broken) == 1
    assert f"the seal at seq {seal_seq}" in broken[0].message
    assert f"entry {tampered} was altered after it was sealed" in broken[0].message
    assert f"anchors entries 1-{sealed}" in broken[0].message


def test_an_entry_after_the_seal_is_not_blamed_on_it(
    sealed_case: tuple[Case, int, int], tsa_settings: TsaSettings, tmp_path: Path
) -> None:
    case, _seal_seq, _sealed = sealed_case
    copy = tmp_path / "copy"
    shutil.copytree(case.root, copy)
    rewrite_line(copy, 8, {"text": "changed later"})
    report = verify(copy, tsa_settings)
    assert [f.code for f in report.errors] == ["log.hash"]


def test_a_log_rewritten_and_resigned_by_the_key_holder_breaks_the_seal(
    sealed_case: tuple[Case, int, int],
    signer: Signer,
    tsa_settings: TsaSettings,
    tmp_path: Path,
) -> None:
    """Only the TSA's token catches a history rewritten with valid hashes and signatures."""
    case, seal_seq, sealed = sealed_case
    copy = tmp_path / "copy"
    shutil.copytree(case.root, copy)
    entries = list(case.entries())
    rebuilt = entries[:1]
    for old in entries[1:]:
        detail = dict(old.detail)
        if old.seq == 2:
            detail["text"] = "a different story"
        rebuilt.append(
            build_entry(
                seq=old.seq,
                at=old.at,
                actor_name=old.actor_name,
                actor_key=old.actor_key,
                draft=EntryDraft(old.action, old.items, detail),
                prev=rebuilt[-1].hash,
                sign=signer.sign,
            )
        )
    (copy / LOG_NAME).write_bytes(b"".join(e.to_line() for e in rebuilt))
    (copy / HEAD_NAME).unlink()
    write_head(copy / HEAD_NAME, rebuilt[-1].seq, rebuilt[-1].hash, signer.fingerprint, signer.sign)
    report = verify(copy, tsa_settings)
    assert [f.code for f in report.errors] == ["timestamp.seal-broken"]
    assert f"the seal at seq {seal_seq}" in report.errors[0].message
    assert f"entries 1-{sealed} were rewritten" in report.errors[0].message


def test_removing_a_sealed_entry_breaks_the_seal(
    sealed_case: tuple[Case, int, int], tsa_settings: TsaSettings, tmp_path: Path
) -> None:
    case, seal_seq, _sealed = sealed_case
    copy = tmp_path / "copy"
    shutil.copytree(case.root, copy)
    log = copy / LOG_NAME
    lines = log.read_bytes().splitlines(keepends=True)
    del lines[3]
    log.write_bytes(b"".join(lines))
    report = verify(copy, tsa_settings)
    broken = [f for f in report.errors if f.code == "timestamp.seal-broken"]
    assert broken and f"seal at seq {seal_seq}" in broken[0].message
    assert "entry 4 is missing or unreadable" in broken[0].message


def test_sealing_twice_asks_nothing_new(
    sealed_case: tuple[Case, int, int], signer: Signer, tsa: RunningTsa, tsa_settings: TsaSettings
) -> None:
    case, _seal_seq, _sealed = sealed_case
    before = tsa.requests
    seal(case, signer, tsa_settings)
    assert tsa.requests == before + 1
    again = seal(case, signer, tsa_settings)
    assert again.granted == [] and again.round_trips == 0
    assert again.note == "the log is already sealed: nothing new to seal"
    assert tsa.requests == before + 1


def test_batch_gets_one_seal_and_always_gets_one_token_per_item(
    case: Case, signer: Signer, tmp_path: Path, tsa: RunningTsa
) -> None:
    files = []
    for n in range(5):
        path = tmp_path / f"post-{n}.txt"
        path.write_text(f"post {n}")
        files.append(path)
    default = TsaSettings.from_config(tomllib.loads(tsa.config_toml()))
    batch = add_files(case, signer, files, default)
    assert [g.kind for g in batch.timestamps.granted] == ["seal"]
    assert tsa.requests == 1
    always = TsaSettings.from_config(
        tomllib.loads('[tsa]\nitem_tokens = "always"\n' + tsa.config_toml())
    )
    second = add_files(case, signer, files[:3], always)
    assert [g.items for g in second.timestamps.granted] == [("E0006",), ("E0007",), ("E0008",)]
    assert tsa.requests == 4
    never = TsaSettings.from_config(
        tomllib.loads('[tsa]\nitem_tokens = "never"\n' + tsa.config_toml())
    )
    third = add_files(case, signer, files[:1], never)
    assert [g.kind for g in third.timestamps.granted] == ["seal"]
    again = timestamp_items(case, signer, ["E0001"], default)
    [token] = again.granted
    names = {
        a["name"] for a in next(e for e in case.entries() if e.seq == token.seq).detail["artifacts"]
    }
    assert "E0001.tsr" in names
    assert verify(case.root, default).ok


def test_items_sealed_long_after_they_were_recorded_are_reported(
    case: Case, signer: Signer, tmp_path: Path, tsa: RunningTsa
) -> None:
    files = []
    for n in range(3):
        path = tmp_path / f"page-{n}.txt"
        path.write_text(f"page {n}")
        files.append(path)
    case.add_files(signer, files)
    late = FixedClock(SystemClock().now() + timedelta(hours=5))
    with run_test_tsa(tmp_path / "late", pki=tsa.authority.pki, clock=late) as slow:
        settings = TsaSettings.from_config(tomllib.loads(slow.config_toml()))
        seal(case, signer, settings)
    report = verify(case.root, settings)
    assert report.ok
    gaps = [f for f in report.findings if f.code == "timestamp.gap"]
    assert len(gaps) == 2
    messages = " | ".join(g.message for g in gaps)
    assert "entry 4 was logged" in messages
    assert "3 item(s) were recorded more than 1 h 0 min before this seal's TSA time" in messages
