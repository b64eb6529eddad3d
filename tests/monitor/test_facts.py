"""A capture's facts read where it is prepared are the facts read back from the case."""

from __future__ import annotations

import os

import pytest

from cybercase.collect.config import CaptureSettings
from cybercase.collect.session import capture_urls
from cybercase.collect.workers import ENV_PROCESSES
from cybercase.evidence import Case, Signer
from cybercase.monitor import RunOptions, add_watches, run_watch
from cybercase.monitor.facts import Analysed, FactsAhead, read_facts
from cybercase.monitor.models import CaptureFacts
from cybercase.monitor.state import fold
from tests.fixtures.shop import Listing, Shop, photo

SETTINGS = CaptureSettings(retries=0, jobs=4, per_host=4)


def _shop_of_changes(shop: Shop) -> list[str]:
    """Listings that will each change one way (and one that will not)."""
    return [
        shop.add(str(3000 + n), Listing(f"Horn cup {n}", f"€{900 + n}", f"seller{n}", photo(n)))
        for n in range(7)
    ]


def _change_them(shop: Shop) -> None:
    shop.listings["3000"].price = "€1"
    shop.listings["3001"].photo = photo(11)
    shop.listings["3002"].description = "Now with papers. Price on request."
    shop.listings["3003"].mode = "404"
    shop.listings["3004"].mode = "home"
    shop.listings["3005"].seller = "someone-else"


@pytest.mark.parametrize("processes", ["0", "2"], ids=["threads", "worker-processes"])
def test_facts_read_ahead_are_those_of_the_stored_capture(
    case: Case, signer: Signer, shop: Shop, monkeypatch: pytest.MonkeyPatch, processes: str
) -> None:
    if processes != "0" and not hasattr(os, "fork"):
        pytest.skip("worker processes need fork")
    monkeypatch.setenv(ENV_PROCESSES, processes)
    urls = _shop_of_changes(shop)
    add_watches(case, signer, urls, every="1d", browser=False)
    run_watch(case, signer, RunOptions(settings=SETTINGS, browser=False, all=True))
    _change_them(shop)
    state = fold(case.entries())
    previous: dict[str, tuple[str | None, CaptureFacts | None]] = {}
    for url in urls:
        last = state.captures[url][-1]
        compared = state.comparisons.get(last.item)
        assert compared is not None
        previous[url] = (last.item, compared.facts)
    session = capture_urls(
        case, signer, urls, SETTINGS, analyse=FactsAhead(previous, case.read_object)
    )
    case.refresh()
    state = fold(case.entries())
    for result in session.batch.results:
        analysed = result.analysis
        assert isinstance(analysed, Analysed), result.url
        before_item, before = previous[result.url]
        ref = next(r for r in state.captures[result.url] if r.item == result.item_id)
        before_ref = state.previous_of(result.url, ref.item)
        assert before_ref is not None and before_ref.item == before_item
        stored = read_facts(ref, result.url, case.read_object, before)
        assert analysed.for_capture(ref, before_ref) == stored
        assert analysed.for_capture(ref, ref) is None  # read against another capture
    by_url = {r.url: r.analysis for r in session.batch.results}
    gone = by_url[urls[3]]
    assert isinstance(gone, Analysed) and gone.facts.gone_reason == "HTTP 404"


def test_a_watch_run_compares_with_the_facts_read_ahead(
    case: Case, signer: Signer, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's comparisons hold exactly the facts a reader gets from the stored objects,
    and the stored records were not read back to make them."""
    urls = _shop_of_changes(shop)
    add_watches(case, signer, urls, every="1d", browser=False)
    options = RunOptions(settings=SETTINGS, browser=False, all=True)
    run_watch(case, signer, options)
    _change_them(shop)
    records_read: list[str] = []
    read_object = case.read_object

    def counting(digest: str) -> bytes:
        data = read_object(digest)
        if data.startswith(b"{"):
            records_read.append(digest)
        return data

    monkeypatch.setattr(case, "read_object", counting)
    second = run_watch(case, signer, options)
    assert records_read == []
    verdicts = {e.comparison.url: e.comparison.verdict for e in second.events}
    assert [verdicts[u] for u in urls] == [
        "changed",
        "changed",
        "changed",
        "gone",
        "gone",
        "changed",
        "unchanged",
    ]
    state = fold(case.entries())
    for event in second.events:
        comparison = event.comparison
        ref = next(r for r in state.captures[comparison.url] if r.item == comparison.current)
        before = state.comparisons.get(comparison.previous or "")
        assert before is not None
        stored = read_facts(ref, comparison.url, read_object, before.facts)
        assert comparison.facts == stored
