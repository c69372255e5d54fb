"""The records an answer is made of: the sources the model read, citations, checked sentences, the streamed
events and the final :class:`Answer`."""
from __future__ import annotations

from dataclasses import dataclass, field

from rag.answer.markers import strip_markers as strip_markers  # the faces show texts without [n] markers
from rag.text.months import long_date
from rag.types import Hit

NO_CONTENT = "no content"  # the problem of a sentence that states nothing to check
REPEATS_QUESTION = "repeats the question"  # every word of it is already in the question

REFUSALS = {
    "id": "Artikel yang tersedia tidak menyebutkan jawabannya. Berikut bagian artikel yang paling dekat.",
    "en": "The articles do not say. Here are the closest passages.",
}
# Shown before an answer that is the evidence sentence itself (the model's own text did not check out).
QUOTE_LABELS = {"id": "Kutipan dari artikel", "en": "Quoted from the article"}
# Shown with an answer to a question about the present ("sekarang", "latest"): the date of the article it
# cites, so an old report is not read as today's news. {date} is written out (rag.text.months.long_date).
AS_OF = {"id": "Per {date} (tanggal artikel)", "en": "As of {date} (article date)"}


def as_of_phrase(date: str | None, language: str) -> str | None:
    """"Per 12 Februari 2026 (tanggal artikel)" / "As of 12 February 2026 (article date)" for the ISO
    ``date``, in ``language`` (English for others); None without a date."""
    if not date:
        return None
    lang = language if language in AS_OF else "en"
    return AS_OF[lang].format(date=long_date(date, lang))


@dataclass
class Source:
    """What the LLM saw as ``[number]`` (1-based, as shown in the prompt)."""
    number: int
    hit: Hit


@dataclass
class Citation:
    """A supporting source sentence; ``start``/``end`` are offsets in the article text."""
    number: int
    article_id: str
    title: str
    published: str | None
    chunk_id: int
    start: int
    end: int
    quote: str


@dataclass
class AnswerSentence:
    """One answer sentence (``start``/``end`` in the answer), its markers, citations, verdict."""
    text: str
    start: int
    end: int
    markers: list[int]
    citations: list[Citation] = field(default_factory=list)
    verified: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def is_claim(self) -> bool:
        """False for boilerplate such as "Sumber: [1]." and for the question repeated: nothing to check."""
        return self.problems not in ([NO_CONTENT], [REPEATS_QUESTION])


@dataclass
class Timings:
    """Seconds spent, each from the start of the question."""

    retrieval: float = 0.0
    evidence: float | None = None       # the quoted evidence is ready (the first useful text)
    first_token: float | None = None
    total: float = 0.0


@dataclass
class Answer:
    """A finished answer: the text, each sentence with its checked citations, and the evidence."""

    question: str
    query: str                          # the standalone retrieval query (differs for follow-ups)
    language: str
    text: str                           # what the user reads: checked sentences, a quote, or the refusal
    sentences: list[AnswerSentence] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)  # [n] = passages[n-1]; the model saw excerpts of these
    evidence: list[Citation] = field(default_factory=list)  # the source sentences that answer, quoted
    extractive: bool = False            # ``text`` is the evidence sentence itself, not the model's words
    as_of: str | None = None            # a question about the present: the ISO date of the newest article the
                                        # answer cites (None for other questions, refusals, undated articles)
    answerability: float | None = None  # the evidence score the refusal decision was made on
    decline_probability: float | None = None  # how likely the model was to start with "Tidak disebutkan"
    refusal: str | None = None          # why the system declined to answer (technical, for logs/details)
    draft: str = ""                     # what the model wrote, before checking
    dropped: list[AnswerSentence] = field(default_factory=list)  # model sentences the sources do not support
    timings: Timings = field(default_factory=Timings)

    @property
    def verified(self) -> bool:
        """True when the answer makes at least one claim and every claim is supported."""
        claims = [s for s in self.sentences if s.is_claim]
        return bool(claims) and all(s.verified for s in claims)

    @property
    def as_of_label(self) -> str | None:
        """What to show with the answer about its date ("Per 12 Februari 2026 (tanggal artikel)"), or None."""
        return as_of_phrase(self.as_of, self.language)

    @property
    def unsupported(self) -> list[AnswerSentence]:
        """Claims shown in the answer that no source supports (none: unsupported ones are dropped)."""
        return [s for s in self.sentences if s.is_claim and not s.verified]


@dataclass
class Token:
    """A piece of the model's draft as it is written (not yet checked)."""

    text: str


@dataclass
class Retrieved:
    """The passages found for the question, sent before anything else."""

    passages: list[Hit]


@dataclass
class EvidenceFound:
    """The best evidence sentences, quoted with their sources, sent before the model starts writing."""

    evidence: list[Citation]
    passages: list[Hit]  # the passages in the order the citations number them: [n] = passages[n-1]
    language: str        # the answer's language (labels around the quote follow it)
    as_of: str | None = None  # a question about the present: the quoted article's ISO date (as_of_phrase)


Event = Token | Retrieved | EvidenceFound | Answer
