"""A seeded mutation fuzzer: every change to a live case or a package must be caught.

Each mutation is applied to a fresh copy of a small, sealed case (or of its exported
package, as a folder and as a zip) and the copy is verified. A mutation that verification
does not fail is allowed only when docs/verify.md lists it as undetectable, under the
name given here (``UNDETECTABLE``), with the reason; any other one fails the test. For
packages the standalone ``check_custody.py`` must catch the mutation too.

The generator is seeded, so a failure names a mutation that can be replayed; the counts
are bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bagit
import pytest

from cybercase.errors import CybercaseError
from cybercase.evidence import Case, Signer
from cybercase.evidence.log.jsonl import HEAD_NAME, LOG_NAME, SEALS_DIR, write_head
from cybercase.evidence.timestamps.grant import seal
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import verify_case
from cybercase.report import export_case, verify_package
from cybercase.report.standalone import check_custody

SEED = 22
DOCS = Path(__file__).parents[3] / "docs" / "verify.md"

UNDETECTABLE = {
    "replayed-head": "a cut back to an older signed head, with no seal after that point",
    "seal-copy-deleted": "deleting a seal's copy beside the log is a warning, not a failure",
    "added-object": "a file added to objects/ is reported as unreferenced (a warning)",
    "added-key": "an extra key file no entry registers is a warning",
    "added-other": "files the case format does not name are not read",
}


@dataclass(frozen=True)
class Mutation:
    category: str
    name: str
    apply: Callable[[Path], None]
    allowed: str | None = None
    """The docs/verify.md name under which this mutation may go undetected."""


# -- helpers that change files ------------------------------------------------------------


def writable(path: Path) -> Path:
    if path.exists() and not path.is_symlink():
        path.chmod(0o644)
    return path


def flip(relative: str, offset: int, mask: int) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = writable(root / relative)
        data = bytearray(path.read_bytes())
        data[offset % len(data)] ^= mask
        path.write_bytes(bytes(data))

    return apply


def delete(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        writable(path)
        path.unlink()

    return apply


def symlink(relative: str) -> Callable[[Path], None]:
    """Replace a file by a link to an identical copy outside the tree."""

    def apply(root: Path) -> None:
        path = root / relative
        outside = root.parent / f"outside-{path.name}"
        shutil.copyfile(path, outside)
        writable(path).unlink()
        path.symlink_to(outside)

    return apply


def add(relative: str, data: bytes = b"planted\n") -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return apply


def rewrite(relative: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = writable(root / relative)
        path.write_bytes(change(path.read_bytes()))

    return apply


def then_rebag(change: Callable[[Path], None]) -> Callable[[Path], None]:
    """What a forger with the bagit tool does after a change: recompute the manifests."""

    def apply(root: Path) -> None:
        change(root)
        bagit.Bag(str(root)).save(manifests=True)

    return apply


# -- re-encodings of one log line ---------------------------------------------------------


def _upper_sig(line: bytes) -> bytes:
    start = line.index(b'"sig":"') + 7
    end = line.index(b'"', start)
    return line[:start] + line[start:end].upper() + line[end:]


def _escape_first_letter(line: bytes) -> bytes:
    at = line.index(b'"action":"') + 10
    return line[:at] + b"\\u%04x" % line[at] + line[at + 1 :]


def _reorder(line: bytes) -> bytes:
    raw = json.loads(line)
    return json.dumps(dict(reversed(list(raw.items()))), separators=(",", ":")).encode()


def _float_seq(line: bytes) -> bytes:
    return re.sub(rb'"seq":(\d+)', rb'"seq":\1.0', line, count=1)


def _duplicate_action(line: bytes) -> bytes:
    return line.replace(b'{"action":', b'{"action":"case.deleted","action":', 1)


def _duplicate_detail(line: bytes) -> bytes:
    return line.replace(b',"detail":', b',"detail":{"note":"forged"},"detail":', 1)


REENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "spaces": lambda b: b.replace(b'":', b'": ').replace(b",", b", "),
    "key-order": _reorder,
    "unicode-escape": _escape_first_letter,
    "uppercase-hex": _upper_sig,
    "crlf": lambda b: b + b"\r",
    "trailing-space": lambda b: b + b"  ",
    "bom": lambda b: b"\xef\xbb\xbf" + b,
    "float": _float_seq,
    "duplicate-action": _duplicate_action,
    "duplicate-detail": _duplicate_detail,
    "ensure-ascii": lambda b: (
        json.dumps(json.loads(b), separators=(",", ":")).encode()
        if any(c > 127 for c in b)
        else b.replace(b'"items":[', b'"items":[ ', 1)
    ),
}


def reencode(log: str, number: int, how: str) -> Callable[[Path], None]:
    def change(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[number] = REENCODINGS[how](lines[number])
        return b"\n".join(lines)

    return rewrite(log, change)


def cut(log: str, keep: int) -> Callable[[Path], None]:
    return rewrite(log, lambda data: data[:keep])


def drop_lines(log: str, count: int) -> Callable[[Path], None]:
    return rewrite(log, lambda data: b"".join(data.splitlines(keepends=True)[:-count]))


# -- the case and the package -------------------------------------------------------------


@dataclass
class Pristine:
    case: Path
    package: Path
    zipped: Path
    signer: Signer
    settings: TsaSettings
    head_before_seal: bytes
    log_before_seal: bytes
    head_after_seal: bytes
    log_after_seal: bytes


@pytest.fixture
def pristine(
    case: Case, signer: Signer, tsa_config: TsaSettings, tmp_path: Path
) -> Iterator[Pristine]:
    sources = tmp_path / "sources"
    sources.mkdir()
    for name, body in (("listing.html", b"<p>ivory 2kg</p>"), ("chat.txt", "prix 3850 €".encode())):
        (sources / name).write_bytes(body)
    case.add_files(signer, sorted(sources.iterdir()), source="saved by hand")
    case.add_note(signer, "seller uses two accounts")
    head_before = (case.root / HEAD_NAME).read_bytes()
    log_before = (case.root / LOG_NAME).read_bytes()
    seal(case, signer, tsa_config)
    case.add_note(signer, "after the seal")
    head_after = (case.root / HEAD_NAME).read_bytes()
    log_after = (case.root / LOG_NAME).read_bytes()
    (sources / "photo.jpg").write_bytes(bytes(range(256)) * 4)
    case.add_files(signer, [sources / "photo.jpg"])
    case.add_note(signer, "ready for export", "E0001")
    out = tmp_path / "out"
    package = export_case(case, signer, out, pdf=False).path
    zipped = export_case(case, signer, tmp_path / "zips", pdf=False, make_zip=True).path
    yield Pristine(
        case.root,
        package,
        zipped,
        signer,
        tsa_config,
        head_before,
        log_before,
        head_after,
        log_after,
    )


def files_of(root: Path) -> list[str]:
    """The case's files, less the locks of live processes (the case lock, objects/tmp owners)."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name != ".lock" and not p.name.startswith(".owner-")
    )


def live_mutations(p: Pristine, rng: random.Random) -> list[Mutation]:
    root = p.case
    files = files_of(root)
    lines = (root / LOG_NAME).read_bytes().split(b"\n")[:-1]
    out: list[Mutation] = []
    for relative in files:
        for _ in range(2):
            offset, mask = rng.randrange(1 << 20), 1 << rng.randrange(8)
            out.append(
                Mutation("flip", f"{relative}@{offset}^{mask}", flip(relative, offset, mask))
            )
    for number in rng.sample(range(len(lines)), 4):
        for how in REENCODINGS:
            out.append(
                Mutation("reencode", f"line {number + 1} {how}", reencode(LOG_NAME, number, how))
            )
    size = len((root / LOG_NAME).read_bytes())
    for keep in sorted(rng.sample(range(size), 8)):
        out.append(Mutation("truncate", f"log cut at byte {keep}", cut(LOG_NAME, keep)))
    for count in (1, 2, 4):
        out.append(
            Mutation("truncate", f"last {count} line(s) dropped", drop_lines(LOG_NAME, count))
        )

    def replay(log: bytes, head: bytes) -> Callable[[Path], None]:
        def apply(root: Path) -> None:
            writable(root / LOG_NAME).write_bytes(log)
            writable(root / HEAD_NAME).write_bytes(head)

        return apply

    out.append(
        Mutation(
            "truncate",
            "cut back past the seal, old head",
            replay(p.log_before_seal, p.head_before_seal),
        )
    )
    out.append(
        Mutation(
            "truncate",
            "cut back after the seal, old head",
            replay(p.log_after_seal, p.head_after_seal),
            "replayed-head",
        )
    )

    def resign(key: Signer, claim: str | None = None) -> Callable[[Path], None]:
        def apply(root: Path) -> None:
            last = json.loads(drop_tail(root))
            writable(root / HEAD_NAME)
            write_head(
                root / HEAD_NAME, last["seq"], last["hash"], claim or key.fingerprint, key.sign
            )

        return apply

    def drop_tail(root: Path) -> bytes:
        kept = (root / LOG_NAME).read_bytes().splitlines(keepends=True)[:-2]
        writable(root / LOG_NAME).write_bytes(b"".join(kept))
        return kept[-1]

    def unsigned_head(root: Path) -> None:
        last = json.loads(drop_tail(root))
        writable(root / HEAD_NAME).write_text(
            json.dumps({"seq": last["seq"], "hash": last["hash"]})
        )

    stranger = Signer.ephemeral("Stranger")
    out += [
        Mutation("head", "head deleted", delete(HEAD_NAME)),
        Mutation("head", "tail cut, head unsigned", unsigned_head),
        Mutation("head", "tail cut, head signed by a stranger", resign(stranger)),
        Mutation(
            "head", "tail cut, head claims the lead's key", resign(stranger, p.signer.fingerprint)
        ),
        Mutation("head", "head torn", rewrite(HEAD_NAME, lambda d: d[: len(d) // 2])),
        Mutation(
            "head",
            "head seq + 1",
            rewrite(
                HEAD_NAME,
                lambda d: re.sub(rb'"seq":(\d+)', lambda m: b'"seq":%d' % (int(m[1]) + 1), d),
            ),
        ),
        Mutation("head", "head emptied", rewrite(HEAD_NAME, lambda d: b"")),
    ]
    for relative in files:
        allowed = "seal-copy-deleted" if relative.startswith(f"{SEALS_DIR}/") else None
        out.append(Mutation("delete", relative, delete(relative), allowed))
        out.append(Mutation("symlink", relative, symlink(relative)))
    obj = next(f for f in files if f.startswith("objects/"))
    out += [
        Mutation("add", "object", add(f"objects/sha256/00/{'0' * 64}"), "added-object"),
        Mutation("add", "key", add(f"keys/{'a' * 64}.pub"), "added-key"),
        Mutation("add", "file at the top", add("notes.txt"), "added-other"),
        Mutation("add", "seal copy", add(f"{SEALS_DIR}/000099.tsr")),
        Mutation(
            "add",
            "object copy under a seal name",
            lambda r: shutil.copyfile(r / obj, r / SEALS_DIR / "000002.tsr"),
        ),
    ]
    return out


def package_mutations(p: Pristine, rng: random.Random) -> list[Mutation]:
    root = p.package
    files = files_of(root)
    log = "data/4-custody/custody.jsonl"
    lines = (root / log).read_bytes().split(b"\n")[:-1]
    out: list[Mutation] = []
    linked = set(rng.sample(files, 10)) | {"data/4-custody/custody.jsonl", "index.html"}
    deleted = set(rng.sample(files, 14)) | {"tagmanifest-sha256.txt.sig", "bagit.txt"}
    for relative in files:
        offset, mask = rng.randrange(1 << 20), 1 << rng.randrange(8)
        out.append(Mutation("flip", f"{relative}@{offset}^{mask}", flip(relative, offset, mask)))
        if relative in deleted:
            out.append(Mutation("delete", relative, delete(relative)))
        if relative in linked:
            out.append(Mutation("symlink", relative, symlink(relative)))
        if relative not in ("tagmanifest-sha256.txt", "manifest-sha256.txt", "bagit.txt"):
            out.append(
                Mutation(
                    "rewrite",
                    f"{relative} rewritten, rebagged",
                    then_rebag(rewrite(relative, lambda d: d.replace(b"e", b"E", 1) + b"\n")),
                )
            )
            if relative.startswith("data/"):
                out.append(
                    Mutation("delete", f"{relative}, rebagged", then_rebag(delete(relative)))
                )
    plain, rebagged = rng.sample(range(len(lines)), 2)
    for how in REENCODINGS:
        out.append(Mutation("reencode", f"line {plain + 1} {how}", reencode(log, plain, how)))
    for how in rng.sample(sorted(REENCODINGS), 4):
        out.append(
            Mutation(
                "reencode",
                f"line {rebagged + 1} {how}, rebagged",
                then_rebag(reencode(log, rebagged, how)),
            )
        )
    for count in (1, 3):
        out.append(
            Mutation(
                "truncate", f"last {count} line(s), rebagged", then_rebag(drop_lines(log, count))
            )
        )
    out.append(
        Mutation(
            "truncate",
            "log cut mid-line, rebagged",
            then_rebag(cut(log, len(b"\n".join(lines)) - 30)),
        )
    )
    statement = "data/4-custody/export.json"
    out.append(
        Mutation(
            "head",
            "export statement seq lowered, rebagged",
            then_rebag(
                rewrite(
                    statement,
                    lambda d: re.sub(
                        rb'"seq": (\d+)', lambda m: b'"seq": %d' % (int(m[1]) - 1), d, count=1
                    ),
                )
            ),
        )
    )
    checker = "data/4-custody/check_custody.py"
    out.append(
        Mutation(
            "checker",
            "checker always passes, rebagged",
            then_rebag(rewrite(checker, lambda d: b'print("PASSED")\n')),
        )
    )
    for relative in (
        "planted.txt",
        "data/planted.txt",
        "data/1-collection/planted.bin",
        "data/4-custody/keys/x.pub",
    ):
        out.append(Mutation("add", relative, add(relative)))
        out.append(Mutation("add", f"{relative}, rebagged", then_rebag(add(relative))))
    e1 = next(f for f in files if f.startswith("data/1-collection/E0001"))
    out.append(
        Mutation(
            "delete",
            "an artifact whose bytes another copy holds, hashes.csv kept, rebagged",
            then_rebag(delete(e1)),
        )
    )
    return out


def zip_mutations(p: Pristine, rng: random.Random) -> list[Mutation]:
    size = p.zipped.stat().st_size
    out = [
        Mutation("zip", "trailing garbage", lambda z: z.write_bytes(z.read_bytes() + b"garbage")),
        Mutation("zip", "leading garbage", lambda z: z.write_bytes(b"MZ garbage" + z.read_bytes())),
    ]
    for _ in range(6):
        offset, mask = rng.randrange(size), 1 << rng.randrange(8)
        out.append(Mutation("zip", f"flip @{offset}^{mask}", flip_file(offset, mask)))

    def added(z: Path) -> None:
        with zipfile.ZipFile(z, "a") as archive:
            top = archive.namelist()[0].split("/")[0]
            archive.writestr(f"{top}/data/planted.txt", b"planted")

    out.append(Mutation("zip", "member added", added))
    return out


def flip_file(offset: int, mask: int) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        data = bytearray(path.read_bytes())
        data[offset] ^= mask
        path.write_bytes(bytes(data))

    return apply


def checker_catches(root: Path) -> bool:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            return bool(check_custody.check(root))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return True


def package_passes(path: Path) -> bool:
    """What ``cybercase verify PACKAGE`` says (a refusal to read it is not a pass)."""
    try:
        return verify_package(path).ok
    except CybercaseError:
        return False


def documented() -> set[str]:
    text = DOCS.read_text(encoding="utf-8")
    return {name for name in UNDETECTABLE if f"`{name}`" in text}


def run(
    mutations: list[Mutation], source: Path, work: Path, detect: Callable[[Path], list[str]]
) -> list[str]:
    """Apply each mutation to a fresh copy; return the undetected ones not documented."""
    listed = documented()
    missed: list[str] = []
    for mutation in mutations:
        target = work / "copy"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir()
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copyfile(source, target)
        try:
            mutation.apply(target)
        except (ValueError, IndexError, StopIteration):
            continue  # not applicable to this file (e.g. no such text to change)
        problems = detect(target)
        if problems:
            missed.append(f"{mutation.category}: {mutation.name}: {'; '.join(problems)}")
            if mutation.allowed is not None and mutation.allowed in listed:
                missed.pop()
    return missed


def test_every_mutation_of_a_live_case_is_caught(pristine: Pristine, tmp_path: Path) -> None:
    assert documented() == set(UNDETECTABLE), "docs/verify.md must list every allowed exception"
    baseline = verify_case(pristine.case)
    assert baseline.ok, [f.line() for f in baseline.findings]
    mutations = live_mutations(pristine, random.Random(SEED))
    assert len(mutations) > 90

    def detect(root: Path) -> list[str]:
        return [] if not verify_case(root).ok else ["verify passed"]

    missed = run(mutations, pristine.case, tmp_path / "work", detect)
    assert not missed, "\n".join(missed)


def test_every_mutation_of_a_package_is_caught(pristine: Pristine, tmp_path: Path) -> None:
    baseline = verify_package(pristine.package)
    assert baseline.ok, [f.line() for f in baseline.findings]
    assert not checker_catches(pristine.package)
    mutations = package_mutations(pristine, random.Random(SEED))
    assert len(mutations) > 100

    def detect(root: Path) -> list[str]:
        found = []
        if package_passes(root):
            found.append("verify passed")
        if not checker_catches(root):
            found.append("check_custody.py passed")
        return found

    missed = run(mutations, pristine.package, tmp_path / "work", detect)
    assert not missed, "\n".join(missed)


def test_every_mutation_of_a_zipped_package_is_caught(pristine: Pristine, tmp_path: Path) -> None:
    assert verify_package(pristine.zipped).ok
    mutations = zip_mutations(pristine, random.Random(SEED))

    def detect(path: Path) -> list[str]:
        renamed = path.with_suffix(".zip")
        os.replace(path, renamed)
        return ["verify passed"] if package_passes(renamed) else []

    missed = run(mutations, pristine.zipped, tmp_path / "work", detect)
    assert not missed, "\n".join(missed)
