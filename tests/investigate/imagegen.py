"""Distinct photos made on the fly (seeded), their variants, and hostile image files."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw


def photo(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG of random shapes on a random background: one seed, one distinct picture."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(rng.randint(4, 12)):
        xs = sorted(rng.randrange(width) for _ in range(2))
        ys = sorted(rng.randrange(height) for _ in range(2))
        colour = tuple(rng.randrange(256) for _ in range(3))
        kind = rng.choice("erp")
        if kind == "e":
            draw.ellipse((xs[0], ys[0], xs[1], ys[1]), fill=colour)
        elif kind == "r":
            draw.rectangle((xs[0], ys[0], xs[1], ys[1]), fill=colour)
        else:
            points = [
                (rng.randrange(width), rng.randrange(height)) for _ in range(rng.randint(3, 6))
            ]
            draw.polygon(points, fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def reposted(data: bytes, *, quality: int = 60, scale: float = 0.5, crop: float = 0.0) -> bytes:
    """The photo as a marketplace re-serves it: cropped by a border, resized, re-encoded."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        dx, dy = int(width * crop), int(height * crop)
        out_image = image.crop((dx, dy, width - dx, height - dy))
        out_image = out_image.resize(
            (max(1, int(out_image.width * scale)), max(1, int(out_image.height * scale)))
        )
    out = io.BytesIO()
    out_image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A valid grey PNG of ``width`` × ``height`` zero pixels: kilobytes that decode huge."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a canvas and carries no pixels at all."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")
