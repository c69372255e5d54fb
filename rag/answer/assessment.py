"""Whether a shown answer is right for the question, not only supported word by word: the model reads the cited
sentences and says whether they state the answer as the answer to *this* question (the asked person, role,
time, place and quantity). A near-miss — the articles cover the subject but not the asked detail — or a name
in the wrong role then fails, and the reply says what the articles do not state instead (rag.answer.composing).

The check is two readings by the model: one short prompt whose yes/no probability is read from the first token,
and the model's own answer to the question from the cited sentences alone (a few words, or "Not stated"). An
answer is as sure as the "Yes", halved as far as the second reading does not hold it (a fifth less when the
second reading finds no answer): a name in the wrong role, or a near-miss quote, is mostly read as stating
the answer, but re-read for the question it gives the right name, or none (bench/verify.py and
bench/experiments/reanswer.py measure both; docs/answers.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.markers import strip_markers
from rag.answer.prompting import common_lines
from rag.answer.records import Answer, Citation
from rag.llm.base import TextGenerator
from rag.types import Question

# English instructions for every question: on the dev sets they separate right from wrong answers better than
# Indonesian ones, for Indonesian questions too (bench/RESULTS.md §12).
CHECK_SYSTEM = ("You check answers to questions about news. Reply only Yes if the text states that the proposed "
                "answer is the answer to this question (the asked person, role, time, place and quantity), or No "
                "if the text does not say so.")
CHECK_USER = ("Text: {text}\nQuestion: {question}\nProposed answer: {answer}\n"
              "Does the text say that this is the answer to the question? Yes or No?")
# The second reading: the model answers the question from the cited sentences alone.
REREAD_SYSTEM = ("Answer the question from the text only, with the exact words of the text: a name, number, date or "
                 "short phrase. If the text does not state the answer to this exact question, reply: Not stated.")
REREAD_USER = "Text: {text}\nQuestion: {question}"
REREAD_TOKENS = 24
NOT_STATED = "not stated"
# A second reading that finds no answer weighs less than one that names another: the small model often says "Not
# stated" when the sentence gives the answer in other words ("Rusia" for "petenis kelahiran Nyagan, Rusia").
NOT_STATED_WEIGHT = 0.8
# The check of an open question's points: do they report on what it asks about, not only on something like it
# ("Summarise the news about the Louvre strike" answered from an article on a theft at the Louvre).
ABOUT_SYSTEM = ("You check whether news texts answer a question. Reply only Yes if the texts report on what the "
                "question asks about (the same event, people, place and time), or No if they are only about something "
                "similar.")
ABOUT_USER = "Texts: {text}\nQuestion: {question}\nDo the texts answer the question? Yes or No?"
OPEN_MIN_CONFIDENCE = 0.5  # the points are the articles' own sentences: refused only when "No" is the likelier
                           # reply (news-real-open: every answerable question 0.64 or above, bench/RESULTS.md §13)
POINTS_READ = 4            # points the check reads, taken in turn from each article
# Replies read, each its own first token (a shared one would count twice).
YES = ("Yes", "yes", "Ya")
NO = ("No", "no", "Tidak")


@dataclass(frozen=True)
class Assessment:
    """How sure the check is that an answer states what was asked (0-1), and whether that is sure enough; for an
    answer re-read, what the second reading answered ("" for "Not stated")."""

    confidence: float
    passed: bool
    reread: str = ""


def assess(generator: TextGenerator, question: Question, answer: Answer, minimum: float,
           best: Citation | None = None) -> Assessment:
    """Ask the model whether ``answer``'s cited sentences state it as the answer to ``question``, and to answer
    ``question`` again from those sentences alone; the confidence is the "Yes" times 0.5-1 as far as the
    answer holds that second reading (times NOT_STATED_WEIGHT when the second reading finds no answer).

    ``best``, the evidence sentence that fits the question best, is read after the cited ones when the answer
    does not cite it: a sentence on a neighbouring fact (when building *started*) then competes with the one on
    the asked fact (when service *started*), and the second reading picks between them."""
    read = [*answer.evidence, best] if best and not _cites(answer.evidence, best) else answer.evidence
    text, shown = cited_text(read), strip_markers(answer.text)
    user = CHECK_USER.format(text=text, question=question.text, answer=shown)
    yes = _yes(generator, CHECK_SYSTEM, user, CHECK_USER.format(text="{0}", question="{0}?", answer="{0}"), minimum)
    again = reread(generator, question, text)
    confidence = yes.confidence * (0.5 + 0.5 * held(again, shown) if again else NOT_STATED_WEIGHT)
    return Assessment(confidence, confidence >= minimum, again)


def _cites(cited: list[Citation], sentence: Citation) -> bool:
    return any(c.article_id == sentence.article_id and c.start <= sentence.start < c.end for c in cited)


def reread(generator: TextGenerator, question: Question, text: str) -> str:
    """The model's answer to ``question`` from ``text`` alone, in the text's words ("" when it says the text does
    not state it)."""
    messages = _reread_messages(text, question.text)
    prompt, stop = _prompt(generator, REREAD_SYSTEM, messages[1]["content"])
    prefix = common_lines([_prompt(generator, REREAD_SYSTEM, _reread_messages(w, w)[1]["content"])[0] for w in "ab"])
    again = "".join(generator.stream(prompt, messages=messages, max_tokens=REREAD_TOKENS, stop=["\n"],
                                     temperature=0.0, prefix=prefix)).strip()
    return "" if again.lower().strip(" .").startswith(NOT_STATED) else again


def held(again: str, answer: str) -> float:
    """The share of the second reading's words (and numbers) ``answer`` holds; 0 for no second reading."""
    wanted = _words(again)
    return len(wanted & _words(answer)) / len(wanted) if wanted else 0.0


def _words(text: str) -> set[str]:
    return set(re.findall(r"\d+|[^\W\d_]+", text.lower()))


def _reread_messages(text: str, question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": REREAD_SYSTEM},
            {"role": "user", "content": REREAD_USER.format(text=text, question=question)}]


def assess_points(generator: TextGenerator, question: Question, points: list[Citation],
                  minimum: float = OPEN_MIN_CONFIDENCE) -> Assessment:
    """Ask the model whether an open question's ``points`` report on what ``question`` asks about (the same
    event, people and place), not only on something like it; it reads the first points of each article."""
    shown = [p for turn in range(POINTS_READ) for p in _per_article(points, turn)][:POINTS_READ]
    user = ABOUT_USER.format(text=cited_text(shown), question=question.text)
    return _yes(generator, ABOUT_SYSTEM, user, ABOUT_USER.format(text="{0}", question="{0}?"), minimum)


def _per_article(points: list[Citation], turn: int) -> list[Citation]:
    """Each article's ``turn``-th point (0-based), in article order."""
    articles: dict[int, list[Citation]] = {}
    for point in points:
        articles.setdefault(point.number, []).append(point)
    return [cited[turn] for cited in articles.values() if turn < len(cited)]


def _yes(generator: TextGenerator, system: str, user: str, shape: str, minimum: float) -> Assessment:
    """The model's "Yes" against "No" to ``user`` under ``system``, read from its first token (``shape``: the user
    text with "{0}" for what changes, so the instructions' state is shared between checks)."""
    prompt, messages = _prompt(generator, system, user)
    prefix = common_lines([_prompt(generator, system, shape.format(word))[0] for word in ("a", "b")])
    words = generator.word_probabilities(prompt, [*YES, *NO], messages=messages, prefix=prefix)
    yes, no = sum(words[w] for w in YES), sum(words[w] for w in NO)
    confidence = yes / (yes + no) if yes + no > 0 else 0.0
    return Assessment(confidence, confidence >= minimum)


def _prompt(generator: TextGenerator, system: str, user: str) -> tuple[str, list[dict[str, str]]]:
    """A check's prompt (the model's chat template, or plain text for a base model) and its chat messages."""
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    prompt = generator.render_chat(messages)[0] if generator.is_chat_model else f"{system}\n\n{user}\nReply:"
    return prompt, messages


def cited_text(cited: list[Citation]) -> str:
    """The cited sentences, each article's title once before its own."""
    parts: list[str] = []
    for citation in cited:
        if citation.title and citation.title + "." not in parts:
            parts.append(citation.title + ".")
        if citation.quote not in parts:
            parts.append(citation.quote)
    return " ".join(parts)
