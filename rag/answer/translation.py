"""A question asked in another language than the articles that could answer it ("How many villages were flooded
in Demak?" over Indonesian news): asked again in theirs.

The evidence ranking and the weak-evidence gate read words (rag.answer.evidence), and across languages only
names and numbers match, so such a question is refused as weak evidence although the embedder found the article,
or its answer is drafted from sentences chosen by names alone. So when the evidence is weak and a passage found
is in another language the product knows, or the best evidence sentence is, the model translates the question
into that language and it is answered as if asked so (rag.answer.pipeline): the evidence, the draft and the word
check in the articles' language; the check that the answer states what was asked reads the reader's own
question, and the reply shows the question as it was asked of the articles (bench/experiments/cross_language.py
measures it; bench/RESULTS.md §14).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.answer.prompting import common_lines
from rag.embed.base import Embedder
from rag.llm.base import TextGenerator
from rag.text.language import detect_language
from rag.text.languages import LANGUAGES
from rag.text.question import FACT, make_question
from rag.types import Hit, Question

SYSTEM = ("You translate questions about news from {source} into {target}, as a {target} newspaper would write them. "
          "Keep names and numbers as they are. Reply with the translated question only.")
MAX_TOKENS = 64
MAX_REPEATS = 3  # a word written more often than this is the small model looping, not a translation
# The least cosine of the embedder's query vectors of a question and its translation: news-real's hand translations
# score 0.85-0.97, unrelated questions 0.74 (median) and up to 0.85, "What is the boiling point of mercury?" and the
# small model's "Berapa tinggi api merah?" (how high is the red fire) 0.79 (bench/RESULTS.md §14).
MIN_SIMILARITY = 0.84


def articles_language(question: Question, hits: Sequence[Hit]) -> str | None:
    """The language of the best passage of ``hits`` written in another known language than ``question``'s, or
    None (all in the question's language, or the question's own language unknown)."""
    if question.language not in LANGUAGES:
        return None
    return next((hit.language for hit in hits if hit.language in LANGUAGES and hit.language != question.language),
                None)


def translate(generator: TextGenerator, question: Question, target: str) -> Question | None:
    """``question`` as the model translates it into ``target``, or None when what it wrote is not a question in
    that language (empty, another language, a loop)."""
    prompt, messages = _prompt(generator, question.language, target, question.text)
    # the instructions and examples are the same for every question between two languages: the model keeps them
    prefix = common_lines([_prompt(generator, question.language, target, word)[0] for word in "ab"])
    text = "".join(generator.stream(prompt, messages=messages, max_tokens=MAX_TOKENS, stop=["\n"], temperature=0.0,
                                    prefix=prefix)).strip()
    words = re.findall(r"\w+", text.lower())
    if not words or detect_language(text) != target or max(words.count(w) for w in words) > MAX_REPEATS:
        return None
    # what kind of answer is wanted does not change with the wording: "Why did the Demak flood happen?" asks for a
    # reason however the model words it ("Alasan mengapa Demak terendam banjir?")
    translated = make_question(text, target)
    return translated if question.shape == FACT else replace(translated, shape=question.shape)


def _prompt(generator: TextGenerator, source: str, target: str, text: str) -> tuple[str, list[dict[str, str]]]:
    """The prompt translating ``text`` from ``source`` into ``target`` (the model's chat template with worked
    examples, or plain text for a base model) and its chat messages."""
    given, into = LANGUAGES[source], LANGUAGES[target]
    examples = list(zip(given.example_questions, into.example_questions, strict=True))
    messages = [{"role": "system", "content": SYSTEM.format(source=given.name, target=into.name)}]
    for asked, translated in examples:
        messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": translated}]
    messages.append({"role": "user", "content": text})
    if generator.is_chat_model:
        return generator.render_chat(messages)[0], messages
    lines = [f"{given.name}: {asked}\n{into.name}: {translated}" for asked, translated in [*examples, (text, "")]]
    return "\n\n".join(lines).rstrip(), messages


def means_the_same(embedder: Embedder, question: Question, translated: Question) -> bool:
    """Whether the multilingual ``embedder`` places ``translated`` as near ``question`` as a translation should be."""
    return float(embedder.encode_query(question.text) @ embedder.encode_query(translated.text)) >= MIN_SIMILARITY
