"""Sentence-level evidence: which sentences of the retrieved passages answer the question.

Every sentence of every retrieved passage is scored against the question:

- **coverage**: the question's content stems found in the sentence, weighted by how rare each stem is in
  the index (a match on "Hadinata" counts more than one on "Indonesia"); stems found only in a
  neighbouring sentence count half, because news sentences lean on the one before ("Ia mengatakan ..."),
  and stems found only elsewhere in the passage or in its title 0.4 (they say what the whole text
  is about: the sentence that answers need not repeat them);
- **answer kind**: "berapa / how many" wants a number that is not part of a date, "kapan / when" a date,
  "siapa / who" and "di mana / where" a name, "apa yang dimaksud / what is" a defining verb ("adalah",
  "is"); a sentence without one is unlikely to answer; "berapa warga / how many homes" wants a number
  that counts warga / homes ("4.000 warga", not "1.350 rumah"), and a sentence with one gets more;
- **something new**: a sentence that only repeats the question answers nothing;
- **article rank**: the retriever's order of the articles breaks near-ties;
- **date**: for a question about the present ("sekarang", "latest"), the date breaks near-ties instead:
  among sentences whose scores before the article rank are near-tied, a newer article's come first
  (``newer_first`` in rag.retrieve.fusion), so the answer is built from the newer report.

The best sentences, with their neighbours, title and date, are what the model reads; the best one is
the quoted evidence the user sees first and the extractive answer when the model's text fails the check.
The same features give the answerability score that decides a refusal (see :func:`answerability`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from rag.retrieve.fusion import newer_first
from rag.text.chunking import split_sentences
from rag.text.tokens import content_stems, tokenize
from rag.text.numbers import counts, find_numbers
from rag.types import Hit

NEIGHBOUR_CREDIT = 0.5    # a question stem found only in a neighbouring sentence
PASSAGE_CREDIT = 0.4      # ... only elsewhere in the passage or its title (what the whole text is about)
KIND_BONUS = 0.25         # the sentence holds the kind of thing asked for (number, date, name)
COUNT_BONUS = 0.25        # ... and its number counts what "how many X" asks about
NOTHING_NEW_PENALTY = 0.5 # the sentence adds no content word to the question
RANK_DECAY = 0.15         # score lost per place the passage's article is below the first
NEIGHBOURS = 1            # sentences of context on each side of an evidence sentence
KIND_MISSING_FACTOR = 0.5 # answerability of a best sentence without the kind of answer asked for
PROMPT_NEIGHBOURS = 0     # sentences around each in the prompt (bench/answers.py: 1 was slower, no better)
EVIDENCE_SENTENCES = 3    # best sentences (with their neighbours) the model reads
MODEL_DOUBT_WEIGHT = 0.5  # share of the model's decline probability taken off the answerability: at 1.0,
                          # 0.25 of XQuAD's answerable questions were refused (bench/RESULTS.md §2a)

_NUMBER_WORDS = frozenset(
    "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh ratus ribu juta miliar "
    "triliun setengah seratus seribu separuh one two three four five six seven eight nine ten eleven twelve "
    "dozen hundred thousand million billion trillion half".split())
_MONTHS_AND_DAYS = frozenset(
    "januari februari maret april mei juni juli agustus september oktober november desember senin selasa rabu "
    "kamis jumat sabtu minggu abad january february march april may june july august september october "
    "november december monday tuesday wednesday thursday friday saturday sunday century".split())
# (pattern over the lower-cased question, kind of answer) — first match wins, so "tahun berapa" is a date.
_QUESTION_KINDS = [
    (re.compile(r"\b(?:kapan\w*|tahun berapa|tanggal berapa|pada tahun apa|when|what years?|which years?|"
                r"what date|in what years?)\b"), "date"),
    (re.compile(r"\b(?:berapa\w*|how (?:many|much|long|old|far|big|large|tall|high)|what percentage)\b"), "number"),
    (re.compile(r"\b(?:siapa\w*|who|whom|whose|di ?mana\w*|where)\b"), "name"),
    (re.compile(r"\b(?:apa(?:kah)? (?:yang )?(?:di)?maksud|apa(?:kah)? (?:itu|arti|pengertian)|apa arti\w*|"
                r"pengertian|definisi|what is meant|what does .+ mean|define)\b"
                r"|^what (?:is|are) (?:an? )?[\w-]+(?: [\w-]+)?\s*\?*$"), "definition"),
]
# "berapa (jumlah) warga", "how many homes": the word after it is what is counted.
_COUNT_QUESTION = re.compile(r"\b(?:berapa(?:kah)?|how many|how much)\s+(?:(?:jumlah|banyak(?:nya)?|besar|total|"
                             r"the|of)\s+)*([^\W\d_]+)")
_COPULAS = frozenset("adalah merupakan ialah yaitu yakni berarti disebut is are was were means refers".split())
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


@dataclass
class Evidence:
    """One sentence of a retrieved passage, scored as an answer to the question.

    ``hit_index`` is the passage's position in the retrieved list (0-based); ``start``/``end`` are
    offsets in the passage text.
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


def question_kind(question: str) -> str | None:
    """"number", "date", "name", "definition" or None: what kind of answer the question asks for."""
    lowered = question.lower()
    return next((kind for pattern, kind in _QUESTION_KINDS if pattern.search(lowered)), None)


def counted_noun(question: str, language: str) -> str | None:
    """The stem of what a "how many" question counts: "Berapa warga mengungsi?" -> "warga"."""
    match = _COUNT_QUESTION.search(question.lower())
    return next(iter(sorted(content_stems(match.group(1), language))), None) if match else None


def has_kind(sentence: str, kind: str | None, question: str = "", language: str = "und") -> bool:
    """Whether ``sentence`` holds an answer of ``kind`` that is not already in ``question``; a number
    that is part of a date ("30 Maret 2026") is not an answer to "how many"."""
    if kind is None:
        return True
    asked = {w.lower() for w in _WORD.findall(question)}
    words = [w for w in _WORD.findall(sentence) if w.lower() not in asked]
    lowered = {w.lower() for w in words}
    if kind == "definition":
        return bool(lowered & _COPULAS)
    if kind == "number":
        asked_values = {v for _, vs in find_numbers(question) for v in vs}
        return (any(not c.in_date and not c.values & asked_values for c in counts(sentence, language))
                or bool(lowered & _NUMBER_WORDS))
    if kind == "date":
        return (any(w[0].isdigit() for w in words) or bool(lowered & _NUMBER_WORDS)
                or bool(lowered & _MONTHS_AND_DAYS))
    return any(w[0].isupper() for w in words[1:]) or bool(words) and words[0].isupper() and len(words[0]) > 1


def rank_sentences(query: str, hits: Sequence[Hit], language: str, idf: Callable[[str], float] | None = None,
                   question: str | None = None, prefer_newer: bool = False) -> list[Evidence]:
    """Every sentence of ``hits`` as :class:`Evidence`, best first.

    ``query`` gives the words to look for (the standalone query of a follow-up), ``question`` (default:
    the query) the kind of answer asked for; ``idf`` weighs each stem by its rarity. ``prefer_newer`` (a
    question about the present) puts sentences of newer articles first among those near-tied with the best
    on their own merit (their score before the article rank).
    """
    weight = idf or (lambda stem: 1.0)
    wanted = {stem: weight(stem) for stem in set(tokenize(query, language))}
    total = sum(wanted.values()) or 1.0
    question = question or query
    kind = question_kind(question)
    counted = counted_noun(question, language) if kind == "number" else None
    ranked = []
    articles = list(dict.fromkeys(hit.article_id for hit in hits))  # passages of one article share its rank
    for index, hit in enumerate(hits):
        spans = split_sentences(hit.text)
        stems = [set(tokenize(hit.text[s:e], language)) for s, e in spans]
        title = set(tokenize(hit.title, language))
        passage = title.union(*stems)
        for i, (start, end) in enumerate(spans):
            nearby = set().union(*stems[max(0, i - NEIGHBOURS):i], *stems[i + 1:i + 1 + NEIGHBOURS])
            credit = sum(w * (1.0 if stem in stems[i] else NEIGHBOUR_CREDIT if stem in nearby
                              else PASSAGE_CREDIT if stem in passage else 0.0) for stem, w in wanted.items())
            coverage = credit / total
            sentence = hit.text[start:end]
            kind_ok = has_kind(sentence, kind, question, language)
            counts_it = bool(counted) and kind_ok and any(
                counted in c.counts for c in counts(sentence, language) if not c.in_date)
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
    if not prefer_newer:
        return unique
    # the date, not the retriever's order, breaks near-ties of the sentences' own scores
    own_score = {id(e): e.score + RANK_DECAY * articles.index(e.hit.article_id) for e in unique}
    return newer_first(unique, lambda e: own_score[id(e)], lambda e: e.hit.published)


def excerpts(ranked: Sequence[Evidence], count: int = EVIDENCE_SENTENCES, neighbours: int = PROMPT_NEIGHBOURS
             ) -> list[tuple[Hit, list[Evidence]]]:
    """The passages of the ``count`` best sentences, best first, each cut to the span from ``neighbours``
    sentences before its first chosen sentence to as many after its last; with the chosen sentences of each."""
    chosen: dict[int, list[Evidence]] = {}
    for item in ranked[:count]:
        chosen.setdefault(item.hit_index, []).append(item)
    out = []
    for items in chosen.values():
        hit = items[0].hit
        spans = split_sentences(hit.text)
        first = max(0, min(e.position for e in items) - neighbours)
        last = min(len(spans) - 1, max(e.position for e in items) + neighbours)
        start, end = spans[first][0], spans[last][1]
        out.append((Hit(**{**hit.__dict__, "text": hit.text[start:end], "start": hit.start + start,
                           "end": hit.start + end}), items))
    return out


def answerability(ranked: Sequence[Evidence]) -> float:
    """How well the best sentence answers, in [0, 1]: its coverage of the question, scaled down when it
    lacks the kind of answer asked for. The pipeline refuses below ``min_answerability``."""
    if not ranked:
        return 0.0
    best = ranked[0]
    return best.coverage * (1.0 if best.has_kind else KIND_MISSING_FACTOR)


def with_model_doubt(score: float, decline_probability: float) -> float:
    """The answerability once the model has read the evidence, lowered by how likely it was to start
    with "Tidak disebutkan" / "Not mentioned"."""
    return score * (1.0 - MODEL_DOUBT_WEIGHT * decline_probability)
