"""Perceptual hashes: a re-post is linked, distinct photos are not, bad files are recorded."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import imagehash
import pytest
from PIL import Image

import cybercase.training
from cybercase.investigate.images import (
    MAX_PIXELS,
    PHASH_THRESHOLD,
    ImageHashes,
    NotHashed,
    distance,
    hash_image,
    is_near,
    perceptual_hashes,
)
from tests.investigate.imagegen import photo, png_bomb, png_header_only, reposted

MEDIA = Path(cybercase.training.__file__).parent / "site" / "media"


def _hashes(data: bytes) -> ImageHashes:
    result = perceptual_hashes(data)
    assert result is not None
    return result


@pytest.mark.parametrize("name", sorted(p.name for p in MEDIA.glob("*.jpg")))
def test_phash_is_imagehash_bit_for_bit(name: str) -> None:
    data = (MEDIA / name).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        expected = str(imagehash.phash(image))
    assert _hashes(data).phash == expected


def test_phash_matches_imagehash_on_generated_photos() -> None:
    for seed in range(20):
        data = photo(seed)
        with Image.open(io.BytesIO(data)) as image:
            assert _hashes(data).phash == str(imagehash.phash(image))


def test_reencoded_at_60_and_halved_is_linked() -> None:
    for seed in range(50):
        original = _hashes(photo(seed))
        copy = _hashes(reposted(photo(seed), quality=60, scale=0.5))
        assert copy.sha256 != original.sha256
        assert is_near(original, copy), (seed, distance(original, copy))


def test_training_photos_are_linked_to_their_reposts_and_not_to_each_other() -> None:
    photos = {p.name: _hashes(p.read_bytes()) for p in sorted(MEDIA.glob("*.jpg"))}
    for name, hashes in photos.items():
        repost = _hashes(reposted((MEDIA / name).read_bytes(), quality=60, scale=0.5))
        assert is_near(hashes, repost), name
    for a, b in itertools.combinations(photos.values(), 2):
        assert not is_near(a, b)


def test_false_match_rate_on_250_distinct_photos() -> None:
    """250 distinct photos, 31,125 pairs: the figure docs/investigate.md states."""
    hashes = [_hashes(photo(seed)) for seed in range(250)]
    pairs = list(itertools.combinations(hashes, 2))
    false_matches = sum(is_near(a, b) for a, b in pairs)
    assert len(pairs) == 31_125
    assert false_matches / len(pairs) <= 0.0001


def test_same_bytes_are_near_and_distance_is_zero() -> None:
    data = photo(7)
    a, b = _hashes(data), _hashes(data)
    assert distance(a, b) == 0
    assert is_near(a, b)
    assert PHASH_THRESHOLD < 64


def test_truncated_image_is_not_hashed() -> None:
    data = photo(3)
    outcome = hash_image(data[: len(data) // 2])
    assert isinstance(outcome, NotHashed)
    assert "truncated" in outcome.reason
    assert perceptual_hashes(data[: len(data) // 2]) is None


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb(10_000, 10_000)
    assert len(bomb) < 1_000_000
    outcome = hash_image(bomb)
    assert isinstance(outcome, NotHashed)
    assert outcome.reason.startswith("decompression bomb")


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 6_000)])
def test_declared_canvas_above_the_limit_is_a_bomb(size: tuple[int, int]) -> None:
    assert size[0] * size[1] > MAX_PIXELS
    outcome = hash_image(png_header_only(*size))
    assert isinstance(outcome, NotHashed)
    assert outcome.reason.startswith("decompression bomb")


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"%PDF-1.7\n"])
def test_not_an_image_is_not_hashed(data: bytes) -> None:
    outcome = hash_image(data)
    assert isinstance(outcome, NotHashed)
    assert outcome.sha256 and "not an image" in outcome.reason


def test_png_without_pixels_is_not_hashed() -> None:
    outcome = hash_image(png_header_only(64, 64))
    assert isinstance(outcome, NotHashed)
