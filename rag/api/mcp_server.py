"""The MCP server (``rag mcp``): searching the articles, answering with checked citations and listing the
articles, as tools an assistant or an IDE calls, over stdio (the default) or streamable HTTP.

Each tool returns structured content (the JSON of :mod:`rag.api.serialise`) and the same as text. Over HTTP the
API's access rules apply (:mod:`rag.api.access`); answers take turns as everywhere (:meth:`Library.ask`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from pydantic import BaseModel, Field

import rag
from rag.api.access import check_access
from rag.api.chat import final_answer
from rag.api.errors import ApiError
from rag.api.serialise import answer_json, article_urls, hit_json
from rag.errors import RagError
from rag.library import Library

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")
INSTRUCTIONS = ("Berita QA answers questions from a collection of news articles (Indonesian and English) and "
                "nothing else. `ask` gives an answer whose sentences were each checked against the article "
                "sentence it cites ([n] markers; `citations`), shown only when that sentence states it as the "
                "answer to the question; otherwise it says the articles do not state it and quotes the closest. "
                "`search_articles` finds passages, `list_articles` lists what is indexed.")


class Turn(BaseModel):
    """An earlier turn of the conversation."""

    question: str
    answer: str


def create_mcp(library: Library) -> MCPServer:
    """The MCP server with the library's tools."""
    from mcp.server.mcpserver import MCPServer

    server: MCPServer = MCPServer("berita-qa", title="Berita QA", instructions=INSTRUCTIONS, version=rag.__version__)

    @server.tool(description="The passages of the news articles that best match a query, best first, with their "
                             "scores (fused, dense, lexical).")
    async def search_articles(query: str, k: int | None = Field(None, ge=1, le=100)) -> dict[str, Any]:
        hits = await in_thread(library.search, query, k)
        urls = await in_thread(article_urls, library, hits)
        return {"passages": [hit_json(hit, rank, urls) for rank, hit in enumerate(hits, 1)]}

    @server.tool(description="Answer a question from the news articles only. `content` keeps [n] markers; "
                             "`citations` are the article sentences each answer sentence was checked against; "
                             "`details.refusal` says why, when the articles do not answer. `history`: the earlier "
                             "turns, for a follow-up question; `article`: an id from list_articles, to ask about "
                             "that article only (\"summarise this article\").")
    async def ask(question: str, history: list[Turn] | None = None, article: str | None = None) -> dict[str, Any]:
        cancel = threading.Event()
        turns = [(turn.question, turn.answer) for turn in history or []]
        try:
            answer = await in_thread(final_answer, library.ask(question, turns, cancel=cancel, article=article))
        finally:
            cancel.set()  # a call cancelled by the client ends the answer too
        if answer is None:
            raise RagError("the answer was cancelled")
        return answer_json(answer, await in_thread(article_urls, library, answer.passages))

    @server.tool(description="The indexed articles (id, title, date, language, source files, chunks), optionally "
                             "only those whose row contains every one of `words`.")
    async def list_articles(words: str = "") -> dict[str, Any]:
        return {"articles": await in_thread(library.articles, words)}

    return server


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on a worker thread (given up when the call is cancelled); a RagError's message is the
    tool's error for the client to read."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        return await anyio.to_thread.run_sync(function, *args, abandon_on_cancel=True)
    except RagError as exc:
        raise ToolError(str(exc)) from exc


def serve_mcp(library: Library, http: bool = False) -> None:
    """Run the MCP server: on stdin/stdout, or over streamable HTTP at ``/mcp`` on the configured host and port."""
    server = create_mcp(library)
    if not http:
        server.run("stdio")
        return
    import uvicorn

    settings = library.settings
    app = server.streamable_http_app(host=settings.host)
    uvicorn.run(guarded(app, library), host=settings.host, port=settings.port, log_level="info", access_log=False)


def guarded(app: ASGIApp, library: Library) -> ASGIApp:
    """``app`` behind the API's access rules."""
    from starlette.responses import JSONResponse

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            try:
                check_access(library.settings, headers.get(b"authorization", b"").decode("latin-1") or None,
                             (scope.get("client") or (None,))[0])
            except ApiError as error:
                await JSONResponse(error.body(), error.status, headers=error.headers)(scope, receive, send)
                return
        await app(scope, receive, send)

    return checked
