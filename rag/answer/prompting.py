"""Prompts for answering from numbered sources, fitted into the model's context window.

Instruct models get their own chat template (from the GGUF metadata); base models get a few-shot
completion prompt. Sources (the evidence excerpts of rag.answer.evidence) are added strongest first while they
fit; a passage is never cut mid-sentence (only the single strongest one may be shortened to whole
sentences).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Protocol

from rag.answer.records import Source
from rag.text.chunking import split_sentences
from rag.types import Hit

# What the instructions tell the model to write when the excerpts hold no answer.
DECLINES = {"id": "Tidak disebutkan.", "en": "Not mentioned."}
INSTRUCTIONS = {
    "id": ("Jawab pertanyaan hanya dengan informasi dari kutipan artikel bernomor di bawah. Tulis jawaban "
           "singkat, satu kalimat dalam bahasa Indonesia. Salin angka dan nama persis seperti tertulis di "
           "kutipan, lalu tulis nomor kutipan yang kamu pakai, misalnya [1]. Jika kutipan tidak memuat "
           "jawabannya, tulis hanya: " + DECLINES["id"]),
    "en": ("Answer the question using only the numbered article excerpts below. Write a short answer, one "
           "sentence in English. Copy numbers and names exactly as written in the excerpts, then write the "
           "number of the excerpt you used, for example [1]. If the excerpts do not contain the answer, write "
           "only: " + DECLINES["en"]),
}
LABELS = {"id": ("Kutipan", "Pertanyaan", "Jawaban"), "en": ("Excerpts", "Question", "Answer")}
# One worked example per language for base models, which only continue text.
EXAMPLES = {
    "id": ("[1] Jembatan Baru Dibuka (2026-01-10)\nJembatan Sungai Musi yang baru dibuka pada Sabtu. "
           "Panjangnya 1.200 meter dan dibangun dengan biaya Rp 1,3 triliun.",
           "Berapa panjang jembatan baru itu?", "Panjang jembatan itu 1.200 meter [1]."),
    "en": ("[1] New Bridge Opens (2026-01-10)\nThe new river bridge opened on Saturday. It is 1,200 metres "
           "long and cost $80 million.", "How long is the new bridge?", "The bridge is 1,200 metres long [1]."),
}


class PromptModel(Protocol):
    """What prompt building needs from a generator (see rag.llm.generator.Generator)."""

    n_ctx: int
    is_chat_model: bool

    def count_tokens(self, text: str) -> int: ...

    def render_chat(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]: ...


@dataclass
class Prompt:
    text: str
    stop: list[str]
    sources: list[Source]  # what the model saw, numbered from 1
    tokens: int
    prefix: str = ""       # the start every answering prompt in this language shares (instructions, example)
    messages: list[dict[str, str]] | None = None  # what a chat prompt was rendered from (model servers take it)


def format_source(number: int, hit: Hit, text: str | None = None) -> str:
    date = f" ({hit.published})" if hit.published else ""
    return f"[{number}] {hit.title}{date}\n{text if text is not None else hit.text}"


def build_prompt(model: PromptModel, question: str, hits: list[Hit], language: str, max_answer_tokens: int) -> Prompt:
    """The answering prompt with the leading ``hits`` (best first) that fit next to the answer budget."""
    lang = language if language in INSTRUCTIONS else "en"
    budget = model.n_ctx - max_answer_tokens - 8  # a few tokens of slack for BOS and template edges
    sources: list[Source] = []
    texts: list[str] = []
    prompt, stop = _render(model, lang, question, texts)
    for hit in hits:
        number = len(sources) + 1
        candidate, candidate_stop = _render(model, lang, question, texts + [format_source(number, hit)])
        if model.count_tokens(candidate) <= budget:
            sources.append(Source(number, hit))
            texts.append(format_source(number, hit))
            prompt, stop = candidate, candidate_stop
            continue
        if not sources:  # the strongest passage alone is too long: keep its leading whole sentences
            shortened = _leading_sentences(model, lang, question, hit, budget)
            if shortened is not None:
                sources.append(Source(1, shortened))
                texts.append(format_source(1, shortened))
                prompt, stop = _render(model, lang, question, texts)
        break  # the sources keep the numbers the caller gave them: none is skipped
    messages = _messages(lang, question, texts) if model.is_chat_model else None
    return Prompt(prompt, stop, sources, model.count_tokens(prompt), shared_prefix(model, lang), messages)


def shared_prefix(model: PromptModel, lang: str) -> str:
    """The whole lines every answering prompt in ``lang`` starts with, whatever the question and sources."""
    one, _ = _render(model, lang, "a?", [format_source(1, Hit(0, "", "a", None, "a.", 0, 2, 0.0, None, None))])
    two, _ = _render(model, lang, "b?", [format_source(1, Hit(0, "", "b", None, "b.", 0, 2, 0.0, None, None))])
    common = os.path.commonprefix([one, two])
    return common[:common.rfind("\n") + 1]


def _render(model: PromptModel, lang: str, question: str, sources: list[str]) -> tuple[str, list[str]]:
    if model.is_chat_model:
        return model.render_chat(_messages(lang, question, sources))
    sources_label, question_label, answer_label = LABELS[lang]
    block = "\n\n".join(sources)
    example_sources, example_question, example_answer = EXAMPLES[lang]
    text = (f"{INSTRUCTIONS[lang]}\n\n{sources_label}:\n{example_sources}\n{question_label}: {example_question}\n"
            f"{answer_label}: {example_answer}\n\n{sources_label}:\n{block}\n{question_label}: {question}\n"
            f"{answer_label}:")
    return text, ["\n\n", f"\n{question_label}:", f"\n{sources_label}:"]


def _messages(lang: str, question: str, sources: list[str]) -> list[dict[str, str]]:
    sources_label, question_label, _ = LABELS[lang]
    block = "\n\n".join(sources)
    return [{"role": "system", "content": INSTRUCTIONS[lang]},
            {"role": "user", "content": f"{sources_label}:\n{block}\n\n{question_label}: {question}"}]


def _leading_sentences(model: PromptModel, lang: str, question: str, hit: Hit, budget: int) -> Hit | None:
    spans = split_sentences(hit.text)
    for count in range(len(spans) - 1, 0, -1):
        end = spans[count - 1][1]
        text = hit.text[:end]
        prompt, _ = _render(model, lang, question, [format_source(1, hit, text)])
        if model.count_tokens(prompt) <= budget:
            return Hit(**{**hit.__dict__, "text": text, "end": hit.start + end})
    return None


def decline_word(language: str) -> str:
    """The first word of what the model is told to write when the excerpts hold no answer."""
    return DECLINES.get(language, DECLINES["en"]).split()[0]


def declines(text: str) -> bool:
    """Whether the model wrote that the excerpts hold no answer (in either language)."""
    plain = re.sub(r"[\W_]+", " ", text).strip().lower()
    return any(plain.startswith(re.sub(r"[\W_]+", " ", phrase).strip().lower()) for phrase in DECLINES.values())
