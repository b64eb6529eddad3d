"""WACZ export: `wacz validate`, `cybercase verify FILE.wacz`, tampering, the docs' script, replay.

The WACZs are written from the rich case (real captures, real test TSA). Replay is checked
in ReplayWeb.page 2.5.3 (its static files from its npm tarball, as the README's test
command fetches them) served on 127.0.0.1, in real headless Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.digest import Digest
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.report import export_case, verify_package
from cybercase.report.wacz.index import surt
from cybercase.report.wacz.sign import public_key_b64, sign_hash, signature_ok, signing_key
from cybercase.report.wacz.verify import verify_wacz
from cybercase.report.wacz.write import export_wacz
from tests.conftest import Cli
from tests.fixtures.report import RichIds

REPO = Path(__file__).resolve().parents[3]
RWP = REPO / "tests" / ".node" / "package"
DOCS = REPO / "docs" / "replay.md"
VENV_BIN = Path(sys.executable).parent
LISTING_TEXT = "Carved tusk, 4 kg"


@pytest.fixture
def package(rich_case: Case, signer: Signer, tmp_path: Path, tsa_config: TsaSettings) -> Path:
    """An exported package whose WACZ carries a trusted timestamp."""
    return export_case(rich_case, signer, tmp_path / "out", pdf=False, tsa=tsa_config).path


def package_wacz(package: Path) -> Path:
    found = sorted((package / "data" / "replay").glob("*.wacz"))
    assert len(found) == 1
    return found[0]


def wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "wacz"), "validate", "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_key_is_p384_derived_from_the_investigator_key(signer: Signer) -> None:
    key = signing_key(signer)
    assert key.curve.name == "secp384r1"
    assert public_key_b64(signing_key(signer)) == public_key_b64(key)
    other = Signer.ephemeral("Someone else")
    assert public_key_b64(signing_key(other)) != public_key_b64(key)
    text = "sha256:" + "ab" * 32
    signature = sign_hash(key, text)
    assert len(base64.b64decode(signature)) == 96
    assert signature_ok(public_key_b64(key), signature, text)
    assert not signature_ok(public_key_b64(key), signature, text.replace("ab", "ac", 1))
    assert not signature_ok(public_key_b64(signing_key(other)), signature, text)


_KEY = signing_key(Signer.ephemeral("Property"))


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=95), st.integers(1, 255))
def test_signatures_verify_and_any_changed_byte_breaks_them(
    data: bytes, spot: int, mask: int
) -> None:
    text = "sha256:" + hashlib.sha256(data).hexdigest()
    signature = sign_hash(_KEY, text)
    public = public_key_b64(_KEY)
    assert signature_ok(public, signature, text)
    raw = bytearray(base64.b64decode(signature))
    raw[spot] ^= mask
    assert not signature_ok(public, base64.b64encode(bytes(raw)).decode(), text)


@settings(deadline=None)
@given(
    st.sampled_from(["http", "https"]),
    st.lists(st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True), min_size=2, max_size=4),
    st.from_regex(r"(/[a-zA-Z0-9._-]{0,8}){0,3}", fullmatch=True),
)
def test_surt_reverses_the_host_and_keeps_the_path(
    scheme: str, labels: list[str], path: str
) -> None:
    url = f"{scheme}://{'.'.join(labels).upper()}{path}"
    key = surt(url)
    host, _, rest = key.partition(")")
    kept = labels[1:] if labels[0] == "www" else labels
    assert host == ",".join(reversed(kept))
    assert rest == (path or "/").lower()
    assert surt(f"{scheme}://127.0.0.1:8080/a") == "127.0.0.1:8080)/a"


def test_every_wacz_passes_wacz_validate_and_verify(
    package: Path, rich_case: Case, signer: Signer, rich_ids: RichIds, tmp_path: Path, cli: Cli
) -> None:
    inside = package_wacz(package)
    whole = export_wacz(rich_case, signer, tmp_path / "alone")
    chosen = export_wacz(rich_case, signer, tmp_path / "alone", items=[rich_ids.capture])
    assert chosen.items == [rich_ids.capture]
    assert whole.path != chosen.path
    for path in (inside, whole.path, chosen.path):
        done = wacz_validate(path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Validation succeeded" in done.stdout
    report = verify_wacz(inside)
    assert report.ok, [f.line() for f in report.findings]
    checks = {c.name: c.status for c in report.checks}
    assert checks == {
        "zip": "passed",
        "files": "passed",
        "signature": "passed",
        "timestamp": "passed",
    }
    shown = cli("verify", inside, "--json")
    assert shown.code == 0, shown.stdout + shown.stderr
    assert shown.json()["result"] == "passed"  # type: ignore[index]
    entry = [e for e in rich_case.entries() if e.action == "case.exported"][-1]
    assert entry.detail["format"] == "wacz"
    assert entry.detail["wacz"] == str(chosen.digest)
    assert entry.detail["wacz_public_key"] == public_key_b64(signing_key(signer))


def test_wacz_holds_the_logged_warcs_pages_and_screenshots(
    package: Path, rich_case: Case, rich_ids: RichIds
) -> None:
    from warcio.archiveiterator import ArchiveIterator

    with zipfile.ZipFile(package_wacz(package)) as wacz:
        names = wacz.namelist()
        package_json = json.loads(wacz.read("datapackage.json"))
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        views = wacz.read("archive/cybercase-views.warc.gz")
        assert all(
            wacz.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names if ".warc" in n
        )
        warc = wacz.read(f"archive/{rich_ids.capture}.warc.gz")
    assert package_json["wacz_version"] == "1.1.1"
    listed = {r["path"] for r in package_json["resources"]}
    assert listed == set(names) - {"datapackage.json", "datapackage-digest.json"}
    view = rich_case.state.items[rich_ids.capture]
    logged = {a.role: a.digest for a in view.artifacts}
    assert "sha256:" + hashlib.sha256(warc).hexdigest() == logged["warc"]
    assert pages[0]["format"] == "json-pages-1.0"
    capture = next(p for p in pages[1:] if p["id"] == f"{rich_ids.capture}-capture")
    assert capture["title"].startswith(f"{rich_ids.capture}: ")
    assert capture["ts"].endswith("Z")
    records = [r for r in ArchiveIterator(io.BytesIO(views)) if r.rec_type == "resource"]
    shot = next(
        r for r in records if r.rec_headers.get_header("Cybercase-Item") == rich_ids.capture
    )
    assert shot.rec_headers.get_header("WARC-Block-Digest") == logged["screenshot"]
    assert shot.rec_headers.get_header("WARC-Target-URI").startswith(
        "http://screenshots.cybercase.invalid/"
    )


@pytest.mark.parametrize("chunk", [7, 64, 1024 * 1024])
def test_the_fast_indexer_reads_records_as_warcio_does(
    rich_case: Case, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    from cybercase.report.wacz import index as module

    monkeypatch.setattr(module, "_CHUNK", chunk)
    warcs = [
        rich_case.store.path_for(Digest.parse(a.digest))
        for view in rich_case.state.items.values()
        for a in view.artifacts
        if a.role == "warc"
    ]
    assert len(warcs) >= 3
    for path in warcs:
        expected = list(module._warcio_records(path))
        assert len(expected) >= 3
        assert list(module._gzip_records(path)) == expected


def test_a_cut_gzip_member_is_an_error(rich_case: Case, tmp_path: Path) -> None:
    from cybercase.errors import StorageError
    from cybercase.report.wacz import index as module

    view = next(
        v for v in rich_case.state.items.values() if any(a.role == "warc" for a in v.artifacts)
    )
    source = rich_case.store.path_for(
        Digest.parse(next(a.digest for a in view.artifacts if a.role == "warc"))
    )
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(source.read_bytes()[:-5])
    with pytest.raises(StorageError):
        list(module._gzip_records(cut))


def _flip(source: Path, member: str, target: Path) -> None:
    """A copy of the WACZ with one byte of one file flipped (the zip itself stays sound)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == member:
                spot = len(data) // 2
                data = data[:spot] + bytes([data[spot] ^ 0x01]) + data[spot + 1 :]
            new.writestr(info, data)


def test_a_flipped_byte_in_any_file_fails_verify_and_names_it(
    package: Path, tmp_path: Path, cli: Cli
) -> None:
    source = package_wacz(package)
    with zipfile.ZipFile(source) as wacz:
        members = wacz.namelist()
    assert len(members) >= 6
    for number, member in enumerate(members):
        broken = tmp_path / f"broken-{number}.wacz"
        _flip(source, member, broken)
        result = cli("verify", broken, "--json")
        assert result.code == 1, member
        report = result.json()
        assert report["result"] == "failed"  # type: ignore[index]
        named = {f["where"].split(" ")[0] for f in report["findings"] if f["severity"] == "error"}  # type: ignore[index]
        assert member in named, (member, report["findings"])  # type: ignore[index]


def test_a_domain_signed_wacz_is_reported_as_not_checked(package: Path, tmp_path: Path) -> None:
    source = package_wacz(package)
    target = tmp_path / "domain.wacz"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "datapackage-digest.json":
                digest = json.loads(data)
                signed = digest["signedData"]
                digest["signedData"] = {
                    "hash": signed["hash"],
                    "created": signed["created"],
                    "signature": signed["signature"],
                    "domain": "signer.example",
                    "domainCert": "-----BEGIN CERTIFICATE-----\n...",
                }
                data = (json.dumps(digest, indent=2) + "\n").encode()
            new.writestr(info, data)
    report = verify_wacz(target)
    assert report.ok
    assert [f.code for f in report.warnings][:1] == ["wacz.domain-signed"]


def docs_script() -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- check_wacz_signature.py -->\n```python\n(.*?)```", text, re.S)
    assert match, "the script is missing from docs/replay.md"
    return match.group(1)


def test_the_docs_script_checks_the_signature_with_cryptography_only(
    package: Path, tmp_path: Path
) -> None:
    script = tmp_path / "check_wacz_signature.py"
    script.write_text(docs_script(), encoding="utf-8")
    imports = set(re.findall(r"^(?:from|import) (\w+)", docs_script(), re.M))
    assert imports <= {"base64", "hashlib", "json", "sys", "zipfile", "cryptography"}
    good = subprocess.run(
        [sys.executable, str(script), str(package_wacz(package))],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("OK: signed by Amina Okafor")
    for member in ("datapackage.json", "archive/cybercase-views.warc.gz"):
        broken = tmp_path / "broken.wacz"
        _flip(package_wacz(package), member, broken)
        bad = subprocess.run(
            [sys.executable, str(script), str(broken)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert bad.returncode == 1, member
        assert "FAILED" in bad.stderr


def test_the_token_verifies_with_openssl_as_the_docs_say(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package_wacz(package)) as wacz:
        signed = json.loads(wacz.read("datapackage-digest.json"))["signedData"]
    (tmp_path / "wacz.tsr").write_bytes(base64.b64decode(signed["timeSignature"]))
    (tmp_path / "tsa.pem").write_text(signed["timestampCert"])
    (tmp_path / "signature.txt").write_text(signed["signature"])
    root = signed["timestampCert"].split("-----END CERTIFICATE-----\n")[-2]
    (tmp_path / "root.pem").write_text(root + "-----END CERTIFICATE-----\n")
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "signature.txt", "-in", "wacz.tsr",
         "-CAfile", "root.pem", "-untrusted", "tsa.pem"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verification: OK" in done.stdout


def test_export_wacz_on_the_command_line(
    rich_case: Case, rich_ids: RichIds, tmp_path: Path, tsa_config: TsaSettings, cli: Cli
) -> None:
    done = cli(
        "export", "--wacz", "-C", rich_case.root, "-o", tmp_path / "out",
        "--items", rich_ids.capture, "--json",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    data = done.json()
    assert isinstance(data, dict)
    assert data["wacz_timestamped"] is True
    assert data["wacz_items"] == [rich_ids.capture]
    path = Path(data["path"])
    assert path.suffix == ".wacz"
    assert wacz_validate(path).returncode == 0
    shown = cli("verify", path)
    assert shown.code == 0
    assert "PASSED" in shown.stdout + shown.stderr
    both = cli("export", "--wacz", "--zip", "-C", rich_case.root, "-o", tmp_path / "out")
    assert both.code == 2
    assert "--wacz and --zip" in both.stderr


def test_no_tsa_means_no_token_and_a_warning(
    rich_case: Case, signer: Signer, tmp_path: Path
) -> None:
    result = export_wacz(rich_case, signer, tmp_path / "out", tsa=TsaSettings())
    assert not result.timestamped
    assert any("no trusted timestamp" in n for n in result.notes)
    report = verify_wacz(result.path)
    assert report.ok
    assert {c.name: c.status for c in report.checks}["timestamp"] == "warning"
    assert wacz_validate(result.path).returncode == 0


def test_a_case_without_captures_has_no_wacz(case: Case, signer: Signer, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        export_wacz(case, signer, tmp_path / "out")
    package = export_case(case, signer, tmp_path / "pkg", pdf=False).path
    assert not (package / "data" / "replay").exists()


def test_verify_txt_and_index_point_to_the_wacz(package: Path) -> None:
    name = package_wacz(package).relative_to(package).as_posix()
    verify_txt = (package / "VERIFY.txt").read_text(encoding="utf-8")
    assert f"wacz validate -f {name}" in verify_txt
    assert "ReplayWeb.page" in verify_txt
    index = (package / "index.html").read_text(encoding="utf-8")
    assert f"replay/index.html?source=../{name}#view=pages" in index
    assert verify_package(package).ok  # the placeholder page is a tag file of the bag


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges (ReplayWeb.page reads a WACZ by range)."""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def send_head(self):  # type: ignore[no-untyped-def]
        spec = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not spec or not path.is_file():
            return super().send_head()
        match = re.match(r"bytes=(\d*)-(\d*)$", spec)
        size = path.stat().st_size
        if not match:
            self.send_error(416)
            return None
        start = int(match.group(1)) if match.group(1) else max(0, size - int(match.group(2)))
        end = int(match.group(2)) if match.group(1) and match.group(2) else size - 1
        end = min(end, size - 1)
        with path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(data)


@pytest.fixture
def served(package: Path, tmp_path: Path) -> Iterator[str]:
    """A viewing copy of the package, ReplayWeb.page's files in its ``replay/`` (as
    VERIFY.txt says: replacing the placeholder page), served on 127.0.0.1."""
    missing = [n for n in ("index.html", "ui.js", "sw.js") if not (RWP / n).is_file()]
    assert not missing, (
        "ReplayWeb.page's files are missing from tests/.node/package: run the README's test "
        "command (npm pack replaywebpage@2.5.3)"
    )
    placeholder = (package / "replay" / "index.html").read_text(encoding="utf-8")
    assert "ReplayWeb.page is not installed" in placeholder
    view = tmp_path / "viewing-copy"
    shutil.copytree(package, view)
    for name in ("index.html", "ui.js", "sw.js"):
        shutil.copyfile(RWP / name, view / "replay" / name)

    def handler(*args: object, **kwargs: object) -> _RangeHandler:
        return _RangeHandler(*args, directory=str(view), **kwargs)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_the_capture_replays_in_replaywebpage(
    served: str, package: Path, rich_ids: RichIds, browser_path: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    index = (package / "index.html").read_text(encoding="utf-8")
    row = re.search(
        rf'<a href="#{rich_ids.capture}">{rich_ids.capture}</a>(?:(?!</tr>).)*?'
        r'href="(replay/index.html[^"]+)"',
        index,
        re.S,
    )
    assert row, "the report does not link the capture to its replay"
    capture_link = html.unescape(row.group(1))
    shot_path = tmp_path / "replay.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(browser_path),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{served}/{capture_link}", wait_until="load", timeout=60_000)
            found: dict[str, object] = {}
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not found.get("image"):
                for frame in page.frames:
                    if "mp_/" not in frame.url:
                        continue
                    try:
                        state = frame.evaluate(
                            """() => ({
                                text: document.body ? document.body.innerText : "",
                                images: Array.from(document.images).map(
                                    i => [i.src, i.complete, i.naturalWidth]),
                            })"""
                        )
                    except Exception:  # noqa: BLE001 - the frame is navigating: look again
                        continue
                    if LISTING_TEXT in state["text"]:
                        found["text"] = frame.url
                        if any(
                            src.endswith("/report/tusk-a.jpg") and ok and width == 48
                            for src, ok, width in state["images"]
                        ):
                            found["image"] = state["images"]
                page.wait_for_timeout(500)
            page.screenshot(path=str(shot_path), full_page=True)
            verification = page.evaluate(VERIFICATION_JS)
        finally:
            browser.close()
    print(f"screenshot of the replay: {shot_path}")
    assert found.get("text"), f"the listing's text never appeared in the replay ({shot_path})"
    assert found.get("image"), f"the listing's image never loaded in the replay ({shot_path})"
    assert shot_path.stat().st_size > 10_000
    # ReplayWeb.page checked the signature itself (WebCrypto, ECDSA P-384) and accepted it.
    rows = {row["id"]: row for _, table in verification for row in table}
    assert rows["signature"]["matched"] is True, rows
    with zipfile.ZipFile(package_wacz(package)) as wacz:
        signed = json.loads(wacz.read("datapackage-digest.json"))["signedData"]
    assert rows["publicKey"]["expected"] == signed["publicKey"]


VERIFICATION_JS = """async () => {
    const found = [];
    for (const info of await indexedDB.databases()) {
        const db = await new Promise((ok, fail) => {
            const open = indexedDB.open(info.name);
            open.onsuccess = () => ok(open.result);
            open.onerror = fail;
        });
        if (!db.objectStoreNames.contains("verification")) continue;
        const rows = await new Promise((ok) => {
            const all = db.transaction("verification").objectStore("verification").getAll();
            all.onsuccess = () => ok(all.result);
        });
        found.push([info.name, rows]);
    }
    return found;
}"""
