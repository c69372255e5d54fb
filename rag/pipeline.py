"""Question in, streamed answer out: retrieve, prompt, generate, check every sentence, or refuse."""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterator

from rag.answer import REFUSALS, Answer, Event, Retrieved, Timings, Token
from rag.citations import check_answer
from rag.conversation import rewrite_with_llm, standalone_query
from rag.generator import Generator
from rag.language import detect_language
from rag.lexical import query_coverage
from rag.prompting import build_prompt
from rag.questions import addresses_model, clean_question
from rag.retrieval import Hit, Retriever
from rag.settings import Settings

logger = logging.getLogger(__name__)


class Pipeline:
    """Answers questions over one index with one model; both are loaded on first use."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None,
                 generator: Generator | None = None) -> None:
        self.settings = settings
        self.retriever = retriever or Retriever(settings)
        self.generator = generator or Generator(settings)

    def answer(self, question: str, history: list[tuple[str, str]] | None = None,
               cancel: threading.Event | None = None) -> Iterator[Event]:
        """Yield :class:`Retrieved`, then :class:`Token` pieces, then the final :class:`Answer`.

        ``history`` holds earlier (question, answer) turns of the same chat.
        """
        started = time.perf_counter()
        question = clean_question(question)
        language = _answer_language(question)
        query = self.standalone_query(question, history or [])
        hits = self.retriever.search(query)
        timings = Timings(retrieval=time.perf_counter() - started)
        yield Retrieved(hits)
        answer = Answer(question=question, query=query, language=language, text="", passages=hits,
                        timings=timings)
        trusted = [hit for hit in hits if not addresses_model(hit)]
        if len(trusted) < len(hits):
            logger.warning("withheld %d passage(s) addressed to the model (possible prompt injection): %s",
                           len(hits) - len(trusted), sorted({h.article_id for h in hits if h not in trusted}))
        weak = ("the matching passages contain instructions addressed to the model (possible prompt injection)"
                if hits and not trusted else self._weak_retrieval(query, trusted))
        if weak:
            yield self._refuse(answer, weak, started)
            return

        prompt = build_prompt(self.generator, question, trusted, language, self.settings.max_answer_tokens)
        answer.passages = [source.hit for source in prompt.sources]
        pieces: list[str] = []
        for piece in self.generator.stream(prompt.text, stop=prompt.stop, cancel=cancel):
            if timings.first_token is None:
                timings.first_token = time.perf_counter() - started
            pieces.append(piece)
            yield Token(piece)
        answer.text = "".join(pieces).strip()
        embedder = self.retriever.embedder if self.retriever.embedder_knows(language) else None
        answer.sentences = check_answer(answer.text, prompt.sources, language, embedder, question)
        if not any(sentence.verified for sentence in answer.sentences):
            yield self._refuse(answer, "no sentence of the generated answer is supported by the articles", started)
            return
        timings.total = time.perf_counter() - started
        yield answer

    def update_settings(self, values: dict) -> Settings:
        """Apply changed settings from now on (a different model is loaded on its next use)."""
        new = self.settings.with_values(values)
        model_keys = ("llm_model", "llm_context", "llm_threads", "llm_extra_bufts")
        if any(getattr(new, key) != getattr(self.settings, key) for key in model_keys):
            self.generator = Generator(new)
        self.settings = self.retriever.settings = self.generator.settings = new
        return new

    def standalone_query(self, question: str, history: list[tuple[str, str]]) -> str:
        """The retrieval query for a question in a conversation (see rag.conversation)."""
        if self.settings.query_rewriter == "llm":
            return rewrite_with_llm(self.generator, question, history)
        return standalone_query(question, history)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> Answer:
        """The final :class:`Answer` without streaming."""
        for event in self.answer(question, history):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("the pipeline ended without an answer")  # pragma: no cover

    def _weak_retrieval(self, query: str, hits: list[Hit]) -> str | None:
        if not hits:
            return "nothing in the index matches the question"
        coverage = max(query_coverage(query, hit.text, detect_language(query)) for hit in hits)
        if coverage < self.settings.refuse_min_coverage:
            return (f"retrieval is weak: the best passage contains {coverage:.0%} of the question's words "
                    f"(< refuse_min_coverage {self.settings.refuse_min_coverage:.0%})")
        return None

    def _refuse(self, answer: Answer, reason: str, started: float) -> Answer:
        logger.info("refusing: %s", reason)
        answer.refusal = reason
        answer.draft = answer.text
        answer.text = REFUSALS.get(answer.language, REFUSALS["en"])
        answer.timings.total = time.perf_counter() - started
        return answer


def _answer_language(question: str) -> str:
    language = detect_language(question)
    return language if language in REFUSALS else "id"
