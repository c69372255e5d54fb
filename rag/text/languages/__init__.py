"""Language resources: every word list, pattern and text the product uses for one language, in one file per
language (``id.py``, ``en.py``). Adding a language is one new file here that defines ``LANGUAGE``.

Modules read a language with :func:`language` and a word list of all languages together with
:func:`union`; nothing else in the library spells out words of a language.
"""
from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Language:
    """What the product knows of one language."""

    code: str                             # ISO 639-1, as detected and stored with articles
    name: str                             # in English, for the model's instructions ("Indonesian")
    stemmer: str                          # PyStemmer's algorithm name
    # detection and lexical matching
    markers: frozenset[str]               # frequent function words (almost) never used in other languages
    stopwords: frozenset[str]
    word_shape: str                       # regex: a word shaped like this language's (affixes), a tie-breaker
    abbreviations: frozenset[str]         # a period after these never ends a sentence (case-sensitive)
    # dates and numbers
    months: tuple[tuple[str, ...], ...]   # per month, in order: the name, then its abbreviations (lower case)
    days: frozenset[str]                  # weekday names and other date words (lower case)
    number_words: frozenset[str]          # words that are numbers ("tiga", "dozen")
    people_counters: frozenset[str]       # what "how many" counts people by in general ("orang", "people"): a
                                          # count of any of the people_nouns answers it
    people_nouns: frozenset[str]          # nouns that count people ("warga", "passengers")
    year_cues: frozenset[str]             # words after which a four-digit number is a year ("pada", "since")
    year_parts: frozenset[str]            # parts of a year written before it ("akhir 2027", "end of 2027")
    # questions
    question_kinds: tuple[tuple[str, str], ...]  # (kind, regex over the lower-cased question); kinds in order
    question_shapes: tuple[tuple[str, str], ...]  # (shape, regex over the lower-cased question): an open
                                          # question's shape (rag.answer.planning); shapes in order
    enumeration: str                      # regex: a sentence that is an item of an enumeration ("Kedua, ...")
    shape_words: frozenset[str]           # words that only ask for a shape ("ringkas", "summarise"): not looked
                                          # for in the articles
    count_question: str                   # regex: the word after it is what "how many" counts (group 1)
    copulas: frozenset[str]               # defining verbs ("adalah", "is")
    recency_words: tuple[str, ...]        # words and phrases that ask about the present
    word_suffixes: tuple[str, ...]        # particles attached to a word ("nya", "lah")
    anaphora: frozenset[str]              # words that point back to an earlier turn
    addresses_model: str                  # regex: text addressed to the model (prompt injection)
    # what the answer layer writes and reads
    boilerplate: frozenset[str]           # "Sumber:", "Answer:" around an answer: nothing to check
    quantifiers: frozenset[str]           # words that only qualify a number ("sekitar", "about")
    instructions: str                     # the answering prompt's instructions
    decline: str                          # what the model writes when the excerpts hold no answer
    prompt_labels: tuple[str, str, str]   # excerpts, question, answer (completion prompts)
    prompt_example: tuple[str, str, str]  # sources, question, answer: one worked example for base models
    refusal: str                          # the reply when the articles do not say
    not_stated: str                       # ... when they cover the subject but not what is asked; {asked}
    question_words: frozenset[str]        # words a question starts with ("siapa", "what"), lower-cased when
                                          # the question is quoted inside a sentence
    example_question: str                 # a question about an article, for the chat's examples; {title}
    quote_label: str                      # shown before an answer that is the evidence sentence itself
    as_of: str                            # the article date of an answer about the present; {date}
    # asking articles in another language (rag.answer.translation)
    example_questions: tuple[str, ...]    # questions every language file gives, the same ones in the same order:
                                          # worked examples of translating between any two languages
    read_as: str                          # shown with an answer from articles in another language; {question}


#: The language of replies to a question whose language is not known.
FALLBACK = "id"


def _load() -> dict[str, Language]:
    found: list[Language] = [import_module(f"{__name__}.{module.name}").LANGUAGE
                             for module in pkgutil.iter_modules(__path__)]
    return {lang.code: lang for lang in sorted(found, key=lambda lang: (lang.code != FALLBACK, lang.code))}


#: Every language the product knows, by code (the fallback first).
LANGUAGES: dict[str, Language] = _load()


def language(code: str) -> Language:
    """The resources of ``code``, or of the fallback language for a code the product does not know."""
    return LANGUAGES.get(code) or LANGUAGES[FALLBACK]


def union(field: str) -> frozenset[str]:
    """One word list of every language together (e.g. ``union("stopwords")``)."""
    return frozenset().union(*(getattr(lang, field) for lang in LANGUAGES.values()))
