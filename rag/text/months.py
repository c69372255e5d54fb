"""Month names in Indonesian and English, with their usual abbreviations, for reading dates."""
from __future__ import annotations

# One entry per month, in order: Indonesian name, English name, abbreviations (all lower case).
MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("januari", "january", "jan"), ("februari", "february", "feb"), ("maret", "march", "mar"),
    ("april", "april", "apr"), ("mei", "may"), ("juni", "june", "jun"), ("juli", "july", "jul"),
    ("agustus", "august", "aug", "agu", "agt", "ags"), ("september", "september", "sep", "sept"),
    ("oktober", "october", "oct", "okt"), ("november", "november", "nov"), ("desember", "december", "dec", "des"),
)
#: Every name and abbreviation -> the month's number (1-12).
MONTH_NUMBERS: dict[str, int] = {name: number for number, names in enumerate(MONTH_NAMES, 1) for name in names}
