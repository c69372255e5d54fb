"""Text generation with a local GGUF model in this process: loaded once, one generation at a time, streamed."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from rag.llm.base import Completion
from rag.llm.loading import load_llama
from rag.settings import Settings

if TYPE_CHECKING:
    from llama_cpp import Llama
    from llama_cpp.llama_types import ChatCompletionRequestMessage, CreateCompletionStreamResponse

logger = logging.getLogger(__name__)


class Generator:
    """Wraps one ``llama_cpp.Llama``; the model loads on first use and is reused afterwards."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._llm: Llama | None = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()  # llama.cpp contexts are not re-entrant
        self._prefix_states: dict[str, Any] = {}  # prompt prefix -> llama state after evaluating it

    @property
    def llm(self) -> Llama:
        with self._load_lock:
            if self._llm is None:
                self._llm = load_llama(self.settings)
            return self._llm

    @property
    def n_ctx(self) -> int:
        return int(self.llm.n_ctx())

    @property
    def chat_template(self) -> str | None:
        """The model's chat template from its GGUF metadata (None for base models)."""
        return self.llm.metadata.get("tokenizer.chat_template")

    @property
    def is_chat_model(self) -> bool:
        style = self.settings.llm_prompt_style
        return bool(self.chat_template) if style == "auto" else style == "chat"

    def render_chat(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """The prompt text for ``messages`` with the model's chat template, and its stop strings."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self.llm
        formatter = Jinja2ChatFormatter(
            template=self.chat_template or "",
            eos_token=llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "ignore"),
            bos_token=llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "ignore"),
        )
        response = formatter(messages=cast("list[ChatCompletionRequestMessage]", messages))
        stop = response.stop if isinstance(response.stop, list) else [response.stop] if response.stop else []
        return response.prompt, stop

    def _start(self, tokens: list[int], prefix: str) -> None:
        """Put the model in the state for ``tokens``: clean, or with ``prefix`` (the fixed start of every
        prompt of one kind: instructions, example) restored from the state saved the first time, when
        ``tokens`` begin with it.

        llama.cpp would reuse whatever prefix the previous prompt shared with this one, and evaluating a
        prompt in other batches changes its logits slightly: greedy decoding then picks other words. From
        the same state the same prompt always gives the same answer.
        """
        llm = self.llm
        llm.reset()
        head = llm.tokenize(prefix.encode("utf-8"), special=True) if prefix else []
        if not head or len(head) >= len(tokens) or tokens[:len(head)] != head:
            return
        state = self._prefix_states.get(prefix)
        if state is None:
            llm.eval(head)
            self._prefix_states[prefix] = llm.save_state()
        else:
            llm.load_state(state)

    def _first_token_probabilities(self, words: Sequence[str]) -> dict[str, float]:
        """The probability that the completion starts with each word's first token, from the logits of the
        evaluated prompt."""
        if not words:
            return {}
        llm = self.llm
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        found = {}
        for word in words:
            first = llm.tokenize(word.encode("utf-8"), add_bos=False, special=False)[:1]
            found[word] = float(probabilities[first[0]]) if first else 0.0
        return found

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def word_probabilities(self, prompt: str, words: Sequence[str], *, messages: list[dict[str, str]] | None = None,
                           prefix: str = "") -> dict[str, float]:
        """The probability that the completion of ``prompt`` starts with each of ``words``' first token.

        With a ``prefix`` the model starts from its saved state (as :meth:`stream`); without one, only what
        ``prompt`` adds to what the model holds is evaluated: a check asked right after an answer, as the next
        chat turn, costs its own words."""
        with self._generate_lock:
            llm = self.llm
            tokens = llm.tokenize(prompt.encode("utf-8"), special=True)
            if prefix:
                self._start(tokens, prefix)
            else:
                held = list(llm.input_ids[:llm.n_tokens])
                llm.n_tokens = next((i for i, (a, b) in enumerate(zip(held, tokens)) if a != b),
                                    min(len(held), len(tokens)))
            llm.n_tokens = min(llm.n_tokens, len(tokens) - 1)  # at least one token is evaluated, for its logits
            llm.eval(tokens[llm.n_tokens:])
            return self._first_token_probabilities(words)

    def stream(self, prompt: str, *, messages: list[dict[str, str]] | None = None,
               max_tokens: int | None = None, stop: list[str] | None = None, temperature: float | None = None,
               cancel: threading.Event | None = None, probe: Sequence[str] = (),
               prefix: str = "") -> Completion:
        """Yield the completion of ``prompt`` piece by piece; stops early when ``cancel`` is set. Returns the
        probability that the completion starts with each ``probe`` word's first token (e.g. how likely the model
        is to decline). (``messages``, the chat ``prompt`` was rendered from, is for servers; here the prompt says
        it all.) ``prefix``, the start ``prompt`` shares with others of its kind, is evaluated once and kept
        (see :meth:`_start`).
        """
        with self._generate_lock:
            llm = self.llm
            tokens = llm.tokenize(prompt.encode("utf-8"), special=True)  # as create_completion tokenizes it
            self._start(tokens, prefix)
            llm.eval(tokens[llm.n_tokens:])  # the completion finds the whole prompt evaluated and samples
            probabilities = self._first_token_probabilities(probe)
            pieces = cast("Iterator[CreateCompletionStreamResponse]", llm.create_completion(
                prompt,
                max_tokens=max_tokens or self.settings.max_answer_tokens,
                stop=stop or [],
                temperature=self.settings.temperature if temperature is None else temperature,
                stream=True,
            ))
            for piece in pieces:
                if cancel is not None and cancel.is_set():
                    logger.info("generation cancelled")
                    break
                text = piece["choices"][0]["text"]
                if text:
                    yield text
        return probabilities
