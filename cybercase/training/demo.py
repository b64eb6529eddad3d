"""``cybercase demo``: the whole job, end to end, offline, in about a minute.

The demo needs nothing installed or configured beyond cybercase itself. Inside one new
folder it makes a demo investigator key (passphrase below: it protects nothing real),
starts the simulated marketplace and the project's test time-stamping authority on
127.0.0.1, creates a case, captures the listings, seller pages, a social profile and a
short link (with the browser's view when a browser is present), puts the listings under
watch and revisits them on "day 2" with a watch run, reporting what that run found
changed or gone (every line it prints comes from what was computed), drafts a preservation request
for a seller account, verifies the case, exports the package and verifies the package.

Everything the demo makes stays in its folder: the user's own keys and configuration are
never read or changed (the demo points ``CYBERCASE_HOME`` at its own ``home`` folder
while it runs, and puts it back afterwards).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from cybercase.errors import InvalidInputError, VerificationFailedError
from cybercase.evidence import Case, KeyRing, Signer
from cybercase.settings import ENV_CASE, ENV_CONFIG, ENV_HOME, ENV_KEY
from cybercase.training import catalogue
from cybercase.training.marketplace import Marketplace
from cybercase.training.tsa_server import run_test_tsa

DEMO_PASSPHRASE = "demo passphrase - protects nothing real"
DEMO_INVESTIGATOR = "Demo Investigator (fictitious)"
DEMO_PLATFORM = "curio-market"
DEFAULT_FOLDER = "cybercase-demo"
ROLE_NAMES = {
    "warc": "WARC",
    "record": "record",
    "text": "text",
    "image": "images",
    "screenshot": "screenshot",
    "pdf": "PDF",
    "dom": "DOM",
    "mhtml": "MHTML",
}
"""The artifacts a day-1 line names, in the order it names them, when the captures hold them."""

Narrate = Callable[[str, str], None]
"""``narrate(step title, one line of detail)``, called as the demo goes."""


@dataclass(slots=True)
class DemoResult:
    """Where the demo put things and what it found."""

    folder: Path
    case_root: Path
    package: Path
    index_html: Path
    home: Path
    captured: int = 0
    failed: int = 0
    removed: list[str] = field(default_factory=list)
    """Items recording a listing that was gone on the later visit (the watch run's verdict)."""
    watched: int = 0
    """Listing URLs put under watch."""
    watch_run: str | None = None
    """The day-2 watch run's id."""
    changes: list[dict[str, object]] = field(default_factory=list)
    """Every comparison of the day-2 run, as ``watch run --json`` prints it."""
    request_id: str | None = None
    browser: str | None = None
    browser_note: str | None = None
    case_verified: bool = False
    package_verified: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        """For ``--json``."""
        return {
            "folder": str(self.folder),
            "case": str(self.case_root),
            "package": str(self.package),
            "index_html": str(self.index_html),
            "home": str(self.home),
            "captured": self.captured,
            "failed": self.failed,
            "removed_listings": self.removed,
            "watched": self.watched,
            "watch_run": self.watch_run,
            "changes": self.changes,
            "request": self.request_id,
            "browser": self.browser,
            "browser_note": self.browser_note,
            "case_verified": self.case_verified,
            "package_verified": self.package_verified,
            "seconds": round(self.seconds, 1),
        }


def choose_folder(out: Path | None, cwd: Path | None = None) -> Path:
    """The demo's folder: ``--out`` (new or empty), else a fresh ``cybercase-demo[-N]``."""
    if out is not None:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise InvalidInputError(
                f"{out} already exists and is not empty", hint="give --out a new folder"
            )
        return out
    base = (cwd or Path.cwd()) / DEFAULT_FOLDER
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{DEFAULT_FOLDER}-{number}")
    return candidate


@contextlib.contextmanager
def demo_environment(home: Path, config: Path) -> Iterator[None]:
    """Point cybercase at the demo's own home and configuration, then put things back."""
    names = (ENV_HOME, ENV_CONFIG, ENV_CASE, ENV_KEY)
    saved = {name: os.environ.get(name) for name in names}
    os.environ[ENV_HOME] = str(home)
    os.environ[ENV_CONFIG] = str(config)
    os.environ.pop(ENV_CASE, None)
    os.environ.pop(ENV_KEY, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(
    out: Path | None = None,
    *,
    narrate: Narrate | None = None,
    use_browser: bool = True,
    browser: Path | None = None,
) -> DemoResult:
    """Run the whole demo; see the module's description."""
    say: Narrate = narrate or (lambda title, detail: None)
    started = time.monotonic()
    folder = choose_folder(out)
    home = folder / "home"
    home.mkdir(parents=True)
    config = home / "config.toml"
    with (
        Marketplace(port=0) as market,
        run_test_tsa(folder / "tsa") as tsa,
    ):
        say(
            "Simulated marketplace",
            f"{catalogue.MARKET_NAME} (FICTITIOUS) at {market.url} - nothing leaves this computer",
        )
        config.write_text(
            "# Written by 'cybercase demo': the demo's own test TSA (not to be trusted).\n"
            + tsa.config_toml("demo-test-tsa"),
            encoding="utf-8",
        )
        say("Test time-stamping authority", f"{tsa.url} (TEST-ONLY root, labelled as such)")
        with demo_environment(home, config):
            result = _run_steps(folder, home, market, say, use_browser, browser)
    result.seconds = time.monotonic() - started
    return result


def _run_steps(
    folder: Path,
    home: Path,
    market: Marketplace,
    say: Narrate,
    use_browser: bool,
    browser: Path | None,
) -> DemoResult:
    from cybercase.collect.config import CaptureSettings
    from cybercase.collect.session import BrowserChoice, capture_urls
    from cybercase.evidence.timestamps import TsaSettings
    from cybercase.evidence.verify import verify_case

    ring = KeyRing(home)
    identity = ring.create(DEMO_INVESTIGATOR, "demo.investigator@agency.example", DEMO_PASSPHRASE)
    signer = ring.unlock(ring.find(identity.fingerprint), DEMO_PASSPHRASE)
    say("Investigator key", f"{identity.name}, sha256:{identity.fingerprint[:16]}…")

    case = Case.create(
        folder / "case",
        case_id="DEMO-WL-001",
        title="Online sale of ivory, pangolin scales and rhino horn (training demo)",
        agency="Demo Wildlife Crime Unit (fictitious)",
        jurisdiction="Training jurisdiction (fictitious)",
        offence="Illegal trade in specimens of CITES Appendix I species (training scenario)",
        species=["Loxodonta africana", "Manis spp.", "Ceratotherium simum", "Astrochelys radiata"],
        signer=signer,
    )
    say("Case created", f"{case.meta.id} in {case.root}")

    tsa_settings = TsaSettings.load()
    settings = CaptureSettings(jobs=4, per_host=4, retries=0)
    choice = BrowserChoice(enabled=use_browser, executable=browser, pool_size=4)
    urls = [
        *market.listing_urls(),
        *(market.url_for(seller.path) for seller in catalogue.SELLERS),
        *(market.url_for(profile.path) for profile in catalogue.SOCIAL),
        *(market.url_for(f"/s/{code}") for code in catalogue.SHORT_LINKS),
    ]
    result = DemoResult(
        folder=folder,
        case_root=case.root,
        package=folder,
        index_html=folder,
        home=home,
    )

    def browser_line(name: str | None, why_not: str | None) -> None:
        result.browser, result.browser_note = name, why_not
        say("Browser", name or f"none ({why_not})")

    first = capture_urls(
        case,
        signer,
        urls,
        settings,
        browser=choice,
        tsa=tsa_settings,
        batch_id="demo-day-1",
        tags=["demo", "day-1"],
        persona="demo-buyer-01 (fictitious)",
        on_browser=browser_line,
    )
    result.captured = sum(1 for r in first.batch.results if r.ok)
    result.failed = len(first.batch.failed)
    kept = {a.role for r in first.batch.results for a in r.artifacts}
    say(
        "Day 1 captured",
        f"{result.captured} of {len(urls)} pages: "
        + ", ".join(ROLE_NAMES[role] for role in ROLE_NAMES if role in kept)
        + _sealed(first.timestamps),
    )

    from cybercase.monitor import RunOptions, add_watches, run_watch

    watched = add_watches(case, signer, market.listing_urls(), every="1d", browser=False)
    result.watched = len(watched.entries)
    say(
        "Watch list",
        f"{result.watched} listing URL(s) watched, every 1d "
        f"(entries {watched.entries[0].seq}-{watched.entries[-1].seq})",
    )
    day = market.next_day()
    revisit = run_watch(
        case,
        signer,
        RunOptions(settings=settings, browser=False, tsa=tsa_settings, all=True),
    )
    result.watch_run = revisit.run
    result.changes = [e.to_json() for e in revisit.events]
    result.removed = [
        e.comparison.current for e in revisit.events if e.comparison.verdict == "gone"
    ]
    counts = ", ".join(
        f"{n} {verdict}"
        for verdict in ("unchanged", "changed", "gone", "failed", "first")
        if (n := revisit.count(verdict))
    )
    sealed = "".join(_sealed(t) for t in revisit.timestamps)
    say(
        f"Day {day} revisit",
        f"'watch run --all' recaptured {len(revisit.captures)} listing(s): "
        f"{counts or 'nothing compared'}{sealed}",
    )
    for event in revisit.events:
        comparison = event.comparison
        where = comparison.url.removeprefix(market.url)
        if comparison.verdict == "gone":
            shown = event.alert.evidence[0] if event.alert and event.alert.evidence else None
            say(
                "Listing gone",
                f"{where}: {comparison.facts.gone_reason} (recorded as {comparison.current})"
                + (f"; last capture that still showed it: {shown}" if shown else ""),
            )
        elif comparison.verdict in ("changed", "failed"):
            say(
                f"Listing {comparison.verdict}",
                f"{where}: {'; '.join(c.summary for c in comparison.changes)} "
                f"({comparison.previous} -> {comparison.current})",
            )

    result.request_id, seller = _draft_request(
        case, signer, first.batch.results, use_pdf=bool(first.browser), gone=len(result.removed)
    )
    say(
        "Preservation request drafted",
        f"{result.request_id} to {catalogue.MARKET_NAME} for seller {seller} "
        "(letter in HTML" + (" and PDF)" if first.browser else ")"),
    )

    report = verify_case(case.root)
    result.case_verified = report.ok
    say(
        "Case verified",
        f"{report.stats.get('entries', 0)} signed entries, {report.stats.get('objects', 0)} "
        f"objects re-hashed: {'PASSED' if report.ok else 'FAILED'}",
    )
    if not report.ok:
        raise VerificationFailedError(
            "the demo case failed verification", hint="please report this as a bug"
        )

    from cybercase.report.export import export_case
    from cybercase.report.verify import verify_package

    exported = export_case(
        case, signer, folder / "export", pdf=bool(first.browser), browser=browser, tsa=tsa_settings
    )
    result.package = exported.path
    result.index_html = exported.path / "index.html"
    say("Package exported", f"{exported.path} ({exported.files} files, BagIt)")
    checked = verify_package(exported.path)
    result.package_verified = checked.ok
    say(
        "Package verified",
        f"{len(checked.checks)} checks ("
        + ", ".join(c.name for c in checked.checks)
        + "): "
        + ("PASSED" if checked.ok else "FAILED"),
    )
    return result


def _sealed(outcome: object) -> str:
    from cybercase.evidence.timestamps import TimestampOutcome

    if not isinstance(outcome, TimestampOutcome) or not outcome.granted:
        return ""
    kinds = sorted({g.kind for g in outcome.granted})
    return f"; trusted timestamp: {', '.join(kinds)}"


def _draft_request(
    case: Case, signer: Signer, results: object, *, use_pdf: bool, gone: int
) -> tuple[str, str]:
    """A preservation request for the seller of listing 1001, built from the captures.

    Returns the request's id and the seller it names. The necessity the letter states
    says how many listings the revisit found gone, as the run found it.
    """
    from cybercase.collect.commit import CaptureResult
    from cybercase.request import create_request, load_directory
    from cybercase.request.config import RequestConfig
    from cybercase.request.draft import RequestSpec
    from cybercase.request.platforms import Platform

    assert isinstance(results, list)
    seller = "bonecraft_artisan"
    wanted = {
        f"/seller/{seller}",
        *(f"/listing/{item.id}" for item in catalogue.LISTINGS if item.seller == seller),
    }
    items = [
        r.item_id
        for r in results
        if isinstance(r, CaptureResult) and r.ok and any(r.url.endswith(w) for w in wanted)
    ]
    directory = load_directory(RequestConfig())
    platform = Platform.model_validate(
        {
            "name": f"{catalogue.MARKET_NAME} (FICTITIOUS training site)",
            "legal_entity": "Curio Market Ltd (fictitious)",
            "email": "law-enforcement@curio-market.example",
            "identifiers": ["listing URL", "seller profile URL"],
            "notes": "Invented for cybercase training; no such company exists.",
        }
    )
    directory = replace(directory, platforms={**directory.platforms, DEMO_PLATFORM: platform})
    spec = RequestSpec(
        type="preservation",
        platform=DEMO_PLATFORM,
        items=items,
        targets=[seller],
        categories=["subscriber", "traffic", "content"],
        legal_basis="Training scenario: preservation under the (fictitious) Cybercrime Act, s. 12",
        offence="Illegal trade in elephant ivory (training scenario)",
        legal_provision="Wildlife Act (fictitious), s. 92",
        summary="Listings offering carved 'bone' bangles and figurines that are elephant ivory "
        "were captured on the training marketplace; the seller's photos share a camera serial "
        "with another seller.",
        relation="The account holder published the listings and is the contact for sales.",
        necessity=(
            f"Listings are being removed ({gone} of the watched listings was gone on the "
            "second visit); subscriber "
            if gone
            else "Listings can be removed at any time; subscriber "
        )
        + "and traffic data may be deleted before a production order can be obtained.",
        follow_up="mutual-legal-assistance",
        agency="Demo Wildlife Crime Unit (fictitious)",
        officer_name=DEMO_INVESTIGATOR,
        badge="DEMO-0001",
        officer_email="demo.investigator@agency.example",
        officer_phone="+44 7700 900000",
        channel="law-enforcement@curio-market.example",
    )
    step = create_request(case, signer, spec, directory=directory, pdf="auto" if use_pdf else None)
    return step.request_id, seller
