"""EXIF facts of an image: where (GPS), with what camera, and when, read with exifread.

Photos posted by sellers sometimes still carry the GPS position and the camera's serial
number; both can tie listings to a place or a device. Coordinates are converted from
degrees/minutes/seconds to signed decimal degrees (north and east positive).
"""

from __future__ import annotations

import logging
from typing import Any, BinaryIO

import exifread

from cybercase.collect.record import Exif

_SKIPPED = ("JPEGThumbnail", "TIFFThumbnail", "EXIF MakerNote", "Filename")
MAX_TAG_TEXT = 256
logging.getLogger("exifread").setLevel(logging.ERROR)


def _ratio(value: Any) -> float:
    num = getattr(value, "num", None)
    den = getattr(value, "den", None)
    if num is not None and den is not None:
        return float(num) / float(den) if den else 0.0
    return float(value)


def _degrees(tag: Any, ref: Any, negative: str) -> float | None:
    if tag is None:
        return None
    values = list(getattr(tag, "values", []) or [])
    if not values:
        return None
    parts = [_ratio(v) for v in values[:3]] + [0.0, 0.0]
    decimal = parts[0] + parts[1] / 60 + parts[2] / 3600
    if ref is not None and str(ref).strip().upper().startswith(negative):
        decimal = -decimal
    return round(decimal, 7)


def _text(tags: dict[str, Any], name: str) -> str | None:
    value = tags.get(name)
    if value is None:
        return None
    text = str(value).strip().strip("\x00").strip()
    return text or None


def read_exif(stream: BinaryIO) -> Exif | None:
    """The EXIF facts of an image (a binary stream), or ``None`` when it carries none."""
    tags: dict[str, Any] = exifread.process_file(stream, details=False)
    tags = {k: v for k, v in tags.items() if k not in _SKIPPED}
    if not tags:
        return None
    altitude = None
    if tags.get("GPS GPSAltitude") is not None:
        values = list(getattr(tags["GPS GPSAltitude"], "values", []) or [])
        if values:
            altitude = round(_ratio(values[0]), 3)
            ref = tags.get("GPS GPSAltitudeRef")
            ref_values = list(getattr(ref, "values", []) or [])
            if ref_values and ref_values[0] == 1:
                altitude = -altitude
    return Exif(
        gps_latitude=_degrees(tags.get("GPS GPSLatitude"), tags.get("GPS GPSLatitudeRef"), "S"),
        gps_longitude=_degrees(tags.get("GPS GPSLongitude"), tags.get("GPS GPSLongitudeRef"), "W"),
        gps_altitude_m=altitude,
        make=_text(tags, "Image Make"),
        model=_text(tags, "Image Model"),
        serial_number=_text(tags, "EXIF BodySerialNumber")
        or _text(tags, "Image CameraSerialNumber"),
        datetime_original=_text(tags, "EXIF DateTimeOriginal"),
        software=_text(tags, "Image Software"),
        tags={k: str(v)[:MAX_TAG_TEXT] for k, v in sorted(tags.items())},
    )
