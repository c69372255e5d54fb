"""Check each sentence of a generated answer against the numbered sources the LLM was given.

Small local models invent numbers and names and put ``[n]`` markers on the wrong source, so
the markers are not trusted: every answer sentence is aligned to the source sentence(s) that
support it best, then its numbers, names and content words are verified against them
(:mod:`rag.answer.support`).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.answer.drafting import Draft
from rag.answer.evidence import Evidence, Ranking, has_kind, rank_evidence
from rag.answer.markers import parse_markers, split_answer, strip_markers
from rag.answer.prompting import declines
from rag.answer.records import NO_CONTENT, REPEATS_QUESTION, AnswerSentence, Citation, Source
from rag.answer.support import MIN_CONTENT_TOKENS, facts_of, find_names, has_name, is_boilerplate, verify
from rag.text.numbers import NUMBER, counts, find_numbers
from rag.text.tokens import content_stems
from rag.types import Question

logger = logging.getLogger(__name__)

KEY_BONUS = 0.2           # alignment weight of the share of numbers and names found
PRECISION_BONUS = 0.1     # alignment weight of the share of the candidate's stems used
PAIR_PENALTY = 0.05       # two adjacent source sentences must beat one by this much
SECOND_MARGIN = 0.05      # a second citation (other source) must score within this of the best
EMBED_WEIGHT = 0.5        # weight of cosine similarity when an embedder is given
MIN_COSINE = 0.4          # with embeddings, a candidate without lexical overlap needs this
ALTERNATIVES = 3          # aligned candidates after the best that may support a sentence about the question
MIN_RELEVANCE = 0.5       # with a question, the support must cover it at least this well relative to the
                          # sentence that covers it best (rag.answer.evidence coverage)


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


def _candidates(sources: list[Source], language: str) -> list[_Candidate]:
    """Every sentence of every source, plus every pair of adjacent sentences."""
    out = []
    for source in sources:
        text, spans = source.hit.text, source.spans
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
    stems, numbers, names = content_stems(sentence, language), find_numbers(sentence), find_names(sentence)
    scored = []
    for i, cand in enumerate(candidates):
        values, words = facts_of(cand.text)
        keys = sum(bool(vs & values) for _, vs in numbers) + sum(has_name(m.group(), words)
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


def _choose(sentence: str, ranked: list[tuple[float, _Candidate]], markers: list[int], language: str,
            question: Question | None = None, evidence: Sequence[Evidence] = (), terse: bool = False
            ) -> tuple[list[_Candidate], bool, list[str]]:
    """The marked source's best candidates if one verifies, else the best aligned citation, else the best
    ``evidence`` sentence (the question's sentences ranked by rag.answer.evidence).

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
    # first an option whose own sentences hold the names too: one that borrows them from elsewhere in its
    # passage cites a sentence that does not state the answer ("Silverline Renewables developed the Dunmore
    # Valley solar farm" cited to the lead, not to "According to its developer, Silverline Renewables, …")
    for whole_passage in (False,) if terse else (False, True):
        for option in filter(None, options):
            numbers = sorted({c.source.number for c in option})
            label = ("source " if len(numbers) == 1 else "sources ") + ", ".join(f"[{n}]" for n in numbers)
            ok, problems = verify(sentence, [c.text for c in option], language, label=label,
                                  context=[c.source.hit.text for c in option] if whole_passage else (),
                                  question=question)
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


def _with_counted_noun(answer: str, question: Question, language: str) -> str:
    """A bare count ("85.") read as a count of what the question counts ("85 visitor."): a number that
    counts something else in the source ("85 species") then does not support it."""
    found = counts(answer, language)
    if not question.counted or len(found) != 1 or found[0].counts or found[0].in_date:
        return answer
    return answer.replace(found[0].raw, f"{found[0].raw} {question.counted}", 1)


def check_answer(answer: str, sources: list[Source], language: str, embedder=None, question: Question | None = None,
                 ranking: Ranking | None = None) -> list[AnswerSentence]:
    """Split ``answer`` into sentences, then cite and verify each one against ``sources``.

    With a ``question``, each sentence is checked for its new facts in a source sentence about what was
    asked: one whose :mod:`rag.answer.evidence` coverage of the question is at least ``MIN_RELEVANCE`` of the
    best sentence's (``ranking``: the sources' sentences ranked for the question, computed here when not
    given), so "1.350 warga mengungsi" cannot borrow 1.350 from a sentence about flooded houses. A terse one
    ("85.", "Polonia.", "Rp 14.500 per kilogram.") is aligned together with the question and must stand in one
    sentence, not just anywhere in the passage. A marker that names no source ("[n]", "[0]", "(1)") counts as
    missing: the alignment finds the source.
    """
    numbers = {source.number for source in sources}
    if question and ranking is None:
        ranking = rank_evidence(question, [s.hit for s in sources])
    evidence = ranking.sentences if question and ranking else ()
    spans = split_answer(answer)
    texts = [answer[s:e] for s, e in spans]
    claims, terse = [], []
    for text in texts:
        plain = strip_markers(text)
        short = len([t for t in content_stems(plain, language) if not t[0].isdigit()]) < MIN_CONTENT_TOKENS
        terse.append(short and question is not None)
        claims.append(f"{question.text} {plain}" if question and terse[-1] else text)
    candidates = _candidates(sources, language)
    singles = [c for c in candidates if not c.pair]  # a terse answer's number must sit in the sentence
    cosines = _cosines(claims, candidates, embedder)
    results = []
    for i, ((start, end), text, claim) in enumerate(zip(spans, texts, claims)):
        item = AnswerSentence(text, start, end, [n for n in parse_markers(text) if n in numbers])
        plain = strip_markers(text)
        content = [t for t in content_stems(plain, language) if not t[0].isdigit()]
        if not NUMBER.search(plain) and (not content or is_boilerplate(plain)):
            item.problems = [NO_CONTENT]
        elif question and content_stems(plain, language) <= question.content:
            item.problems = [REPEATS_QUESTION]  # a source holding the question's words would "verify" it
        elif not (ranked := _rank(claim, singles if terse[i] else candidates, language,
                                  None if cosines is None or terse[i] else cosines[i])):
            item.problems = ["no supporting sentence in the sources"]
        else:
            claimed = _with_counted_noun(plain, question, language) if question and terse[i] else plain
            chosen, item.verified, item.problems = _choose(claimed, ranked, item.markers, language, question,
                                                           evidence, terse[i])
            item.citations = [c.citation() for c in chosen]
        logger.debug("answer sentence %r: verified=%s %s", plain, item.verified, item.problems)
        results.append(item)
    logger.info("checked %d answer sentences, %d unverified", len(results),
                sum(not r.verified for r in results))
    return results


@dataclass(frozen=True)
class Checked:
    """The check step's result: the draft's claims the sources support, and those they do not."""

    shown: list[AnswerSentence]
    dropped: list[AnswerSentence]


def check_draft(draft: Draft, question: Question, ranking: Ranking, embedder=None) -> Checked:
    """The draft's claims checked against the sources the model read (none when it declined); when no shown
    claim gives the kind of answer asked for (a number for "how many"), all are dropped."""
    checked = [] if declines(draft.text) else check_answer(draft.text, draft.sources, question.language, embedder,
                                                           question, ranking)
    shown = [s for s in checked if s.is_claim and s.verified]
    dropped = [s for s in checked if s.is_claim and not s.verified]
    if shown and not any(has_kind(strip_markers(s.text), question) for s in shown):
        dropped += [replace(s, problems=[f"does not give the {question.kind} asked for"]) for s in shown]
        shown = []
    return Checked(shown, dropped)
