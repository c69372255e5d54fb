"""Check each sentence of a generated answer against the numbered sources the LLM was given.

Small local models invent numbers and names and put ``[n]`` markers on the wrong source, so
the markers are not trusted: every answer sentence is aligned to the source sentence(s) that
support it best, then its numbers, names and content words are verified against them.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from rag.text.chunking import split_sentences
from rag.answer.evidence import Evidence, counted_noun, question_kind, rank_sentences
from rag.text.language import STOPWORDS
from rag.text.tokens import content_stems
from rag.text.numbers import MONTHS, NUMBER, counts, find_numbers
from rag.types import Hit

logger = logging.getLogger(__name__)

NO_CONTENT = "no content"  # the problem of a sentence that states nothing to check
REPEATS_QUESTION = "repeats the question"  # every word of it is already in the question
MIN_CONTENT_SHARE = 0.5   # share of a sentence's content stems the cited text must contain
MIN_CONTENT_TOKENS = 2    # fewer content stems: a terse answer ("Polonia.", "85."), checked with the
                          # question; a sentence with more must have at least this many found
BOILERPLATE = frozenset({"sumber", "source", "sources", "jawaban", "answer", "referensi", "reference"})
# Words that only qualify a number ("sebanyak 4.000", "about 34,000"): no fact of their own to support.
QUANTIFIERS = frozenset("sebanyak sedikitnya setidaknya sekitar kurang lebih hampir sejumlah total jumlah "
                        "about around approximately nearly almost roughly some total least".split())
KEY_BONUS = 0.2           # alignment weight of the share of numbers and names found
PRECISION_BONUS = 0.1     # alignment weight of the share of the candidate's stems used
PAIR_PENALTY = 0.05       # two adjacent source sentences must beat one by this much
SECOND_MARGIN = 0.05      # a second citation (other source) must score within this of the best
EMBED_WEIGHT = 0.5        # weight of cosine similarity when an embedder is given
MIN_COSINE = 0.4          # with embeddings, a candidate without lexical overlap needs this
ALTERNATIVES = 3          # aligned candidates after the best that may support a sentence about the question
MIN_RELEVANCE = 0.5       # with a question, the support must cover it at least this well relative to the
                          # sentence that covers it best (rag.evidence coverage)

_MARKER = re.compile(r"\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\]")
# What small models write instead of a marker: the prompt's "[n]", "[source 1]", "(1)" at a sentence end.
# Stripped like a marker and treated as missing, so the alignment finds the source.
_MALFORMED_MARKER = re.compile(r"\[\s*(?:[a-zA-Z]{1,2}|(?:sumber|source|kutipan)\s*\d*|\d+\.?)?\s*\]"
                               r"|(?<=\s)\(\s*\d{1,2}\s*\)(?=\s*[.!?]?\s*$)", re.I | re.M)
_ANY_MARKER = re.compile(f"{_MARKER.pattern}|{_MALFORMED_MARKER.pattern}", re.I | re.M)
_WORD = re.compile(r"[^\W\d_]+")
_NAME_SUFFIXES = ("nya", "lah", "kah", "pun", "ku", "mu")
_NOT_NAMES = STOPWORDS["id"] | STOPWORDS["en"] | {"rp", "usd", "idr", "us"}

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
class _Candidate:
    """One source sentence or pair of adjacent sentences; offsets in the chunk text."""
    source: Source
    start: int
    end: int
    pair: bool
    stems: frozenset[str]
    text: str

    def citation(self) -> Citation:
        hit = self.source.hit
        return Citation(self.source.number, hit.article_id, hit.title, hit.published, hit.chunk_id,
                        hit.start + self.start, hit.start + self.end, self.text)


def parse_markers(text: str) -> list[int]:
    """Source numbers of ``[1]``, ``[1, 3]``, ``[1][2]`` and ``[1-3]`` markers, in order, unique."""
    numbers: list[int] = []
    for marker in _MARKER.findall(text):
        for a, b in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", marker):
            lo, hi = int(a), int(b or a)
            numbers.extend(range(lo, min(hi, lo + 20) + 1) if hi >= lo else [lo])
    return list(dict.fromkeys(numbers))


def strip_markers(text: str) -> str:
    """``text`` without ``[n]`` markers, well-formed or not (and the blanks before them)."""
    return re.sub(r"[ \t]*(?:" + _ANY_MARKER.pattern + ")", "", text, flags=re.I | re.M).strip()


def split_answer(text: str) -> list[tuple[int, int]]:
    """Sentence spans of an answer; a marker belongs to the sentence it follows on its line
    ("Banjir.[1] Warga ..." splits after the marker), else to the next sentence."""
    markers = [m.span() for m in _ANY_MARKER.finditer(text)]
    masked = "".join(" " if any(s <= i < e for s, e in markers) else c for i, c in enumerate(text))
    spans = [list(span) for span in split_sentences(masked)]
    for s, e in markers:
        if any(a <= s and e <= b for a, b in spans):
            continue
        before = [sp for sp in spans if sp[1] <= s]
        if before and not text[before[-1][1]:s].strip(" \t"):
            before[-1][1] = e
        elif after := [sp for sp in spans if sp[0] >= e]:
            after[0][0] = s
    return [(a, b) for a, b in spans]


def _miscounted(sentence: str, support: str, language: str) -> list[tuple[str, str, str]]:
    """Numbers of ``sentence`` that count something else wherever ``support`` has them: (number, what the
    sentence says it counts, what the support says). "1.350 warga" against "1.350 rumah terendam"; "2,026 homes"
    against "March 30, 2026" (a date counts nothing)."""
    counted: dict[str, set[str]] = {}
    for count in counts(support, language):
        for value in count.values:
            counted.setdefault(value, set()).update(["a date"] if count.in_date else count.counts)
    wrong = []
    for count in counts(sentence, language):
        noun = count.counts[0] if count.counts and not count.in_date else None
        found = set().union(*(counted.get(v, set()) for v in count.values))
        if noun and found and noun not in found:
            wrong.append((count.raw, noun, sorted(found)[0]))
    return wrong


def _names(sentence: str) -> list[re.Match]:
    """Acronyms and capitalised words; the first word only if another name follows it."""
    names = [m for m in _WORD.finditer(sentence) if len(w := m.group()) > 1 and w[0].isupper()
             and w.lower() not in _NOT_NAMES and w not in MONTHS]
    first = _WORD.search(sentence)
    if names and names[0].start() == first.start() and not first.group().isupper() and not (
            len(names) > 1 and not sentence[names[0].end():names[1].start()].strip()):
        names = names[1:]  # a capital only because it starts the sentence
    return names


@lru_cache(maxsize=4096)
def _facts(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """Canonical number values and lower-cased words of a supporting text."""
    values = frozenset(v for _, vs in find_numbers(text) for v in vs)
    return values, frozenset(w.lower() for w in _WORD.findall(text))


def _has_name(name: str, words: frozenset[str]) -> bool:
    """Case-insensitive, allowing Indonesian suffixes either way ("Jakartanya" ~ "Jakarta")."""
    name = name.lower()
    return name in words or any(name + s in words or name.endswith(s) and name[:-len(s)] in words
                                for s in _NAME_SUFFIXES)


def verify(sentence: str, citation_texts: list[str], language: str, *, label: str = "source",
           context: Sequence[str] = (), question: str = "") -> tuple[bool, list[str]]:
    """Do the sentence's numbers (counting the same thing), names and most content words occur in the
    cited texts?

    Names may also be found in ``context`` (e.g. the whole source passages); ``label`` names
    the support in the problems, e.g. ``"source [1]"``. With a ``question``, what the sentence repeats
    from it is given and only its new facts need support (whether the support is about the question is
    :func:`check_answer`'s part). Returns ``(verified, problems)``.
    """
    sentence, support = strip_markers(sentence), "\n".join(citation_texts)
    values, _ = _facts(support)
    asked_values, asked_words = _facts(question)
    asked_stems = content_stems(question, language) if question else set()
    problems = [f"{'number' if raw[0].isdigit() else 'month'} {raw} not in {label}"
                for raw, vs in find_numbers(sentence) if not vs & (values | asked_values)]
    problems += [f"number {raw} counts '{theirs}' in {label}, not '{ours}'"
                 for raw, ours, theirs in _miscounted(sentence, support, language)]
    words = _facts("\n".join([support, *context]))[1]
    runs: list[list[int]] = []
    names = _names(sentence)
    for m in names:
        if _has_name(m.group(), words) or _has_name(m.group(), asked_words):
            continue
        if runs and not sentence[runs[-1][1]:m.start()].strip(" ."):
            runs[-1][1] = m.end()  # adjacent missing words are one name: 'Bupati Ahmad Yani'
        else:
            runs.append([m.start(), m.end()])
    problems += [f"name '{sentence[s:e]}' not in {label}" for s, e in runs]
    starts = {m.start() for m in names}
    unnamed = _WORD.sub(lambda m: "" if m.start() in starts else m.group(), sentence)
    # names were checked above; words repeated from the question are given
    content = {t for t in content_stems(unnamed, language) if not t[0].isdigit()} - asked_stems - _fillers(language)
    found = len(content & content_stems(support, language))
    share = found / len(content) if content else 1.0
    if share < MIN_CONTENT_SHARE or found < min(len(content), MIN_CONTENT_TOKENS):
        problems.append(f"only {share:.0%} of content words found in {label}")
    return not problems, problems


def _candidates(sources: list[Source], language: str) -> list[_Candidate]:
    """Every sentence of every source, plus every pair of adjacent sentences."""
    out = []
    for source in sources:
        text = source.hit.text
        spans = split_sentences(text)
        stems = [frozenset(content_stems(text[s:e], language)) for s, e in spans]
        for i, (s, e) in enumerate(spans):
            out.append(_Candidate(source, s, e, False, stems[i], text[s:e]))
            if i + 1 < len(spans):
                e2 = spans[i + 1][1]
                out.append(_Candidate(source, s, e2, True, stems[i] | stems[i + 1], text[s:e2]))
    return out


def _rank(sentence: str, candidates: list[_Candidate], language: str,
          cosines: np.ndarray | None = None) -> list[tuple[float, _Candidate]]:
    """Candidates with any overlap (or a high cosine), scored and sorted best first."""
    sentence = strip_markers(sentence)
    stems, numbers, names = content_stems(sentence, language), find_numbers(sentence), _names(sentence)
    scored = []
    for i, cand in enumerate(candidates):
        values, words = _facts(cand.text)
        keys = sum(bool(vs & values) for _, vs in numbers) + sum(_has_name(m.group(), words)
                                                                 for m in names)
        shared = len(stems & cand.stems)
        cosine = float(cosines[i]) if cosines is not None else 0.0
        if not shared and not keys and cosine < MIN_COSINE:
            continue
        lexical = (shared / max(len(stems), 1) + KEY_BONUS * keys / max(len(numbers) + len(names), 1)
                   + PRECISION_BONUS * shared / max(len(cand.stems), 1)) / (1 + KEY_BONUS + PRECISION_BONUS)
        score = lexical if cosines is None else (1 - EMBED_WEIGHT) * lexical + EMBED_WEIGHT * cosine
        scored.append((score - PAIR_PENALTY * cand.pair, cand))
    return sorted(scored, key=lambda sc: -sc[0])


def _pick(ranked: list[tuple[float, _Candidate]]) -> list[_Candidate]:
    """The best candidate, plus a close second from another source."""
    if not ranked:
        return []
    best_score, best = ranked[0]
    second = next((c for s, c in ranked[1:] if c.source.number != best.source.number
                   and s >= best_score - SECOND_MARGIN), None)
    return [best] + ([second] if second else [])


def _cosines(sentences: list[str], candidates: list[_Candidate], embedder) -> np.ndarray | None:
    """Cosine similarity of each sentence (rows) to each candidate (columns), on the scale MIN_COSINE
    and EMBED_WEIGHT were set on (whatever the model)."""
    if embedder is None or not candidates:
        return None
    vectors = embedder.encode([strip_markers(s) for s in sentences] + [c.text for c in candidates])
    return embedder.comparable_cosines(vectors[:len(sentences)] @ vectors[len(sentences):].T)


def align(sentence: str, sources: list[Source], language: str, embedder=None) -> list[Citation]:
    """The source sentence (or adjacent pair) supporting ``sentence`` best, plus a close second
    from a different source; empty if no source sentence overlaps at all."""
    candidates = _candidates(sources, language)
    cosines = _cosines([sentence], candidates, embedder)
    ranked = _rank(sentence, candidates, language, None if cosines is None else cosines[0])
    return [c.citation() for c in _pick(ranked)]


def _choose(sentence: str, ranked: list[tuple[float, _Candidate]], markers: list[int], language: str,
            question: str = "", evidence: Sequence[Evidence] = (), terse: bool = False
            ) -> tuple[list[_Candidate], bool, list[str]]:
    """The marked source's best candidates if one verifies, else the best aligned citation, else the best
    ``evidence`` sentence (the question's sentences ranked by rag.evidence).

    With ``evidence``, an option whose best candidate's relevance is below ``MIN_RELEVANCE`` does not
    verify: its facts would answer another question. The names of a ``terse`` answer ("Jakarta.") must
    stand in the sentence itself: elsewhere in the passage they may name anything."""
    relevance = _relevance(evidence) if evidence else None
    marked = {n: [c for _, c in ranked if c.source.number == n][:2] for n in markers}
    options = [[c] for cands in marked.values() for c in cands]
    if len(marked) > 1:  # a sentence may merge facts from the sources it marks
        options.append([cands[0] for cands in marked.values() if cands])
    aligned = _pick(ranked)
    options.append(aligned)
    if evidence:  # then the best evidence sentence itself, and the next aligned ones: a terse answer
        # aligned together with the question's words may rank the sentence that holds its number below
        # the sentence that names the question's subject ("... RSUD Dr. Moewardi ..." before "Pergantian
        # nama ini diresmikan pada tanggal 10 November 1988")
        options += [[c] for _, c in ranked if not c.pair and _overlaps(c, evidence[0])][:1]
        options += [[c] for _, c in ranked[1:1 + ALTERNATIVES]]
    reported: list[str] = []
    for option in filter(None, options):
        numbers = sorted({c.source.number for c in option})
        label = ("source " if len(numbers) == 1 else "sources ") + ", ".join(f"[{n}]" for n in numbers)
        ok, problems = verify(sentence, [c.text for c in option], language, label=label,
                              context=() if terse else [c.source.hit.text for c in option], question=question)
        if ok and relevance is not None and (share := max(map(relevance, option))) < MIN_RELEVANCE:
            ok, problems = False, [f"{label} is not about the question ({share:.0%} as relevant as the best "
                                   "sentence)"]
        if ok:
            return option, True, []
        if option is aligned:
            reported = problems
    return aligned, False, reported


def _overlaps(candidate: _Candidate, evidence: Evidence) -> bool:
    """Whether a candidate and an evidence sentence share text (same article, overlapping offsets)."""
    citation, hit = candidate.citation(), evidence.hit
    return (citation.article_id == hit.article_id and hit.start + evidence.start < citation.end
            and citation.start < hit.start + evidence.end)


def _relevance(evidence: Sequence[Evidence]) -> Callable[[_Candidate], float]:
    """A candidate's coverage of the question relative to the best sentence's: the best of the evidence
    sentences it overlaps."""
    best = max((e.coverage for e in evidence), default=0.0) or 1.0
    return lambda candidate: max((e.coverage for e in evidence if _overlaps(candidate, e)), default=0.0) / best


def _with_counted_noun(answer: str, question: str, language: str) -> str:
    """A bare count ("85.") read as a count of what the question counts ("85 visitor."): a number that
    counts something else in the source ("85 species") then does not support it."""
    noun = counted_noun(question, language) if question_kind(question) == "number" else None
    found = counts(answer, language)
    if not noun or len(found) != 1 or found[0].counts or found[0].in_date:
        return answer
    return answer.replace(found[0].raw, f"{found[0].raw} {noun}", 1)


@lru_cache(maxsize=None)
def _fillers(language: str) -> frozenset[str]:
    """Stems of BOILERPLATE and QUANTIFIERS: "Jawaban: sebanyak 4.000 warga" claims only "4.000 warga"."""
    return frozenset(content_stems(" ".join(BOILERPLATE | QUANTIFIERS), language))


def _is_boilerplate(text: str) -> bool:
    """Only words such as "Sumber:" / "Source" around the markers: nothing to check."""
    return set(re.findall(r"[^\W\d_]+", text.lower())) <= BOILERPLATE


def check_answer(answer: str, sources: list[Source], language: str, embedder=None, question: str = "",
                 evidence: Sequence[Evidence] | None = None) -> list[AnswerSentence]:
    """Split ``answer`` into sentences, then cite and verify each one against ``sources``.

    With a ``question``, each sentence is checked for its new facts in a source sentence about what was
    asked: one whose :mod:`rag.evidence` coverage of the question is at least ``MIN_RELEVANCE`` of the
    best sentence's (``evidence``: the sources' sentences ranked for the question, computed here when not
    given), so "1.350 warga mengungsi" cannot borrow 1.350 from a sentence about flooded houses. A terse one ("85.", "Polonia.", "Rp 14.500 per kilogram.") is aligned
    together with the question and must stand in one sentence, not just anywhere in the passage. A marker
    that names no source ("[n]", "[0]", "(1)") counts as missing: the alignment finds the source.
    """
    numbers = {source.number for source in sources}
    if question and evidence is None:
        evidence = rank_sentences(question, [s.hit for s in sources], language)
    spans = split_answer(answer)
    texts = [answer[s:e] for s, e in spans]
    claims, terse = [], []
    for text in texts:
        plain = strip_markers(text)
        short = len([t for t in content_stems(plain, language) if not t[0].isdigit()]) < MIN_CONTENT_TOKENS
        terse.append(short and bool(question))
        claims.append(f"{question} {plain}" if terse[-1] else text)
    candidates = _candidates(sources, language)
    singles = [c for c in candidates if not c.pair]  # a terse answer's number must sit in the sentence
    cosines = _cosines(claims, candidates, embedder)
    results = []
    for i, ((start, end), text, claim) in enumerate(zip(spans, texts, claims)):
        item = AnswerSentence(text, start, end, [n for n in parse_markers(text) if n in numbers])
        plain = strip_markers(text)
        content = [t for t in content_stems(plain, language) if not t[0].isdigit()]
        if not NUMBER.search(plain) and (not content or _is_boilerplate(plain)):
            item.problems = [NO_CONTENT]
        elif question and content_stems(plain, language) <= content_stems(question, language):
            item.problems = [REPEATS_QUESTION]  # a source holding the question's words would "verify" it
        elif not (ranked := _rank(claim, singles if terse[i] else candidates, language,
                                  None if cosines is None or terse[i] else cosines[i])):
            item.problems = ["no supporting sentence in the sources"]
        else:
            claimed = _with_counted_noun(plain, question, language) if terse[i] else plain
            chosen, item.verified, item.problems = _choose(claimed, ranked, item.markers, language, question,
                                                           evidence if question else (), terse[i])
            item.citations = [c.citation() for c in chosen]
        logger.debug("answer sentence %r: verified=%s %s", plain, item.verified, item.problems)
        results.append(item)
    logger.info("checked %d answer sentences, %d unverified", len(results),
                sum(not r.verified for r in results))
    return results
