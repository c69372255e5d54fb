"""Whether a shown answer is right for the question, not only supported word by word: the model reads the cited
sentences and says whether they state the answer as the answer to *this* question (the asked person, role,
time, place and quantity). A near-miss — the articles cover the subject but not the asked detail — or a name
in the wrong role then fails, and the reply says what the articles do not state instead (rag.answer.composing).

The check is one short prompt whose yes/no probability is read from the first token (bench/verify.py measures
it against the alternatives; docs/answers.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.answer.markers import strip_markers
from rag.answer.prompting import common_lines
from rag.answer.records import Answer, Citation
from rag.llm.base import TextGenerator
from rag.types import Question

# English instructions for every question: on the dev sets they separate right from wrong answers better than
# Indonesian ones, for Indonesian questions too (bench/RESULTS.md §12).
CHECK_SYSTEM = ("You check answers to questions about news. Reply only Yes if the text states that the proposed "
                "answer is the answer to this question (the asked person, role, time, place and quantity), or No "
                "if the text does not say so.")
CHECK_USER = ("Text: {text}\nQuestion: {question}\nProposed answer: {answer}\n"
              "Does the text say that this is the answer to the question? Yes or No?")
# Replies read, each its own first token (a shared one would count twice).
YES = ("Yes", "yes", "Ya")
NO = ("No", "no", "Tidak")


@dataclass(frozen=True)
class Assessment:
    """How sure the check is that an answer states what was asked (0-1), and whether that is sure enough."""

    confidence: float
    passed: bool


def assess(generator: TextGenerator, question: Question, answer: Answer, minimum: float) -> Assessment:
    """Ask the model whether ``answer``'s cited sentences state it as the answer to ``question``."""
    prompt, messages = _check(generator, cited_text(answer.evidence), question.text, strip_markers(answer.text))
    prefix = common_lines([_check(generator, "a", "a?", "a")[0], _check(generator, "b", "b?", "b")[0]])
    words = generator.word_probabilities(prompt, [*YES, *NO], messages=messages, prefix=prefix)
    yes, no = sum(words[w] for w in YES), sum(words[w] for w in NO)
    confidence = yes / (yes + no) if yes + no > 0 else 0.0
    return Assessment(confidence, confidence >= minimum)


def _check(generator: TextGenerator, text: str, question: str, answer: str) -> tuple[str, list[dict[str, str]]]:
    """The check's prompt (the model's chat template, or plain text for a base model) and its chat messages."""
    user = CHECK_USER.format(text=text, question=question, answer=answer)
    messages = [{"role": "system", "content": CHECK_SYSTEM}, {"role": "user", "content": user}]
    prompt = generator.render_chat(messages)[0] if generator.is_chat_model else f"{CHECK_SYSTEM}\n\n{user}\nReply:"
    return prompt, messages


def cited_text(cited: list[Citation]) -> str:
    """The cited sentences, each article's title once before its own."""
    parts: list[str] = []
    for citation in cited:
        if citation.title and citation.title + "." not in parts:
            parts.append(citation.title + ".")
        if citation.quote not in parts:
            parts.append(citation.quote)
    return " ".join(parts)
