"""The investigator's secrets reach no byte of the case or of an export (issue 22, 10-12).

A password in the URL and an API key given with ``-H`` are used for real (the server
refuses without them), through the CLI, with and without the browser; then every byte of
the case and of an exported package (folder and zip, gzip members, PDF streams, MHTML's
quoted-printable) is searched for them.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import quopri
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cybercase.evidence.keys.redaction import load_redaction_key
from cybercase.settings import user_home
from tests.conftest import CliResult
from tests.fixtures.servers import PAGE_HTML, PHOTO, LocalServer, send

Cli = Callable[..., CliResult]

USER = "agent-okafor-x7"
PASSWORD = "S3cretPw-9f1q"
API_KEY = "key-77aa-6b0d-secret"
LANGUAGE = "fr-CA-safe-to-keep"
COOKIE = "sess-5d1e-cookie-secret"
NEEDLES = {
    "cookie": COOKIE.encode(),
    "password": PASSWORD.encode(),
    "user": USER.encode(),
    "api key": API_KEY.encode(),
    "basic credentials": base64.b64encode(f"{USER}:{PASSWORD}".encode()),
}
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)


def _expanded(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """The bytes of a file, and every decoded form a secret could hide in."""
    yield name, data
    if depth > 3:
        return
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError, zlib.error):
            yield from _expanded(name + "!gunzip", gzip.decompress(data), depth + 1)
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from _expanded(f"{name}!{member}", archive.read(member), depth + 1)
    if data[:5] == b"%PDF-":
        for number, match in enumerate(_STREAM.finditer(data)):
            try:
                yield f"{name}!stream{number}", zlib.decompressobj().decompress(match.group(1))
            except zlib.error:
                continue
    if b"quoted-printable" in data[:4096].lower():
        yield name + "!qp", quopri.decodestring(data)


def leaks(root: Path) -> list[str]:
    """``where: what`` for every secret found under ``root``."""
    found: list[str] = []
    files = [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else [root]
    for path in files:
        for where, data in _expanded(str(path.relative_to(root.parent)), path.read_bytes()):
            found.extend(f"{where}: {what}" for what, needle in NEEDLES.items() if needle in data)
    return found


def _private(server: LocalServer) -> None:
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def allowed(h: BaseHTTPRequestHandler) -> bool:
        if h.headers.get("Authorization") == expected and h.headers.get("X-Api-Key") == API_KEY:
            return True
        send(h, 401, b"login first", {"WWW-Authenticate": 'Basic realm="shop"'})
        return False

    def page(h: BaseHTTPRequestHandler) -> None:
        if allowed(h):
            body = PAGE_HTML.replace(b"/photo.jpg", b"/private/photo.jpg")
            send(h, 200, body, {"Content-Type": "text/html; charset=utf-8"})

    def photo(h: BaseHTTPRequestHandler) -> None:
        if allowed(h):
            send(h, 200, PHOTO, {"Content-Type": "image/jpeg"})

    server.route("/private/listing", page)
    server.route("/private/photo.jpg", photo)


def test_url_password_and_header_values_reach_no_byte_of_case_or_export(
    cli: Cli, tmp_path: Path, http_server: LocalServer, browser_path: Path
) -> None:
    _private(http_server)
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "case"
    assert cli("init", folder, "--id", "WL-9", "--title", "t", "--agency", "a").code == 0
    secret_url = http_server.url("/private/listing").replace(
        "http://", f"http://{USER}:{PASSWORD}@"
    )
    common = ["-C", folder, "--retries", "0", "-H", f"X-Api-Key: {API_KEY}"]
    common += ["-H", f"Accept-Language: {LANGUAGE}", "--keep-header", "Accept-Language"]
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\t{COOKIE}\n"
    )
    common += ["--cookies", str(cookies)]
    outputs: list[str] = []
    for browser in (["--no-browser"], ["--browser", str(browser_path)]):
        result = cli("capture", *browser, *common, secret_url, "--json")
        assert result.code == 0, result.stderr
        outputs += [result.stdout, result.stderr]
        line: Any = next(map(json.loads, result.stdout.splitlines()))
        assert line["status"] == 200 and line["url"] == http_server.url("/private/listing")
    # The credentials and the key were really used, by the raw fetch and by the browser.
    served = [r for r in http_server.requests if r.path.startswith("/private/")]
    assert served and all(r.headers.get("X-Api-Key") == API_KEY for r in served)
    assert all(r.headers.get("Cookie") == f"session={COOKIE}" for r in served)
    assert any("Chrome" in r.headers.get("User-Agent", "") for r in served)

    records = [
        json.loads(p.read_bytes())
        for p in (folder / "objects").rglob("*")
        if p.is_file() and p.read_bytes()[:40].lstrip().startswith(b'{\n  "format": "cybercase-')
    ]
    assert len(records) == 2
    key = load_redaction_key(user_home(), create=False)
    for record in records:
        assert record["status"] == 200
        creds = record["url_credentials"]
        assert creds["status"] == "withheld" and creds["algorithm"] == "hmac-sha256"
        assert creds["digest"] == key.digest(f"{USER}:{PASSWORD}".encode())
        assert creds["key_id"] == key.key_id
        assert "Accept-Language" not in record["withheld_headers"]
        assert {"Authorization", "Cookie", "X-Api-Key"} <= set(record["withheld_headers"])
        assert record["settings"]["kept_header_names"] == ["Accept-Language"]
        x_api = next(r for r in record["redactions"] if r["header"] == "X-Api-Key")
        assert x_api["digest"] == key.digest(API_KEY.encode())
    browsed = next(r for r in records if r["stages"])
    assert browsed["stages"][0]["detail"]["status"] == 200
    # What the investigator marked safe is kept verbatim.
    objects = [p for p in (folder / "objects").rglob("*") if p.is_file()]
    warcs = [p for p in objects if p.read_bytes()[:2] == b"\x1f\x8b"]
    assert any(
        f"Accept-Language: {LANGUAGE}".encode() in gzip.decompress(p.read_bytes()) for p in warcs
    )

    log = cli("log", "-C", folder, "--json")
    acquired = [e for e in log.json() if e["action"] == "item.acquired"]  # type: ignore[union-attr]
    assert {e["detail"]["url_credentials"] for e in acquired} == {"withheld"}

    out = tmp_path / "exports"
    exported = cli("export", "-C", folder, "--out", out, "--json")
    assert exported.code == 0, exported.stderr
    zipped = cli("export", "-C", folder, "--out", out, "--zip", "--no-pdf", "--json")
    assert zipped.code == 0, zipped.stderr
    assert any(p.suffix == ".zip" for p in out.iterdir())
    assert cli("verify", "-C", folder).code == 0

    assert leaks(folder) == []
    assert leaks(out) == []
    assert not [o for o in outputs if any(n.decode() in o for n in NEEDLES.values())]


def test_check_secret_confirms_only_the_withheld_value(
    cli: Cli, monkeypatch: Any, tmp_path: Path
) -> None:
    import sys

    key = load_redaction_key(user_home())
    recorded = f"[redacted by cybercase: {key.digest(API_KEY.encode())} key {key.key_id}]"

    def check(value: str, *args: str) -> CliResult:
        monkeypatch.setattr(sys, "stdin", io.StringIO(value + "\n"))
        return cli("key", "check-secret", *args)

    good = check(API_KEY, recorded, "--json")
    assert good.code == 0 and good.json() == {
        "result": "match",
        "matches": True,
        "algorithm": "hmac-sha256",
        "key_id": key.key_id,
        "local_key_id": key.key_id,
    }
    assert check("key-77aa-6b0d-guess", key.digest(API_KEY.encode())).code == 1
    other = check(API_KEY, recorded.replace(key.key_id, "rk-0000000000000000"))
    assert other.code == 1 and "another key" not in other.stderr and "cannot tell" in other.stderr
    # Records made before keyed hashing carry a plain SHA-256; they still check.
    legacy = "sha256:" + hashlib.sha256(API_KEY.encode()).hexdigest()
    assert check(API_KEY, legacy).code == 0
    assert check(API_KEY, "not a hash").code == 2


def test_the_search_finds_a_secret_hidden_in_a_zipped_gzip_and_a_pdf_stream(
    tmp_path: Path,
) -> None:
    root = tmp_path / "planted"
    root.mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "pkg/capture.warc.gz", gzip.compress(b"Authorization: " + PASSWORD.encode())
        )
    (root / "export.zip").write_bytes(buffer.getvalue())
    stream = zlib.compress(API_KEY.encode())
    (root / "page.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\nstream\n" + stream + b"\nendstream\n")
    assert sorted(leaks(root)) == [
        "planted/export.zip!pkg/capture.warc.gz!gunzip: password",
        "planted/page.pdf!stream0: api key",
    ]
