"""Saved conversations: one SQLite file next to the indexes, private per login.

Every message is committed as soon as it is added (WAL journal), so a reload, a restart or a killed
server loses nothing already shown. An answer is saved with its own sources, so its ``[n]`` links keep
pointing at the passages it was written from after newer answers arrive.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.answer.questions import plain_text
from rag.errors import ChatNameError, UnknownChat

SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,           -- the login name; '' without RAG_AUTH
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chats_by_owner ON chats(owner, updated);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    role TEXT NOT NULL,            -- 'user' or 'assistant'
    content TEXT NOT NULL,
    details TEXT                   -- JSON: an answer's sources, citations and state
);
CREATE INDEX IF NOT EXISTS messages_by_chat ON messages(chat_id, id);
"""
TITLE_LENGTH = 60  # characters of the first question that name a new chat


@dataclass
class ChatSummary:
    """A saved chat as the side panel lists it."""

    id: str
    title: str
    updated: float


@dataclass
class Message:
    """One turn of a saved chat; ``details`` holds what the web needs to show an answer's sources."""

    role: str
    content: str
    details: dict[str, Any] = field(default_factory=dict)


class ChatHistory:
    """The chats of every login in one SQLite file; each method sees only ``owner``'s chats."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()  # one connection shared by Gradio's worker threads
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def create(self, owner: str, first_question: str = "") -> str:
        """A new empty chat, titled after its first question; returns its id."""
        chat_id, now = uuid.uuid4().hex[:12], time.time()
        with self._lock:
            self._db.execute("INSERT INTO chats VALUES (?, ?, ?, ?, ?)",
                             (chat_id, owner, title_of(first_question), now, now))
        return chat_id

    def chats(self, owner: str) -> list[ChatSummary]:
        """``owner``'s chats, most recently used first."""
        with self._lock:
            rows = self._db.execute("SELECT id, title, updated FROM chats WHERE owner = ? ORDER BY updated DESC",
                                    (owner,)).fetchall()
        return [ChatSummary(*row) for row in rows]

    def messages(self, owner: str, chat_id: str) -> list[Message]:
        """The turns of one chat, in order."""
        with self._lock:
            self._check(owner, chat_id)
            rows = self._db.execute("SELECT role, content, details FROM messages WHERE chat_id = ? ORDER BY id",
                                    (chat_id,)).fetchall()
        return [Message(role, content, json.loads(details) if details else {}) for role, content, details in rows]

    def add(self, owner: str, chat_id: str, role: str, content: str, details: dict[str, Any] | None = None) -> None:
        """Append a turn; committed before this returns."""
        with self._lock:
            self._check(owner, chat_id)
            self._db.execute("INSERT INTO messages (chat_id, role, content, details) VALUES (?, ?, ?, ?)",
                             (chat_id, role, content, json.dumps(details, ensure_ascii=False) if details else None))
            self._db.execute("UPDATE chats SET updated = ? WHERE id = ?", (time.time(), chat_id))

    def rename(self, owner: str, chat_id: str, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            raise ChatNameError("a chat's name cannot be empty")
        with self._lock:
            self._check(owner, chat_id)
            self._db.execute("UPDATE chats SET title = ? WHERE id = ?", (title[:200], chat_id))

    def delete(self, owner: str, chat_id: str) -> None:
        with self._lock:
            self._check(owner, chat_id)
            self._db.execute("DELETE FROM chats WHERE id = ?", (chat_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _check(self, owner: str, chat_id: str) -> None:
        if not self._db.execute("SELECT 1 FROM chats WHERE id = ? AND owner = ?", (chat_id, owner)).fetchone():
            raise UnknownChat(f"no chat {chat_id!r}: it was deleted, or belongs to another login")


def title_of(question: str) -> str:
    """A chat's default name: its first question as plain text (no tags), cut at a word boundary."""
    text = plain_text(question) or "New chat"
    if len(text) <= TITLE_LENGTH:
        return text
    return text[:TITLE_LENGTH].rsplit(" ", 1)[0] + "…"
