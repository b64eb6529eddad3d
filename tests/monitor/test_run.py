"""Watch runs against a real local shop whose pages change between runs."""

from __future__ import annotations

from pathlib import Path

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
