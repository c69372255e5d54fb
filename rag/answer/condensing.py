"""An open question's points made shorter by the model, one at a time: each point is first shown as its
article's sentence (rag.answer.planning), then replaced by the model's shorter wording when every fact of that
wording stands in the sentence; a point whose wording does not check out stays the quoted sentence.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from rag.answer.prompting import common_lines
from rag.answer.records import Citation
from rag.answer.support import verify
from rag.llm.base import TextGenerator
from rag.text.language import detect_language
from rag.types import Question

logger = logging.getLogger(__name__)

SYSTEM = ("You shorten sentences from news articles by leaving words out. Keep what answers the question (who, "
          "what, where, when, how many, why) and keep each word you keep exactly as written: change no word and add "
          "none. Reply with the shortened sentence only.")
USER = "Question: {question}\nSentence: {sentence}\nAt most {words} words."
# The share of the ``points_tokens`` setting the model may write, all points together: a summary is worth
# waiting for, other answers should be whole within seconds (their points are shown at once either way).
SHARES = {"summary": 1.0}
OTHER_SHARE = 1 / 3
POINT_TOKENS = 40      # at most per point
MIN_WORDS = 16         # a point this short is already short
MAX_SHARE = 0.75       # a shorter wording has at most this share of its sentence's words,
MIN_SHARE = 0.35       # and at least this share (shorter loses facts and grammar: "Masyarakat donasi rekening.")


@dataclass(frozen=True)
class Condensed:
    """Point ``index`` (of the answer's points) in the model's shorter words, checked against its sentence."""

    index: int
    text: str


def condense(generator: TextGenerator, question: Question, points: list[Citation], tokens: int,
             cancel: threading.Event | None = None) -> Iterator[Condensed]:
    """Yield each point the model says in fewer words, in order, while the shape's share of ``tokens`` lasts
    (and until ``cancel`` is set); points that are short already, or whose shorter wording does not check out,
    are left as they are. A base model follows no instructions: it shortens nothing."""
    budget = int(tokens * SHARES.get(question.shape, OTHER_SHARE)) if generator.is_chat_model else 0
    prefix = common_lines([generator.render_chat(_messages(w, w, 0))[0] for w in "ab"]) if budget else ""
    for index, point in enumerate(points):
        if budget <= 0 or (cancel and cancel.is_set()):
            return
        words = len(point.quote.split())
        if words < MIN_WORDS:
            continue
        messages = _messages(question.text, point.quote, max(6, int(words * MAX_SHARE) - 2))
        prompt, stop = generator.render_chat(messages)
        text = _sentence("".join(generator.stream(prompt, messages=messages, max_tokens=min(POINT_TOKENS, budget),
                                                  stop=[*stop, "\n"], temperature=0.0, cancel=cancel, prefix=prefix)))
        budget -= generator.count_tokens(text) if text else POINT_TOKENS
        if cancel and cancel.is_set():
            return
        if problem := _problem(text, point.quote):
            logger.info("point %d kept as quoted (%s): %r", index, problem, text)
            continue
        yield Condensed(index, text)


def _messages(question: str, sentence: str, words: int) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER.format(question=question, sentence=sentence, words=words)}]


def _sentence(text: str) -> str:
    """The model's reply as one sentence: no label, quotes or list mark around it, a full stop at its end."""
    text = re.sub(r"^\s*(?:[-*•]\s*|(?:short(?:ened)?|ringkas(?:an)?|kalimat)\s*:\s*)", "", text.strip(),
                  flags=re.IGNORECASE).strip().strip('"“”').strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _problem(text: str, sentence: str) -> str | None:
    """Why ``text`` may not stand for ``sentence`` (None when it may): too short, not shorter, or saying what the
    sentence does not (a word of its own, a number counting something else)."""
    words, length = _words(text), len(sentence.split())
    if len(text.split()) < max(3, MIN_SHARE * length):
        return "too short to keep the sentence's facts"
    if len(text.split()) > MAX_SHARE * length:
        return "not shorter"
    if new := words - _words(sentence):  # a shorter wording leaves words out: a word of its own is a claim of
        return f"words not in the sentence: {', '.join(sorted(new))}"  # its own, or a misspelling ("di evakuasi")
    supported, problems = verify(text, [sentence], detect_language(sentence))
    return None if supported else "; ".join(problems)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))
