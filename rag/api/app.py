"""The HTTP API over one :class:`rag.library.Library`, and the server that runs it beside the web UI.

``create_api(library)`` is a FastAPI app: ``/health``, and under ``/v1`` (callers checked by
:mod:`rag.api.access`) the OpenAI-compatible models and chat completions (:mod:`rag.api.chat`), the passage
search and the article collection. Its OpenAPI docs are at ``/docs``. ``serve`` mounts the Gradio web UI on it
and serves both from one process: answers from either take turns (:attr:`rag.library.Library.turns`).
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

import rag
from rag.api.access import check_access
from rag.api.chat import chat_router
from rag.api.errors import ApiError, api_error
from rag.api.serialise import article_urls, hit_json
from rag.errors import IndexNotBuilt, RagError
from rag.library import Change, Library

logger = logging.getLogger(__name__)
COPY_CHUNK = 1 << 20


class SearchRequest(BaseModel):
    query: str = Field(description="words or a question")
    k: int | None = Field(None, ge=1, le=100, description="how many passages (default: the top_k setting)")


def create_api(library: Library) -> FastAPI:
    """The API app (see the module docstring)."""
    app = FastAPI(title="Berita QA API", version=rag.__version__, redoc_url=None,
                  description="Answers from the indexed news articles with checked citations, passage search and "
                              "the article collection; OpenAI-compatible chat completions. See docs/api.md.")

    async def caller(request: Request) -> None:
        check_access(library.settings, request.headers.get("authorization"),
                     request.client.host if request.client else None)

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(caller)])
    v1.include_router(chat_router(library))

    @app.get("/health", tags=["service"], summary="Whether the service is up, and its answers' queue")
    def health() -> dict[str, Any]:
        try:
            articles = library.status()["articles"]
        except IndexNotBuilt:
            articles = None
        return {"status": "ok", "articles": articles,
                "answers": {"running": library.turns.running, "waiting": library.turns.waiting}}

    @v1.post("/search", tags=["library"], summary="The passages that best match a query, with their scores")
    def search(body: SearchRequest) -> dict[str, Any]:
        hits = library.search(body.query, body.k)
        urls = article_urls(library, hits)
        return {"object": "list", "data": [hit_json(hit, rank, urls) for rank, hit in enumerate(hits, 1)]}

    @v1.get("/articles", tags=["library"], summary="The indexed articles (those whose row contains every word of q)")
    def articles(q: str = "") -> dict[str, Any]:
        return {"object": "list", "data": library.articles(q)}

    @v1.post("/articles", tags=["library"], summary="Add article files and index them (incremental rebuild)")
    async def add_articles(files: Annotated[list[UploadFile], File(description="article files")]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="rag-upload-") as folder:
            paths = [await _saved(upload, Path(folder) / str(n), library.settings.max_file_bytes)
                     for n, upload in enumerate(files)]
            return _change_json(await anyio.to_thread.run_sync(library.add, paths), library)

    @v1.delete("/articles/{article_id:path}", tags=["library"], summary="Remove an article's file and rebuild")
    def remove_article(article_id: str) -> dict[str, Any]:
        return _change_json(library.remove(article_id), library)

    @v1.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(path: str) -> None:
        raise ApiError(404, f"no endpoint /v1/{path}: see /docs", code="unknown_url")

    app.include_router(v1)

    async def failed(request: Request, exc: Exception) -> JSONResponse:
        error = api_error(exc)
        return JSONResponse(error.body(), error.status, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            error = ApiError(400, f"malformed request: the body is not JSON ({first.get('ctx', {}).get('error')})")
        else:
            where = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
            error = ApiError(400, f"malformed request: {where or 'the body'}: {first.get('msg')}", param=where)
        return JSONResponse(error.body(), error.status)

    for kind in (ApiError, RagError, Exception):  # Exception: a bug (logged), answered in the same shape
        app.add_exception_handler(kind, failed)
    return app


async def _saved(upload: UploadFile, folder: Path, limit: int) -> Path:
    """An uploaded file saved under its own name in ``folder``: at most ``limit`` + 1 bytes, so one too large is
    still refused, with the Library tab's message, without storing all of it."""
    folder.mkdir()
    path = folder / Path(upload.filename or "upload").name
    with path.open("wb") as out:
        while chunk := await upload.read(COPY_CHUNK):
            out.write(chunk[:limit + 1 - out.tell()])
            if out.tell() > limit:
                break
    return path


def _change_json(change: Change, library: Library) -> dict[str, Any]:
    """What an upload or a removal did, as the Library tab reports it."""
    report = change.report
    return {"notes": change.notes, "summary": report.summary(), "skipped": [str(p) for p in report.problems],
            "added": report.added, "changed": report.changed, "removed": report.removed, "error": change.error,
            "status": library.status_line()}


def serve(library: Library, blocks: Any, **gradio: Any) -> None:
    """Serve the Gradio ``blocks`` (mounted with the ``gradio`` options) and, unless the ``api`` setting is off,
    the API, on the configured host and port (blocks until stopped)."""
    import gradio as gr
    import uvicorn

    settings = library.settings
    if settings.api:
        app = create_api(library)
        if not settings.api_key_set and not settings.is_loopback:
            logger.warning("no API keys: the API answers only on this machine (set RAG_API_KEYS for others)")
    else:
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    gr.mount_gradio_app(app, blocks, path="/", server_name=settings.host, server_port=settings.port, **gradio)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False)

