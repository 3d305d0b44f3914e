"""Where a participant is → their time zone: an Indonesian province, city or regency, WIB/WITA/WIT,
or an IANA name.

The places come from ``coaching/data/zones_id.csv``: all 38 provinces, each with its capital and
main cities and regencies (and common short forms: *Jabar*, *DIY*, *NTT*). A typed place is
folded (case, accents, "Kota", "Kabupaten", "Provinsi" ignored) and looked up; a near miss
("Bandng", "Makasar") is found with rapidfuzz when only one place is that close.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

__all__ = ["LABELS", "ZONES", "Place", "find_zone", "zone_label"]

ZONES: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
LABELS: dict[str, str] = {zone: label for label, zone in ZONES.items()}
DATA = Path(__file__).with_name("data") / "zones_id.csv"
TYPED_MAX = 64
NEAR_SCORE = 88  # rapidfuzz ratio (0-100): "makasar" ~ "makassar", not "bandung" ~ "badung"
_PREFIX = re.compile(
    r"^(?:kota|kab\.?|kabupaten|prov\.?|provinsi|province|city of|regency of|daerah istimewa)\s+"
)


@dataclass(frozen=True)
class Place:
    """What a typed place was taken for: the zone, and the place named (for the echo)."""

    zone: str
    name: str | None = None  # the place as the data spells it; None for WIB/IANA typed as such
    province: str | None = None


def zone_label(zone: str | None) -> str:
    """``WIB``/``WITA``/``WIT`` for Indonesia's zones, else the IANA name (``-`` if none)."""
    return LABELS.get(zone or "", zone or "-")


def find_zone(text: str) -> Place | None:
    """The time zone a participant means: ``WITA``, ``Asia/Tokyo``, ``Bandung``, ``Kota
    Makassar``, ``Kabupaten Jayapura``, ``Jawa Barat``... None when nothing fits.

    >>> find_zone("Bandung").zone, find_zone("kota makassar").zone, find_zone("Jayapura").zone
    ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura')
    >>> find_zone("wita").zone, find_zone("Asia/Tokyo").zone, find_zone("Atlantis")
    ('Asia/Makassar', 'Asia/Tokyo', None)
    """
    cleaned = " ".join(unicodedata.normalize("NFKC", text or "").split())[:TYPED_MAX]
    if cleaned.upper() in ZONES:
        return Place(ZONES[cleaned.upper()])
    if "/" in cleaned and cleaned in _iana():
        try:
            ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return Place(cleaned)
    key = _fold(cleaned)
    if not key:
        return None
    places = _places()
    if key in places:
        return places[key]
    found = process.extract(key, list(places), scorer=fuzz.ratio, limit=2)
    if found and found[0][1] >= NEAR_SCORE:
        best = places[found[0][0]]
        # Two places equally close in different zones: not a guess we can make.
        if len(found) > 1 and found[1][1] >= NEAR_SCORE and places[found[1][0]].zone != best.zone:
            return None
        return best
    return None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"[^a-z0-9 ]+", " ", plain.replace("-", " "))
    plain = " ".join(plain.split())
    return _PREFIX.sub("", plain).strip()


@lru_cache(maxsize=1)
def _places() -> dict[str, Place]:
    places: dict[str, Place] = {}
    with DATA.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            for name in row["name"].split("|"):
                places.setdefault(_fold(name), Place(row["zone"], name, row["province"]))
    return places


@lru_cache(maxsize=1)
def _iana() -> frozenset[str]:
    return frozenset(available_timezones())
