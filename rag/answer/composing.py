"""The answer shown: the checked sentences of the draft, or else the best evidence sentence quoted."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace

from rag.answer.assessment import Assessment, held
from rag.answer.citations import Checked
from rag.answer.evidence import Evidence, has_kind
from rag.answer.markers import strip_markers
from rag.answer.planning import Point
from rag.answer.records import Answer, AnswerSentence, Citation
from rag.answer.support import verify
from rag.text.languages import Language, language
from rag.text.months import long_date
from rag.text.numbers import NUMBER, number_phrase
from rag.text.tokens import content_stems
from rag.types import Hit, Question

logger = logging.getLogger(__name__)

SHORT_ANSWER_STEMS = 6  # an answer this short names one thing (a name, a number with what it counts)


def quote(evidence: Evidence, number: int) -> Citation:
    """An evidence sentence as a citation of source ``[number]``, with article offsets."""
    hit = evidence.hit
    return Citation(number, hit.article_id, hit.title, hit.published, hit.chunk_id,
                    hit.start + evidence.start, hit.start + evidence.end, evidence.text)


def compose_points(answer: Answer, question: Question, groups: list[list[Point]], others: list[Hit]) -> Answer:
    """``answer`` to an open question: its points, each a quoted sentence citing its article (``[n]`` numbers the
    articles, then ``others``: the rest of the passages found), under each article's title and date when there
    are several."""
    lang = language(question.reply_language)
    articles = [group[0].hit for group in groups]
    lines, sentences, evidence = [], [], []
    for number, group in enumerate(groups, 1):
        hit = group[0].hit
        if len(groups) > 1:
            date = f" ({long_date(hit.published, lang.code)})" if hit.published else ""
            lines.append(f"{hit.title}{date}:")
        for point in group:
            citation = Citation(number, hit.article_id, hit.title, hit.published, hit.chunk_id, point.start,
                                point.end, point.text.strip())
            line = f"- {citation.quote} [{number}]"
            start = sum(len(text) + 1 for text in lines) + 2
            sentences.append(AnswerSentence(f"{citation.quote} [{number}]", start, start + len(line) - 2, [number],
                                            [citation], verified=True))
            evidence.append(citation)
            lines.append(line)
    passages = articles + [hit for hit in others if hit.article_id not in {a.article_id for a in articles}]
    return replace(answer, text="\n".join(lines), sentences=sentences, evidence=evidence, extractive=False,
                   shape=question.shape, passages=passages)


def newest_date(cited: list[Citation]) -> str | None:
    """The newest date of the articles ``cited`` (None when none is dated: no date is made up)."""
    return max((c.published for c in cited if c.published), default=None)


def compose(answer: Answer, checked: Checked, best: Citation, latest: bool) -> Answer:
    """``answer`` with what it shows: the checked claims (a bare number with what it counts, "253 suku
    bangsa [1]"), or, when none checked out, the ``best`` evidence sentence itself; ``latest`` (a question about
    the present): with the date of the newest article it cites."""
    if checked.shown:
        text, sentences = _joined([_with_unit(s) for s in checked.shown])
        evidence = list({(c.article_id, c.start): c for s in checked.shown for c in s.citations}.values())
        extractive = False
    else:  # the model's words did not check out (or it declined): the evidence sentence is the answer
        logger.info("answering with the evidence sentence; the draft did not verify: %r", answer.draft)
        text, evidence, extractive = best.quote, [best], True
        sentences = [AnswerSentence(best.quote, 0, len(best.quote), [1], [best], verified=True)]
    return replace(answer, text=text, sentences=sentences, evidence=evidence, extractive=extractive,
                   dropped=checked.dropped, as_of=newest_date(evidence) if latest else None)


def settle(answer: Answer, question: Question, checked: Checked, best: Citation,
           assess: Callable[[Answer], Assessment] | None, told: str = "") -> Answer:
    """What is shown: the checked draft when ``assess`` finds that its cited sentences state it as the answer to
    this question; else the answer the check's second reading gave, from the same sentences, when it passes;
    else the ``best`` evidence sentence quoted, when that one does; else the reply that the articles do not
    state it, with that sentence as the closest they come. (Without ``assess``: the draft.) A follow-up's
    answer that only repeats the short answer ``told`` the turn before is no answer to it."""
    draft = compose(answer, checked, best, question.latest)
    if assess is None:
        return draft
    candidates = [draft] if draft.extractive else [draft, compose(answer, _doubted(checked), best, question.latest)]
    # the quote, like the draft, must hold the kind of answer asked for (a number for "how many")
    candidates = [c for c in candidates if not c.extractive or has_kind(best.quote, question)]
    doubt, reread_tried = 0.0, False
    while candidates:
        candidate = candidates.pop(0)
        if repeats(candidate.text, question, told):
            logger.info("%r only repeats the answer before %r", candidate.text, question.text)
            continue
        assessment = assess(candidate)
        if assessment.passed:
            return replace(candidate, confidence=assessment.confidence)
        doubt = max(doubt, assessment.confidence)
        logger.info("the check doubts %r answers %r (%.2f; re-read: %r)", candidate.text, question.text,
                    assessment.confidence, assessment.reread)
        if not reread_tried and (other := _second_reading(answer, question, candidate, assessment.reread)):
            candidates.insert(0, other)  # the second reading names another answer: it is checked next
            reread_tried = True
    reason = f"no cited sentence is sure to state it as the answer (the check's confidence {doubt:.2f} at most)"
    return replace(not_stated(answer, best, reason), confidence=doubt, dropped=_doubted(checked).dropped)


def repeats(text: str, question: Question, told: str) -> bool:
    """Whether the answer ``text`` says nothing but what the short answer ``told`` before said, beside the
    question's own words: "Siapa lawannya di final?" answered "Lawannya di final adalah Raka Pradipta." after
    "Raka Pradipta" won (a follow-up asks about something else than what the reader was just told). An answer
    told as a whole sentence names more than one thing, and is not compared."""
    before = content_stems(told, question.language)
    if not before or len(before) > SHORT_ANSWER_STEMS:
        return False
    new = content_stems(strip_markers(text), question.language) - set(question.stems)
    return bool(new) and new <= before


def _second_reading(answer: Answer, question: Question, candidate: Answer, text: str) -> Answer | None:
    """The check's second reading of ``candidate``'s cited sentences (``text``) as an answer citing them, when it
    is another answer of the kind asked for whose words all stand in those sentences; else None."""
    if not text or held(text, strip_markers(candidate.text)) == 1.0 or not has_kind(text, question):
        return None
    supported, _ = verify(text, [c.quote for c in candidate.evidence], question.language, question=question)
    if not supported:
        return None
    markers = sorted({c.number for c in candidate.evidence})
    sentence = _with_unit(AnswerSentence(text + "".join(f" [{n}]" for n in markers), 0, 0, markers,
                                         list(candidate.evidence), verified=True))
    shown, sentences = _joined([sentence])
    return replace(answer, text=shown, sentences=sentences, evidence=list(candidate.evidence), extractive=False,
                   dropped=candidate.dropped, as_of=newest_date(candidate.evidence) if question.latest else None)


def _doubted(checked: Checked) -> Checked:
    """``checked`` with its shown claims dropped: the check doubts that they answer the question."""
    doubted = [replace(s, problems=["its sources do not say it answers the question"]) for s in checked.shown]
    return Checked([], checked.dropped + doubted)


def not_stated(answer: Answer, closest: Citation, reason: str) -> Answer:
    """``answer`` as a refusal that says what the articles do not state ("… tetapi tidak menyebutkan siapa nama
    pelakunya") and shows the ``closest`` sentence they do give, in the words and language the reader asked in."""
    lang = language(answer.language)
    return replace(answer, text=lang.not_stated.format(asked=_embedded(answer.question, lang)), refusal=reason,
                   closest=[closest], sentences=[], evidence=[], extractive=False, as_of=None)


def _embedded(question: str, lang: Language) -> str:
    """The question as a clause of a sentence: without its question mark, its question word in lower case."""
    words = question.strip().rstrip("?？ ").strip().split(" ")
    if len(words) > 1 and words[0].lower() in lang.stopwords and words[1].lower() in lang.question_words:
        words = words[1:]  # a follow-up's "dan kapan itu terjadi?": "… tidak menyebutkan kapan itu terjadi"
    if words[0].lower() in lang.question_words:
        words[0] = words[0].lower()
    return " ".join(words)


def _with_unit(sentence: AnswerSentence) -> AnswerSentence:
    """A bare number ("253 [1]") as its supporting sentence writes it, with its currency and what it counts
    ("253 suku bangsa [1]"): a reader should not have to open the source to learn 253 of what."""
    plain = strip_markers(sentence.text).strip(" .")
    if not re.fullmatch(NUMBER.pattern, plain):
        return sentence
    phrase = next(filter(None, (number_phrase(plain, c.quote) for c in sentence.citations)), plain)
    return replace(sentence, text=sentence.text.replace(plain, phrase, 1))


def _joined(sentences: list[AnswerSentence]) -> tuple[str, list[AnswerSentence]]:
    """One text of ``sentences`` (stripped of anything between them), with their spans in that text."""
    parts, placed, position = [], [], 0
    for sentence in sentences:
        text = sentence.text.strip()
        placed.append(replace(sentence, text=text, start=position, end=position + len(text)))
        parts.append(text)
        position += len(text) + 1
    return " ".join(parts), placed
