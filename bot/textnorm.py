"""Fold look-alike characters so that a rule (or a model) sees the letters a person sees.

Someone writing to the bot, or someone trying to get past its safety guard, may
type "оutside" with a Cyrillic "о", put a zero-width space or a soft hyphen
inside a word ("out\u200bside", "out\u00adside"), use full-width or
mathematical letters, accents ("òutside"), or digits for letters ("0utside",
"kn1fe").  :func:`fold_lookalikes` turns all of these into plain lower-case
Latin letters, in this order:

1. NFKC (full-width, ligatures, mathematical alphabets, compatibility forms);
2. invisible formatting characters (Unicode category Cf: zero-width spaces and
   joiners, soft hyphens, bidi controls, word joiners, BOM) and variation
   selectors are removed;
3. lower case, then letters from other scripts that look like Latin letters
   (Cyrillic, Greek, a few others; a subset of Unicode's confusables table)
   become those Latin letters;
4. accents are removed (NFKD, combining marks dropped);
5. inside a word that has letters, digits that stand for letters become
   letters (0→o, 1→i, 3→e, 4→a, 5→s, 7→t, and $ / @ between letters).
   A number on its own ("999", "20 times") and a number with a unit or an
   ordinal ("10pm", "3rd", "2nd") are left as they are.

Pure standard library; used by the safety guard before every rule and meant
for the NLU too (one reading of a message everywhere).
"""

from __future__ import annotations

import re
import unicodedata

# Letters of other scripts that look like Latin ones, after lower-casing.
# Cyrillic first, then Greek, then other look-alikes.  Upper-case look-alikes
# (Cyrillic Н, В, М, Т) become these lower-case letters when lower-cased.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "ѐ": "e", "є": "e", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "ў": "y", "х": "x", "ѕ": "s", "і": "i",
    "ї": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "ӏ": "l", "ɡ": "g",
    "ь": "b", "г": "r", "п": "n", "и": "u", "ш": "w", "з": "3", "ч": "4",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j", "ς": "c", "μ": "u",
    # Others (Latin small capitals and IPA letters that NFKC leaves alone)
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ɪ": "i", "ʏ": "y", "ᴀ": "a", "ʙ": "b", "ᴄ": "c",
    "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n",
    "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
    "ø": "o", "đ": "d", "ħ": "h", "ł": "l", "ŀ": "l", "ß": "ss", "æ": "ae", "œ": "oe",
}
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)

# Characters to drop besides category Cf: variation selectors, combining
# grapheme joiner, Hangul fillers, Mongolian vowel separator, braille blank.
_EXTRA_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u180e\u2800\u3164\uffa0\ufe00-\ufe0f]|[\U000e0100-\U000e01ef]"
)

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a"})
# A "word" that mixes letters with digits or $ / @ standing for letters.
_MIXED = re.compile(r"[a-z0-9$@]*(?:[a-z][0-9$@]|[0-9$@][a-z])[a-z0-9$@]*")
# "k!ll", "kn!fe": a "!" after one or two consonants that start a word.
_BANG_I = re.compile(
    r"(?<=\b[bcdfghjklmnpqrstvwxz])!(?=[a-z]{2})|(?<=\b[bcdfghjklmnpqrstvwxz]{2})!(?=[a-z]{2})"
)
_BAR_L = re.compile(r"(?<=[a-z])\|(?=[a-z|])|(?<=[a-z]\|)\|")
# Numbers with a unit or an ordinal, and text-speak the guard maps as words.
_NUMBER_WORD = re.compile(
    r"\d+(?:st|nd|rd|th|am|pm|s|k|m|mins?|h|hrs?|hours?|x|yo|yrs?|ish|mph|ft|cm|km|kg|gb|mb|g)"
    r"|\d+[a-z]?\d*"
)


def strip_invisible(text: str) -> str:
    """Remove formatting characters that show as nothing (zero-width, soft hyphen, bidi...)."""
    if text.isascii():
        return text
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _EXTRA_INVISIBLE.sub("", text)


def fold_lookalikes(text: str, *, digits: bool = True) -> str:
    """Lower-case ``text`` with look-alike characters folded to plain Latin letters.

    ``digits=False`` leaves digits inside words alone (for callers that need
    "b4" or "2nite" as typed; the guard maps those first, then folds digits
    with :func:`fold_digits`).
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = strip_invisible(text).lower().translate(_CONFUSABLE_TABLE)
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    else:
        text = text.lower()
    return fold_digits(text) if digits else text


def fold_digits(text: str, keep: frozenset[str] | set[str] = frozenset()) -> str:
    """Digits and $ / @ / ! / | used as letters inside a word become letters ("0utside" -> "outside").

    Words in ``keep`` (text-speak such as "some1" that a caller maps itself) stay as typed.
    """
    if "!" in text or "|" in text:
        text = _BANG_I.sub("i", _BAR_L.sub("l", text))
    if not any(ch.isdigit() or ch in "$@" for ch in text):
        return text
    return _MIXED.sub(lambda found: _fold_word(found.group(0), keep), text)


def _fold_word(word: str, keep: frozenset[str] | set[str]) -> str:
    if word in keep or _NUMBER_WORD.fullmatch(word) or sum(ch.isalpha() for ch in word) < 2:
        return word
    return word.translate(_LEET)
