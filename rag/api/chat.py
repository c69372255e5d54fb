"""The OpenAI-compatible part of the API: the model list and chat completions, streamed or not.

A completion is the answer the web chat gives: checked sentences with their ``[n]`` markers as ``content``, and
beside it on the message (or on the final streamed chunk) the ``citations``, ``sources`` and ``details`` of
:func:`rag.api.serialise.answer_json`. The model's unchecked draft is never sent: a stream carries the checked
content once the check is done. Earlier turns of ``messages`` make follow-up questions work as in the chat.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any, Literal, TypeVar

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.answer.records import Answer, Event
from rag.api.errors import ApiError, api_error
from rag.api.serialise import answer_json, article_urls
from rag.errors import IndexNotBuilt
from rag.library import Library
from rag.settings import SPECS

T = TypeVar("T")
MODEL_ID = "berita-qa"
DISCONNECT_POLL = 0.5  # seconds between looks at whether the client is still there


class Message(BaseModel):
    """One chat message; ``content`` is text or OpenAI's list of parts (its text parts are read)."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """A chat completion request; other OpenAI fields (``top_p``, ``user``, ...) are accepted and not used."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(examples=[MODEL_ID])
    messages: list[Message] = Field(min_length=1, description="the last one is the question (role user)")
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2, description="capped at the temperature setting's range")
    max_tokens: int | None = Field(None, ge=1, description="the answer's length, capped at the setting's range")
    max_completion_tokens: int | None = Field(None, ge=1, description="the same as max_tokens")
    article: str | None = Field(None, description="ask about this article only: its id (GET /v1/articles)")

    def question(self) -> tuple[str, list[tuple[str, str]]]:
        """The question (the last message, a user's) and the earlier (question, answer) turns."""
        *earlier, last = self.messages
        if last.role != "user" or not last.text.strip():
            raise ApiError(400, "the last message must be the user's question", param="messages")
        turns, asked = [], None
        for message in earlier:
            if message.role == "user":
                asked = message.text
            elif message.role == "assistant" and asked is not None:
                turns.append((asked, message.text))
                asked = None
        return last.text, turns

    def options(self) -> dict[str, Any]:
        """This answer's own settings: the temperature and length asked for, within the settings' ranges."""
        options: dict[str, Any] = {}
        if self.temperature is not None:
            options["temperature"] = min(self.temperature, _highest("temperature"))
        if tokens := self.max_completion_tokens or self.max_tokens:
            options["max_answer_tokens"] = int(min(tokens, _highest("max_answer_tokens")))
        return options


def _highest(name: str) -> float:
    scale = SPECS[name].scale
    assert scale, name
    return scale[1]


def model_card(library: Library) -> dict[str, Any]:
    """The one model, and what is behind it: the embedder, the answering model, the index."""
    settings = library.settings
    try:
        status = library.status()
    except IndexNotBuilt:
        status = {}
    return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "berita-qa",
            "description": "answers from the indexed news articles only, each sentence checked against the "
                          "article sentence it cites",
            "embedder": status.get("embed_model", settings.embed_model), "llm": settings.llm_label,
            "index": {key: status[key] for key in ("articles", "chunks", "built_at")} if status else None}


def chat_router(library: Library) -> APIRouter:
    router = APIRouter(tags=["OpenAI-compatible"])
    limiter = anyio.CapacityLimiter(library.turns.max_waiting + library.turns.at_once + 1)

    @router.get("/models", summary="The model list: one model, berita-qa")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [model_card(library)]}

    @router.get("/models/{model}", summary="One model's card")
    def model(model: str) -> dict[str, Any]:
        if model != MODEL_ID:
            raise ApiError(404, f"no model {model!r}: this server has {MODEL_ID!r}", code="model_not_found")
        return model_card(library)

    @router.post("/chat/completions", summary="Answer the last message, with citations (streamed with stream=true)")
    async def chat_completions(body: ChatRequest, request: Request) -> Response:
        if body.model != MODEL_ID:
            raise ApiError(404, f"no model {body.model!r}: use {MODEL_ID!r}", param="model", code="model_not_found")
        question, turns = body.question()
        cancel = threading.Event()
        events = library.ask(question, turns, cancel=cancel, options=body.options(), article=body.article)
        reply = Reply(library, limiter, request, cancel, events)
        try:
            first = await reply.start()  # waits for its turn: a full queue is a 429 before anything is sent
        except BaseException:
            await reply.close()
            raise
        if body.stream:
            return StreamingResponse(reply.stream(first), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        try:
            answer = await reply.answer(first)
        finally:
            await reply.close()
        return JSONResponse(await reply.completion(answer))

    return router


def _outcome(read: Callable[[Iterator[Event]], T], events: Iterator[Event]) -> T | Exception:
    """``read(events)``, or the error it raised (returned: raised inside a task group it would come out wrapped
    in an exception group)."""
    try:
        return read(events)
    except Exception as exc:  # noqa: BLE001 - raised again by the caller
        return exc


def _first(events: Iterator[Event]) -> Event | None:
    return next(events, None)


def final_answer(events: Iterator[Event]) -> Answer | None:
    """The answer ``events`` end with (None when they were cancelled first)."""
    return next((event for event in events if isinstance(event, Answer)), None)


class Reply:
    """One answer being made for a request: its events read on a worker thread (the draft's tokens are not sent,
    so the rest of the answer is read in one go), its client watched (a client that goes away ends the answer),
    and the OpenAI-shaped messages made from it."""

    def __init__(self, library: Library, limiter: anyio.CapacityLimiter, request: Request,
                 cancel: threading.Event, events: Generator[Event, None, None]) -> None:
        self.library, self.limiter, self.request, self.cancel, self.events = library, limiter, request, cancel, events
        self.id, self.created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    async def start(self) -> Event | None:
        """The first event: once the answer has its turn, the passages found (None: cancelled while waiting)."""
        return await self._read(_first)

    async def answer(self, first: Event | None) -> Answer | None:
        """The final answer (None when the client went away first)."""
        answer = first if isinstance(first, Answer) else None if first is None else await self._read(final_answer)
        return None if self.cancel.is_set() else answer

    async def _read(self, read: Callable[[Iterator[Event]], T]) -> T:
        async with anyio.create_task_group() as group:
            group.start_soon(self._watch)
            outcome = await anyio.to_thread.run_sync(_outcome, read, self.events, limiter=self.limiter)
            group.cancel_scope.cancel()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _watch(self) -> None:
        while not await self.request.is_disconnected():
            await anyio.sleep(DISCONNECT_POLL)
        self.cancel.set()

    async def close(self) -> None:
        self.cancel.set()
        with anyio.CancelScope(shield=True):  # also when the client is gone: the model stops within a token
            await anyio.to_thread.run_sync(self.events.close, limiter=self.limiter)

    async def stream(self, first: Event | None) -> AsyncIterator[str]:
        """Server-sent events: the role at once, the checked content when it is ready, then the citations,
        sources and details with ``finish_reason``; an error after the start is an ``error`` event."""
        try:
            yield self._chunk({"role": "assistant", "content": ""})
            answer = await self.answer(first)
            if answer is not None:
                reply = await self.answer_json(answer)
                yield self._chunk({"content": reply.pop("content")})
                yield self._chunk(reply, finish="stop")
        except Exception as exc:  # noqa: BLE001 - after the start the client can only be told in the stream
            yield f"data: {json.dumps(api_error(exc).body(), ensure_ascii=False)}\n\n"
        finally:
            await self.close()
        yield "data: [DONE]\n\n"

    async def completion(self, answer: Answer | None) -> dict[str, Any]:
        if answer is None:
            raise ApiError(499, "the client went away", code="cancelled")
        message = {"role": "assistant", **await self.answer_json(answer)}
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": MODEL_ID,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}]}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> str:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": MODEL_ID,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    async def answer_json(self, answer: Answer) -> dict[str, Any]:
        """:func:`answer_json` with the articles' URLs (read from the catalogue on a worker thread)."""
        return answer_json(answer, await anyio.to_thread.run_sync(article_urls, self.library, answer.passages))

