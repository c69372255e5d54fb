"""Answers through OpenAI-compatible model servers: real `python -m llama_cpp.server` processes with the bundled
GGUF on loopback (the answer checks themselves run on both backends in tests/test_pipeline.py)."""
from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from rag.answer.pipeline import Pipeline
from rag.history import ChatHistory
from rag.library import Library
from rag.llm.base import ModelServerError
from rag.llm.factory import create_generator, parallel_answers
from rag.llm.openai_api import ServerGenerator
from rag.retrieve.retriever import Retriever
from rag.settings import Settings, SettingsError
from rag.web.app import WebUI
from tests.helpers.processes import free_port, model_server, served_settings

LONG = [{"role": "user", "content": "Write a long story about a fisherman in Demak, at least 300 words."}]


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there


def test_the_backend_is_chosen_by_settings_and_checked():
    assert type(create_generator(Settings())).__name__ == "Generator"
    served = Settings(llm_backend="openai", llm_base_url="http://10.0.0.5:8000/v1, http://gpu-2:8000/v1/")
    assert isinstance(create_generator(served), ServerGenerator)
    assert served.llm_servers == ["http://10.0.0.5:8000/v1", "http://gpu-2:8000/v1"]
    assert served.remote_hosts == {"10.0.0.5", "gpu-2"} and Settings().remote_hosts == frozenset()
    assert Settings(store_backend="milvus", milvus_uri="http://milvus-1:19530").remote_hosts == {"milvus-1"}
    assert Settings(store_backend="milvus").remote_hosts == frozenset()  # Milvus Lite: a file, on loopback
    assert parallel_answers(served) == 2 and parallel_answers(Settings(llm_parallel=4)) == 1
    with pytest.raises(SettingsError, match="llm_base_url' is empty"):
        Settings(llm_backend="openai")
    with pytest.raises(SettingsError, match="http:// or https://"):
        Settings(llm_backend="openai", llm_base_url="10.0.0.5:8000")


def test_a_dead_server_is_skipped_with_a_log_line(model_servers, caplog):
    generator = create_generator(served_settings(Settings(), [dead_url(), model_servers[0]]))
    with caplog.at_level(logging.WARNING, logger="rag.llm.openai_api"):
        for _ in range(2):  # whichever the rotation tries first, the live one answers
            text = "".join(generator.stream("", messages=[{"role": "user", "content": "Say: halo"}], max_tokens=8))
            assert text.strip()
    assert "cannot be reached" in caplog.text


def test_no_server_to_reach_is_one_clear_error_in_the_chat(sample_settings, embedder, tmp_path):
    settings = served_settings(sample_settings, [dead_url(), dead_url()])
    ui = WebUI(Library(settings, pipeline=Pipeline(settings, Retriever(settings, embedder))),
               ChatHistory(tmp_path / "chats.sqlite"))
    *_, (messages, _, _, _, _) = ui.converse("Berapa warga yang mengungsi karena banjir di Demak?", [], None)
    answer = messages[-1]["content"]
    assert answer.startswith('<p class="problem">The model servers cannot be reached.') and "Traceback" not in answer
    assert "4.000 warga" in answer and 'class="passage"' in answer  # the evidence found stays, with its sources


@pytest.mark.model
def test_a_server_killed_mid_answer_gives_a_clear_message(tmp_path):
    with model_server(tmp_path / "server.log") as (url, process):
        pieces = ServerGenerator(served_settings(Settings(), [url], max_answer_tokens=300)).stream("", messages=LONG)
        next(pieces)
        process.kill()
        with pytest.raises(ModelServerError, match="stopped mid-answer"):
            for _ in pieces:
                pass


@pytest.mark.model
def test_the_key_comes_from_the_environment_variable_the_settings_name(tmp_path, monkeypatch, caplog):
    key = "kunci-rahasia-93"
    with model_server(tmp_path / "server.log", args=("--api_key", key)) as (url, _):
        settings = served_settings(Settings(), [url], llm_api_key_env="NEWSROOM_LLM_KEY", max_answer_tokens=4)
        monkeypatch.delenv("NEWSROOM_LLM_KEY", raising=False)
        with pytest.raises(ModelServerError, match=r"401 .*\$NEWSROOM_LLM_KEY"):
            "".join(ServerGenerator(settings).stream("", messages=[{"role": "user", "content": "hi"}]))
        monkeypatch.setenv("NEWSROOM_LLM_KEY", key)
        with caplog.at_level(logging.DEBUG):
            assert "".join(ServerGenerator(settings).stream("", messages=[{"role": "user", "content": "hi"}]))
    assert key not in caplog.text


def test_cancel_ends_the_generation_on_the_server(model_servers):
    server = model_servers[1]
    generator = ServerGenerator(served_settings(Settings(), [server], max_answer_tokens=300))
    cancel = threading.Event()
    pieces = []
    for piece in generator.stream("", messages=LONG, cancel=cancel):
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert len(pieces) == 3
    deadline = time.monotonic() + 20
    while "disconnected" not in server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "disconnected" in server.log.read_text()  # the server stopped writing, not just the client reading


def test_stop_strings_end_a_completion(model_servers):
    generator = ServerGenerator(served_settings(Settings(), model_servers[:1]))
    text = "".join(generator.stream("Count from one to ten in words: one, two,", max_tokens=30, stop=[","]))
    assert text.strip() and "," not in text


def test_two_servers_share_the_load(model_servers):
    generator = ServerGenerator(served_settings(Settings(), model_servers, max_answer_tokens=24))
    before = [server.requests() for server in model_servers]
    answers: list[str] = []

    def ask(number: int) -> None:
        question = [{"role": "user", "content": f"What is {number} plus {number}?"}]
        answers.append("".join(generator.stream("", messages=question)))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(answers) == 4 and all(answers)
    assert [server.requests() - b for server, b in zip(model_servers, before)] == [2, 2]


def test_a_server_that_never_answers_times_out(tmp_path):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never replies
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
    generator = ServerGenerator(served_settings(Settings(), [url], llm_timeout=1, llm_server_model="any"))
    started = time.monotonic()
    with pytest.raises(ModelServerError, match="failed: .*timed out"):
        "".join(generator.stream("", messages=[{"role": "user", "content": "hi"}]))
    assert time.monotonic() - started < 10
    silent.close()
