"""The fictitious marketplace, served for real on 127.0.0.1 and read back with httpx."""

from __future__ import annotations

import html
import io
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import exifread
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cybercase.errors import InvalidInputError, InvalidTransitionError, NetworkError
from cybercase.training import Marketplace, Visit, catalogue

HTML_PATHS = [
    "/",
    *(item.path for item in catalogue.LISTINGS),
    *(owner.path for owner in catalogue.SELLERS),
    *(profile.path for profile in catalogue.SOCIAL),
    "/_trainer",
]


class _Links(HTMLParser):
    """Collects the href and src attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value:
                self.hrefs.append(value)
            if name == "src" and value and tag == "img":
                self.srcs.append(value)


def links(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    return parser


@pytest.fixture
def client(marketplace: Marketplace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=marketplace.url, timeout=10) as http:
        yield http


def read_exif(data: bytes) -> dict[str, object]:
    return dict(exifread.process_file(io.BytesIO(data), details=False))


def decimal_degrees(tags: dict[str, object], axis: str) -> float:
    """The GPS position on one axis, as exifread reads it, in signed decimal degrees."""
    dms = [float(v) for v in tags[f"GPS GPS{axis}"].values]  # type: ignore[attr-defined]
    value = dms[0] + dms[1] / 60 + dms[2] / 3600
    ref = str(tags[f"GPS GPS{axis}Ref"])
    return -value if ref in ("S", "W") else value


# -- pages and labels ---------------------------------------------------------------------


@pytest.mark.parametrize("path", HTML_PATHS)
def test_every_page_answers_and_carries_the_fictitious_banner(
    client: httpx.Client, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<div class="fictitious-banner" role="note"><strong>FICTITIOUS</strong>' in (
        response.text
    )
    assert "X-Fictitious-Site" in response.headers


def test_error_pages_and_non_html_answers_are_labelled_too(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    marketplace.set_day(catalogue.LATER_DAY)
    for path in ("/listing/1002", "/no/such/page", "/listing/9999"):
        response = client.get(path)
        assert response.status_code == 404
        assert "fictitious-banner" in response.text
    for path in ("/sitemap.txt", "/media/listing-1001.jpg", "/api/contact/old_remedy_house"):
        response = client.get(path)
        assert response.status_code == 200
        assert "nothing here is real" in response.headers["X-Fictitious-Site"]


def test_listings_show_their_euphemisms_and_link_their_seller(client: httpx.Client) -> None:
    for item in catalogue.LISTINGS:
        page = client.get(item.path).text
        owner = catalogue.seller_of(item)
        assert f"<h1>{html.escape(item.title)}</h1>" in page
        assert owner.path in links(page).hrefs
        assert [p.path for p in item.photos] == links(page).srcs
    assert "bone" in client.get("/listing/1001").text
    assert "medicine" in client.get("/listing/1005").text


def test_seller_profiles_link_exactly_their_listings(client: httpx.Client) -> None:
    for owner in catalogue.SELLERS:
        hrefs = links(client.get(owner.path).text).hrefs
        listed = {href for href in hrefs if href.startswith("/listing/")}
        assert listed == {item.path for item in catalogue.listings_of(owner.handle)}


def test_social_profile_points_to_the_shop_and_a_short_link(client: httpx.Client) -> None:
    profile = catalogue.SOCIAL[0]
    hrefs = links(client.get(profile.path).text).hrefs
    assert catalogue.shop_of(profile).path in hrefs
    assert "/s/abc" in hrefs


def test_home_lists_every_listing_online_and_every_seller(client: httpx.Client) -> None:
    hrefs = set(links(client.get("/").text).hrefs)
    assert {item.path for item in catalogue.LISTINGS} <= hrefs
    assert {owner.path for owner in catalogue.SELLERS} <= hrefs


def test_sitemap_lists_every_listing_url(client: httpx.Client, marketplace: Marketplace) -> None:
    response = client.get("/sitemap.txt")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    urls = response.text.splitlines()
    assert urls == marketplace.listing_urls()
    assert urls == [f"{marketplace.url}/listing/{item.id}" for item in catalogue.LISTINGS]


def test_entry_points_all_answer(client: httpx.Client, marketplace: Marketplace) -> None:
    points = marketplace.entry_points()
    assert points["marketplace"] == marketplace.url + "/"
    for url in points.values():
        assert url.startswith(marketplace.url)
        assert client.get(url, follow_redirects=True).status_code == 200


def test_head_answers_headers_without_a_body(client: httpx.Client) -> None:
    get = client.get("/listing/1001")
    head = client.head("/listing/1001")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))


def test_unknown_and_unsafe_paths_are_404_and_post_is_refused(client: httpx.Client) -> None:
    for path in ("/media/..%2F..%2Fcatalogue.py", "/static/nope.js", "/seller/nobody", "/s/zzz"):
        assert client.get(path).status_code == 404
    assert client.post("/listing/1001", data={"x": "1"}).status_code == 405


def test_the_same_day_serves_the_same_bytes_on_two_servers() -> None:
    paths = [*HTML_PATHS[:-1], "/media/listing-1004.jpg", "/static/contact.js"]
    bodies: list[list[bytes]] = []
    for _ in range(2):
        with Marketplace(port=0) as market, httpx.Client(base_url=market.url) as http:
            market.set_day(catalogue.LATER_DAY)
            bodies.append([http.get(path).content for path in paths])
    assert bodies[0] == bodies[1]


# -- photos and EXIF ----------------------------------------------------------------------


@pytest.mark.parametrize("photo", catalogue.PHOTOS, ids=lambda p: p.name)
def test_served_photos_carry_the_catalogue_exif(client: httpx.Client, photo: object) -> None:
    assert isinstance(photo, catalogue.Photo)
    response = client.get(photo.path)
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"
    assert len(response.content) < 10_000
    tags = read_exif(response.content)
    assert "Fictitious training image" in str(tags["Image ImageDescription"])
    if photo.camera is None:
        assert "Image Make" not in tags and "EXIF BodySerialNumber" not in tags
    else:
        assert str(tags["Image Make"]) == photo.camera.make
        assert str(tags["Image Model"]) == photo.camera.model
        assert str(tags["EXIF BodySerialNumber"]) == photo.camera.serial
    if photo.taken is not None:
        assert str(tags["EXIF DateTimeOriginal"]) == photo.taken
    if photo.gps is None:
        assert not any(name.startswith("GPS ") for name in tags)
    else:
        assert decimal_degrees(tags, "Latitude") == pytest.approx(photo.gps.lat, abs=1e-6)
        assert decimal_degrees(tags, "Longitude") == pytest.approx(photo.gps.lon, abs=1e-6)


def test_the_gps_lead_is_in_the_first_listing_photo(client: httpx.Client) -> None:
    src = links(client.get("/listing/1001").text).srcs[0]
    tags = read_exif(client.get(src).content)
    assert (decimal_degrees(tags, "Latitude"), decimal_degrees(tags, "Longitude")) == (
        pytest.approx((-1.0, 33.0))
    )


def test_one_camera_serial_links_two_sellers_as_a_student_would_find_it(
    client: httpx.Client,
) -> None:
    """Walk the site like a student: listings → photos → EXIF serial → sellers."""
    sellers_by_serial: dict[str, set[str]] = {}
    models: dict[str, set[str]] = {}
    for url in client.get("/sitemap.txt").text.splitlines():
        page = client.get(url).text
        seller_path = next(h for h in links(page).hrefs if h.startswith("/seller/"))
        for src in links(page).srcs:
            tags = read_exif(client.get(src).content)
            serial = str(tags["EXIF BodySerialNumber"])
            sellers_by_serial.setdefault(serial, set()).add(seller_path)
            models.setdefault(f"{tags['Image Make']} {tags['Image Model']}", set()).add(serial)
    shared = {serial: who for serial, who in sellers_by_serial.items() if len(who) > 1}
    assert shared == {
        catalogue.SHARED_SERIAL: {"/seller/bonecraft_artisan", "/seller/old_remedy_house"}
    }
    # The red herring: the same camera model, a different body, is no link.
    assert models["Fictica FX-20"] == {catalogue.SHARED_SERIAL, "FX20-0117-2054"}


# -- contact details only after JavaScript --------------------------------------------------


def test_contact_details_are_absent_from_the_raw_html(client: httpx.Client) -> None:
    script = client.get("/static/contact.js").text
    for owner in catalogue.SELLERS:
        pages = [client.get(owner.path).text]
        pages += [client.get(item.path).text for item in catalogue.listings_of(owner.handle)]
        for page in pages:
            assert f'data-contact="{owner.handle}"' in page
            assert "/static/contact.js" in page
        for secret in (owner.contact.phone, owner.contact.messaging, owner.contact.email):
            assert all(secret not in page for page in pages)
            assert secret not in script
            assert secret not in client.get("/").text
        data = client.get(f"/api/contact/{owner.handle}").json()
        assert data == {
            "fictitious": True,
            "seller": owner.handle,
            "phone": owner.contact.phone,
            "messaging": owner.contact.messaging,
            "email": owner.contact.email,
        }


# -- the later visit: removal, price change, short link, reset ------------------------------


def test_a_listing_is_removed_on_the_later_visit(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    assert client.get("/listing/1002").status_code == 200
    marketplace.set_day(catalogue.LATER_DAY)
    gone = client.get("/listing/1002")
    assert gone.status_code == 404
    assert "This listing has been removed" in gone.text
    assert "/listing/1002" not in links(client.get("/").text).hrefs
    assert "/listing/1002" not in links(client.get("/seller/bonecraft_artisan").text).hrefs
    assert client.get("/listing/1001").status_code == 200
    assert f"{marketplace.url}/listing/1002" in client.get("/sitemap.txt").text


def test_a_price_changes_between_visits_and_only_that_one(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    def prices() -> dict[str, str]:
        found = {}
        for item in catalogue.LISTINGS:
            page = client.get(item.path).text
            match = re.search(r'<strong class="amount" data-currency="USD">([^<]+)</strong>', page)
            if match:
                found[item.id] = match.group(1)
        return found

    first = prices()
    assert first["1004"] == "USD 450"
    marketplace.set_day(catalogue.LATER_DAY)
    later = prices()
    assert later["1004"] == "USD 390"
    assert {k: v for k, v in first.items() if k not in ("1002", "1004")} == {
        k: v for k, v in later.items() if k != "1004"
    }
    assert "USD 390" in client.get("/").text


def test_short_link_redirects_to_the_listing(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    response = client.get("/s/abc")
    assert response.status_code == 302
    assert response.headers["location"] == f"{marketplace.url}/listing/1001"
    followed = client.get("/s/abc", follow_redirects=True)
    assert followed.status_code == 200
    assert [str(r.url) for r in followed.history] == [f"{marketplace.url}/s/abc"]
    assert str(followed.url) == f"{marketplace.url}/listing/1001"


def test_short_link_to_the_removed_listing_ends_in_404_later(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    assert client.get("/s/k7q", follow_redirects=True).status_code == 200
    marketplace.set_day(catalogue.LATER_DAY)
    followed = client.get("/s/k7q", follow_redirects=True)
    assert followed.history[0].status_code == 302
    assert followed.status_code == 404


def test_reset_returns_to_the_first_visit_and_clears_counters(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    client.get("/listing/1002")
    client.get("/listing/1002")
    assert marketplace.visits()["/listing/1002"] == 2
    assert marketplace.next_day() == catalogue.LATER_DAY
    assert client.get("/listing/1002").status_code == 404
    marketplace.reset()
    assert marketplace.day == catalogue.FIRST_DAY
    assert marketplace.visits() == {}
    assert client.get("/listing/1002").status_code == 200
    assert "USD 450" in client.get("/listing/1004").text


def test_reset_goes_back_to_the_day_the_server_started_on() -> None:
    with Marketplace(port=0, day=catalogue.LATER_DAY) as market:
        market.set_day(catalogue.FIRST_DAY)
        market.reset()
        assert market.day == catalogue.LATER_DAY
        assert httpx.get(market.url_for("/listing/1002")).status_code == 404


def test_days_are_bounded(marketplace: Marketplace) -> None:
    with pytest.raises(InvalidInputError, match="no day 3"):
        marketplace.set_day(3)
    marketplace.set_day(catalogue.LATER_DAY)
    with pytest.raises(InvalidInputError, match="last day"):
        marketplace.next_day()
    assert marketplace.day == catalogue.LATER_DAY
    with pytest.raises(InvalidInputError):
        Marketplace(port=0, day=0)


# -- the trainer's page ------------------------------------------------------------------------


def test_trainer_page_switches_day_and_resets(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    client.get("/listing/1001")
    page = client.get("/_trainer").text
    assert '<strong class="current-day">day 1</strong>' in page
    assert "<td>/listing/1001</td><td>1</td>" in page
    response = client.post("/_trainer", data={"day": "2"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{marketplace.url}/_trainer"
    assert marketplace.day == 2
    assert client.get("/listing/1002").status_code == 404
    assert client.post("/_trainer", data={"action": "reset"}).status_code == 303
    assert marketplace.day == 1
    assert client.post("/_trainer", data={"action": "next"}).status_code == 303
    assert marketplace.day == 2
    assert "/_trainer" not in marketplace.visits()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=st.dictionaries(
        st.sampled_from(["day", "action", "other"]),
        st.one_of(st.sampled_from(["1", "2", "3", "next", "reset", "", "-1"]), st.text()),
        max_size=3,
    )
)
def test_trainer_form_either_changes_the_day_cleanly_or_changes_nothing(
    marketplace: Marketplace, form: dict[str, str]
) -> None:
    marketplace.reset()
    marketplace.set_day(1)
    response = httpx.post(marketplace.url_for("/_trainer"), data=form)
    assert response.status_code in (303, 400)
    if response.status_code == 400:
        assert marketplace.day == 1
        assert "Nothing changed" in response.text
    else:
        assert marketplace.day in catalogue.DAYS


def test_an_oversized_trainer_form_is_refused(
    client: httpx.Client, marketplace: Marketplace
) -> None:
    response = client.post("/_trainer", content=b"day=2&" + b"x" * 5000)
    assert response.status_code == 413
    assert marketplace.day == 1


# -- life cycle -----------------------------------------------------------------------------


def test_visits_are_reported_to_the_callback() -> None:
    seen: list[Visit] = []
    with Marketplace(port=0, on_request=seen.append) as market:
        httpx.get(market.url_for("/listing/1001"))
        httpx.get(market.url_for("/s/abc"))
    assert seen == [Visit("GET", "/listing/1001", 200, 1), Visit("GET", "/s/abc", 302, 1)]


def test_a_busy_port_is_a_clear_error_and_stop_frees_the_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(NetworkError, match=f"port {port} .* already in use"):
            Marketplace(port=port).start()
    market = Marketplace(port=0).start()
    port = market.port
    market.stop()
    market.stop()
    with pytest.raises(InvalidTransitionError):
        _ = market.url
    with Marketplace(port=port) as again:
        assert again.port == port


def test_misuse_is_reported() -> None:
    with pytest.raises(InvalidInputError, match="not a TCP port"):
        Marketplace(port=70000)
    with Marketplace(port=0) as market, pytest.raises(InvalidTransitionError, match="already"):
        market.start()


def _chromium() -> str | None:
    for candidate in ("/usr/lib/chromium/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.mark.browser
def test_contact_details_appear_once_a_browser_runs_the_script(
    marketplace: Marketplace, tmp_path: Path
) -> None:
    binary = _chromium()
    if binary is None:
        pytest.skip("no Chromium on this machine (.ci/run installs the Debian package)")
    owner = catalogue.seller("old_remedy_house")
    assert owner is not None
    result = subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            marketplace.url_for("/listing/1005"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    dom = result.stdout
    assert 'data-loaded="true"' in dom
    assert f"<b>Phone: </b>{owner.contact.phone}" in dom
    assert owner.contact.messaging in dom
    assert owner.contact.email in dom
    assert marketplace.visits()[f"/api/contact/{owner.handle}"] == 1
