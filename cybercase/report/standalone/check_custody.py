#!/usr/bin/env python3
"""Check a cybercase export package's custody log without cybercase.

Needs only Python 3.9+ and the ``cryptography`` package (``pip install cryptography``).
Run it from anywhere::

    python3 data/4-custody/check_custody.py            # the package this script is in
    python3 check_custody.py /path/to/PACKAGE          # another package

What it checks, and how (the same rules cybercase applies):

* every line of ``data/4-custody/custody.jsonl`` is one JSON entry; its ``hash`` is
  ``sha256:`` + the SHA-256 of the entry without ``hash`` and ``sig``, written as RFC 8785
  canonical JSON (JCS); entries hold only strings, integers, booleans, null, lists and
  objects, for which JCS is: no whitespace, object members sorted by their names' UTF-16
  code units, strings escaped as JSON.stringify does (``"``, ``\\``, and control
  characters; everything else as UTF-8), integers in plain decimal;
* ``seq`` counts 1, 2, 3...; each ``prev`` is the ``hash`` of the entry before; the
  first entry is ``case.created`` with ``prev`` null;
* ``sig`` is an Ed25519 signature (hex) over the 32 bytes of the hash, by the key whose
  fingerprint (SHA-256 of the raw 32-byte public key) is ``actor.key``; that key must
  have been registered before, by ``case.created`` or a ``custodian.added`` entry;
* ``export.json`` is signed (``export.sig``: Ed25519 over the SHA-256 of its bytes) by a
  registered key, and the log ends exactly at the entry it names (nothing cut off);
* ``data/case.json`` has the SHA-256 the ``case.created`` entry recorded;
* every artifact the log names (``detail.artifacts``) is listed in
  ``data/3-preservation/hashes.csv`` and the listed file has that SHA-256, except the
  artifacts of items ``export.json`` says were left out of the package.

Exit status: 0 all checks passed; 1 a problem was found; 2 the package cannot be read.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - the message is the point
    sys.stderr.write("this check needs the 'cryptography' package: pip install cryptography\n")
    sys.exit(2)


def jcs(value: Any) -> str:
    """RFC 8785 canonical JSON for strings, integers, booleans, null, lists and objects."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
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


def registered_key(detail: Any) -> bytes | None:
    """The raw public key a case.created / custodian.added entry registers."""
    try:
        raw = base64.b64decode(detail["custodian"]["public_key"], validate=True)
    except (KeyError, TypeError, ValueError):
        return None
    return raw if len(raw) == 32 else None


def check(package: Path) -> list[str]:
    """Every problem found in the package, one line each (empty: all good)."""
    problems: list[str] = []
    data = package / "data"
    log_path = data / "4-custody" / "custody.jsonl"
    keys: dict[str, bytes] = {}
    entries: list[dict[str, Any]] = []
    prev_hash: str | None = None
    lines = log_path.read_bytes().split(b"\n")
    if lines[-1] != b"":
        problems.append("custody.jsonl: the last line is incomplete")
    for number, line in enumerate(lines[:-1], start=1):
        where = f"custody.jsonl line {number}"
        try:
            entry = json.loads(line.decode("utf-8"), parse_float=no_floats)
            unsigned = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
            computed = "sha256:" + hashlib.sha256(jcs(unsigned).encode("utf-8")).hexdigest()
            seq, action, actor = entry["seq"], entry["action"], entry["actor"]["key"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{where}: not a readable entry ({exc})")
            prev_hash = None
            continue
        entries.append(entry)
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
            problems.append(f"{where}: signed by an unregistered key {actor[:16]}")
        elif not signature_ok(public, str(entry.get("sig", "")), bytes.fromhex(hash_hex or "00")):
            problems.append(f"{where}: the signature is not valid")
        elif action in ("case.created", "custodian.added"):
            raw = registered_key(entry.get("detail"))
            if raw is not None:
                keys.setdefault(hashlib.sha256(raw).hexdigest(), raw)
        prev_hash = entry.get("hash")
    if not entries:
        return [*problems, "custody.jsonl holds no entry"]

    statement_path = data / "4-custody" / "export.json"
    statement_bytes = statement_path.read_bytes()
    statement = json.loads(statement_bytes)
    signer_key = keys.get(str(statement["exporter"]["key"]))
    signature = (data / "4-custody" / "export.sig").read_text(encoding="ascii").strip()
    if signer_key is None:
        problems.append("export.json: signed by a key the log does not register")
    elif not signature_ok(signer_key, signature, hashlib.sha256(statement_bytes).digest()):
        problems.append("export.sig: not a valid signature of export.json")
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
    with (data / "3-preservation" / "hashes.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            listed.setdefault("sha256:" + row["sha256"], []).append(row["path"])
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
                target = package / rel
                if ".." in Path(rel).parts or not target.is_file():
                    problems.append(f"{where}: {rel} is missing")
                elif "sha256:" + sha256_file(target) != digest:
                    problems.append(f"{where}: {rel} changed (hash differs from the log)")
    return problems


def main(argv: list[str]) -> int:
    """Check the package named on the command line, or the one holding this script."""
    package = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2]
    try:
        problems = check(package)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot check {package}: {exc}", file=sys.stderr)
        return 2
    for line in problems:
        print(f"PROBLEM: {line}")
    if problems:
        print(f"FAILED: {len(problems)} problem(s) found.")
        return 1
    print(f"PASSED: custody log, signatures, export statement and artifacts of {package}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
