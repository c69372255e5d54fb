"""Question in, streamed answer out: evidence first, then a short answer the sources are checked to support.

1. Retrieve passages; rank their sentences against the question (:mod:`rag.answer.evidence`).
2. Weak evidence (a low answerability score) is a refusal, in the question's language.
3. Otherwise the best sentence is sent at once, quoted with its source: the first useful text.
4. The model reads the best sentences with their neighbours and writes a short answer; each of its
   sentences is checked against what it read (:mod:`rag.answer.citations`). Only supported sentences are
   shown; when none is, the answer is the evidence sentence itself, labelled as a quote.

A question about the present ("sekarang", "latest": rag.text.recency) lets newer articles win near-ties in
retrieval and evidence, and its answer carries the date of the article it cites (``Answer.as_of``).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import replace
from typing import Iterator

from rag.answer.records import (REFUSALS, Answer, AnswerSentence, Citation, Event, EvidenceFound, Retrieved, Timings,
                                Token)
from rag.answer.citations import check_answer
from rag.answer.markers import strip_markers
from rag.answer.conversation import rewrite_with_llm, standalone_query
from rag.answer.evidence import (Evidence, answerability, excerpts, has_kind, question_kind, rank_sentences,
                          with_model_doubt)
from rag.llm.base import TextGenerator
from rag.llm.factory import MODEL_KEYS, create_generator
from rag.text.numbers import NUMBER, number_phrase
from rag.text.query import make_query
from rag.text.recency import asks_for_latest
from rag.answer.prompting import build_prompt, decline_word, declines
from rag.answer.questions import addresses_model, clean_question
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.types import Query

logger = logging.getLogger(__name__)


class Pipeline:
    """Answers questions over one index with one model; both are loaded on first use."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None,
                 generator: TextGenerator | None = None) -> None:
        self.settings = settings
        self.retriever = retriever or Retriever(settings)
        self.generator = generator or create_generator(settings)

    def answer(self, question: str, history: list[tuple[str, str]] | None = None,
               cancel: threading.Event | None = None) -> Iterator[Event]:
        """Yield :class:`Retrieved`, :class:`EvidenceFound`, the draft's :class:`Token` pieces, then the
        final :class:`Answer` (see the module docstring for what it holds).

        ``history`` holds earlier (question, answer) turns of the same chat.
        """
        started = time.perf_counter()
        question = clean_question(question)
        asked = make_query(question)
        language = _answer_language(asked)
        query = self.standalone_query(asked, history or [])
        recent = asks_for_latest(question)
        hits = self.retriever.search(query, prefer_newer=recent)
        timings = Timings(retrieval=time.perf_counter() - started)
        yield Retrieved(hits)
        answer = Answer(question=question, query=query.text, language=language, text="", passages=hits,
                        timings=timings)
        trusted = [hit for hit in hits if not addresses_model(hit)]
        if len(trusted) < len(hits):
            logger.warning("withheld %d passage(s) addressed to the model (possible prompt injection): %s",
                           len(hits) - len(trusted), sorted({h.article_id for h in hits if h not in trusted}))
        if not trusted:
            yield self._refuse(answer, "the matching passages contain instructions addressed to the model "
                                       "(possible prompt injection)" if hits else "nothing in the index matches "
                                       "the question", started)
            return
        answer.passages = trusted
        ranked = rank_sentences(query.text, trusted, language, self.retriever.idf, question, prefer_newer=recent)
        answer.answerability = answerability(ranked)
        if answer.answerability < self.settings.min_answerability:
            yield self._refuse(answer, f"weak evidence: the best sentence scores {answer.answerability:.2f} "
                                       f"(< min_answerability {self.settings.min_answerability:.2f})", started)
            return

        chosen = excerpts(ranked)
        answer.passages = [items[0].hit for _, items in chosen]
        answer.passages += [hit for hit in trusted if hit not in answer.passages]
        best = _quote(ranked[0], 1)
        answer.evidence = [best]
        timings.evidence = time.perf_counter() - started
        yield EvidenceFound([best], answer.passages, language, _as_of([best]) if recent else None)

        prompt = build_prompt(self.generator, question, [excerpt for excerpt, _ in chosen], language,
                              self.settings.max_answer_tokens)
        probe = {decline_word(language): 0.0}
        pieces: list[str] = []
        for piece in self.generator.stream(prompt.text, messages=prompt.messages, stop=prompt.stop, cancel=cancel,
                                           probe=probe, prefix=prompt.prefix):
            if timings.first_token is None:
                timings.first_token = time.perf_counter() - started
            pieces.append(piece)
            yield Token(piece)
        answer.draft = "".join(pieces).strip()
        answer.decline_probability = next(iter(probe.values()))
        # the model has read the evidence: how likely it was to say it holds no answer lowers the score
        answer.answerability = with_model_doubt(answer.answerability, answer.decline_probability)
        if answer.answerability < self.settings.min_answerability:
            yield self._refuse(answer, f"the model finds no answer in the evidence: the score falls to "
                                       f"{answer.answerability:.2f} (< min_answerability "
                                       f"{self.settings.min_answerability:.2f})", started)
            return
        embedder = self.retriever.embedder if self.retriever.embedder_knows(language) else None
        checked = [] if declines(answer.draft) else check_answer(answer.draft, prompt.sources, language, embedder,
                                                                 question, ranked)
        shown = [s for s in checked if s.is_claim and s.verified]
        answer.dropped = [s for s in checked if s.is_claim and not s.verified]
        kind = question_kind(question)
        if shown and not any(has_kind(strip_markers(s.text), kind, question) for s in shown):
            answer.dropped += [replace(s, problems=[f"does not give the {kind} asked for"]) for s in shown]
            shown = []
        if shown:
            answer.text, answer.sentences = _compose([_with_unit(s) for s in shown])
            answer.evidence = list({(c.article_id, c.start): c for s in shown for c in s.citations}.values())
        else:  # the model's words did not check out (or it declined): the evidence sentence is the answer
            logger.info("answering with the evidence sentence; the draft did not verify: %r", answer.draft)
            answer.extractive = True
            answer.text = best.quote
            answer.sentences = [AnswerSentence(best.quote, 0, len(best.quote), [1], [best], verified=True)]
        answer.as_of = _as_of(answer.evidence) if recent else None
        timings.total = time.perf_counter() - started
        yield answer

    def update_settings(self, values: dict) -> Settings:
        """Apply changed settings from now on (a different model is loaded on its next use)."""
        new = self.settings.with_values(values)
        if any(getattr(new, key) != getattr(self.settings, key) for key in MODEL_KEYS):
            self.generator = create_generator(new)
        self.settings = self.retriever.settings = self.generator.settings = new
        return new

    def standalone_query(self, question: Query, history: list[tuple[str, str]]) -> Query:
        """The retrieval query for a question in a conversation (see rag.answer.conversation)."""
        if self.settings.query_rewriter == "llm":
            return rewrite_with_llm(self.generator, question, history)
        return standalone_query(question, history)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        """The final :class:`Answer` without streaming."""
        for event in self.answer(question, history):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("the pipeline ended without an answer")  # pragma: no cover

    def _refuse(self, answer: Answer, reason: str, started: float) -> Answer:
        logger.info("refusing: %s", reason)
        answer.refusal = reason
        answer.text = REFUSALS.get(answer.language, REFUSALS["en"])
        answer.timings.total = time.perf_counter() - started
        return answer


def _quote(evidence: Evidence, number: int) -> Citation:
    """An evidence sentence as a citation of source ``[number]``, with article offsets."""
    hit = evidence.hit
    return Citation(number, hit.article_id, hit.title, hit.published, hit.chunk_id,
                    hit.start + evidence.start, hit.start + evidence.end, evidence.text)


def _as_of(cited: list[Citation]) -> str | None:
    """The newest date of the articles ``cited`` (None when none is dated: no date is made up)."""
    return max((c.published for c in cited if c.published), default=None)


def _with_unit(sentence: AnswerSentence) -> AnswerSentence:
    """A bare number ("253 [1]") as its supporting sentence writes it, with its currency and what it counts
    ("253 suku bangsa [1]"): a reader should not have to open the source to learn 253 of what."""
    plain = strip_markers(sentence.text).strip(" .")
    if not re.fullmatch(NUMBER.pattern, plain):
        return sentence
    phrase = next(filter(None, (number_phrase(plain, c.quote) for c in sentence.citations)), plain)
    return replace(sentence, text=sentence.text.replace(plain, phrase, 1))


def _compose(sentences: list[AnswerSentence]) -> tuple[str, list[AnswerSentence]]:
    """One text of ``sentences`` (stripped of anything between them), with their spans in that text."""
    parts, placed, position = [], [], 0
    for sentence in sentences:
        text = sentence.text.strip()
        placed.append(replace(sentence, text=text, start=position, end=position + len(text)))
        parts.append(text)
        position += len(text) + 1
    return " ".join(parts), placed


def _answer_language(question: Query) -> str:
    language = question.language
    return language if language in REFUSALS else "id"
