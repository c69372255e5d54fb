"""Whether a text supports a sentence: its numbers (counting the same thing), names and content words.

Words the sentence repeats from the question are given; only its new facts need support.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache

from rag.answer.markers import strip_markers
from rag.text.languages import union
from rag.text.numbers import MONTHS, counts, find_numbers, with_unit_names
from rag.text.tokens import content_stems
from rag.types import Question

MIN_CONTENT_SHARE = 0.5   # share of a sentence's content stems the cited text must contain
MIN_CONTENT_TOKENS = 2    # fewer content stems: a terse answer ("Polonia.", "85."), checked with the
                          # question; a sentence with more must have at least this many found
BOILERPLATE = union("boilerplate")
# Words that only qualify a number ("sebanyak 4.000", "about 34,000"): no fact of their own to support.
QUANTIFIERS = union("quantifiers")
_WORD = re.compile(r"[^\W\d_]+")
_NAME_SUFFIXES = tuple(sorted(union("word_suffixes")))  # particles attached to a name ("Jakartanya")
_NOT_NAMES = union("stopwords") | {"rp", "usd", "idr", "us"}


def _miscounted(sentence: str, support: str, language: str) -> list[tuple[str, str, str]]:
    """Numbers of ``sentence`` that count something else wherever ``support`` has them: (number, what the
    sentence says it counts, what the support says). "1.350 warga" against "1.350 rumah terendam"; "2,026 homes"
    against "March 30, 2026" (a date counts nothing)."""
    counted: dict[str, set[str]] = {}
    for count in counts(support, language):
        for value in count.values:
            counted.setdefault(value, set()).update(["a date"] if count.in_date else count.counts)
    wrong = []
    for count in counts(sentence, language):
        noun = count.counts[0] if count.counts and not count.in_date else None
        found = set().union(*(counted.get(v, set()) for v in count.values))
        if noun and found and noun not in found:
            wrong.append((count.raw, noun, sorted(found)[0]))
    return wrong


def find_names(sentence: str) -> list[re.Match]:
    """Acronyms and capitalised words; the first word only if another name follows it."""
    names = [m for m in _WORD.finditer(sentence) if len(w := m.group()) > 1 and w[0].isupper()
             and w.lower() not in _NOT_NAMES and w not in MONTHS]
    first = _WORD.search(sentence)
    if names and first and names[0].start() == first.start() and not first.group().isupper() and not (
            len(names) > 1 and not sentence[names[0].end():names[1].start()].strip()):
        names = names[1:]  # a capital only because it starts the sentence
    return names


@lru_cache(maxsize=4096)
def facts_of(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """Canonical number values and lower-cased words of a supporting text."""
    values = frozenset(v for _, vs in find_numbers(text) for v in vs)
    return values, frozenset(w.lower() for w in _WORD.findall(text))


def has_name(name: str, words: frozenset[str]) -> bool:
    """Case-insensitive, allowing Indonesian suffixes either way ("Jakartanya" ~ "Jakarta")."""
    name = name.lower()
    return name in words or any(name + s in words or name.endswith(s) and name[:-len(s)] in words
                                for s in _NAME_SUFFIXES)


def verify(sentence: str, citation_texts: list[str], language: str, *, label: str = "source",
           context: Sequence[str] = (), question: Question | None = None) -> tuple[bool, list[str]]:
    """Do the sentence's numbers (counting the same thing), names and most content words occur in the
    cited texts?

    Names may also be found in ``context`` (e.g. the whole source passages); ``label`` names
    the support in the problems, e.g. ``"source [1]"``. With a ``question``, what the sentence repeats
    from it is given and only its new facts need support (whether the support is about the question is
    :func:`rag.answer.citations.check_answer`'s part). Returns ``(verified, problems)``.
    """
    # a unit is the same fact however it is written ("6 km" / "6 kilometer"): compared by its one name
    sentence, support = with_unit_names(strip_markers(sentence)), with_unit_names("\n".join(citation_texts))
    values, _ = facts_of(support)
    asked_values, asked_words = (question.numbers, _letter_words(question)) if question else (frozenset(), frozenset())
    asked_stems = question.content if question else frozenset()
    problems = [f"{'number' if raw[0].isdigit() else 'month'} {raw} not in {label}"
                for raw, vs in find_numbers(sentence) if not vs & (values | asked_values)]
    problems += [f"number {raw} counts '{theirs}' in {label}, not '{ours}'"
                 for raw, ours, theirs in _miscounted(sentence, support, language)]
    words = facts_of("\n".join([support, *context]))[1]
    runs: list[list[int]] = []
    names = find_names(sentence)
    for m in names:
        if has_name(m.group(), words) or has_name(m.group(), asked_words):
            continue
        if runs and not sentence[runs[-1][1]:m.start()].strip(" ."):
            runs[-1][1] = m.end()  # adjacent missing words are one name: 'Bupati Ahmad Yani'
        else:
            runs.append([m.start(), m.end()])
    problems += [f"name '{sentence[s:e]}' not in {label}" for s, e in runs]
    starts = {m.start() for m in names}
    unnamed = _WORD.sub(lambda m: "" if m.start() in starts else m.group(), sentence)
    # names were checked above; words repeated from the question are given
    content = {t for t in content_stems(unnamed, language) if not t[0].isdigit()} - asked_stems - _fillers(language)
    found = len(content & content_stems(support, language))
    share = found / len(content) if content else 1.0
    if share < MIN_CONTENT_SHARE or found < min(len(content), MIN_CONTENT_TOKENS):
        problems.append(f"only {share:.0%} of content words found in {label}")
    return not problems, problems


@lru_cache(maxsize=256)
def _letter_words(question: Question) -> frozenset[str]:
    """The question's words as a supporting text's are compared: letters only ("covid-19" -> "covid")."""
    return frozenset(part for word in question.words for part in _WORD.findall(word))


@cache
def _fillers(language: str) -> frozenset[str]:
    """Stems of BOILERPLATE and QUANTIFIERS: "Jawaban: sebanyak 4.000 warga" claims only "4.000 warga"."""
    return frozenset(content_stems(" ".join(BOILERPLATE | QUANTIFIERS), language))


def is_boilerplate(text: str) -> bool:
    """Only words such as "Sumber:" / "Source" around the markers: nothing to check."""
    return set(re.findall(r"[^\W\d_]+", text.lower())) <= BOILERPLATE
