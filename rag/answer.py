"""What answering a question produces: streamed events, then one :class:`Answer`."""
from __future__ import annotations

from dataclasses import dataclass, field

from rag.citations import AnswerSentence
from rag.retrieval import Hit

REFUSALS = {
    "id": "Artikel yang tersedia tidak menyebutkan jawabannya. Berikut bagian artikel yang paling dekat.",
    "en": "The articles do not say. Here are the closest passages.",
}


@dataclass
class Timings:
    """Seconds spent; ``first_token`` is from the start of the question."""

    retrieval: float = 0.0
    first_token: float | None = None
    total: float = 0.0


@dataclass
class Answer:
    """A finished answer: the text, each sentence with its checked citations, and the evidence."""

    question: str
    query: str                          # the standalone retrieval query (differs for follow-ups)
    language: str
    text: str                           # what the model wrote (or the refusal message)
    sentences: list[AnswerSentence] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)  # the sources shown to the model: [n] = passages[n-1]
    refusal: str | None = None          # why the system declined to answer, when it did
    draft: str = ""                     # the model's text when it was replaced by a refusal
    timings: Timings = field(default_factory=Timings)

    @property
    def verified(self) -> bool:
        """True when the answer makes at least one claim and every claim is supported."""
        claims = [s for s in self.sentences if s.is_claim]
        return bool(claims) and all(s.verified for s in claims)

    @property
    def unsupported(self) -> list[AnswerSentence]:
        """Claims no source supports: shown flagged, never as fact."""
        return [s for s in self.sentences if s.is_claim and not s.verified]


@dataclass
class Token:
    """A piece of the answer as the model writes it."""

    text: str


@dataclass
class Retrieved:
    """The passages found for the question, sent before generation starts."""

    passages: list[Hit]


Event = Token | Retrieved | Answer
