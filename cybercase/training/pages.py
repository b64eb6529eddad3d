"""The marketplace's pages, rendered from the templates shipped in ``site/``.

Templates are plain :class:`string.Template` files (no template engine to install):
every value is HTML-escaped when it is substituted unless it is already :class:`Html`
built by another template, so catalogue text can never inject markup. Rendering is a
pure function of the catalogue and the day, which is what makes the site reproducible.
"""

from __future__ import annotations

import html
import json
import string
from dataclasses import dataclass
from importlib import resources

from cybercase.errors import StorageError
from cybercase.training import catalogue
from cybercase.training.catalogue import Listing, Photo, Seller, SocialProfile

_TEMPLATES = (
    "base",
    "home",
    "card",
    "listing",
    "photo",
    "contact",
    "seller",
    "social",
    "post",
    "gone",
    "trainer",
)
_STATIC = {"site.css": "text/css; charset=utf-8", "contact.js": "text/javascript; charset=utf-8"}


class Html(str):
    """Text that is already HTML, substituted into a template as it is."""

    __slots__ = ()


@dataclass(frozen=True)
class Asset:
    """A file served as it is shipped."""

    body: bytes
    content_type: str


def _site_file(*parts: str) -> bytes:
    node = resources.files("cybercase.training").joinpath("site", *parts)
    try:
        return node.read_bytes()
    except OSError as exc:
        raise StorageError(
            f"the training site's file {'/'.join(parts)} is missing from the installation",
            hint="reinstall cybercase (pip install --force-reinstall cybercase)",
        ) from exc


class Site:
    """The templates, styles, script and photos, read once from the package."""

    def __init__(self) -> None:
        self._templates = {
            name: string.Template(_site_file("templates", f"{name}.html").decode("utf-8"))
            for name in _TEMPLATES
        }
        self.static = {
            name: Asset(_site_file("static", name), media_type)
            for name, media_type in _STATIC.items()
        }
        self.media = {
            photo.name: Asset(_site_file("media", photo.name), "image/jpeg")
            for photo in catalogue.PHOTOS
        }

    def _render(self, template: str, /, **values: object) -> Html:
        safe = {
            key: value if isinstance(value, Html) else html.escape(str(value))
            for key, value in values.items()
        }
        return Html(self._templates[template].substitute(safe))

    def _page(self, title: str, content: Html, *, social: bool = False, cls: str = "") -> bytes:
        page = self._render(
            "base",
            title=title,
            site=catalogue.SOCIAL_NAME if social else catalogue.MARKET_NAME,
            tagline="share your moments" if social else "curios, crafts and remedies",
            home="/social/" + catalogue.SOCIAL[0].handle if social else "/",
            banner=catalogue.BANNER,
            body_class=("social " if social else "market ") + cls,
            content=content,
        )
        return page.encode("utf-8")

    @staticmethod
    def price_text(item: Listing, day: int) -> str:
        """The price as the page shows it on ``day``."""
        return f"{item.currency} {item.price_on(day):,}"

    def _card(self, item: Listing, day: int) -> Html:
        owner = catalogue.seller_of(item)
        return self._render(
            "card",
            href=item.path,
            image=item.photos[0].path,
            alt=item.photos[0].caption,
            title=item.title,
            price=self.price_text(item, day),
            seller_href=owner.path,
            seller=owner.display_name,
        )

    def _photos(self, photos: tuple[Photo, ...]) -> Html:
        return Html("\n".join(self._render("photo", src=p.path, alt=p.caption) for p in photos))

    def _contact(self, handle: str) -> Html:
        return self._render("contact", handle=handle)

    def home(self, day: int) -> bytes:
        """The front page: the listings online on ``day`` and the sellers."""
        online = [item for item in catalogue.LISTINGS if item.online_on(day)]
        sellers = "\n".join(
            f'<li><a href="{html.escape(s.path)}">{html.escape(s.display_name)}</a></li>'
            for s in catalogue.SELLERS
        )
        content = self._render(
            "home",
            count=len(online),
            cards=Html("\n".join(self._card(item, day) for item in online)),
            sellers=Html(sellers),
        )
        return self._page("Latest listings", content, cls="home")

    def listing(self, item: Listing, day: int) -> bytes:
        """One listing as it is on ``day`` (the caller checks that it is online)."""
        owner = catalogue.seller_of(item)
        content = self._render(
            "listing",
            id=item.id,
            title=item.title,
            posted=item.posted,
            region=owner.region,
            photos=self._photos(item.photos),
            currency=item.currency,
            price=self.price_text(item, day),
            description=item.description,
            seller_href=owner.path,
            seller=owner.display_name,
            member_since=owner.member_since,
            contact=self._contact(owner.handle),
        )
        return self._page(item.title, content, cls="listing-page")

    def seller(self, owner: Seller, day: int) -> bytes:
        """A seller's profile with the listings online on ``day``."""
        online = [item for item in catalogue.listings_of(owner.handle) if item.online_on(day)]
        content = self._render(
            "seller",
            handle=owner.handle,
            name=owner.display_name,
            member_since=owner.member_since,
            region=owner.region,
            about=owner.about,
            contact=self._contact(owner.handle),
            count=len(online),
            cards=Html("\n".join(self._card(item, day) for item in online)),
        )
        return self._page(owner.display_name, content, cls="seller-page")

    def social(self, profile: SocialProfile) -> bytes:
        """A profile on the fictitious social network."""
        shop = catalogue.shop_of(profile)
        posts = []
        for post in profile.posts:
            link = self._render_link(post.link) if post.link is not None else Html("")
            posts.append(
                self._render(
                    "post",
                    posted=post.posted,
                    text=post.text,
                    link=link,
                    photos=self._photos(post.photos),
                )
            )
        content = self._render(
            "social",
            handle=profile.handle,
            name=profile.display_name,
            avatar=profile.avatar.path,
            followers=f"{profile.followers:,}",
            following=f"{profile.following:,}",
            bio=profile.bio,
            shop_href=shop.path,
            shop_name=shop.display_name,
            market=catalogue.MARKET_NAME,
            contact=self._contact(shop.handle),
            posts=Html("\n".join(posts)),
        )
        return self._page(profile.display_name, content, social=True, cls="social-page")

    @staticmethod
    def _render_link(path: str) -> Html:
        return Html(f'<a class="short-link" href="{html.escape(path)}">{html.escape(path)}</a>')

    def gone(self, heading: str, text: str) -> bytes:
        """A "not found" or "removed" page (served with status 404)."""
        content = self._render("gone", heading=heading, text=text, home="/")
        return self._page(heading, content, cls="gone-page")

    def trainer(self, day: int, start_day: int, visits: dict[str, int]) -> bytes:
        """The trainer's control page: the day switch, reset and request counters."""
        rows = "\n".join(
            f"<tr><td>{html.escape(path)}</td><td>{count}</td></tr>"
            for path, count in sorted(visits.items())
        )
        day_text = (
            "Every listing is online: this is the first visit."
            if day == catalogue.FIRST_DAY
            else "The later visit: a listing has been removed and a price has changed."
        )
        content = self._render(
            "trainer",
            day=day,
            day_text=day_text,
            start_day=start_day,
            visits=Html(rows or '<tr><td colspan="2">none yet</td></tr>'),
        )
        return self._page("Trainer's controls", content, cls="trainer-page")


def contact_json(owner: Seller) -> bytes:
    """The contact details the page's script fetches, as JSON."""
    data = {
        "fictitious": True,
        "seller": owner.handle,
        "phone": owner.contact.phone,
        "messaging": owner.contact.messaging,
        "email": owner.contact.email,
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
