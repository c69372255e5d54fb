"""Question in, streamed answer out, through typed steps (docs/answers.md explains the algorithm):

1. **understand** — the question cleaned and analysed once (:class:`rag.types.Question`), made standalone when it
   follows up an earlier turn (rag.answer.conversation);
2. **retrieve** — passages, with the rarity of the question's stems in the same index version
   (:class:`rag.retrieve.retriever.Retrieval`); passages addressed to the model are withheld;
3. **rank evidence** — every sentence scored as an answer (:class:`rag.answer.evidence.Ranking`);
4. **decide** — weak evidence is a refusal, in the question's language (rag.answer.answerability); otherwise
   the best sentence is sent at once, quoted with its source: the first useful text. A question in another
   language than the passages found is first asked again in theirs (rag.answer.translation), steps 2-4 over;
5. **write** — the model reads the best excerpts and drafts a short answer (:class:`rag.answer.drafting.Draft`),
   streamed; how likely it was to decline is weighed in (decide again);
6. **check** — each sentence of the draft against what the model read (:class:`rag.answer.citations.Checked`);
7. **compose** — the supported sentences, or else the evidence sentence quoted (rag.answer.composing).

An open question (what happened, why, a list, a comparison, a development: ``Question.shape``) takes another
path after step 4: points planned from the whole articles (rag.answer.planning), sent at once, then checked to
be about what was asked.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from rag.answer.answerability import Decision, decide, reconsider
from rag.answer.assessment import Assessment, assess, assess_points
from rag.answer.citations import check_draft
from rag.answer.composing import compose_points, newest_date, quote, settle
from rag.answer.conversation import rewrite_with_llm, standalone_query
from rag.answer.drafting import write_draft
from rag.answer.evidence import Ranking, rank_evidence
from rag.answer.planning import is_open, missing_names, plan
from rag.answer.questions import clean_question, trusted_passages
from rag.answer.records import Answer, Citation, Event, EvidenceFound, Retrieved, Timings
from rag.answer.translation import articles_language, means_the_same, translate
from rag.llm.base import TextGenerator
from rag.llm.factory import MODEL_KEYS, create_generator
from rag.retrieve.retriever import Retrieval, Retriever
from rag.settings import Settings
from rag.text.languages import language
from rag.text.question import make_question, searching
from rag.types import Hit, Question

logger = logging.getLogger(__name__)

NOTHING_FOUND = "nothing in the index matches the question"
ALL_WITHHELD = "the matching passages contain instructions addressed to the model (possible prompt injection)"


class Reading(NamedTuple):
    """A question as read against the index: what was found, the passages trusted, every sentence ranked as
    evidence, and whether that evidence answers strongly enough."""

    question: Question
    found: Retrieval
    trusted: list[Hit]
    ranking: Ranking
    decision: Decision


class Pipeline:
    """Answers questions over one index with one model; both are loaded on first use."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None,
                 generator: TextGenerator | None = None) -> None:
        self.settings = settings
        self.retriever = retriever or Retriever(settings)
        self.generator = generator or create_generator(settings)

    def answer(self, question: str, history: list[tuple[str, str]] | None = None,
               cancel: threading.Event | None = None, article: str | None = None) -> Generator[Event, None, None]:
        """Yield :class:`Retrieved`, :class:`EvidenceFound`, the draft's :class:`Token` pieces, then the final
        :class:`Answer`; ``history`` holds earlier (question, answer) turns of the same chat; ``article`` (an
        id) asks about that article only ("ringkas artikel ini")."""
        started = time.perf_counter()
        question_asked = self.understand(question, history or [])
        reading = self._read(question_asked, article)
        if article is None and (other := self._in_their_language(reading)):
            reading = other
        asked, found, trusted, ranking, decision = reading
        timings = Timings(retrieval=time.perf_counter() - started)
        yield Retrieved(found.hits)
        answer = Answer(question_asked.text, asked.search.text, question_asked.reply_language, "", passages=trusted,
                        timings=timings, read_as=asked.text if asked is not question_asked else None)
        answer.answerability = decision.score
        refusal = decision.refusal if trusted else ALL_WITHHELD if found.hits else NOTHING_FOUND
        if trusted and article is not None and is_open(asked):
            refusal = None  # the reader chose the article: "ringkas artikel ini" need not repeat its words
        if refusal:
            yield self._refuse(answer, refusal, started)
            return
        if is_open(asked):
            yield from self._open(answer, asked, question_asked, found, started, cancel)
            return
        excerpts = ranking.excerpts()
        answer.passages = [items[0].hit for _, items in excerpts]
        answer.passages += [hit for hit in trusted if hit not in answer.passages]
        best = quote(ranking.sentences[0], 1)
        answer.evidence, answer.timings.evidence = [best], time.perf_counter() - started
        yield EvidenceFound([best], answer.passages, answer.language,
                            newest_date([best]) if asked.latest else None)

        draft = yield from write_draft(self.generator, asked, ranking, self.settings.max_answer_tokens, cancel)
        answer.draft, answer.decline_probability = draft.text, draft.decline_probability
        answer.timings.first_token = draft.first_token_at and draft.first_token_at - started
        decision = reconsider(decision, draft.decline_probability, self.settings.min_answerability)
        answer.answerability = decision.score
        if decision.refusal:
            yield self._refuse(answer, decision.refusal, started)
            return
        checked = check_draft(draft, asked, ranking, found.embedder)
        settling = time.perf_counter()
        # the check reads the question as the reader asked it: a translation that asks something else fails it
        told = history[-1][1] if history and question_asked.search.text != question_asked.text else ""
        answer = settle(answer, asked, checked, best, self._assessor(question_asked, best), told)
        answer.timings.check = time.perf_counter() - settling
        answer.timings.total = time.perf_counter() - started
        yield answer

    def _open(self, answer: Answer, question: Question, asked: Question, found: Retrieval, started: float,
              cancel: threading.Event | None) -> Generator[Event, None, None]:
        """An open question's answer: points from the whole articles found (rag.answer.planning), shown at once,
        then checked to be about what was ``asked`` (unless ``min_confidence`` is 0; ``question`` is what was
        ``asked`` in the articles' language)."""
        groups = plan(question, trusted_passages(found.articles), found.idf)
        if not groups:
            yield self._refuse(answer, NOTHING_FOUND, started)
            return
        answer = compose_points(answer, question, groups, answer.passages)
        if missing := missing_names(question, [group[0].hit for group in groups]):
            answer = replace(answer, closest=answer.evidence[:1], sentences=[], evidence=[], extractive=False)
            yield self._refuse(answer, f"no article found mentions {', '.join(missing)}", started)
            return
        answer.timings.evidence = time.perf_counter() - started
        yield EvidenceFound(answer.evidence, answer.passages, answer.language, shape=question.shape)
        if self.settings.min_confidence > 0 and not (cancel and cancel.is_set()):
            checking = time.perf_counter()
            assessment = assess_points(self.generator, asked, answer.evidence)
            answer.confidence, answer.timings.check = assessment.confidence, time.perf_counter() - checking
            if not assessment.passed:
                answer = replace(answer, closest=answer.evidence[:1], sentences=[], evidence=[], extractive=False)
                yield self._refuse(answer, f"the points may be about something else than was asked (the check's "
                                           f"confidence {assessment.confidence:.2f})", started)
                return
        answer.timings.total = time.perf_counter() - started
        yield answer

    def _read(self, asked: Question, article: str | None) -> Reading:
        """Steps 2-4 for ``asked``: retrieve, rank the evidence, decide."""
        found = self.retriever.retrieve(asked, article)
        trusted = trusted_passages(found.hits)
        ranking = rank_evidence(asked, trusted, found.idf)
        return Reading(asked, found, trusted, ranking, decide(ranking, self.settings.min_answerability))

    def _in_their_language(self, reading: Reading) -> Reading | None:
        """``reading``'s question asked again in the language of the passages found, when they are in another
        (rag.answer.translation): the best evidence sentence's, or, when the evidence is too weak, any passage's;
        None unless asked so it is answerable."""
        if not reading.trusted:
            return None
        weak = reading.decision.refusal is not None
        target = articles_language(reading.question, reading.trusted if weak else [reading.ranking.sentences[0].hit])
        known = self.retriever.embedder_knows
        if target is None or not (known(target) and known(reading.question.language)):
            return None  # the embedder must know both languages to judge the translation
        translated = translate(self.generator, reading.question, target)
        if translated is None or not means_the_same(self.retriever.embedder, reading.question, translated):
            return None
        if (search := reading.question.search.text) != reading.question.text:
            # a follow-up searches with the earlier turns' words too: translated alone, it would lose them
            standalone = translate(self.generator, make_question(search, reading.question.language), target)
            if standalone is None:
                return None
            translated = searching(translated, standalone.text)
        other = self._read(translated, None)
        logger.info("asked in %s as %r: %s", target, translated.text, other.decision.refusal or "answerable")
        return None if other.decision.refusal else other

    def _assessor(self, question: Question, best: Citation) -> Callable[[Answer], Assessment] | None:
        """How a shown answer is checked to state what ``question`` asks, beside the ``best`` evidence sentence
        (``min_confidence`` 0: not at all)."""
        minimum = self.settings.min_confidence
        return (lambda answer: assess(self.generator, question, answer, minimum, best)) if minimum > 0 else None

    def understand(self, text: str, history: list[tuple[str, str]]) -> Question:
        """The question cleaned and analysed once, searching for what it means in the conversation."""
        question = make_question(clean_question(text))
        if self.settings.query_rewriter == "llm":
            return rewrite_with_llm(self.generator, question, history)
        return standalone_query(question, history)

    def update_settings(self, values: Mapping[str, Any]) -> Settings:
        """Apply changed settings from now on (a different model is loaded on its next use)."""
        new = self.settings.with_values(values)
        if any(getattr(new, key) != getattr(self.settings, key) for key in MODEL_KEYS):
            self.generator = create_generator(new)
        self.settings = self.retriever.settings = self.generator.settings = new
        return new

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, article: str | None = None
            ) -> Answer:
        """The final :class:`Answer` without streaming."""
        for event in self.answer(question, history, article=article):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("the pipeline ended without an answer")  # pragma: no cover

    def _refuse(self, answer: Answer, reason: str, started: float) -> Answer:
        logger.info("refusing: %s", reason)
        answer.refusal = reason
        answer.text = language(answer.language).refusal
        answer.timings.total = time.perf_counter() - started
        return answer
