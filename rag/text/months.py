"""Month names in Indonesian and English, with their usual abbreviations, for reading and writing dates."""
from __future__ import annotations

import datetime as dt

# One entry per month, in order: Indonesian name, English name, abbreviations (all lower case).
MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("januari", "january", "jan"), ("februari", "february", "feb"), ("maret", "march", "mar"),
    ("april", "april", "apr"), ("mei", "may"), ("juni", "june", "jun"), ("juli", "july", "jul"),
    ("agustus", "august", "aug", "agu", "agt", "ags"), ("september", "september", "sep", "sept"),
    ("oktober", "october", "oct", "okt"), ("november", "november", "nov"), ("desember", "december", "dec", "des"),
)
#: Every name and abbreviation -> the month's number (1-12).
MONTH_NUMBERS: dict[str, int] = {name: number for number, names in enumerate(MONTH_NAMES, 1) for name in names}


def long_date(iso: str, language: str) -> str:
    """An ISO date written out in ``language``: "2026-02-12" -> "12 Februari 2026" (id) / "12 February 2026"
    (en, the default for other languages); a text that is not an ISO date is returned as it is."""
    try:
        date = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    name = MONTH_NAMES[date.month - 1][0 if language == "id" else 1]
    return f"{date.day} {name.capitalize()} {date.year}"
