"""Watch runs against a real local shop whose pages change between runs."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from cybercase.clock import parse_utc
from cybercase.collect.config import CaptureSettings
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from cybercase.monitor import (
    ITEM_COMPARED,
    Comparison,
    RunOptions,
    RunResult,
    add_watches,
    load,
    run_watch,
    timeline,
    watch_alerts,
)
from cybercase.monitor.models import RunFinished
from tests.fixtures.shop import Listing, Shop, photo

OPTIONS = RunOptions(settings=CaptureSettings(retries=0, jobs=4), browser=False, all=True)


def _listings(shop: Shop) -> dict[str, str]:
    names = ("price", "photo", "text", "removed", "home", "same")
    return {
        name: shop.add(
            str(1000 + n),
            Listing(
                title=f"Carved bangle {n}",
                price=f"€{1200 + n * 10}",
                seller=f"seller{n}",
                photo=photo(n),
            ),
        )
        for n, name in enumerate(names)
    }


def _by_url(result: RunResult) -> dict[str, Comparison]:
    return {e.comparison.url: e.comparison for e in result.events}


def test_each_kind_of_change_is_reported(case: Case, signer: Signer, shop: Shop) -> None:
    urls = _listings(shop)
    add_watches(case, signer, list(urls.values()), every="1d", browser=False)
    first = run_watch(case, signer, OPTIONS)
    assert first.finished and len(first.captures) == 6
    assert {e.comparison.verdict for e in first.events} == {"first"}

    shop.listings["1000"].price = "€990"
    shop.listings["1001"].photo = photo(7)
    shop.listings["1002"].description = "Carved piece, 40 cm. Real ivory, ask for papers."
    shop.listings["1003"].mode = "404"
    shop.listings["1004"].mode = "home"

    second = run_watch(case, signer, OPTIONS)
    found = _by_url(second)
    price, swap, text, removed, home, same = (
        found[urls[k]] for k in ("price", "photo", "text", "removed", "home", "same")
    )
    assert price.verdict == "changed"
    price_change = next(c for c in price.changes if c.field == "price")
    assert price_change.before == ["1,200 EUR"] and price_change.after == ["990 EUR"]
    assert swap.verdict == "changed"
    assert [c.field for c in swap.changes] == ["images"]
    assert "photo swapped: 1 removed, 1 added" in swap.changes[0].summary
    assert text.verdict == "changed"
    assert [c.field for c in text.changes] == ["text"]
    assert text.text_diff is not None and "+Carved piece, 40 cm. Real ivory" in text.text_diff
    assert removed.verdict == "gone"
    assert removed.facts.gone_reason == "HTTP 404"
    assert home.verdict == "gone"
    assert home.facts.gone_reason is not None and "home page" in home.facts.gone_reason
    assert same.verdict == "unchanged" and same.identical
    assert same.changes == []

    alerts = watch_alerts(load(case))
    assert sorted(a.url for a in alerts) == sorted([urls["removed"], urls["home"]])
    firsts = {e.comparison.url: e.comparison.current for e in first.events}
    for alert in alerts:
        assert alert.evidence == (firsts[alert.url],)
        assert f"--items {firsts[alert.url]}" in alert.command
        assert alert.command.startswith("cybercase request new --type preservation --platform ")

    line = timeline(case, urls["price"])
    assert [r.comparison.verdict for r in line.rows if r.comparison] == ["first", "changed"]
    assert verify_case(case.root).ok


def test_a_photo_recoded_is_not_a_swap(case: Case, signer: Signer, shop: Shop) -> None:
    url = shop.add("2000", Listing("Horn cup", "€5,000", "hornman", photo(3, (128, 96))))
    add_watches(case, signer, [url], every="1d", browser=False)
    run_watch(case, signer, OPTIONS)
    shop.listings["2000"].photo = photo(3, (128, 96), quality=55)
    comparison = run_watch(case, signer, OPTIONS).events[0].comparison
    images = next(c for c in comparison.changes if c.field == "images")
    assert "re-encoded" in images.summary and "swapped" not in images.summary


def test_a_seller_change_is_flagged(case: Case, signer: Signer, shop: Shop) -> None:
    url = shop.add("3000", Listing("Scales 1 kg", "€800", "first_seller", photo(4)))
    add_watches(case, signer, [url], every="1d", browser=False)
    run_watch(case, signer, OPTIONS)
    shop.listings["3000"].seller = "second_seller"
    comparison = run_watch(case, signer, OPTIONS).events[0].comparison
    assert comparison.seller_changed
    alerts = watch_alerts(load(case))
    assert [a.kind for a in alerts] == ["seller-changed"]
    assert shop.server.url("/seller/first_seller") in alerts[0].targets


def test_nothing_due_writes_nothing(case: Case, signer: Signer, shop: Shop) -> None:
    url = shop.add("4000", Listing("Tortoise", "€300", "reptiles", photo(5)))
    add_watches(case, signer, [url], every="1d", browser=False)
    due = RunOptions(settings=CaptureSettings(retries=0), browser=False)
    assert run_watch(case, signer, due).run is not None
    seq = case.state.last_seq
    again = run_watch(case, signer, due)
    assert again.run is None and again.next_due is not None
    case.refresh()
    assert case.state.last_seq == seq


def test_each_capture_is_compared_once(
    case: Case, signer: Signer, shop: Shop, tmp_path: Path
) -> None:
    url = shop.add("5000", Listing("Ivory", "€100", "s", photo(6)))
    add_watches(case, signer, [url], every="1d", browser=False)
    for _ in range(3):
        run_watch(case, signer, OPTIONS)
    compared = [e for e in case.entries() if e.action == ITEM_COMPARED]
    assert len(compared) == 3
    assert len({e.items[0] for e in compared}) == 3


def test_forever_sleeps_until_the_next_due_time(case: Case, signer: Signer, shop: Shop) -> None:
    import threading

    from cybercase.errors import InvalidInputError
    from cybercase.monitor import watch_forever

    stop = threading.Event()
    with pytest.raises(InvalidInputError, match="nothing is watched"):
        watch_forever(case, signer, OPTIONS, stop=stop)
    url = shop.add("6000", Listing("Scales", "€90", "s6", photo(8)))
    add_watches(case, signer, [url], every="6h", browser=False)
    slept: list[str] = []
    results: list[RunResult] = []

    def on_sleep(at: str) -> None:
        slept.append(at)
        stop.set()

    runs = watch_forever(case, signer, OPTIONS, stop=stop, on_sleep=on_sleep, on_run=results.append)
    assert runs == 1 and len(results[0].captures) == 1
    started = load(case).last_capture(url)
    assert started is not None
    expected = parse_utc(started.started) + timedelta(hours=6)
    assert parse_utc(slept[0]) == expected


def test_a_large_run_compares_while_it_captures(case: Case, signer: Signer, shop: Shop) -> None:
    """40 URLs without the browser: captures prepared in worker processes, compared on a
    thread of their own as they are committed; each compared exactly once, rightly."""
    from cybercase.collect.workers import worker_count

    count = 40
    assert worker_count(count, 4, stages=False) > 0 or (os.cpu_count() or 1) < 2
    urls = [
        shop.add(str(6000 + n), Listing(f"Bangle {n}", f"€{100 + n}", f"s{n}", photo(n % 5)))
        for n in range(count)
    ]
    add_watches(case, signer, urls, every="1d", browser=False)
    first = run_watch(case, signer, OPTIONS)
    assert first.finished and first.count("first") == count
    shop.listings["6003"].price = "€1"
    shop.listings["6017"].mode = "404"
    second = run_watch(case, signer, OPTIONS)
    found = _by_url(second)
    assert len(second.events) == count
    assert found[urls[3]].verdict == "changed"
    assert found[urls[17]].verdict == "gone"
    assert second.count("unchanged") == count - 2
    compared = [e for e in case.entries() if e.action == ITEM_COMPARED]
    assert len(compared) == 2 * count and len({e.items[0] for e in compared}) == 2 * count
    last = list(case.entries())[-1]
    assert last.action == "watch.run.finished"
    assert last.detail_as(RunFinished) == RunFinished(
        run=second.run or "", captured=count, compared=count, changed=1, gone=1, failed=0
    )
    assert last.seq == compared[-1].seq + 1
    assert verify_case(case.root).ok
