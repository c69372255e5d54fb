"""Answers to open questions — what happened, why or how, who all, compare, how it developed — as a plan of
points, each a sentence of an article quoted with its source.

A fact question gets one short checked answer (rag.answer.pipeline); an open one needs several facts, and the
sentences that state them need not repeat the question's words: "Apa yang terjadi di Museum Louvre?" is answered
by what was stolen, in how many minutes and who investigates. So the whole article is read, and each sentence is
scored for

- **relevance**: the question's stems in the sentence (rare ones weigh more; the words that only ask for a
  shape, "ringkas", "compare", are left out), credited half from a neighbouring sentence;
- **place**: news puts what matters first (the lead), so earlier sentences score higher;
- **facts**: numbers and names are what a reader asks "what happened" for;

with relevance weighing more for a why/how question and a list than for a summary. The best sentences that do
not repeat an already chosen one are shown in the article's order; over several articles (a list, a comparison,
a development over time) each article gives its own points, under its title and date, a timeline in date order.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.text.chunking import split_sentences
from rag.text.languages import LANGUAGES, language
from rag.text.numbers import find_numbers
from rag.text.question import FACT, MULTI_ARTICLE, WORD
from rag.text.tokens import content_stems, tokenize
from rag.types import Hit, Question

# Points shown: from one article, per shape; from each of several (a list's are shared out among them).
POINTS = {"summary": 6, "explain": 5, "list": 6, "compare": 6, "timeline": 6}
POINTS_PER_ARTICLE = {"compare": 3, "timeline": 3}
MAX_ARTICLES = 3
RELATED_SCORE = 0.5        # an article joins a multi-article answer when its best passage scores this share of the
                           # best article's, and it holds
SAME_SHARE = 0.6           # this share of the question's stems the best article holds (it is about the same), or
NEW_SHARE = 0.1            # question stems the articles already chosen do not, this share of the question's weight
RELEVANCE = {"summary": 1.0, "explain": 2.0, "list": 1.5, "compare": 1.5, "timeline": 1.5}
PLACE_WEIGHT = 0.6         # the lead (first sentence) gets all of it, the fourth half
FACTS_WEIGHT = 0.4         # numbers and names: a sentence with three or more gets all of it
NEIGHBOUR_CREDIT = 0.5
SIMILAR = 0.6              # share of a sentence's content stems already in a chosen point: it repeats that point
MIN_CHARS, MAX_CHARS = 25, 400  # shorter is a caption or a dateline; longer is a block that was never split
MAX_ITEMS = 10             # a list shows every enumerated item ("Pertama, …", "Kedua, …") up to this many points

_CAPITALISED = re.compile(r"[A-Z]")
_BULLET = re.compile(r"\s*(?:[-•*▪]|\d{1,2}[.)])\s+")  # a list item's mark, not part of what it says
_ENUMERATION = re.compile("|".join(f"(?:{lang.enumeration})" for lang in LANGUAGES.values()), re.I)


def is_open(question: Question) -> bool:
    """Whether ``question`` asks for more than one fact (a plan of points answers it)."""
    return question.shape != FACT


@dataclass(frozen=True)
class Point:
    """One sentence of an article chosen to answer an open question; ``start``/``end`` are offsets in the
    article's text (``hit`` is the whole article)."""

    hit: Hit
    position: int
    start: int
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.hit.text[self.start:self.end]


def plan(question: Question, articles: Sequence[Hit], idf: Mapping[str, float] | None = None) -> list[list[Point]]:
    """The points that answer ``question``, per article: ``articles`` are whole articles (best first, as
    retrieved); the result keeps the ones that give points, a timeline's oldest first."""
    wanted = _wanted(question, idf or {})
    chosen = _articles(question, articles, wanted)
    count = POINTS[question.shape]
    if len(chosen) > 1:
        count = -(-POINTS["list"] // len(chosen)) if question.shape == "list" else POINTS_PER_ARTICLE[question.shape]
    groups = [_points(question, article, wanted, count) for article in chosen]
    groups = [group for group in groups if group]
    if question.shape == "timeline":
        groups.sort(key=lambda group: group[0].hit.published or "")
    return groups


def _articles(question: Question, articles: Sequence[Hit], wanted: Mapping[str, float]) -> list[Hit]:
    """The articles an answer is drawn from: the best one, and for a multi-article shape the others that score
    near it and are about the same or hold more of what is asked (a comparison: at least the one that holds most
    of the rest)."""
    if not articles:
        return []
    if question.shape not in MULTI_ARTICLE:
        return [articles[0]]
    total = sum(wanted.values()) or 1.0
    held = {a.article_id: set(tokenize(f"{a.title}\n{a.text}", question.language)) & set(wanted) for a in articles}
    chosen, covered = [articles[0]], set(held[articles[0].article_id])

    def share(stems: set[str]) -> float:
        return sum(wanted[stem] for stem in stems) / total

    def new_share(article: Hit) -> float:
        return share(held[article.article_id] - covered)

    best = share(held[articles[0].article_id])
    for article in articles[1:]:
        if len(chosen) < MAX_ARTICLES and article.score >= RELATED_SCORE * articles[0].score and (
                share(held[article.article_id]) >= SAME_SHARE * best or new_share(article) >= NEW_SHARE):
            chosen.append(article)
            covered |= held[article.article_id]
    if question.shape == "compare" and len(chosen) == 1 and len(articles) > 1:
        chosen.append(max(articles[1:], key=new_share))
    return chosen


def _wanted(question: Question, idf: Mapping[str, float]) -> dict[str, float]:
    """The question's stems weighed by rarity, without the words that only ask for a shape."""
    lang = language(question.language)
    shape_stems = {stem for word in lang.shape_words for stem in tokenize(word, question.language)}
    return {stem: idf.get(stem, 1.0) for stem in set(question.stems) if stem not in shape_stems}


def _points(question: Question, article: Hit, wanted: Mapping[str, float], count: int) -> list[Point]:
    """The ``count`` best sentences of ``article`` for ``question``, none repeating another, in article order; for
    a list, every enumerated item too."""
    spans = [_unmarked(article.text, s, e) for s, e in split_sentences(article.text)]
    stems = [set(tokenize(article.text[s:e], question.language)) for s, e in spans]
    total = sum(wanted.values()) or 1.0
    weight = RELEVANCE[question.shape]
    scored: list[Point] = []
    for i, (start, end) in enumerate(spans):
        sentence = article.text[start:end]
        if not MIN_CHARS <= len(sentence.strip()) <= MAX_CHARS:
            continue
        nearby = set().union(*stems[max(0, i - 1):i], *stems[i + 1:i + 2])
        relevance = sum(w * (1.0 if stem in stems[i] else NEIGHBOUR_CREDIT if stem in nearby else 0.0)
                        for stem, w in wanted.items()) / total
        place = 1.0 / (1.0 + i / 3)
        facts = min(1.0, _facts(sentence) / 3)
        scored.append(Point(article, i, start, end, weight * relevance + PLACE_WEIGHT * place + FACTS_WEIGHT * facts))
    items = [p for p in scored if _ENUMERATION.match(p.text)][:MAX_ITEMS] if question.shape == "list" else []
    chosen: list[Point] = items if len(items) > 1 else []  # one "Pertama, …" alone is no enumeration
    limit = max(count, len(chosen) + 1)  # every item, and at least one sentence that says what they are
    seen = [content_stems(p.text, question.language) for p in chosen]
    for point in sorted(scored, key=lambda p: -p.score):
        if len(chosen) >= limit or point in chosen:
            continue
        content = content_stems(point.text, question.language)
        if any(len(content & other) > SIMILAR * max(1, len(content)) for other in seen):
            continue
        chosen.append(point)
        seen.append(content)
    return sorted(chosen, key=lambda p: p.position)


def _unmarked(text: str, start: int, end: int) -> tuple[int, int]:
    """The span ``start``-``end`` of ``text`` without a list item's leading mark ("- ", "2. ")."""
    mark = _BULLET.match(text, start, end)
    return (mark.end(), end) if mark else (start, end)


def _facts(sentence: str) -> int:
    """How many numbers and names ``sentence`` holds (a name: a capitalised word that does not start it)."""
    words = WORD.findall(sentence)
    return len(find_numbers(sentence)) + sum(bool(_CAPITALISED.match(w)) for w in words[1:])


def missing_names(question: Question, articles: Sequence[Hit]) -> list[str]:
    """The names ``question`` asks about ("Cianjur", "Bank of England") that none of ``articles`` mentions, when they
    are at least as many as the names the articles do mention: an open question about a named subject is not
    answered from articles about something else, but one name of several may be a short form the article does
    not use ("KRL" in "Ringkas berita KRL Semarang–Kendal" over a report on the "kereta komuter")."""
    held = set().union(*(tokenize(f"{a.title}\n{a.text}", question.language) for a in articles))
    words = WORD.findall(question.text)[1:]
    names = [w for w in words if _CAPITALISED.match(w) and w.lower() not in language(question.language).question_words]
    missing = [name for name in names if not set(tokenize(name, question.language)) <= held]
    return missing if 2 * len(missing) >= len(names) else []
