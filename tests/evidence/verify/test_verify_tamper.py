"""Every kind of tampering makes verify fail and name the place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.verify.case import verify_case
from cybercase.evidence.verify.findings import VerificationReport
from tests.fixtures.cases import PopulatedCase, build_populated_case


def flip(path: Path, offset: int, mask: int = 0x01) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def log_lines(root: Path) -> list[bytes]:
    return (root / "custody.jsonl").read_bytes().splitlines(keepends=True)


def write_lines(root: Path, lines: list[bytes]) -> None:
    (root / "custody.jsonl").write_bytes(b"".join(lines))


def codes(report: VerificationReport) -> set[str]:
    return {f.code for f in report.errors}


def assert_fails(report: VerificationReport, code: str, where: str) -> None:
    assert not report.ok
    matching = [f for f in report.errors if f.code == code]
    assert matching, [f.line() for f in report.findings]
    assert any(where in f.where for f in matching), [f.line() for f in matching]


def test_clean_populated_case_passes(populated: PopulatedCase) -> None:
    report = verify_case(populated.root)
    assert report.ok, [f.line() for f in report.findings]
    # No TSA is configured here: the only remark allowed is that items await a timestamp.
    assert [f.code for f in report.findings] == ["timestamp.pending"]
    assert report.stats["entries"] == 8
    assert report.stats["keys"] == 2


def test_flipped_byte_in_each_object_is_named(populated: PopulatedCase) -> None:
    case = populated.case
    for item_id in case.state.evidence_ids():
        artifact = case.item(item_id).artifacts[0]
        path = case.store.path_for(
            __import__("cybercase.digest").digest.Digest.parse(artifact.digest)
        )
        original = path.read_bytes()
        flip(path, len(original) // 2)
        report = verify_case(populated.root)
        assert_fails(report, "object.corrupt", item_id)
        path.write_bytes(original)
    assert verify_case(populated.root).ok


def test_missing_object_is_named(populated: PopulatedCase) -> None:
    case = populated.case
    artifact = case.item("E0003").artifacts[0]
    from cybercase.digest import Digest

    case.store.path_for(Digest.parse(artifact.digest)).unlink()
    report = verify_case(populated.root)
    assert_fails(report, "object.missing", "E0003 photo.jpg")
    summaries = {c.name: (c.status, c.summary) for c in report.checks}
    assert summaries["objects"][0] == "failed"
    assert "some are wrong or missing: 1 problem(s)" in summaries["objects"][1]
    assert summaries["case"] == ("passed", "case.json matches the log")


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_flipped_byte_in_every_log_line(populated: PopulatedCase, position: str) -> None:
    root = populated.root
    lines = log_lines(root)
    original = b"".join(lines)
    offset = 0
    for number, line in enumerate(lines, start=1):
        inner = {"start": 1, "middle": len(line) // 2, "end": len(line) - 3}[position]
        flip(root / "custody.jsonl", offset + inner)
        report = verify_case(root)
        assert not report.ok, f"line {number} {position}"
        assert any(f"line {number}" in f.where for f in report.errors), [
            f.line() for f in report.findings
        ]
        (root / "custody.jsonl").write_bytes(original)
        offset += len(line)


def test_flipped_newline_of_last_line_is_caught_by_the_head(populated: PopulatedCase) -> None:
    root = populated.root
    size = (root / "custody.jsonl").stat().st_size
    flip(root / "custody.jsonl", size - 1, 0x20)
    assert_fails(verify_case(root), "head.truncated", "custody.jsonl")


def test_flipped_byte_in_case_json(populated: PopulatedCase) -> None:
    root = populated.root
    flip(root / "case.json", 20)
    report = verify_case(root)
    assert_fails(report, "case.altered", "case.json")
    case_check = next(c for c in report.checks if c.name == "case")
    assert case_check.summary.startswith("case.json does not match the log: ")


def test_flipped_byte_in_key_files(populated: PopulatedCase) -> None:
    root = populated.root
    for path in sorted((root / "keys").glob("*.pub")):
        original = path.read_bytes()
        for offset in (10, len(original) // 2, len(original) - 10):
            flip(path, offset)
            report = verify_case(root)
            assert not report.ok
            assert any(path.name in f.where for f in report.errors), [
                f.line() for f in report.findings
            ]
            path.write_bytes(original)


def test_swapped_key_file(populated: PopulatedCase) -> None:
    root = populated.root
    target = root / "keys" / f"{populated.colleague.fingerprint}.pub"
    target.chmod(0o644)
    target.write_bytes(Signer.ephemeral("Second Officer").identity.to_pub_file())
    assert_fails(verify_case(root), "key.swapped", target.name)


def test_deleted_middle_line(populated: PopulatedCase) -> None:
    lines = log_lines(populated.root)
    del lines[3]
    write_lines(populated.root, lines)
    report = verify_case(populated.root)
    assert_fails(report, "log.sequence", "line 4")
    assert "log.chain" in codes(report)


def test_deleted_last_line(populated: PopulatedCase) -> None:
    lines = log_lines(populated.root)
    write_lines(populated.root, lines[:-1])
    assert_fails(verify_case(populated.root), "head.truncated", "custody.jsonl")


def test_duplicated_line(populated: PopulatedCase) -> None:
    lines = log_lines(populated.root)
    lines.insert(4, lines[3])
    write_lines(populated.root, lines)
    assert_fails(verify_case(populated.root), "log.sequence", "line 5")


def test_reordered_lines(populated: PopulatedCase) -> None:
    lines = log_lines(populated.root)
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(populated.root, lines)
    report = verify_case(populated.root)
    assert_fails(report, "log.sequence", "line 3")
    assert_fails(report, "log.chain", "line 3")


def test_inserted_line_signed_by_outsider(populated: PopulatedCase, tmp_path: Path) -> None:
    """A forged entry, correctly chained but signed by a key nobody registered."""
    root = populated.root
    lines = log_lines(root)
    last = json.loads(lines[-1])
    outsider = Signer.ephemeral("Outsider")
    from cybercase.evidence.log.entry import build_entry

    forged = build_entry(
        seq=last["seq"] + 1,
        at=last["at"],
        actor_name=outsider.name,
        actor_key=outsider.fingerprint,
        draft=EntryDraft("note.added", (), {"text": "planted"}),
        prev=last["hash"],
        sign=outsider.sign,
    )
    write_lines(root, [*lines, forged.to_line()])
    assert_fails(verify_case(root), "log.unknown-key", f"line {len(lines) + 1}")


def test_inserted_middle_line(populated: PopulatedCase) -> None:
    root = populated.root
    lines = log_lines(root)
    lines.insert(2, lines[-1])
    write_lines(root, lines)
    report = verify_case(root)
    assert_fails(report, "log.sequence", "line 3")


def test_unregistered_key_cannot_append(populated: PopulatedCase) -> None:
    from cybercase.errors import NotCustodianError

    before = (populated.root / "custody.jsonl").read_bytes()
    with pytest.raises(NotCustodianError):
        populated.case.add_note(Signer.ephemeral("Stranger"), "hello")
    assert (populated.root / "custody.jsonl").read_bytes() == before


def test_entry_signed_before_its_key_was_registered(tmp_path: Path) -> None:
    """Moving a colleague's entry before their registration is a verification failure."""
    lead = Signer.ephemeral("Lead")
    case = Case.create(tmp_path / "c", case_id="K-1", title="t", agency="a", signer=lead)
    colleague = Signer.ephemeral("Colleague")
    case.add_custodian(lead, colleague.identity)
    case.add_note(colleague, "mine")
    # Rebuild the log so the colleague's note comes first, re-chained and re-signed by them.
    from cybercase.evidence.log.entry import CustodyEntry, build_entry

    entries = [CustodyEntry.from_raw(json.loads(x)) for x in log_lines(case.root)]
    note = build_entry(
        seq=2,
        at=entries[1].at,
        actor_name=colleague.name,
        actor_key=colleague.fingerprint,
        draft=EntryDraft("note.added", (), {"text": "mine"}),
        prev=entries[0].hash,
        sign=colleague.sign,
    )
    reg = build_entry(
        seq=3,
        at=entries[1].at,
        actor_name=lead.name,
        actor_key=lead.fingerprint,
        draft=EntryDraft("custodian.added", (), entries[1].detail),
        prev=note.hash,
        sign=lead.sign,
    )
    write_lines(case.root, [entries[0].to_line(), note.to_line(), reg.to_line()])
    (case.root / "custody.head").unlink()
    assert_fails(verify_case(case.root), "log.unknown-key", "line 2")


# -- property tests ---------------------------------------------------------------------------

TARGETS = ("object", "log", "case.json", "key")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(TARGETS),
    where=st.floats(0, 1, exclude_max=True),
    mask=st.integers(1, 255),
    pick=st.integers(0, 1000),
)
def test_any_single_byte_mutation_is_detected(
    base_case: Path,
    tmp_path_factory: pytest.TempPathFactory,
    target: str,
    where: float,
    mask: int,
    pick: int,
) -> None:
    root = tmp_path_factory.mktemp("mut") / "case"
    shutil.copytree(base_case, root)
    if target == "object":
        files = sorted(p for p in (root / "objects" / "sha256").rglob("*") if p.is_file())
    elif target == "key":
        files = sorted((root / "keys").glob("*.pub"))
    else:
        files = [root / ("custody.jsonl" if target == "log" else "case.json")]
    path = files[pick % len(files)]
    size = path.stat().st_size
    flip(path, int(where * size), mask)
    report = verify_case(root)
    assert not report.ok, f"{target} {path.name} byte {int(where * size)} ^ {mask}"


@pytest.fixture(scope="module")
def base_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base") / "case"
    build_populated_case(root, Signer.ephemeral("Lead"))
    return root


@settings(max_examples=25, deadline=None)
@given(
    operations=st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.binary(min_size=0, max_size=2048)),
            st.tuples(st.just("note"), st.text(min_size=1, max_size=200).filter(str.strip)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_a_clean_case_never_fails(operations: list[tuple[str, object]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        signer = Signer.ephemeral("Prop Tester")
        case = Case.create(Path(tmp) / "case", case_id="P-1", title="t", agency="a", signer=signer)
        for number, (kind, value) in enumerate(operations):
            if kind == "add":
                assert isinstance(value, bytes)
                path = Path(tmp) / f"f{number}.bin"
                path.write_bytes(value)
                case.add_files(signer, [path])
            else:
                assert isinstance(value, str)
                case.add_note(signer, value)
        report = verify_case(case.root)
        assert report.ok, [f.line() for f in report.findings]
        assert {f.code for f in report.warnings} <= {"timestamp.pending"}
