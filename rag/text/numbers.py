"""Numbers in news text: their values in either convention, whether they belong to a date, what they count.

Indonesian writes "4.000" and "49,07" where English writes "4,000" and "49.07"; a number is read both
ways. "March 30, 2026" holds two numbers that count nothing: a "how many" question is not answered by
them. "4.000 warga mengungsi" counts "warga": the two words after a number say what it counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.languages import union
from rag.text.months import FULL_NAMES, MONTH_NUMBERS
from rag.text.tokens import content_stems

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Month names count as numbers: "20 Januari 2026" matches "20/1/2026" and "20 January 2026".
MONTHS = {name: str(MONTH_NUMBERS[name.lower()]) for name in sorted(FULL_NAMES)}
_NUMBER_OR_MONTH = re.compile(NUMBER.pattern + r"|\b(?:" + "|".join(MONTHS) + r")\b")
# Capitalised only: "May" is a month, "may" is not.
_MONTH_WORDS = frozenset(name.capitalize() for name in MONTH_NUMBERS)
# Words after which a four-digit number is a year: "pada 2023", "in 2023", "tahun 2026", "since 1998".
_YEAR_CUES = union("year_cues")
_WORD = re.compile(r"[^\W\d_]+")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\s+$")  # the words right before and after a number, only spaces between
_WORD_AFTER = re.compile(r"\s+([^\W\d_]+)")
_UNIT_BEFORE = re.compile(r"(?:\b(?:Rp|USD|IDR|US)\s?\$?|\$|€|£)\s?$")
_STOPWORDS = union("stopwords")
# Units and currencies as written -> one name (lower case): "10,57 juta KL" is "10,57 juta kiloliter".
UNITS = {
    "rp": "rupiah", "rupiah": "rupiah", "idr": "rupiah", "€": "euro", "euro": "euro", "eur": "euro",
    "$": "dollar", "usd": "dollar", "dolar": "dollar", "dollar": "dollar", "dollars": "dollar", "£": "pound",
    "pound": "pound", "pounds": "pound", "%": "percent", "persen": "percent", "percent": "percent",
    "kl": "kiloliter", "kiloliter": "kiloliter", "kiloliters": "kiloliter", "km": "kilometer",
    "kilometer": "kilometer", "kilometers": "kilometer", "kilometre": "kilometer", "kilometres": "kilometer",
    "meter": "meter", "meters": "meter", "metre": "meter", "metres": "meter", "kg": "kilogram",
    "kilogram": "kilogram", "kilograms": "kilogram", "ton": "ton", "tons": "ton", "tonnes": "ton",
    "ha": "hectare", "hektar": "hectare", "hectare": "hectare", "hectares": "hectare",
}
_UNIT_WORD = re.compile(r"\b(?:" + "|".join(sorted((u for u in UNITS if u.isalpha()), key=len, reverse=True))
                        + r")\b", re.IGNORECASE)


# A year with what is written before it: a part of the year ("akhir 2027", "the end of 2027") or a date.
_DATED_YEAR = re.compile(
    r"(?:\b(?:" + "|".join(sorted(union("year_parts"), key=len, reverse=True)) + r")\s+(?:(?:of|the|tahun)\s+)*"
    r"|\b\d{1,2}\s+(?:" + "|".join(sorted(_MONTH_WORDS)) + r")\.?\s+"
    r"|\b(?:" + "|".join(sorted(_MONTH_WORDS)) + r")\.?\s+(?:\d{1,2},?\s+)?)\d{4}$", re.IGNORECASE)
_PHRASE_WORDS = 2  # words after a number that may say what it counts ("253 suku bangsa")


@dataclass(frozen=True)
class Count:
    """A number of a text: as written, its values, the stems of the (up to) two words after it."""
    raw: str
    values: frozenset[str]
    counts: tuple[str, ...]  # what it counts: "4.000 warga mengungsi" -> ("warga", "ungsi")
    in_date: bool            # part of a date ("30 Maret 2026", "March 30, 2026", "in 2023")


def values(token: str) -> set[str]:
    """Canonical readings of a number, both conventions: "4.000" -> {"4000", "4.0"},
    "1,400" -> {"1400", "1.4"}, "49,07" -> {"49.07"} ("07" cannot be a thousands group)."""
    out = set()
    for thousands, decimal in ((".", ","), (",", ".")):
        whole, has_decimal, frac = token.partition(decimal)
        groups = whole.split(thousands)
        if has_decimal and not frac.isdigit() or len(groups) > 1 and (
                len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])):
            continue
        value = str(int("".join(groups)))
        out.add(f"{value}.{frac.rstrip('0') or '0'}" if has_decimal else value)
    return out or {re.sub(r"[.,]", "", token)}


def find_numbers(text: str) -> list[tuple[str, set[str]]]:
    """Numbers and month names of ``text`` with their canonical values."""
    return [(raw, {MONTHS[raw]} if raw in MONTHS else values(raw)) for raw in _NUMBER_OR_MONTH.findall(text)]


def counts(text: str, language: str) -> list[Count]:
    """Every number of ``text`` with what it counts and whether it is part of a date."""
    out: list[Count] = []
    previous_end = -1  # where the last number ended, when it was part of a date
    for m in NUMBER.finditer(text):
        word_before = _WORD_BEFORE.search(text, max(0, m.start() - 20), m.start())
        before = word_before.group(1) if word_before else ""
        following = _WORD_AFTER.match(text, m.end())
        year_like = len(m.group()) == 4 and m.group().isdigit() and 1800 <= int(m.group()) <= 2100
        in_date = (before in _MONTH_WORDS or following is not None and following.group(1) in _MONTH_WORDS
                   or year_like and (before.lower() in _YEAR_CUES
                                     or previous_end >= 0 and not text[previous_end:m.start()].strip(" ,/-")))
        after = _WORD.findall(text[m.end():m.end() + 40])[:2]
        stems = tuple(stem for word in after if word not in MONTHS for stem in content_stems(word, language)
                      if not stem[0].isdigit())
        out.append(Count(m.group(), frozenset(values(m.group())), stems, in_date))
        previous_end = m.end() if in_date else -1
    return out


def with_unit_names(text: str) -> str:
    """``text`` with every unit or currency word in its one name: "6 km" -> "6 kilometer", "Rp 5" -> "rupiah 5"."""
    return _UNIT_WORD.sub(lambda m: UNITS[m.group().lower()], text)


def number_phrase(raw: str, text: str) -> str | None:
    """How ``text`` writes the number ``raw`` with its currency and what it counts: "253" in "terdapat 253
    suku bangsa di ..." -> "253 suku bangsa", "14.500" in "menjadi Rp 14.500." -> "Rp 14.500"; a year with the
    part of it or the date it is written with: "2027" in "pada akhir 2027" -> "akhir 2027"; None when ``text``
    has no such number, or only inside a date (the date needs nothing around it)."""
    wanted = values(raw)
    for m in NUMBER.finditer(text):
        if not values(m.group()) & wanted:
            continue
        following = _WORD_AFTER.match(text, m.end())
        if len(m.group()) == 4 and m.group().isdigit() and 1800 <= int(m.group()) <= 2100:
            dated = _DATED_YEAR.search(text[:m.end()])
            return dated.group() if dated else None
        if following and following.group(1) in _MONTH_WORDS:
            return None
        end, words = m.end(), 0
        while words < _PHRASE_WORDS and (following := _WORD_AFTER.match(text, end)):
            word = following.group(1)
            name = word[0].isupper() and not (word.isupper() and len(word) > 1)  # an acronym may be counted
            if word.lower() in _STOPWORDS or name or text.startswith("-", following.end()):  # not "se-Kabupaten"
                break
            end, words = following.end(), words + 1
        if text[:end].lower().endswith(" per") and (following := _WORD_AFTER.match(text, end)):
            end = following.end()  # "25.000 penumpang per hari", not "… per"
        unit = _UNIT_BEFORE.search(text, max(0, m.start() - 6), m.start())
        return text[unit.start() if unit else m.start():end]
    return None
