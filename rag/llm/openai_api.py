"""Text generation by OpenAI-compatible model servers (llama.cpp's server, vLLM, Ollama, LM Studio).

Requests are spread over the configured servers (the one with the fewest answers in flight first); a server
that cannot be reached is skipped, with a log line, for a while. Answers stream as server-sent events, and
closing the stream (Stop, or a question cancelled) ends the generation on the server too.
"""
from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.llm.base import Completion, ModelServerError, finished
from rag.settings import Settings

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

CONNECT_SECONDS = 5.0  # a server on the user's own network answers a connection at once, or is down
RETRY_DEAD_AFTER = 30.0  # seconds a server that could not be reached is left out of the rotation
BYTES_PER_TOKEN = 3  # an upper bound for BPE tokenizers on Indonesian and English text (~3.5-4.5 bytes/token)
TOP_LOGPROBS = 10


@dataclass
class _Server:
    url: str
    in_flight: int = 0
    dead_until: float = 0.0
    model: str = ""


class ServerGenerator:
    """Streams completions from one or more OpenAI-compatible servers (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._servers = [_Server(url) for url in settings.llm_servers]
        self._lock = threading.Lock()
        self._turn = 0
        self._client: httpx.Client | None = None

    @property
    def n_ctx(self) -> int:
        return self.settings.llm_context  # the servers' context size; they do not report it

    @property
    def is_chat_model(self) -> bool:
        return self.settings.llm_prompt_style != "completion"  # servers apply their model's chat template

    def render_chat(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """A plain rendering of ``messages`` to budget with: the server applies the real template and stops."""
        return "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in messages) + "<|assistant|>\n", []

    def count_tokens(self, text: str) -> int:
        """An upper bound (the tokenizer is on the server): prompts are fitted to the context with room to spare."""
        return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)

    @property
    def client(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None:
                seconds = self.settings.llm_timeout
                timeout = httpx.Timeout(seconds, connect=min(CONNECT_SECONDS, seconds))
                # trust_env=False: no proxy from the environment; the request goes to the configured host only
                self._client = httpx.Client(timeout=timeout, trust_env=False, headers=self._headers())
            return self._client

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.settings.llm_api_key_env, "")
        return {"Authorization": f"Bearer {key}"} if key else {}

    def stream(self, prompt: str, *, messages: list[dict[str, str]] | None = None, max_tokens: int | None = None,
               stop: list[str] | None = None, temperature: float | None = None,
               cancel: threading.Event | None = None, probe: Sequence[str] = (),
               prefix: str = "") -> Completion:
        """Yield the completion piece by piece: of ``messages`` (chat) when given, else of ``prompt``.

        Returns the probability that the answer starts with each ``probe`` word, from the first token's top
        log-probabilities when the server returns them (0 otherwise). ``prefix`` is the in-process model's
        concern (servers keep their own prompt cache).
        """
        body: dict[str, Any] = {
            "max_tokens": max_tokens or self.settings.max_answer_tokens,
            "temperature": self.settings.temperature if temperature is None else temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = stop
        if messages is not None:
            path, body["messages"] = "/chat/completions", messages
            if probe:
                body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
        else:
            path, body["prompt"] = "/completions", prompt
            if probe:
                body["logprobs"] = TOP_LOGPROBS
        server, response = self._open(path, body)
        probabilities = dict.fromkeys(probe, 0.0)
        probed = not probe
        try:
            for event in _events(response, server.url):
                choice = (event.get("choices") or [{}])[0]
                if not probed and choice.get("logprobs"):  # the first token's (a chat stream opens with its role)
                    probabilities = _first_token_probabilities(probe, choice["logprobs"])
                    probed = True
                piece = (choice.get("delta") or {}).get("content") if messages is not None else choice.get("text")
                if cancel is not None and cancel.is_set():
                    logger.info("generation cancelled")
                    break
                if piece:
                    probed = True
                    yield piece
        finally:
            response.close()  # the server sees the stream closed and stops generating
            self._release(server)
        return probabilities

    def word_probabilities(self, prompt: str, words: Sequence[str], *, messages: list[dict[str, str]] | None = None,
                           prefix: str = "") -> dict[str, float]:
        """The probability that the answer starts with each of ``words``, from one token's top log-probabilities
        (the servers keep their own prompt cache)."""
        return finished(self.stream(prompt, messages=messages, max_tokens=1, probe=words))

    def _open(self, path: str, body: dict[str, Any]) -> tuple[_Server, httpx.Response]:
        """Send the request to the least busy live server, skipping those that cannot be reached."""
        import httpx

        tried: list[str] = []
        for server in self._rotation():
            try:
                return server, self._send(server, path, body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self._release(server, dead=True)
                logger.warning("model server %s cannot be reached (%s): trying the next", server.url, _reason(exc))
                tried.append(f"{server.url}: {_reason(exc)}")
            except BaseException:
                self._release(server)
                raise
        raise ModelServerError("no model server answered (" + "; ".join(tried) + "). Start one, or check the "
                               "llm_base_url setting.")

    def _send(self, server: _Server, path: str, body: dict[str, Any]) -> httpx.Response:
        import httpx

        try:
            body["model"] = self._model(server)
            response = self.client.send(self.client.build_request("POST", server.url + path, json=body), stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise
        except httpx.HTTPError as exc:
            raise ModelServerError(f"the model server {server.url} failed: {_reason(exc)}") from exc
        if response.status_code >= 400:
            raise ModelServerError(self._refusal(server.url + path, response))
        return response

    def _release(self, server: _Server, dead: bool = False) -> None:
        with self._lock:
            server.in_flight -= 1
            if dead:
                server.dead_until = time.monotonic() + RETRY_DEAD_AFTER

    def _rotation(self) -> Iterator[_Server]:
        """Servers to try, least busy first (ties in turn); each counted as busy once handed out."""
        with self._lock:
            now, self._turn = time.monotonic(), self._turn + 1
            count = len(self._servers)
            turned = [self._servers[(self._turn + i) % count] for i in range(count)]
            order = sorted(turned, key=lambda s: (s.dead_until > now, s.in_flight))
            order[0].in_flight += 1  # busy from the moment it is chosen: a request at the same time picks another
        for number, server in enumerate(order):
            if number:
                with self._lock:
                    server.in_flight += 1
            yield server

    def _model(self, server: _Server) -> str:
        """The model name to ask for: the setting, else the first model the server lists."""
        if self.settings.llm_server_model:
            return self.settings.llm_server_model
        if not server.model:
            response = self.client.get(server.url + "/models")
            if response.status_code >= 400:
                raise ModelServerError(self._refusal(server.url + "/models", response))
            models = response.json().get("data") or []
            if not models:
                raise ModelServerError(f"the model server {server.url} lists no model: set llm_server_model")
            server.model = models[0]["id"]
        return server.model

    def _refusal(self, url: str, response: httpx.Response) -> str:
        response.read()
        try:
            detail = response.json().get("error") or response.json().get("detail") or response.text
        except ValueError:
            detail = response.text
        if isinstance(detail, dict):
            detail = detail.get("message", detail)
        hint = {401: f" (is the key in ${self.settings.llm_api_key_env} right?)",
                404: " (does the URL end in /v1, as for any OpenAI client?)"}.get(response.status_code, "")
        return f"the model server answered {response.status_code} for {url}: {str(detail)[:300]}{hint}"


def _events(response: httpx.Response, url: str) -> Iterator[dict[str, Any]]:
    """The JSON events of a server-sent event stream, until ``[DONE]``."""
    import httpx

    try:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            event = json.loads(data)
            if "error" in event:
                raise ModelServerError(f"the model server {url} failed mid-answer: {event['error']}")
            yield event
    except (httpx.TransportError, json.JSONDecodeError) as exc:
        raise ModelServerError(f"the model server {url} stopped mid-answer ({_reason(exc)}): ask again") from exc


def _first_token_probabilities(words: Sequence[str], logprobs: dict[str, Any]) -> dict[str, float]:
    """Each word's probability: that of the longest top first token the word starts with."""
    if logprobs.get("content"):  # chat: [{token, logprob, top_logprobs: [{token, logprob}]}]
        top = {t["token"]: t["logprob"] for t in logprobs["content"][0].get("top_logprobs", [])}
    else:  # completions: {top_logprobs: [{token: logprob}]}
        top = (logprobs.get("top_logprobs") or [{}])[0] or {}
    found = {}
    for word in words:
        matches = [(len(token.strip()), logprob) for token, logprob in top.items()
                   if token.strip() and word.startswith(token.strip())]
        found[word] = math.exp(max(matches)[1]) if matches else 0.0
    return found


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
