"""The records an answer is made of: the sources the model read, citations, checked sentences, the streamed
events and the final :class:`Answer`."""
from __future__ import annotations

from dataclasses import dataclass, field

from rag.answer.markers import strip_markers as strip_markers  # the faces show texts without [n] markers
from rag.text.chunking import split_sentences
from rag.text.languages import LANGUAGES, language
from rag.text.months import long_date as long_date  # the faces date an open answer's articles the same way
from rag.types import Hit

NO_CONTENT = "no content"  # the problem of a sentence that states nothing to check
REPEATS_QUESTION = "repeats the question"  # every word of it is already in the question

# The reply when the articles do not say; the label before an answer that is the evidence sentence itself (the
# model's own text did not check out); the date of the article an answer about the present cites, so an old
# report is not read as today's news ({date} written out by rag.text.months.long_date). By language.
REFUSALS = {code: lang.refusal for code, lang in LANGUAGES.items()}
QUOTE_LABELS = {code: lang.quote_label for code, lang in LANGUAGES.items()}
AS_OF = {code: lang.as_of for code, lang in LANGUAGES.items()}


def as_of_phrase(date: str | None, code: str) -> str | None:
    """"Per 12 Februari 2026 (tanggal artikel)" / "As of 12 February 2026 (article date)" for the ISO
    ``date``, in the language ``code``; None without a date."""
    if not date:
        return None
    lang = language(code)
    return lang.as_of.format(date=long_date(date, lang.code))


@dataclass(frozen=True)
class Source:
    """What the LLM saw as ``[number]`` (1-based, as shown in the prompt): a passage or an excerpt of one, with
    its sentences' offsets in ``hit.text`` (split when not given)."""
    number: int
    hit: Hit
    sentences: tuple[tuple[int, int], ...] = ()

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        return self.sentences or tuple(split_sentences(self.hit.text))


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
    check: float | None = None          # seconds the check that the answer states what was asked took
    total: float = 0.0


@dataclass
class Answer:
    """A finished answer: the text, each sentence with its checked citations, and the evidence."""

    question: str
    query: str                          # the standalone retrieval query (differs for follow-ups)
    language: str                       # the question's: the labels and a refusal are written in it
    text: str                           # what the user reads: checked sentences, a quote, or the refusal
    sentences: list[AnswerSentence] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)  # [n] = passages[n-1]; the model saw excerpts of these
    evidence: list[Citation] = field(default_factory=list)  # the source sentences that answer, quoted
    extractive: bool = False            # ``text`` is the evidence sentence itself, not the model's words
    shape: str = "fact"                 # the question's shape (rag.types.Question.shape): an open one's answer is
                                        # points, each a sentence with its source, grouped per article
    as_of: str | None = None            # a question about the present: the ISO date of the newest article the
                                        # answer cites (None for other questions, refusals, undated articles)
    answerability: float | None = None  # the evidence score the refusal decision was made on
    decline_probability: float | None = None  # how likely the model was to start with "Tidak disebutkan"
    refusal: str | None = None          # why the system declined to answer (technical, for logs/details)
    closest: list[Citation] = field(default_factory=list)  # a refusal's closest sentences: what the articles
                                        # do say about the subject when they do not say what was asked
    confidence: float | None = None     # how sure the check is that the answer states what was asked (0-1)
    read_as: str | None = None          # the question as asked of articles in another language (the answer is in
                                        # theirs: rag.answer.translation); None when asked in theirs
    draft: str = ""                     # what the model wrote, before checking
    dropped: list[AnswerSentence] = field(default_factory=list)  # model sentences the sources do not support
    timings: Timings = field(default_factory=Timings)

    @property
    def as_of_label(self) -> str | None:
        """What to show with the answer about its date ("Per 12 Februari 2026 (tanggal artikel)"), or None."""
        return as_of_phrase(self.as_of, self.language)

    @property
    def read_as_label(self) -> str | None:
        """What to show with an answer from articles in another language: the question as asked of them."""
        return language(self.language).read_as.format(question=self.read_as) if self.read_as else None


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
    shape: str = "fact"       # an open question's: ``evidence`` are the answer's points (Answer.shape)


Event = Token | Retrieved | EvidenceFound | Answer
