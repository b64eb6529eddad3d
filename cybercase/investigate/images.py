"""Perceptual hashes of images: the same photo posted twice is a link, even re-encoded.

Sellers re-post one photo under several accounts; the marketplace re-encodes it,
shrinks it, crops a border. The SHA-256 of the bytes then differs, but a perceptual hash
barely moves. This module computes the **pHash** of ``imagehash`` 4.x (DCT of a 32×32
grey image, the 8×8 lowest frequencies compared with their median: 64 bits, written as
16 hex digits, most significant bit first) in pure Python on top of Pillow, so the
same bytes give the same hash here and in ``imagehash.phash`` — the tests check it bit
for bit — without numpy and scipy.

Two hashes are near when their Hamming distance is at most :data:`PHASH_THRESHOLD`
bits of 64. The threshold was chosen by measurement (``benchmarks/image_links.py`` and
``tests/investigate/test_images.py``): a photo re-encoded at JPEG quality 60 and resized
to half stays within 4 bits, with a 3% border cropped as well within 10 bits for 4 in 5;
among 250 distinct generated images (31,125 pairs) one pair was at 10 bits, none closer: a
false-match rate of 0.003% (docs/investigate.md gives the figures). A link is a lead for
a person to look at, not an identification: the HTML report shows both photos.

Hostile input is expected (pages are written by the people under investigation):

- a **decompression bomb** (a small file that declares a huge canvas) is refused from
  its header, before any pixel is decoded: more than :data:`MAX_PIXELS` pixels;
- a **truncated** or corrupt image fails to decode (Pillow's ``LOAD_TRUNCATED_IMAGES``
  stays off);
- only the formats in :data:`FORMATS` are opened.

Each gives a :class:`NotHashed` with the reason, never an exception, so one bad image
never stops the analysis of a case.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass
from functools import cache

__all__ = [
    "ALGORITHM",
    "FORMATS",
    "MAX_PIXELS",
    "PHASH_THRESHOLD",
    "ImageHashes",
    "NotHashed",
    "distance",
    "hash_image",
    "is_near",
    "perceptual_hashes",
]

ALGORITHM = "phash-imagehash4-64"
"""The name recorded beside every hash: the pHash of imagehash 4.x, 64 bits."""

PHASH_THRESHOLD = 10
"""Hamming distance (bits of 64) up to which two images are a link."""

MAX_PIXELS = 40_000_000
"""Largest canvas decoded (width × height); a larger one is a decompression bomb."""

FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
"""The image formats opened; anything else is recorded as not hashed."""

_HASH_SIZE = 8
_IMAGE_SIZE = 32


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """The hashes of one image."""

    sha256: str
    """SHA-256 of the image's bytes, lowercase hex (the object store's name for it)."""
    phash: str
    """pHash, 16 lowercase hex digits (imagehash's ``str(imagehash.phash(img))``)."""
    width: int
    """Width in pixels, as the file declares it."""
    height: int
    """Height in pixels, as the file declares it."""
    pdq: str | None = None
    """PDQ hash (64 hex digits) when one was computed; this version computes none."""
    algorithm: str = ALGORITHM
    """Which perceptual hash ``phash`` holds."""


@dataclass(frozen=True, slots=True)
class NotHashed:
    """An image that could not be hashed, and why (recorded, never raised)."""

    sha256: str
    """SHA-256 of the bytes, so the record still names the object."""
    reason: str
    """One line: ``decompression bomb: 100000 x 100000 pixels``, ``truncated: ...``."""


def distance(a: ImageHashes, b: ImageHashes) -> int:
    """Hamming distance between two pHashes, in bits (0 = same, 64 = opposite)."""
    if a.algorithm != b.algorithm:
        raise ValueError(f"cannot compare {a.algorithm} with {b.algorithm}")
    return (int(a.phash, 16) ^ int(b.phash, 16)).bit_count()


def is_near(a: ImageHashes, b: ImageHashes) -> bool:
    """Whether two images are a link: the same bytes, or pHashes within the threshold."""
    return a.sha256 == b.sha256 or distance(a, b) <= PHASH_THRESHOLD


def perceptual_hashes(data: bytes) -> ImageHashes | None:
    """The hashes of an image, or ``None`` when it cannot be hashed (see :func:`hash_image`)."""
    outcome = hash_image(data)
    return outcome if isinstance(outcome, ImageHashes) else None


def hash_image(data: bytes) -> ImageHashes | NotHashed:
    """The hashes of an image, or why there are none; never raises for bad bytes."""
    sha256 = hashlib.sha256(data).hexdigest()
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return NotHashed(
                        sha256, f"decompression bomb: {width} x {height} pixels declared"
                    )
                image.seek(0)
                grey = image.convert("L").resize(
                    (_IMAGE_SIZE, _IMAGE_SIZE), Image.Resampling.LANCZOS
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return NotHashed(sha256, f"decompression bomb: {exc}")
    except UnidentifiedImageError:
        return NotHashed(sha256, f"not an image in a supported format ({', '.join(FORMATS)})")
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        return NotHashed(sha256, f"truncated or corrupt image: {exc}")
    return ImageHashes(
        sha256=sha256, phash=_phash(list(grey.tobytes())), width=width, height=height
    )


@cache
def _cosines() -> tuple[tuple[float, ...], ...]:
    """DCT-II basis rows for the 8 lowest frequencies of 32 samples."""
    n = _IMAGE_SIZE
    return tuple(
        tuple(math.cos(math.pi * k * (2 * i + 1) / (2 * n)) for i in range(n))
        for k in range(_HASH_SIZE)
    )


def _phash(pixels: list[int]) -> str:
    """imagehash's pHash of 32×32 grey pixels (row-major).

    scipy's unnormalised DCT-II along columns then rows, restricted to the 8×8 lowest
    frequencies; its constant factor of 2 per axis changes no comparison and is left out.
    """
    n = _IMAGE_SIZE
    rows = [pixels[r * n : (r + 1) * n] for r in range(n)]
    cos = _cosines()
    columns = [[sum(c[r] * rows[r][j] for r in range(n)) for j in range(n)] for c in cos]
    low = [sum(c[j] * line[j] for j in range(n)) for line in columns for c in cos]
    ordered = sorted(low)
    median = (ordered[31] + ordered[32]) / 2
    bits = 0
    for value in low:
        bits = (bits << 1) | (value > median)
    return f"{bits:016x}"
