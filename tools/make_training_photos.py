"""Draw the training marketplace's photos and write their EXIF (development time only).

The served JPEGs are committed under ``cybercase/training/site/media/``; cybercase never
needs Pillow at run time. Rerun this script only when the catalogue's photos change:

    pip install pillow piexif
    python tools/make_training_photos.py

The pictures are simple drawings made here (no third-party photo), stamped
"FICTITIOUS", and the EXIF (Make, Model, BodySerialNumber, DateTimeOriginal, GPS) comes
from ``cybercase.training.catalogue`` so the site, the tests and the files agree.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import piexif
from PIL import Image, ImageDraw, ImageFont

from cybercase.training.catalogue import PHOTOS, Gps, Photo

OUT = Path(__file__).resolve().parent.parent / "cybercase" / "training" / "site" / "media"
SIZE = (320, 240)
IVORY = (236, 226, 198)
DARK = (60, 52, 44)


def _draw(photo: Photo) -> Image.Image:
    image = Image.new("RGB", SIZE, (188, 176, 160))
    pen = ImageDraw.Draw(image)
    kind = photo.drawing
    if kind == "bangles":
        for i, x in enumerate((60, 130, 200)):
            pen.ellipse((x, 70 + 8 * i, x + 70, 140 + 8 * i), outline=IVORY, width=12)
    elif kind == "figurine":
        pen.ellipse((140, 40, 180, 80), fill=IVORY)
        pen.polygon([(125, 200), (195, 200), (175, 80), (145, 80)], fill=IVORY)
    elif kind == "scales":
        pen.rectangle((70, 60, 250, 210), fill=(120, 96, 60))
        for row in range(5):
            for col in range(7):
                x, y = 80 + col * 24 + (row % 2) * 12, 70 + row * 26
                pen.pieslice((x, y, x + 26, y + 34), 0, 180, fill=(150, 118, 80), outline=DARK)
    elif kind == "tortoises":
        pen.rectangle((30, 150, 290, 215), outline=DARK, width=4)
        for x in (45, 125, 205):
            pen.chord((x, 95, x + 70, 175), 180, 360, fill=(70, 60, 30))
            for k in range(3):
                pen.line((x + 15 + 20 * k, 110, x + 25 + 20 * k, 140), fill=(220, 200, 80), width=3)
    elif kind == "powder":
        for x in (60, 140, 220):
            pen.rectangle((x - 30, 80, x + 30, 190), fill=(245, 245, 240), outline=DARK)
            pen.text((x - 14, 125), "50 g", fill=DARK)
    elif kind == "cup":
        pen.polygon([(110, 70), (210, 70), (185, 190), (135, 190)], fill=(150, 130, 100))
        pen.ellipse((110, 60, 210, 85), fill=(120, 100, 75))
    elif kind == "bench":
        pen.rectangle((20, 160, 300, 200), fill=(110, 80, 50))
        pen.line((80, 120, 160, 160), fill=DARK, width=6)
        pen.ellipse((190, 120, 240, 160), outline=IVORY, width=8)
    elif kind == "avatar":
        pen.ellipse((110, 50, 210, 150), fill=(120, 110, 100))
        pen.pieslice((80, 150, 240, 300), 180, 360, fill=(120, 110, 100))
    else:
        raise ValueError(f"no drawing for {kind!r}")
    font = ImageFont.load_default()
    pen.rectangle((0, 0, SIZE[0], 18), fill=(180, 20, 20))
    pen.text((6, 3), "FICTITIOUS - cybercase training image", fill=(255, 255, 255), font=font)
    return image


def _dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Degrees, minutes and seconds as EXIF rationals (seconds to 1/100)."""
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = Fraction(round((minutes_full - minutes) * 60 * 100), 100)
    return (degrees, 1), (minutes, 1), (seconds.numerator, seconds.denominator)


def _gps(gps: Gps) -> dict[int, object]:
    return {
        piexif.GPSIFD.GPSVersionID: (2, 3, 0, 0),
        piexif.GPSIFD.GPSLatitudeRef: b"S" if gps.lat < 0 else b"N",
        piexif.GPSIFD.GPSLatitude: _dms(gps.lat),
        piexif.GPSIFD.GPSLongitudeRef: b"W" if gps.lon < 0 else b"E",
        piexif.GPSIFD.GPSLongitude: _dms(gps.lon),
    }


def _exif(photo: Photo) -> bytes:
    zeroth: dict[int, object] = {
        piexif.ImageIFD.ImageDescription: f"Fictitious training image: {photo.caption}".encode(),
    }
    exif: dict[int, object] = {}
    gps: dict[int, object] = {}
    if photo.camera is not None:
        zeroth[piexif.ImageIFD.Make] = photo.camera.make.encode()
        zeroth[piexif.ImageIFD.Model] = photo.camera.model.encode()
        exif[piexif.ExifIFD.BodySerialNumber] = photo.camera.serial.encode()
    if photo.taken is not None:
        exif[piexif.ExifIFD.DateTimeOriginal] = photo.taken.encode()
    if photo.gps is not None:
        gps = _gps(photo.gps)
    return bytes(piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps}))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for photo in PHOTOS:
        buffer = io.BytesIO()
        _draw(photo).save(buffer, "JPEG", quality=55, optimize=True, exif=_exif(photo))
        (OUT / photo.name).write_bytes(buffer.getvalue())
        print(f"{photo.name}: {len(buffer.getvalue()):,} bytes")


if __name__ == "__main__":
    main()
