"""Berita QA as a service other tools call, a face over :class:`rag.library.Library` like the web UI and the CLI:
an OpenAI-compatible HTTP API whose answers carry their checked citations (served beside the web UI by
``rag serve``), and an MCP server (``rag mcp``). docs/api.md describes both."""
