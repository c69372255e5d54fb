"""Saved conversations: SQLite next to the indexes, private per login, durable across a killed process."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from rag.history import ChatHistory, UnknownChat, title_of


@pytest.fixture
def history(tmp_path):
    store = ChatHistory(tmp_path / "chats.sqlite")
    yield store
    store.close()


def test_a_chat_keeps_its_turns_and_each_answer_its_own_sources(history):
    chat = history.create("", "Berapa warga yang mengungsi karena banjir di Demak?")
    history.add("", chat, "user", "Berapa warga yang mengungsi?")
    history.add("", chat, "assistant", "4.000 warga [1]", {"sources": [{"number": 1, "title": "Banjir Demak"}]})
    history.add("", chat, "user", "Dan harga beras?")
    history.add("", chat, "assistant", "Rp 13.500 [1]", {"sources": [{"number": 1, "title": "Harga Beras"}]})
    turns = history.messages("", chat)
    assert [t.role for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[1].details["sources"][0]["title"] == "Banjir Demak"  # not overwritten by the later answer
    assert turns[0].details == {}
    assert [c.title for c in history.chats("")] == ["Berapa warga yang mengungsi karena banjir di Demak?"]


def test_chats_are_listed_most_recent_first_renamed_and_deleted(history):
    first, second = history.create("", "first"), history.create("", "second")
    history.add("", first, "user", "again")
    assert [c.id for c in history.chats("")] == [first, second]
    history.rename("", second, "  Harga   beras ")
    assert {c.id: c.title for c in history.chats("")}[second] == "Harga beras"
    with pytest.raises(ValueError):
        history.rename("", second, "   ")
    history.delete("", first)
    assert [c.id for c in history.chats("")] == [second]
    with pytest.raises(UnknownChat):
        history.messages("", first)


def test_a_login_sees_only_its_own_chats(history):
    mine = history.create("ana", "mine")
    assert history.chats("budi") == []
    for action in (lambda: history.messages("budi", mine), lambda: history.add("budi", mine, "user", "x"),
                   lambda: history.rename("budi", mine, "x"), lambda: history.delete("budi", mine)):
        with pytest.raises(UnknownChat):
            action()
    assert [c.id for c in history.chats("ana")] == [mine]


@pytest.mark.slow
def test_turns_survive_a_killed_process(tmp_path):
    path = tmp_path / "chats.sqlite"
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from rag.history import ChatHistory
        history = ChatHistory(Path({str(path)!r}))
        chat = history.create("", "q")
        history.add("", chat, "user", "q")
        history.add("", chat, "assistant", "a", {{"sources": []}})
        print(chat, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr
    history = ChatHistory(path)
    saved = history.messages("", run.stdout.strip())
    assert [(t.role, t.content) for t in saved] == [("user", "q"), ("assistant", "a")]
    history.close()


def test_titles_are_cut_at_a_word():
    assert title_of("  Berapa   harga beras? ") == "Berapa harga beras?"
    assert title_of("<b>Berapa</b> harga beras?") == "Berapa harga beras?"  # a pasted question, tags and all
    long = title_of("kata " * 30)
    assert long.endswith("…") and len(long) <= 61 and not long[:-1].endswith(" ")
    assert title_of("") == "New chat"
