#!/usr/bin/env python3
"""Check a cybercase export package's custody log without cybercase.

Needs only Python 3.9+ and the ``cryptography`` package (``pip install cryptography``).
Run it from anywhere::

    python3 data/4-custody/check_custody.py            # the package this script is in
    python3 check_custody.py /path/to/PACKAGE          # another package

Before running it, check that it is the checker the exporter signed: its SHA-256
(``sha256sum data/4-custody/check_custody.py``) must equal ``checker`` in
``data/4-custody/export.json`` (see VERIFY.txt for checking that file's signature).

What it checks, and how (the same rules cybercase applies):

* nothing in the package is a symbolic link or a special file (checked with ``lstat``
  before any file is opened), and no path it reads leaves the package;
* every file of the package is listed in ``manifest-sha256.txt`` (under ``data/``) or
  ``tagmanifest-sha256.txt`` (at the top) with its SHA-256, except the tag manifest and
  its signature ``tagmanifest-sha256.txt.sig``, which is Ed25519 by the exporter's key
  over the SHA-256 of the tag manifest: so no file can change without the key;
* every line of ``data/4-custody/custody.jsonl`` is one JSON entry; its ``hash`` is
  ``sha256:`` + the SHA-256 of the entry without ``hash`` and ``sig``, written as RFC 8785
  canonical JSON (JCS); entries hold only strings, integers, booleans, null, lists and
  objects, for which JCS is: no whitespace, object members sorted by their names' UTF-16
  code units, strings escaped as JSON.stringify does (``"``, ``\\``, and control
  characters; everything else as UTF-8), integers in plain decimal; and the line's bytes
  must be exactly that canonical JSON (no duplicate keys, no other spacing or escapes);
* ``seq`` counts 1, 2, 3...; each ``prev`` is the ``hash`` of the entry before; the
  first entry is ``case.created`` with ``prev`` null;
* ``sig`` is an Ed25519 signature (hex) over the 32 bytes of the hash, by the key whose
  fingerprint (SHA-256 of the raw 32-byte public key) is ``actor.key``; that key must
  have been registered before, by ``case.created`` or a ``custodian.added`` entry;
* ``export.json`` is signed (``export.sig``: Ed25519 over the SHA-256 of its bytes) by a
  registered key, and the log ends exactly at the entry it names (nothing cut off);
* ``data/case.json`` has the SHA-256 the ``case.created`` entry recorded;
* every artifact the log names (``detail.artifacts``) is listed in
  ``data/3-preservation/hashes.csv`` and every listed file is there with that SHA-256,
  except the artifacts of items ``export.json`` says were left out of the package.

It prints the key the case is rooted in (the key that signed ``case.created``);
``--trust FINGERPRINT`` (repeatable) makes any other root a problem.

Exit status: 0 all checks passed; 1 a problem was found; 2 the package cannot be read.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - the message is the point
    sys.stderr.write("this check needs the 'cryptography' package: pip install cryptography\n")
    sys.exit(2)


MAX_LINE = 16 * 1024 * 1024
MAX_DEPTH = 32
MAX_SAFE_INT = 2**53 - 1
TAG_SIGNATURE = "tagmanifest-sha256.txt.sig"


def jcs(value: Any) -> str:
    """RFC 8785 canonical JSON for strings, integers, booleans, null, lists and objects."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise ValueError(f"integer {value} is beyond what JSON numbers hold exactly")
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(jcs(k) + ":" + jcs(v) for k, v in members) + "}"
    raise ValueError(f"unsupported JSON value in an entry: {value!r}")


def no_floats(text: str) -> Any:
    """Entries never contain fractional numbers; one means the line was altered."""
    raise ValueError(f"unexpected number {text}")


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Two members with one name would let two readers see two different entries."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def depth(value: Any) -> int:
    """Nesting depth, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            inner = item.values() if isinstance(item, dict) else item
            stack.extend((v, level + 1) for v in inner)
    return deepest


def parse_line(line: bytes) -> Any:
    """One log line, which must be exactly the canonical JSON of its content."""
    if len(line) > MAX_LINE:
        raise ValueError(f"longer than {MAX_LINE} bytes")
    try:
        entry = json.loads(
            line.decode("utf-8"), parse_float=no_floats, object_pairs_hook=no_duplicates
        )
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if depth(entry) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if jcs(entry).encode("utf-8") != line:
        raise ValueError("not in canonical form (RFC 8785): the bytes were re-encoded")
    return entry


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def signature_ok(public_raw: bytes, signature_hex: str, message: bytes) -> bool:
    """Whether a hex Ed25519 signature of ``message`` by this raw key is valid."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def exact_signature(data: bytes) -> str:
    """A signature file's hex, only when written exactly as exported (lowercase, one newline)."""
    text = data.decode("ascii", "replace")
    body = text[:-1]
    if (
        not text.endswith("\n")
        or len(body) != 128
        or any(c not in "0123456789abcdef" for c in body)
    ):
        return ""
    return body


def registered_key(detail: Any) -> bytes | None:
    """The raw public key a case.created / custodian.added entry registers."""
    try:
        raw = base64.b64decode(detail["custodian"]["public_key"], validate=True)
    except (KeyError, TypeError, ValueError):
        return None
    return raw if len(raw) == 32 else None


def inventory(package: Path) -> tuple[set[str], list[str]]:
    """Every plain file of the package (relative, with /), and every link or special file."""
    files: set[str] = set()
    unsafe: list[str] = []
    for folder, dirs, names in os.walk(package, followlinks=False):
        for name in sorted(dirs + names):
            path = Path(folder) / name
            relative = path.relative_to(package).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                unsafe.append(f"{relative}: a symbolic link (not followed)")
            elif stat.S_ISREG(mode):
                files.add(relative)
            elif not stat.S_ISDIR(mode):
                unsafe.append(f"{relative}: not a plain file (not opened)")
    return files, unsafe


def safe_relative(relative: str) -> bool:
    """A path that stays inside the package: relative, no '..', no backslash or drive."""
    parts = relative.split("/")
    return (
        bool(relative)
        and not relative.startswith("/")
        and "\\" not in relative
        and all(part not in ("", ".", "..") and ":" not in part for part in parts)
    )


def read_manifest(package: Path, name: str, files: set[str], problems: list[str]) -> dict[str, str]:
    """A BagIt manifest's lines (path -> sha256), refusing unsafe or malformed lines."""
    listed: dict[str, str] = {}
    if name not in files:
        problems.append(f"{name} is missing")
        return listed
    for number, line in enumerate((package / name).read_bytes().split(b"\n")[:-1], start=1):
        text = line.decode("utf-8", "replace")
        digest, rest = text[:64], text[64:]
        relative = rest[2:] if rest.startswith((" *", "  ")) else rest[1:]
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            problems.append(f"{name} line {number}: malformed")
        elif not safe_relative(relative):
            problems.append(f"{name} line {number}: unsafe path {relative!r}")
        else:
            listed[relative] = digest
    return listed


def check_files(package: Path, files: set[str], problems: list[str]) -> bytes:
    """Both manifests against the files; returns the tag manifest's bytes."""
    payload = read_manifest(package, "manifest-sha256.txt", files, problems)
    tags = read_manifest(package, "tagmanifest-sha256.txt", files, problems)
    for relative in sorted(files):
        on_top = not relative.startswith("data/")
        if relative in ("tagmanifest-sha256.txt", TAG_SIGNATURE):
            continue
        expected = (tags if on_top else payload).get(relative)
        if expected is None:
            problems.append(f"{relative}: not listed in any manifest (added after export)")
        elif sha256_file(package / relative) != expected:
            problems.append(f"{relative}: changed (hash differs from the manifest)")
    for relative in sorted(set(payload) | set(tags)):
        if relative not in files:
            problems.append(f"{relative}: listed in a manifest but missing")
    if "tagmanifest-sha256.txt" in files:
        return (package / "tagmanifest-sha256.txt").read_bytes()
    return b""


def check(
    package: Path, trusted: list[str] | None = None, notes: list[str] | None = None
) -> list[str]:
    """Every problem found in the package, one line each (empty: all good).

    ``notes`` receives what a reader should know either way (the key the case is rooted in).
    """
    notes = [] if notes is None else notes
    files, unsafe = inventory(package)
    if unsafe:
        return [*unsafe, "the package was not read any further"]
    problems: list[str] = []
    tag_manifest = check_files(package, files, problems)
    data = package / "data"
    log_name = "data/4-custody/custody.jsonl"
    if log_name not in files:
        return [*problems, "custody.jsonl is missing"]
    keys: dict[str, bytes] = {}
    entries: list[dict[str, Any]] = []
    prev_hash: str | None = None
    lines = (package / log_name).read_bytes().split(b"\n")
    if lines[-1] != b"":
        problems.append("custody.jsonl: the last line is incomplete")
    for number, line in enumerate(lines[:-1], start=1):
        where = f"custody.jsonl line {number}"
        try:
            entry = parse_line(line)
            unsigned = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
            computed = "sha256:" + hashlib.sha256(jcs(unsigned).encode("utf-8")).hexdigest()
            seq, action, actor = entry["seq"], entry["action"], entry["actor"]["key"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{where}: not a readable entry ({exc})")
            prev_hash = None
            continue
        entries.append(entry)
        sig_text = str(entry.get("sig", ""))
        if len(sig_text) != 128 or any(c not in "0123456789abcdef" for c in sig_text):
            problems.append(f"{where}: sig is not 128 lowercase hex digits")
        if seq != number:
            problems.append(f"{where}: seq {seq} where {number} was expected")
        if computed != entry.get("hash"):
            problems.append(f"{where}: content does not match its hash (altered)")
        if number == 1 and (action != "case.created" or entry.get("prev") is not None):
            problems.append(f"{where}: the log does not start with case.created")
        if number > 1 and entry.get("prev") != prev_hash:
            problems.append(f"{where}: prev is not the hash of the entry before (chain broken)")
        public = keys.get(actor)
        if public is None and number == 1:
            candidate = registered_key(entry.get("detail"))
            if candidate is not None and hashlib.sha256(candidate).hexdigest() == actor:
                public = candidate
        hash_hex = str(entry.get("hash", "")).removeprefix("sha256:")
        if public is None:
            problems.append(f"{where}: signed by an unregistered key {str(actor)[:16]}")
        elif not signature_ok(public, str(entry.get("sig", "")), bytes.fromhex(hash_hex or "00")):
            problems.append(f"{where}: the signature is not valid")
        elif action in ("case.created", "custodian.added"):
            raw = registered_key(entry.get("detail"))
            if raw is not None:
                keys.setdefault(hashlib.sha256(raw).hexdigest(), raw)
        prev_hash = entry.get("hash")
    if not entries:
        return [*problems, "custody.jsonl holds no entry"]
    root = str(entries[0]["actor"]["key"])
    notes.append(f"The case is rooted in key {root} ({entries[0]['actor'].get('name')}).")
    wanted = [t.lower().replace(":", "").removeprefix("sha256:") for t in trusted or []]
    if wanted and not any(root == w or (len(w) >= 16 and root.startswith(w)) for w in wanted):
        problems.append(f"the case is rooted in key {root}, which is not a trusted key")

    for name in ("data/4-custody/export.json", "data/4-custody/export.sig", "data/case.json"):
        if name not in files:
            return [*problems, f"{name} is missing"]
    statement_bytes = (data / "4-custody" / "export.json").read_bytes()
    statement = json.loads(statement_bytes, object_pairs_hook=no_duplicates)
    signer_key = keys.get(str(statement["exporter"]["key"]))
    signature = exact_signature((data / "4-custody" / "export.sig").read_bytes())
    if signer_key is None:
        problems.append("export.json: signed by a key the log does not register")
    elif not signature_ok(signer_key, signature, hashlib.sha256(statement_bytes).digest()):
        problems.append("export.sig: not a valid signature of export.json")
    elif statement.get("format") != "cybercase-export/1":
        tag_signature = ""
        if TAG_SIGNATURE in files:
            tag_signature = exact_signature((package / TAG_SIGNATURE).read_bytes())
        if not signature_ok(signer_key, tag_signature, hashlib.sha256(tag_manifest).digest()):
            problems.append(f"{TAG_SIGNATURE}: not a valid signature of the tag manifest")
        checker = "data/4-custody/check_custody.py"
        if checker not in files or "sha256:" + sha256_file(package / checker) != statement.get(
            "checker"
        ):
            problems.append(f"{checker}: not the checker export.json names")
    last = entries[-1]
    if statement["log"]["seq"] != last["seq"] or statement["log"]["hash"] != last["hash"]:
        problems.append(
            f"custody.jsonl ends at seq {last['seq']}, but the export was made at seq "
            f"{statement['log']['seq']}: entries are missing or different"
        )
    created = entries[0].get("detail", {}).get("case_json")
    if "sha256:" + sha256_file(data / "case.json") != created:
        problems.append("case.json: its hash differs from the one recorded at creation")

    listed: dict[str, list[str]] = {}
    hashes = "data/3-preservation/hashes.csv"
    if hashes not in files:
        return [*problems, f"{hashes} is missing"]
    with (package / hashes).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rel = row["path"]
            if not rel.startswith("data/") or not safe_relative(rel):
                problems.append(f"hashes.csv: unsafe path {rel!r} (not opened)")
                continue
            listed.setdefault("sha256:" + row["sha256"], []).append(rel)
    excluded = set(statement.get("excluded", []))
    for entry in entries:
        items = set(entry.get("items", []))
        if items and items <= excluded:
            continue
        for artifact in entry.get("detail", {}).get("artifacts", []) or []:
            digest = str(artifact.get("digest"))
            paths = listed.get(digest)
            where = f"seq {entry['seq']} {artifact.get('name')}"
            if not paths:
                problems.append(f"{where}: not in the package ({digest})")
                continue
            for rel in paths:
                if rel not in files:
                    problems.append(f"{where}: {rel} is missing")
                elif "sha256:" + sha256_file(package / rel) != digest:
                    problems.append(f"{where}: {rel} changed (hash differs from the log)")
    return problems


def main(argv: list[str]) -> int:
    """Check the package named on the command line, or the one holding this script."""
    args = argv[1:]
    trusted: list[str] = []
    while "--trust" in args:
        at = args.index("--trust")
        if at + 1 >= len(args):
            print("--trust needs a key fingerprint", file=sys.stderr)
            return 2
        trusted.append(args[at + 1])
        del args[at : at + 2]
    package = Path(args[0]) if args else Path(__file__).resolve().parents[2]
    try:
        notes: list[str] = []
        problems = check(package.resolve(), trusted, notes)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        print(f"cannot check {package}: {exc}", file=sys.stderr)
        return 2
    for line in problems:
        print(f"PROBLEM: {line}")
    if problems:
        print(f"FAILED: {len(problems)} problem(s) found.")
        for line in notes:
            print(line)
        return 1
    print(f"PASSED: custody log, signatures, export statement and artifacts of {package}.")
    for line in notes:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
