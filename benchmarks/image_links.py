"""Benchmark: photo links — how often pHash links a re-post, and how often two different photos.

Generates N distinct photos (seeded random shapes, 320x240 JPEG), re-posts each (JPEG
quality 60 and half size; then also with a 3% border cropped), and prints how many
re-posts are linked (distance <= PHASH_THRESHOLD), the distance spread, and the false
matches among all pairs of distinct photos. Times cybercase's pure-Python pHash against
``imagehash.phash`` (numpy/scipy) on the same bytes, and checks they agree bit for bit.

    python benchmarks/image_links.py [--photos 250]
"""

from __future__ import annotations

import argparse
import io
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import banner
from cybercase.investigate.images import PHASH_THRESHOLD, ImageHashes, distance, hash_image
from tests.investigate.imagegen import photo, reposted


def _hash(data: bytes) -> ImageHashes:
    outcome = hash_image(data)
    assert isinstance(outcome, ImageHashes), outcome
    return outcome


def main() -> None:
    """Print the link rates, the false-match rate and the speed ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=250)
    args = parser.parse_args()
    banner(f"photo links: {args.photos} generated photos, threshold {PHASH_THRESHOLD} bits")
    originals = [photo(seed) for seed in range(args.photos)]
    hashes = [_hash(data) for data in originals]
    for label, crop in (("JPEG 60 + half size", 0.0), ("JPEG 60 + half size + 3% crop", 0.03)):
        spread = Counter(
            distance(h, _hash(reposted(data, quality=60, scale=0.5, crop=crop)))
            for h, data in zip(hashes, originals, strict=True)
        )
        linked = sum(n for d, n in spread.items() if d <= PHASH_THRESHOLD)
        print(f"   {label}: {linked} of {args.photos} linked; distances {sorted(spread.items())}")
    pairs = list(itertools.combinations(hashes, 2))
    near = Counter(distance(a, b) for a, b in pairs if distance(a, b) <= PHASH_THRESHOLD + 4)
    false = sum(n for d, n in near.items() if d <= PHASH_THRESHOLD)
    print(
        f"   distinct pairs: {len(pairs)}; false matches {false} "
        f"({100 * false / len(pairs):.4f}%); closest distances {sorted(near.items())}"
    )
    import imagehash
    from PIL import Image

    start = time.perf_counter()
    ours = [_hash(data).phash for data in originals]
    mine = time.perf_counter() - start
    start = time.perf_counter()
    theirs = []
    for data in originals:
        with Image.open(io.BytesIO(data)) as image:
            theirs.append(str(imagehash.phash(image)))
    peer = time.perf_counter() - start
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True))
    print(f"   agreement with imagehash.phash: {agree} of {len(ours)} bit for bit")
    print(
        f"   speed: cybercase {1000 * mine / len(ours):.2f} ms/photo, imagehash "
        f"{1000 * peer / len(ours):.2f} ms/photo (ratio {peer / mine:.2f}x)"
    )


if __name__ == "__main__":
    main()
