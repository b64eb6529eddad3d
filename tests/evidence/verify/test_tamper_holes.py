"""The holes a torture run found in a live case (issue 22, points 1-5), each reproduced."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from cybercase.evidence import Case, Signer
from cybercase.evidence.log.jsonl import HEAD_NAME, LOG_NAME, SEALS_DIR, read_head, write_head
from cybercase.evidence.timestamps.grant import seal
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import verify_case
from cybercase.evidence.verify.findings import VerificationReport
from cybercase.evidence.verify.timestamps import timestamp_check
from tests.conftest import Cli
from tests.fixtures.cases import PopulatedCase

OLD_CASE = Path(__file__).parent / "data" / "case-written-by-0.1"


def errors(report: VerificationReport) -> list[str]:
    return [f.code for f in report.errors]


def lines(root: Path) -> list[bytes]:
    return (root / LOG_NAME).read_bytes().splitlines(keepends=True)


def set_line(root: Path, number: int, data: bytes) -> None:
    log = lines(root)
    log[number - 1] = data
    (root / LOG_NAME).write_bytes(b"".join(log))


# -- 1. only canonical lines, no duplicate keys ------------------------------------------


def _reorder(line: bytes) -> bytes:
    raw = json.loads(line)
    return json.dumps(dict(reversed(list(raw.items()))), separators=(",", ":")).encode()


def _upper_sig(line: bytes) -> bytes:
    start = line.index(b'"sig":"') + 7
    end = line.index(b'"', start)
    return line[:start] + line[start:end].upper() + line[end:]


REENCODINGS = {
    "space after colon": lambda b: b.replace(b'"seq":', b'"seq": ', 1),
    "key order": _reorder,
    "unicode escape": lambda b: b.replace(b'"at":"2', b'"at":"\\u0032', 1),
    "uppercase sig hex": _upper_sig,
    "trailing space": lambda b: b + b" ",
    "carriage return": lambda b: b + b"\r",
    "byte-order mark": lambda b: b"\xef\xbb\xbf" + b,
    "float seq": lambda b: b.replace(b'"seq":2', b'"seq":2.0', 1),
}


@pytest.mark.parametrize("name", sorted(REENCODINGS))
def test_a_re_encoded_line_fails(populated: PopulatedCase, name: str) -> None:
    root = populated.root
    line = lines(root)[1].rstrip(b"\n")
    changed = REENCODINGS[name](line)
    assert changed != line
    if name != "uppercase sig hex":  # the same value, written differently
        assert json.loads(changed.decode("utf-8-sig")) == json.loads(line)
    set_line(root, 2, changed + b"\n")
    report = verify_case(root)
    assert "log.unreadable" in errors(report), [f.line() for f in report.findings]
    assert any("line 2" in f.where for f in report.errors)


def test_a_duplicate_key_fails_whichever_copy_a_reader_takes(populated: PopulatedCase) -> None:
    root = populated.root
    line = lines(root)[2].rstrip(b"\n")
    assert b'"action":"item.imported"' in line
    forged = line.replace(b'{"action":', b'{"action":"case.deleted","action":', 1)
    set_line(root, 3, forged + b"\n")
    report = verify_case(root)
    assert "log.unreadable" in errors(report)
    assert any("duplicate key 'action'" in f.message for f in report.errors)


# -- 2. the head: signed, required, and seals beside the log ----------------------------


def test_a_case_written_by_0_1_still_verifies_and_is_signed_on_next_change(
    tmp_path: Path,
) -> None:
    root = tmp_path / "old"
    shutil.copytree(OLD_CASE, root)
    report = verify_case(root)
    assert report.ok, [f.line() for f in report.findings]
    assert "head.unsigned" in [f.code for f in report.warnings]
    head = read_head(root / HEAD_NAME)
    assert head is not None and not head.signed
    # Its custodians' private keys are long gone: a new custodian cannot be added, but the
    # case is readable and a forged head is still caught by its seq and hash.
    (root / HEAD_NAME).write_text('{"seq":99,"hash":"sha256:' + "0" * 64 + '"}\n')
    assert "head.truncated" in errors(verify_case(root))


def test_the_head_is_signed_and_its_absence_fails(populated: PopulatedCase) -> None:
    root = populated.root
    head = read_head(root / HEAD_NAME)
    assert head is not None and head.signed and head.key == populated.colleague.fingerprint
    (root / HEAD_NAME).unlink()
    assert errors(verify_case(root)) == ["head.missing"]


def test_a_tail_cut_with_the_head_rewritten_fails(populated: PopulatedCase) -> None:
    root = populated.root
    kept = lines(root)[:-3]
    (root / LOG_NAME).write_bytes(b"".join(kept))
    last = json.loads(kept[-1])
    # Unsigned, as the old format was:
    (root / HEAD_NAME).write_text(json.dumps({"seq": last["seq"], "hash": last["hash"]}))
    assert "head.unsigned" in errors(verify_case(root))
    # Signed, by a key the case does not know:
    stranger = Signer.ephemeral("Stranger")
    write_head(root / HEAD_NAME, last["seq"], last["hash"], stranger.fingerprint, stranger.sign)
    assert "head.unknown-key" in errors(verify_case(root))
    # Claiming a custodian's key without it:
    lead = populated.lead
    write_head(root / HEAD_NAME, last["seq"], last["hash"], lead.fingerprint, stranger.sign)
    assert "head.signature" in errors(verify_case(root))


def test_a_tail_cut_leaving_a_torn_remnant_fails(populated: PopulatedCase) -> None:
    root = populated.root
    data = (root / LOG_NAME).read_bytes()
    (root / LOG_NAME).write_bytes(data[: len(data) - len(lines(root)[-1]) - 40])
    report = verify_case(root)
    assert "head.truncated" in errors(report)


def test_a_cut_past_a_seal_with_an_old_head_replayed_is_caught(
    case: Case, signer: Signer, tsa_settings: TsaSettings
) -> None:
    case.add_note(signer, "before the seal")
    old_head = (case.root / HEAD_NAME).read_bytes()
    kept = (case.root / LOG_NAME).read_bytes()
    [granted] = seal(case, signer, tsa_settings).granted
    assert (case.root / SEALS_DIR / f"{granted.seq:06d}.tsr").is_file()
    case.add_note(signer, "after the seal")
    checks = [("timestamps", timestamp_check(tsa_settings))]
    report = verify_case(case.root, extra_checks=checks)
    assert report.ok, [f.line() for f in report.findings]
    assert report.unanchored == (granted.seq, granted.seq + 1)
    # Someone who kept an old head cuts the log back to it: the seal's copy remains.
    (case.root / LOG_NAME).write_bytes(kept)
    os.chmod(case.root / HEAD_NAME, 0o644)
    (case.root / HEAD_NAME).write_bytes(old_head)
    report = verify_case(case.root, extra_checks=checks)
    assert "head.truncated" in errors(report), [f.line() for f in report.findings]
    assert any("seals/" in f.message for f in report.errors)


# -- 3. the root key, and trusting it -----------------------------------------------------


def test_verify_names_the_root_and_refuses_an_untrusted_one(
    populated: PopulatedCase, cli: Cli, isolated_home: Path
) -> None:
    root = populated.root
    lead = populated.lead.fingerprint
    report = verify_case(root)
    assert [k["fingerprint"] for k in report.keys if k["role"] == "root"] == [lead]
    assert verify_case(root, trusted_keys=[lead[:16].upper()]).ok
    other = Signer.ephemeral("Someone Else").fingerprint
    assert errors(verify_case(root, trusted_keys=[other])) == ["key.untrusted"]
    result = cli("verify", root, "--no-log", "--json", "--trust", other)
    assert result.code == 1 and "key.untrusted" in result.stdout
    (isolated_home / "config.toml").write_text(f'[verify]\ntrusted_keys = ["{other}"]\n')
    assert cli("verify", root, "--no-log", "--json").code == 1
    assert cli("verify", root, "--no-log", "--json", "--trust", lead).code == 0


# -- 4. a crafted line cannot crash any reader --------------------------------------------


def test_a_deeply_nested_line_is_reported_by_every_command(
    populated: PopulatedCase, cli: Cli
) -> None:
    root = populated.root
    with (root / LOG_NAME).open("ab") as fh:
        fh.write(b"[" * 200_000 + b"\n")
    report = verify_case(root)
    assert any("nested deeper" in f.message for f in report.errors)
    for args in (("verify", "--no-log", "--json"), ("status",), ("log",), ("note", "hello")):
        result = cli(*args, "--case", root)
        assert "RecursionError" not in result.stdout + result.stderr, args
        assert "Traceback" not in result.stdout + result.stderr, args
    assert cli("verify", "--no-log", "--case", root).code == 1
    assert cli("note", "hello", "--case", root).code != 0


def test_an_overlong_line_is_refused_before_parsing(populated: PopulatedCase) -> None:
    root = populated.root
    with (root / LOG_NAME).open("ab") as fh:
        fh.write(b'"' + b"a" * (17 * 1024 * 1024) + b'"\n')
    assert any("longer than" in f.message for f in verify_case(root).errors)


# -- 5. links in the object store ----------------------------------------------------------


def test_an_object_replaced_by_a_link_to_an_identical_copy_fails(
    populated: PopulatedCase, tmp_path: Path
) -> None:
    case = populated.case
    path = next(p for p in case.store.iter_objects())
    outside = tmp_path / "outside-copy"
    shutil.copyfile(path, outside)
    path.chmod(0o644)
    path.unlink()
    path.symlink_to(outside)
    report = verify_case(case.root)
    assert "object.symlink" in errors(report), [f.line() for f in report.findings]
