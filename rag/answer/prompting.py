"""Prompts for answering from numbered sources, fitted into the model's context window.

Instruct models get their own chat template (from the GGUF metadata); base models get a few-shot
completion prompt. Sources (the evidence excerpts of rag.answer.evidence) are added strongest first while they
fit; a passage is never cut mid-sentence (only the single strongest one may be shortened to whole
sentences). The texts are the reply language's (rag.text.languages).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from rag.answer.evidence import Passage
from rag.answer.records import Source
from rag.llm.base import TextGenerator
from rag.text.languages import LANGUAGES, Language
from rag.types import Hit


@dataclass(frozen=True)
class Prompt:
    text: str
    stop: list[str]
    sources: list[Source]  # what the model saw, numbered from 1
    prefix: str = ""       # the start every answering prompt in this language shares (instructions, example)
    messages: list[dict[str, str]] | None = None  # what a chat prompt was rendered from (model servers take it)


def format_source(number: int, hit: Hit) -> str:
    date = f" ({hit.published})" if hit.published else ""
    return f"[{number}] {hit.title}{date}\n{hit.text}"


def build_prompt(model: TextGenerator, question: str, passages: list[Passage], lang: Language,
                 max_answer_tokens: int) -> Prompt:
    """The answering prompt with the leading ``passages`` (best first) that fit next to the answer budget."""
    budget = model.n_ctx - max_answer_tokens - 8  # a few tokens of slack for BOS and template edges
    sources: list[Source] = []
    texts: list[str] = []
    prompt, stop = _render(model, lang, question, texts)
    for passage in passages:
        number = len(sources) + 1
        candidate, candidate_stop = _render(model, lang, question, texts + [format_source(number, passage.hit)])
        if model.count_tokens(candidate) <= budget:
            sources.append(Source(number, passage.hit, passage.sentences))
            texts.append(format_source(number, passage.hit))
            prompt, stop = candidate, candidate_stop
            continue
        if not sources:  # the strongest passage alone is too long: keep its leading whole sentences
            shortened = _leading_sentences(model, lang, question, passage, budget)
            if shortened is not None:
                sources.append(Source(1, shortened.hit, shortened.sentences))
                texts.append(format_source(1, shortened.hit))
                prompt, stop = _render(model, lang, question, texts)
        break  # the sources keep the numbers the caller gave them: none is skipped
    messages = _messages(lang, question, texts) if model.is_chat_model else None
    return Prompt(prompt, stop, sources, shared_prefix(model, lang), messages)


def shared_prefix(model: TextGenerator, lang: Language) -> str:
    """The whole lines every answering prompt in ``lang`` starts with, whatever the question and sources."""
    one, _ = _render(model, lang, "a?", [format_source(1, Hit(0, "", "a", None, "a.", 0, 2, 0.0, None, None))])
    two, _ = _render(model, lang, "b?", [format_source(1, Hit(0, "", "b", None, "b.", 0, 2, 0.0, None, None))])
    return common_lines([one, two])


def common_lines(texts: list[str]) -> str:
    """The whole lines all ``texts`` start with (a prompt prefix a model can keep evaluated)."""
    common = os.path.commonprefix(texts)
    return common[:common.rfind("\n") + 1]


def _render(model: TextGenerator, lang: Language, question: str, sources: list[str]) -> tuple[str, list[str]]:
    if model.is_chat_model:
        return model.render_chat(_messages(lang, question, sources))
    sources_label, question_label, answer_label = lang.prompt_labels
    block = "\n\n".join(sources)
    example_sources, example_question, example_answer = lang.prompt_example
    text = (f"{lang.instructions}\n\n{sources_label}:\n{example_sources}\n{question_label}: {example_question}\n"
            f"{answer_label}: {example_answer}\n\n{sources_label}:\n{block}\n{question_label}: {question}\n"
            f"{answer_label}:")
    return text, ["\n\n", f"\n{question_label}:", f"\n{sources_label}:"]


def _messages(lang: Language, question: str, sources: list[str]) -> list[dict[str, str]]:
    sources_label, question_label, _ = lang.prompt_labels
    block = "\n\n".join(sources)
    return [{"role": "system", "content": lang.instructions},
            {"role": "user", "content": f"{sources_label}:\n{block}\n\n{question_label}: {question}"}]


def _leading_sentences(model: TextGenerator, lang: Language, question: str, passage: Passage, budget: int
                       ) -> Passage | None:
    for count in range(len(passage.sentences) - 1, 0, -1):
        shortened = passage.excerpt(0, count - 1)
        prompt, _ = _render(model, lang, question, [format_source(1, shortened.hit)])
        if model.count_tokens(prompt) <= budget:
            return shortened
    return None


def declines(text: str) -> bool:
    """Whether the model wrote that the excerpts hold no answer (in any language)."""
    plain = re.sub(r"[\W_]+", " ", text).strip().lower()
    return any(plain.startswith(re.sub(r"[\W_]+", " ", lang.decline).strip().lower()) for lang in LANGUAGES.values())
