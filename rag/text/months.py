"""Month names of every language, with their usual abbreviations, for reading and writing dates."""
from __future__ import annotations

import datetime as dt

from rag.text.languages import LANGUAGES, language

#: Every name and abbreviation (lower case) -> the month's number (1-12).
MONTH_NUMBERS: dict[str, int] = {name: number for lang in LANGUAGES.values()
                                 for number, names in enumerate(lang.months, 1) for name in names}
#: The full month names of every language, capitalised as a sentence writes them.
FULL_NAMES: frozenset[str] = frozenset(names[0].capitalize() for lang in LANGUAGES.values() for names in lang.months)


def long_date(iso: str, code: str) -> str:
    """An ISO date written out in the language ``code``: "2026-02-12" -> "12 Februari 2026" (id) / "12 February
    2026" (en); a text that is not an ISO date is returned as it is."""
    try:
        date = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{date.day} {language(code).months[date.month - 1][0].capitalize()} {date.year}"
