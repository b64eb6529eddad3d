"""The write-once replica on a real SeaweedFS with Object Lock: replicate, verify, restore."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cybercase.agency.replica import Retention, object_name, segment_name
from cybercase.agency.replicate import CASE_REPLICATED, replicate
from cybercase.agency.s3 import S3Location, make_client
from cybercase.errors import CybercaseError
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from tests.conftest import Cli
from tests.fixtures.agency import S3Server


def add_files(case: Case, signer: Signer, tmp_path: Path, count: int, tag: str = "f") -> None:
    """Import ``count`` small distinct files."""
    folder = tmp_path / f"src-{tag}"
    folder.mkdir()
    paths = []
    for number in range(count):
        path = folder / f"{tag}{number}.txt"
        path.write_bytes(f"listing {tag} {number}: ivory bangle\n".encode() * (number + 1))
        paths.append(path)
    case.add_files(signer, paths, source="test")


def sha_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def first_object_key(case: Case, prefix: str) -> tuple[str, bytes]:
    """The key and bytes of one evidence object of the case."""
    artifact = case.item("E0001").artifacts[0]
    hex_digest = artifact.digest.split(":", 1)[1]
    return f"{prefix}/{object_name(hex_digest)}", case.read_object(artifact.digest)


def test_replicate_locks_every_object_and_is_recorded(
    cli: Cli, case: Case, signer: Signer, s3_env: S3Server, tmp_path: Path
) -> None:
    add_files(case, signer, tmp_path, 3)
    bucket = s3_env.new_bucket()
    result = cli(
        "replicate",
        "--to",
        f"s3://{bucket}/wl/001",
        "--retention-days",
        "2",
        "-C",
        case.root,
        "--json",
    )
    assert result.code == 0, result.stderr
    data: Any = result.json()
    objects = {p.name for p in case.store.iter_objects()}
    assert data["objects"] == {
        "total": len(objects),
        "sent": len(objects),
        "bytes_sent": sum(p.stat().st_size for p in case.store.iter_objects()),
    }
    client = s3_env.client()
    for hex_digest in objects:
        head = client.head_object(
            Bucket=bucket, Key=f"wl/001/{object_name(hex_digest)}", ChecksumMode="ENABLED"
        )
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=1)
        assert base64.b64decode(head["ChecksumSHA256"]).hex() == hex_digest
    case.refresh()
    entry = [e for e in case.entries() if e.action == CASE_REPLICATED][-1]
    assert entry.seq == data["entry_seq"]
    assert entry.detail["to"] == f"s3://{bucket}/wl/001"
    assert entry.detail["custody_through"] == entry.seq - 1
    assert entry.detail["retention"]["mode"] == "COMPLIANCE"
    log = case.log_path.read_bytes()
    segments = sorted(
        o["Key"]
        for o in client.list_objects_v2(Bucket=bucket, Prefix="wl/001/custody/")["Contents"]
    )
    replicated_log = b"".join(
        client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in segments
    )
    assert replicated_log == log, "the replica's log segments, joined, are the case's log"
    checked = cli("verify", "-C", case.root, "--against", f"s3://{bucket}/wl/001", "--json")
    assert checked.code == 0, checked.stdout
    report: Any = checked.json()
    assert report["result"] == "passed"
    assert report["stats"]["locked"] == len(objects)


def test_compliance_replica_refuses_deletion_and_overwrite(
    case: Case, signer: Signer, s3_env: S3Server, tmp_path: Path
) -> None:
    add_files(case, signer, tmp_path, 2)
    bucket = s3_env.new_bucket()
    replicate(case, signer, S3Location(bucket, "c"), Retention(days=1))
    key, original = first_object_key(case, "c")
    client = s3_env.client()
    version = client.head_object(Bucket=bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError) as deleted:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert deleted.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as shortened:
        client.put_object_retention(
            Bucket=bucket,
            Key=key,
            VersionId=version,
            Retention={
                "Mode": "COMPLIANCE",
                "RetainUntilDate": datetime.now(UTC) + timedelta(hours=1),
            },
        )
    assert shortened.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as replaced:
        client.put_object(Bucket=bucket, Key=key, Body=b"forged", IfNoneMatch="*")
    assert replaced.value.response["Error"]["Code"] == "PreconditionFailed"
    # An overwrite without the precondition only stacks a new version on top:
    client.put_object(Bucket=bucket, Key=key, Body=b"forged")
    assert client.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read() == original
    # A checksum that does not match the body is refused by the store itself.
    with pytest.raises(ClientError) as bad:
        client.put_object(Bucket=bucket, Key="c/other", Body=b"abc", ChecksumSHA256=sha_b64(b"abd"))
    assert bad.value.response["Error"]["Code"] in ("BadDigest", "InvalidDigest")


def test_flipped_byte_is_caught_and_restore_uses_the_locked_original(
    cli: Cli, case: Case, signer: Signer, s3_env: S3Server, tmp_path: Path
) -> None:
    add_files(case, signer, tmp_path, 3)
    bucket = s3_env.new_bucket()
    replicate(case, signer, S3Location(bucket, "x"), Retention(days=1))
    key, original = first_object_key(case, "x")
    flipped = bytes([original[0] ^ 0x01]) + original[1:]
    s3_env.client().put_object(
        Bucket=bucket, Key=key, Body=flipped, ChecksumSHA256=sha_b64(flipped)
    )
    checked = cli("verify", "-C", case.root, "--against", f"s3://{bucket}/x", "--json")
    assert checked.code == 1
    report: Any = checked.json()
    altered = [f for f in report["findings"] if f["code"] == "replica.altered"]
    assert [f["where"] for f in altered] == [key.removeprefix("x/")]
    assert "original version" in altered[0]["message"]
    restored = cli("restore", "--from", f"s3://{bucket}/x", tmp_path / "restored", "--json")
    assert restored.code == 0, restored.stdout
    data: Any = restored.json()
    assert data["recovered_versions"] == [key.removeprefix("x/")]
    assert data["verification"]["result"] == "passed"
    back = Case.open(tmp_path / "restored")
    assert back.read_object(case.item("E0001").artifacts[0].digest) == original
    assert [e.hash for e in back.entries()] == [e.hash for e in Case.open(case.root).entries()]


def test_incremental_and_resumable(
    case: Case, signer: Signer, s3_env: S3Server, tmp_path: Path
) -> None:
    add_files(case, signer, tmp_path, 6)
    bucket = s3_env.new_bucket()
    location = S3Location(bucket, "inc")
    real = make_client()

    class Failing:
        """The real client, whose fourth object PUT fails (a dropped connection)."""

        def __init__(self) -> None:
            self.puts = 0
            self.meta = real.meta

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def put_object(self, **kwargs: Any) -> Any:
            if "/objects/" in kwargs["Key"]:
                self.puts += 1
                if self.puts == 4:
                    raise ConnectionResetError("connection reset by peer")
            return real.put_object(**kwargs)

    with pytest.raises(CybercaseError):
        replicate(case, signer, location, Retention(days=1), client=Failing(), jobs=1)
    case.refresh()
    assert not [e for e in case.entries() if e.action == CASE_REPLICATED]
    first = replicate(case, signer, location, Retention(days=1))
    assert first.objects_sent == first.objects_total - 3
    again = replicate(case, signer, location, Retention(days=1))
    assert again.objects_sent == 0
    assert again.segments_sent == 1, "only the segment holding its own entry"
    add_files(case, signer, tmp_path, 1, tag="late")
    late = replicate(case, signer, location, Retention(days=1))
    assert late.objects_sent == 1
    assert verify_case(case.root).ok
    from cybercase.agency.replica_verify import verify_against

    assert verify_against(case.root, location).ok


def test_replica_behind_the_case_is_a_warning_not_a_failure(
    cli: Cli, case: Case, signer: Signer, s3_env: S3Server, tmp_path: Path
) -> None:
    bucket = s3_env.new_bucket()
    replicate(case, signer, S3Location(bucket, "b"), Retention(days=1, mode="GOVERNANCE"))
    add_files(case, signer, tmp_path, 1)
    checked = cli("verify", "-C", case.root, "--against", f"s3://{bucket}/b", "--json")
    assert checked.code == 0
    codes = {f["code"] for f in checked.json()["findings"]}  # type: ignore[index]
    assert codes == {"replica.behind", "replica.missing"}


def test_bucket_without_object_lock_is_refused(cli: Cli, case: Case, s3_env: S3Server) -> None:
    bucket = s3_env.new_bucket(lock=False)
    result = cli("replicate", "--to", f"s3://{bucket}/p", "--retention-days", "1", "-C", case.root)
    assert result.code == 2
    assert "no Object Lock" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_retention_and_no_bucket_default_is_refused(
    cli: Cli, case: Case, s3_env: S3Server
) -> None:
    bucket = s3_env.new_bucket()
    result = cli("replicate", "--to", f"s3://{bucket}/p", "-C", case.root)
    assert result.code == 2
    assert "--retention-days" in result.stderr


def test_another_case_at_the_same_prefix_is_refused(
    case: Case, signer: Signer, s3_env: S3Server, tmp_path: Path
) -> None:
    bucket = s3_env.new_bucket()
    replicate(case, signer, S3Location(bucket, "same"), Retention(days=1))
    other = Case.create(
        tmp_path / "other", case_id="WL-2026-999", title="Other", agency="A", signer=signer
    )
    with pytest.raises(CybercaseError) as refused:
        replicate(other, signer, S3Location(bucket, "same"), Retention(days=1))
    assert refused.value.exit_code == 2


def test_no_credentials_is_one_line(
    cli: Cli, case: Case, s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = cli(
        "replicate", "--to", "s3://some-bucket/p", "--retention-days", "1", "-C", case.root
    )
    assert result.code == 3
    assert "credentials" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("bad", ["http://x/y", "s3://A_B/c", "s3://ok-bucket/../up"])
def test_bad_address_is_usage_error(cli: Cli, case: Case, bad: str) -> None:
    result = cli("replicate", "--to", bad, "--retention-days", "1", "-C", case.root)
    assert result.code == 2


def test_segment_names_sort_by_seq() -> None:
    names = [segment_name(a, b) for a, b in ((1, 9), (10, 10), (11, 120))]
    assert names == sorted(names)


def test_restore_refuses_a_folder_in_use_and_an_empty_prefix(
    cli: Cli, case: Case, signer: Signer, s3_env: S3Server, tmp_path: Path
) -> None:
    bucket = s3_env.new_bucket()
    replicate(case, signer, S3Location(bucket, "r"), Retention(days=1))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "file.txt").write_text("mine")
    refused = cli("restore", "--from", f"s3://{bucket}/r", busy)
    assert refused.code == 2
    assert (busy / "file.txt").read_text() == "mine"
    nothing = cli("restore", "--from", f"s3://{bucket}/empty", tmp_path / "new")
    assert nothing.code == 2
    assert not (tmp_path / "new").exists()
    assert not list(tmp_path.glob(".new.restoring-*")), "no half-restored folder is left"


def test_verify_against_an_empty_prefix_fails(cli: Cli, case: Case, s3_env: S3Server) -> None:
    bucket = s3_env.new_bucket()
    checked = cli("verify", "-C", case.root, "--against", f"s3://{bucket}/none", "--json")
    assert checked.code == 1
    codes = {f["code"] for f in checked.json()["findings"]}  # type: ignore[index]
    assert "replica.missing" in codes


def test_bucket_default_retention_is_used_and_recorded(
    case: Case, signer: Signer, s3_env: S3Server
) -> None:
    bucket = s3_env.new_bucket()
    client = s3_env.client()
    client.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    result = replicate(case, signer, S3Location(bucket, "d"), Retention())
    assert result.mode == "GOVERNANCE"
    assert result.retain_until == "bucket default: 1 days from each write"
    head = client.head_object(Bucket=bucket, Key="d/case.json")
    assert head.get("ObjectLockMode") == "GOVERNANCE", "the bucket's rule locked it"
