"""What the fictitious marketplace sells, who sells it, and what its photos carry.

Everything here is invented for classroom use: no real person, account, brand or
address. Phone numbers come from ranges reserved for fiction (UK 07700 900xxx, US
555-01xx), e-mail addresses and domains use the reserved ``.example`` suffix, and the
GPS positions in the photos are rounded points in open water, never a street address.

The catalogue is the single source of truth for the site (``pages``), for the photo
generator (``tools/make_training_photos.py``, which writes the EXIF) and for the tests,
which read the EXIF back from the served JPEGs and compare it with these values.

Time in the marketplace is counted in "days" that the trainer switches (see
:class:`~cybercase.training.marketplace.Marketplace`): day 1 is the first visit, day 2
the later visit on which one listing is gone and one price has changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIRST_DAY = 1
"""The first visit: every listing is online."""

LATER_DAY = 2
"""The later visit: a listing is removed (404) and a price has changed."""

DAYS = (FIRST_DAY, LATER_DAY)
"""The days the marketplace knows."""

MARKET_NAME = "Curio Market"
SOCIAL_NAME = "Example Social"
BANNER = (
    "training site served by cybercase on this computer. "
    "Every person, account, listing and place on it is invented."
)

SHARED_SERIAL = "FX20-0042-7781"
"""The camera body serial found in the photos of two different sellers (the lead)."""


@dataclass(frozen=True)
class Camera:
    """A (fictitious) camera body, as its EXIF names it."""

    make: str
    model: str
    serial: str


@dataclass(frozen=True)
class Gps:
    """A rounded position in decimal degrees (south and west negative)."""

    lat: float
    lon: float
    where: str


@dataclass(frozen=True)
class Photo:
    """A served JPEG and the EXIF written into it."""

    name: str
    caption: str
    camera: Camera | None
    taken: str | None
    gps: Gps | None
    drawing: str

    @property
    def path(self) -> str:
        """The URL path the site serves it under."""
        return f"/media/{self.name}"


@dataclass(frozen=True)
class Contact:
    """Contact details a seller's page reveals only after JavaScript has run."""

    phone: str
    messaging: str
    email: str


@dataclass(frozen=True)
class Seller:
    """A marketplace seller account."""

    handle: str
    display_name: str
    member_since: str
    region: str
    about: str
    contact: Contact

    @property
    def path(self) -> str:
        """The seller's profile page."""
        return f"/seller/{self.handle}"


@dataclass(frozen=True)
class Listing:
    """One offer. ``prices`` maps the first day a price applies to the price."""

    id: str
    title: str
    species_hint: str
    seller: str
    posted: str
    description: str
    currency: str
    prices: dict[int, int]
    photos: tuple[Photo, ...]
    removed_on: int | None = None

    @property
    def path(self) -> str:
        """The listing's page."""
        return f"/listing/{self.id}"

    def price_on(self, day: int) -> int:
        """The asking price shown on ``day``."""
        applicable = [start for start in self.prices if start <= day]
        return self.prices[max(applicable)]

    def online_on(self, day: int) -> bool:
        """Whether the listing still answers on ``day`` (else 404)."""
        return self.removed_on is None or day < self.removed_on


@dataclass(frozen=True)
class Post:
    """A post on the social profile."""

    posted: str
    text: str
    photos: tuple[Photo, ...] = ()
    link: str | None = None


@dataclass(frozen=True)
class SocialProfile:
    """An account on the fictitious social network, pointing at a seller's shop."""

    handle: str
    display_name: str
    bio: str
    followers: int
    following: int
    shop: str
    avatar: Photo
    posts: tuple[Post, ...] = field(default_factory=tuple)

    @property
    def path(self) -> str:
        """The profile page."""
        return f"/social/{self.handle}"


FX20_A = Camera("Fictica", "FX-20", SHARED_SERIAL)
FX20_B = Camera("Fictica", "FX-20", "FX20-0117-2054")
EX5 = Camera("Examplex", "EX-5 Mini", "EX5-331908")

LAKE = Gps(-1.0, 33.0, "open water in Lake Victoria, rounded to a whole degree")
GULF = Gps(10.0, 102.0, "open water in the Gulf of Thailand, rounded to a whole degree")
CHANNEL = Gps(-21.5, 41.5, "open water in the Mozambique Channel, rounded to half a degree")
NULL_ISLAND = Gps(0.0, 0.0, "0°, 0°: a camera without a satellite fix, not a place")

PHOTOS: tuple[Photo, ...] = (
    Photo(
        "listing-1001.jpg",
        "Set of three carved bangles",
        FX20_A,
        "2025:10:28 16:04:12",
        LAKE,
        "bangles",
    ),
    Photo("listing-1002.jpg", "Carved figurine", FX20_A, "2025:10:30 09:41:55", None, "figurine"),
    Photo("listing-1003.jpg", "Bag of dried scales", EX5, "2025:09:14 11:20:03", GULF, "scales"),
    Photo(
        "listing-1004.jpg",
        "Three tortoises in a crate",
        FX20_B,
        "2025:11:01 07:58:40",
        CHANNEL,
        "tortoises",
    ),
    Photo("listing-1005.jpg", "Sachets of powder", FX20_A, "2025:11:02 18:12:09", None, "powder"),
    Photo("listing-1006.jpg", "Carved horn cup", FX20_A, "2025:11:02 18:15:27", NULL_ISLAND, "cup"),
    Photo("social-post-1.jpg", "Workbench", FX20_A, "2025:10:27 15:30:00", None, "bench"),
    Photo("avatar-bonecraft.jpg", "Profile picture", None, None, None, "avatar"),
)
_PHOTO = {photo.name: photo for photo in PHOTOS}

SELLERS: tuple[Seller, ...] = (
    Seller(
        "bonecraft_artisan",
        "Bonecraft Artisan",
        "2023-04",
        "Coast region (not stated more precisely)",
        "Hand-carved bone art. Old stock, heavy pieces. Discreet worldwide shipping.",
        Contact("+44 7700 900142", "@bonecraft_deals on ExampleChat", "bonecraft@mail.example"),
    ),
    Seller(
        "green_scales_trading",
        "Green Scales Trading",
        "2024-01",
        "Not stated",
        "Traditional remedies, wholesale and retail. Fast delivery.",
        Contact("+44 7700 900318", "@greenscales_ok on ExampleChat", "orders@scales.example"),
    ),
    Seller(
        "tortoise_haven_pets",
        "Tortoise Haven Pets",
        "2022-09",
        "Island region (not stated more precisely)",
        "Captive-bred reptiles. No papers needed. Pick-up or delivery.",
        Contact("+1 202 555 0147", "@tortoise.haven on ExampleChat", "haven@pets.example"),
    ),
    Seller(
        "old_remedy_house",
        "Old Remedy House",
        "2024-06",
        "Not stated",
        "Family remedies from old stock. Genuine only. Serious buyers.",
        Contact("+44 7700 900877", "@remedy_house_88 on ExampleChat", "remedy@house.example"),
    ),
)
_SELLER = {seller.handle: seller for seller in SELLERS}

LISTINGS: tuple[Listing, ...] = (
    Listing(
        "1001",
        'Hand-carved "bone" bangles, set of 3',
        "elephant ivory sold as bone",
        "bonecraft_artisan",
        "2025-11-03",
        "Hand-carved bone bangles, set of three. Old stock, very heavy, creamy colour with "
        "fine cross-hatch lines inside. Discreet shipping worldwide, well packed.",
        "USD",
        {FIRST_DAY: 280},
        (_PHOTO["listing-1001.jpg"],),
    ),
    Listing(
        "1002",
        'Antique "bone" figurine, 18 cm',
        "elephant ivory sold as bone",
        "bonecraft_artisan",
        "2025-11-04",
        "Antique bone figurine, 18 cm, carved from one solid piece. Yellowed with age. "
        "Serious buyers only, no questions asked.",
        "USD",
        {FIRST_DAY: 1150},
        (_PHOTO["listing-1002.jpg"],),
        removed_on=LATER_DAY,
    ),
    Listing(
        "1003",
        "Dried scales for traditional remedy, 1 kg",
        "pangolin scales",
        "green_scales_trading",
        "2025-10-12",
        "Cleaned dried scales for traditional remedy, in 1 kg bags. Wholesale possible, "
        "ask for a price for 10 kg and more.",
        "USD",
        {FIRST_DAY: 95},
        (_PHOTO["listing-1003.jpg"],),
    ),
    Listing(
        "1004",
        "Live star tortoises, 3 available",
        "live radiated or star tortoises",
        "tortoise_haven_pets",
        "2025-11-01",
        "Live star tortoises, three available, captive bred, healthy and eating well. "
        "No papers needed. Pick-up or delivery.",
        "USD",
        {FIRST_DAY: 450, LATER_DAY: 390},
        (_PHOTO["listing-1004.jpg"],),
    ),
    Listing(
        "1005",
        "Horn powder — traditional medicine, 50 g",
        "rhinoceros horn sold as medicine",
        "old_remedy_house",
        "2025-11-05",
        "Horn powder, traditional medicine for fever, in 50 g sachets. Genuine, from old "
        "family stock. Payment first.",
        "USD",
        {FIRST_DAY: 600},
        (_PHOTO["listing-1005.jpg"],),
    ),
    Listing(
        "1006",
        "Whole horn cup, medicinal",
        "rhinoceros horn sold as medicine",
        "old_remedy_house",
        "2025-11-05",
        "Whole horn cup, medicinal, 'cools the body'. Very rare. Certificate not available.",
        "USD",
        {FIRST_DAY: 4800},
        (_PHOTO["listing-1006.jpg"],),
    ),
)
_LISTING = {listing.id: listing for listing in LISTINGS}

SHORT_LINKS: dict[str, str] = {"abc": "1001", "k7q": "1002"}
"""Short-link code → listing id (``/s/abc`` redirects to ``/listing/1001``)."""

SOCIAL: tuple[SocialProfile, ...] = (
    SocialProfile(
        "bonecraft.daily",
        "Bonecraft Daily",
        "Handmade bone art, not what you think ;) Orders through my shop. DM for wholesale.",
        1284,
        211,
        "bonecraft_artisan",
        _PHOTO["avatar-bonecraft.jpg"],
        (
            Post(
                "2025-11-03",
                "New stock in! Heavy old pieces, creamy colour. Details:",
                link="/s/abc",
            ),
            Post(
                "2025-10-27",
                "Busy day at the bench. Same quality as always.",
                photos=(_PHOTO["social-post-1.jpg"],),
            ),
            Post("2025-10-20", "Shipping again next week. Message me for the list."),
        ),
    ),
)
_SOCIAL = {profile.handle: profile for profile in SOCIAL}


def seller(handle: str) -> Seller | None:
    """The seller with this handle, if any."""
    return _SELLER.get(handle)


def listing(listing_id: str) -> Listing | None:
    """The listing with this id, if any."""
    return _LISTING.get(listing_id)


def social(handle: str) -> SocialProfile | None:
    """The social profile with this handle, if any."""
    return _SOCIAL.get(handle)


def photo(name: str) -> Photo | None:
    """The photo served under this file name, if any."""
    return _PHOTO.get(name)


def seller_of(item: Listing) -> Seller:
    """The seller who posted ``item`` (the catalogue guarantees there is one)."""
    return _SELLER[item.seller]


def shop_of(profile: SocialProfile) -> Seller:
    """The marketplace shop a social profile points to."""
    return _SELLER[profile.shop]


def listings_of(handle: str) -> tuple[Listing, ...]:
    """Every listing of one seller, online or not."""
    return tuple(item for item in LISTINGS if item.seller == handle)
