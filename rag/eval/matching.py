"""Whether an answer holds a gold answer written differently: "10,57 juta KL" / "10.57 million kiloliters",
"40.75%" / "40,75 persen", "delapan" / "8", "€63,5 juta" / "63,5 juta euro", "Magalhães" / "Magalhaes".

Both texts become a sequence of words and quantities. A quantity is a number read in both conventions
(rag.text.numbers), times its scale word ("juta", "million"), with its unit or currency when one is written
next to it ("Rp", "%", "km"); number words ("delapan", "three") and month names are quantities too.

- A gold without numbers must appear as a contiguous run of words (a different name does not match).
- A gold with numbers matches when a run of as many consecutive quantities of the answer has the same values
  (any order: "8 Oktober 2023" / "October 8, 2023"), no unit contradicts the gold's ("35,3 triliun dolar" is
  not "Rp 35,3 triliun"), and the gold's words before its first number are in the answer ("akhir 2027").
  What a number counts ("155 SPPG", "8.000 guru") may be left out, so a bare-number gold matches the number.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from itertools import permutations

from rag.text.language import STOPWORDS
from rag.text.numbers import MONTHS, UNITS, values

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[%€$£]")
_CURRENCIES = frozenset({"rupiah", "euro", "dollar", "pound"})  # written before the number too
_SCALES = {"ribu": 3, "thousand": 3, "juta": 6, "million": 6, "miliar": 9, "milyar": 9, "billion": 9,
           "triliun": 12, "trillion": 12}
_DIGITS = {"id": "nol satu dua tiga empat lima enam tujuh delapan sembilan".split(),
           "en": "zero one two three four five six seven eight nine".split()}
_NUMBER_WORDS = {word: value for words in _DIGITS.values() for value, word in enumerate(words)} | {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SE_WORDS = {"sepuluh": 10, "sebelas": 11, "seratus": 100, "seribu": 1000}  # "se-" is "one": a closed group
# A multiplier closes the group of number words before it: "dua ratus tiga puluh lima" = 2*100 + 3*10 + 5.
_MULTIPLIERS = {"puluh": 10, "ratus": 100, "hundred": 100}
# Words around a number that do not change which number it is ("tahun 1982", "sekitar 50.000 ekor").
_HEDGES = frozenset("tahun year sekitar kurang lebih hampir setidaknya sedikitnya about around approximately "
                    "nearly almost least over".split())
_STOPWORDS = STOPWORDS["id"] | STOPWORDS["en"]


@dataclass(frozen=True)
class Quantity:
    values: frozenset[Decimal]
    unit: str | None = None


Item = str | Quantity


def holds_answer(text: str, golds: list[str]) -> bool:
    """Whether ``text`` states one of the gold answers ``golds`` (see the module docstring)."""
    items = _items(text)
    return any(_holds(items, _items(variant)) for gold in golds for variant in _variants(gold))


def _variants(gold: str) -> list[str]:
    """A gold with a parenthesis also without it and as the part inside: "Badan Tenaga Atom Internasional
    (IAEA)" -> also "Badan Tenaga Atom Internasional" and "IAEA"."""
    inside = re.search(r"\(([^()]+)\)", gold)
    if not inside:
        return [gold]
    return [gold, gold[:inside.start()] + gold[inside.end():], inside.group(1)]


def _holds(items: list[Item], gold: list[Item]) -> bool:
    if not gold:
        return False
    wanted = [item for item in gold if isinstance(item, Quantity)]
    if not wanted:
        return any(items[i:i + len(gold)] == gold for i in range(len(items) - len(gold) + 1))
    first = gold.index(wanted[0])
    words = {item for item in items if isinstance(item, str)}
    if any(w not in words for w in gold[:first] if w not in _STOPWORDS and w not in _HEDGES and w not in UNITS):
        return False
    found = [item for item in items if isinstance(item, Quantity)]
    return any(_same_quantities(found[i:i + len(wanted)], wanted) for i in range(len(found) - len(wanted) + 1))


def _same_quantities(found: list[Quantity], wanted: list[Quantity]) -> bool:
    orders = permutations(found) if len(found) <= 4 else [found]
    return any(all(f.values & w.values and (f.unit is None or w.unit is None or f.unit == w.unit)
                   for f, w in zip(order, wanted)) for order in orders)


def _items(text: str) -> list[Item]:
    """``text`` as lower-cased words without diacritics, and quantities with their scale and unit."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    tokens = _TOKEN.findall(plain)
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        number, i = _number_at(tokens, i)
        if number is None:
            word = tokens[i].lower()
            items.append(UNITS.get(word, word))
            i += 1
            continue
        scale = _SCALES.get(tokens[i].lower(), 0) if i < len(tokens) else 0
        i += bool(scale)
        unit = items[-1] if items and items[-1] in _CURRENCIES else None  # "Rp 35,3", "€63,5"
        after = UNITS.get(tokens[i].lower()) if i < len(tokens) and not unit else None
        items.append(Quantity(frozenset(v.scaleb(scale) for v in number), unit or after))
        if after:  # "40.75 %", "10,57 juta KL"; the unit stays a word too ("dollar AS")
            items.append(after)
            i += 1
    return items


def _number_at(tokens: list[str], i: int) -> tuple[frozenset[Decimal] | None, int]:
    """The values of the number starting at ``tokens[i]`` (digits, a month name, number words) and the index
    after it; (None, i) when no number starts there."""
    token = tokens[i]
    if token[0].isdigit():
        readings = values(token)
        # "4.000" is four thousand, not 4.0: a reading with only zeros after the point is dropped
        kept = {r for r in readings if not r.endswith(".0")} or readings
        return frozenset(Decimal(r) for r in kept), i + 1
    if token in MONTHS:  # capitalised only: "May" is a month, "may" is not
        return frozenset({Decimal(MONTHS[token])}), i + 1
    total, group, start = 0, 0, i
    while i < len(tokens):
        word = tokens[i].lower()
        if word in _NUMBER_WORDS:
            group += _NUMBER_WORDS[word]
        elif word in _SE_WORDS:
            total, group = total + group + _SE_WORDS[word], 0
        elif word in _MULTIPLIERS and group:
            total, group = total + group * _MULTIPLIERS[word], 0
        elif word == "belas" and group:  # "dua belas" = 12
            total, group = total + group + 10, 0
        else:
            break
        i += 1
    if i == start:
        return None, start
    return frozenset({Decimal(total + group)}), i
