"""The MCP server (`rag mcp`) driven by the official `mcp` SDK's own client: over stdio as an assistant or an IDE
starts it, and over streamable HTTP behind the API's keys."""
from __future__ import annotations

import subprocess
import sys
from typing import Any

import anyio
import httpx
import pytest

from tests.helpers.corpus import ROOT
from tests.helpers.processes import free_port, guarded_env, wait_for_port

pytestmark = pytest.mark.model
RICE = "Berapa harga beras medium sekarang?"


def rag_mcp(settings, *flags: str) -> list[str]:
    return [sys.executable, "-m", "rag.cli", "mcp", "--index-dir", str(settings.index_dir), "--articles-dir",
            str(settings.articles_dir), *flags]


def test_an_mcp_client_searches_lists_and_asks_over_stdio(sample_settings, tmp_path):
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    command, *args = rag_mcp(sample_settings)
    server = StdioServerParameters(command=command, args=args, env=guarded_env(), cwd=str(ROOT))
    log = tmp_path / "mcp.log"

    async def session() -> dict[str, Any]:
        with log.open("w") as errlog:
            async with Client(stdio_client(server, errlog=errlog)) as client:
                tools = await client.list_tools()
                return {"tools": {tool.name: tool for tool in tools.tools},
                        "found": await client.call_tool("search_articles", {"query": "banjir Demak", "k": 2}),
                        "listed": await client.call_tool("list_articles", {"words": "banjir"}),
                        "answered": await client.call_tool("ask", {"question": RICE}),
                        "empty": await client.call_tool("ask", {"question": "   "}),
                        "scoped": await client.call_tool("ask", {"question": "Ringkas artikel ini", "article":
                                                                 (await client.call_tool("list_articles", {
                                                                     "words": "beras"})).structured_content[
                                                                     "articles"][0]["id"]})}

    calls = anyio.run(session)
    assert set(calls["tools"]) == {"search_articles", "ask", "list_articles"}
    assert calls["tools"]["ask"].output_schema  # structured content, described
    passages = calls["found"].structured_content["passages"]
    assert len(passages) == 2 and passages[0]["article_id"].startswith("banjir-demak") and passages[0]["score"]
    assert [row["title"] for row in calls["listed"].structured_content["articles"]] == [
        "Banjir Rendam 12 Desa di Demak, 4.000 Warga Mengungsi"]

    answer = calls["answered"].structured_content
    assert not calls["answered"].is_error and "14.500" in answer["content"] and "[1]" in answer["content"]
    assert any(c["verified"] and c["article_id"].startswith("harga-beras") for c in answer["citations"])
    assert answer["details"]["refusal"] is None
    assert calls["empty"].is_error and "the question is empty" in calls["empty"].content[0].text  # a RagError's text
    scoped = calls["scoped"].structured_content  # about one article: its points
    assert {c["article_id"] for c in scoped["citations"]} == {scoped["sources"][0]["article_id"]}
    assert scoped["content"].count("\n- ") >= 2
    assert "netguard: blocked" not in log.read_text(errors="replace")


def test_over_http_the_mcp_server_wants_a_key(sample_settings, tmp_path):
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    with open(tmp_path / "mcp.log", "w+") as log:
        process = subprocess.Popen(rag_mcp(sample_settings, "--http", "--port", str(port)), stdout=log,
                                   stderr=subprocess.STDOUT, env=guarded_env({"RAG_API_KEYS": "mcp-key"}), cwd=ROOT)
        try:
            wait_for_port(port, process, log, "rag mcp --http")
            url = f"http://127.0.0.1:{port}/mcp"
            refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=30)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"

            async def tools() -> list[str]:
                async with httpx2.AsyncClient(headers={"Authorization": "Bearer mcp-key"}, timeout=60) as http, \
                        Client(streamable_http_client(url, http_client=http)) as client:
                    return [tool.name for tool in (await client.list_tools()).tools]

            assert sorted(anyio.run(tools)) == ["ask", "list_articles", "search_articles"]
        finally:
            process.terminate()
            process.wait(timeout=30)
