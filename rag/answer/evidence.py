"""Sentence-level evidence: which sentences of the retrieved passages answer the question.

Every sentence of every retrieved passage is scored against the question:

- **coverage**: the question's stems found in the sentence, weighted by how rare each stem is in the index
  (a match on "Hadinata" counts more than one on "Indonesia"); stems found only in a neighbouring sentence
  count half, because news sentences lean on the one before ("Ia mengatakan ..."), and stems found only
  elsewhere in the passage or in its title 0.4 (they say what the whole text is about: the sentence that
  answers need not repeat them);
- **answer kind**: "berapa / how many" wants a number that is not part of a date, "kapan / when" a date
  (a month or day name, a date, a year: "12 desa" counts villages),
  "siapa / who" and "di mana / where" a name, "apa yang dimaksud / what is" a defining verb ("adalah",
  "is"); a sentence without one is unlikely to answer; "berapa warga / how many homes" wants a number
  that counts warga / homes ("4.000 warga", not "1.350 rumah"), and a sentence with one gets more;
- **something new**: a sentence that only repeats the question answers nothing;
- **article rank**: the retriever's order of the articles breaks near-ties;
- **date**: for a question about the present ("sekarang", "latest"), the date breaks near-ties instead:
  among sentences whose scores before the article rank are near-tied, a newer article's come first
  (``newer_first`` in rag.retrieve.fusion), so the answer is built from the newer report.

The best sentences, each passage cut to the span of its chosen sentences, are what the model reads; the best
one is the quoted evidence the user sees first and the extractive answer when the model's text fails the
check. The same features give the answerability score that decides a refusal (:attr:`Ranking.answerability`).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from rag.retrieve.fusion import newer_first
from rag.text.chunking import split_sentences
from rag.text.languages import LANGUAGES, union
from rag.text.months import FULL_NAMES
from rag.text.numbers import counts
from rag.text.question import WORD
from rag.text.tokens import content_stems, tokenize
from rag.types import Hit, Question

NEIGHBOUR_CREDIT = 0.5    # a question stem found only in a neighbouring sentence
PASSAGE_CREDIT = 0.4      # ... only elsewhere in the passage or its title (what the whole text is about)
KIND_BONUS = 0.25         # the sentence holds the kind of thing asked for (number, date, name)
COUNT_BONUS = 0.25        # ... and its number counts what "how many X" asks about
NOTHING_NEW_PENALTY = 0.5 # the sentence adds no content word to the question
RANK_DECAY = 0.15         # score lost per place the passage's article is below the first
NEIGHBOURS = 1            # sentences of context on each side of an evidence sentence
KIND_MISSING_FACTOR = 0.5 # answerability of a best sentence without the kind of answer asked for
EVIDENCE_SENTENCES = 3    # best sentences the model reads (bench/answers.py: their neighbours too were slower,
                          # no better)

_NUMBER_WORDS = union("number_words")
_DATE_WORDS = frozenset(name.lower() for name in FULL_NAMES) | union("days")  # months, days, "abad", "SM"
_COPULAS = union("copulas")
# "berapa orang / how many people" is answered by a count of warga, passengers, …: stems, as counts() gives them
_PEOPLE_COUNTERS = frozenset(stem for lang in LANGUAGES.values() for word in lang.people_counters
                             for stem in content_stems(word, lang.code))
_PEOPLE = frozenset(stem for lang in LANGUAGES.values() for word in lang.people_nouns
                    for stem in content_stems(word, lang.code))
_YEAR = re.compile(r"\d{3,4}")  # "pada 493", "1998", "2026"


@dataclass(frozen=True)
class Passage:
    """A retrieved passage with its sentences (offsets in its text), split once."""

    hit: Hit
    sentences: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, hit: Hit) -> Passage:
        return cls(hit, tuple(split_sentences(hit.text)))

    def excerpt(self, first: int, last: int) -> Passage:
        """Its sentences ``first`` to ``last`` as a passage of their own, article offsets kept."""
        start, end = self.sentences[first][0], self.sentences[last][1]
        hit = replace(self.hit, text=self.hit.text[start:end], start=self.hit.start + start,
                      end=self.hit.start + end)
        return Passage(hit, tuple((s - start, e - start) for s, e in self.sentences[first:last + 1]))


@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved passage, scored as an answer to the question.

    ``hit_index`` is the passage's position in the ranked passages (0-based); ``start``/``end`` are offsets in
    the passage text.
    """

    hit_index: int
    hit: Hit
    position: int          # the sentence's number within the passage (0-based)
    start: int
    end: int
    score: float
    coverage: float        # weighted share of the question's stems in the sentence and its context
    has_kind: bool         # holds the kind of answer asked for (always True when none is asked)

    @property
    def text(self) -> str:
        return self.hit.text[self.start:self.end]


@dataclass(frozen=True)
class Ranking:
    """The evidence step's result: the passages read and every sentence of them, best first."""

    passages: tuple[Passage, ...]
    sentences: tuple[Evidence, ...]

    @property
    def answerability(self) -> float:
        """How well the best sentence answers, in [0, 1]: its coverage of the question, scaled down when it
        lacks the kind of answer asked for. The pipeline refuses below ``min_answerability``."""
        if not self.sentences:
            return 0.0
        best = self.sentences[0]
        return best.coverage * (1.0 if best.has_kind else KIND_MISSING_FACTOR)

    def excerpts(self, count: int = EVIDENCE_SENTENCES) -> list[tuple[Passage, list[Evidence]]]:
        """The passages of the ``count`` best sentences, best first, each cut to the span from its first chosen
        sentence to its last; with the chosen sentences of each."""
        chosen: dict[int, list[Evidence]] = {}
        for item in self.sentences[:count]:
            chosen.setdefault(item.hit_index, []).append(item)
        return [(self.passages[index].excerpt(min(e.position for e in items), max(e.position for e in items)),
                 items) for index, items in chosen.items()]


def has_kind(sentence: str, question: Question) -> bool:
    """Whether ``sentence`` holds an answer of the kind ``question`` asks for that is not already in the
    question; a number that is part of a date ("30 Maret 2026") is not an answer to "how many"."""
    kind = question.kind
    if kind is None:
        return True
    words = [w for w in WORD.findall(sentence) if w.lower() not in question.words]
    lowered = {w.lower() for w in words}
    if kind == "definition":
        return bool(lowered & _COPULAS)
    if kind == "number":
        return (any(not c.in_date and not c.values & question.numbers for c in counts(sentence, question.language))
                or bool(lowered & _NUMBER_WORDS))
    if kind == "date":  # a date word, a date or a year: a count ("12 desa terendam") is no date
        return bool(lowered & _DATE_WORDS) or any((c.in_date or _YEAR.fullmatch(c.raw))
                                                  and not c.values & question.numbers
                                                  for c in counts(sentence, question.language))
    return any(w[0].isupper() for w in words[1:]) or bool(words) and words[0].isupper() and len(words[0]) > 1


def counts_what_is_asked(question: Question, counted: Sequence[str]) -> bool:
    """Whether a number counting ``counted`` (stems) counts what "how many X" asks about: X, or for "berapa
    orang / how many people" any noun that counts people ("2.750 warga")."""
    wanted = question.counted
    return bool(wanted) and (wanted in counted or wanted in _PEOPLE_COUNTERS and bool(_PEOPLE.intersection(counted)))


def rank_evidence(question: Question, hits: Sequence[Hit], idf: Mapping[str, float] | None = None) -> Ranking:
    """Every sentence of ``hits`` scored for ``question``, best first.

    ``idf`` weighs each of the question's stems by its rarity in the index searched (1 when not given). For a
    question about the present, sentences of newer articles come first among those near-tied with the best on
    their own merit (their score before the article rank).
    """
    passages = tuple(Passage.of(hit) for hit in hits)
    wanted = {stem: (idf or {}).get(stem, 1.0) for stem in set(question.stems)}
    total = sum(wanted.values()) or 1.0
    ranked = []
    articles = list(dict.fromkeys(hit.article_id for hit in hits))  # passages of one article share its rank
    for index, passage in enumerate(passages):
        hit = passage.hit
        stems = [set(tokenize(hit.text[s:e], question.language)) for s, e in passage.sentences]
        title = set(tokenize(hit.title, question.language))
        everywhere = title.union(*stems)
        for i, (start, end) in enumerate(passage.sentences):
            nearby = set().union(*stems[max(0, i - NEIGHBOURS):i], *stems[i + 1:i + 1 + NEIGHBOURS])
            credit = sum(w * (1.0 if stem in stems[i] else NEIGHBOUR_CREDIT if stem in nearby
                              else PASSAGE_CREDIT if stem in everywhere else 0.0) for stem, w in wanted.items())
            coverage = credit / total
            sentence = hit.text[start:end]
            kind_ok = has_kind(sentence, question)
            counts_it = kind_ok and any(counts_what_is_asked(question, c.counts)
                                        for c in counts(sentence, question.language) if not c.in_date)
            new = bool(stems[i] - set(wanted))
            score = (coverage + KIND_BONUS * kind_ok + COUNT_BONUS * counts_it - NOTHING_NEW_PENALTY * (not new)
                     - RANK_DECAY * articles.index(hit.article_id))
            ranked.append(Evidence(index, hit, i, start, end, score, coverage, kind_ok))
    ranked.sort(key=lambda e: (-e.score, e.hit_index, e.start))
    # overlapping chunks of one article hold the same sentence: keep its best-placed copy
    unique, seen = [], set()
    for item in ranked:
        key = (item.hit.article_id, item.hit.start + item.start)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    if question.latest:  # the date, not the retriever's order, breaks near-ties of the sentences' own scores
        own_score = {id(e): e.score + RANK_DECAY * articles.index(e.hit.article_id) for e in unique}
        unique = newer_first(unique, lambda e: own_score[id(e)], lambda e: e.hit.published)
    return Ranking(passages, tuple(unique))
