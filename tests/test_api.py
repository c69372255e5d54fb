"""The HTTP API (docs/api.md): served by `python app.py` beside the web UI, called with the official `openai`
client and with plain `httpx`, as other tools would; and its parts (turns, JSON, access) on their own."""
from __future__ import annotations

import asyncio
import re
import shutil
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from rag.answer.records import Answer, AnswerSentence, Citation
from rag.api.access import check_access
from rag.api.chat import ChatRequest
from rag.api.errors import ApiError
from rag.api.serialise import answer_json
from rag.errors import Busy
from rag.library import Library
from rag.llm.turns import MAX_WAITING, Turns
from rag.types import Hit
from rag.web.app import QUEUE_MAX_SIZE
from tests.helpers.corpus import SAMPLE_ARTICLES, make_settings
from tests.helpers.processes import running_app
from tests.helpers.sessions import bulk_jsonl

KEY = "test-key-9f2c"
RICE = "Berapa harga beras medium sekarang?"
MARKER = re.compile(r"\[(\d+)\]")

# --- the parts ---------------------------------------------------------------------------------------------


def test_answers_take_turns_in_order_and_a_full_queue_says_when_to_come_back():
    turns, order, started = Turns(at_once=1, max_waiting=2), [], threading.Event()

    def answer(name: str) -> None:
        with turns.turn() as granted:
            assert granted
            order.append(name)
            started.set()
            time.sleep(0.2)

    first = threading.Thread(target=answer, args=("first",))
    first.start()
    started.wait(5)
    waiting = [threading.Thread(target=answer, args=(name,)) for name in ("second", "third")]
    for thread in waiting:
        thread.start()
        time.sleep(0.05)  # in this order
    with pytest.raises(Busy) as full, turns.turn():
        pass
    assert full.value.retry_after >= 1 and "2 questions are waiting" in str(full.value)
    for thread in [first, *waiting]:
        thread.join(5)
    assert order == ["first", "second", "third"] and turns.running == turns.waiting == 0


def test_a_cancelled_wait_takes_no_turn_and_leaves_the_queue():
    turns, cancel = Turns(at_once=1), threading.Event()
    with turns.turn():
        waiter = threading.Thread(target=lambda: list(turns.through(iter("never read"), cancel)))
        waiter.start()
        time.sleep(0.1)
        assert turns.waiting == 1
        cancel.set()
        waiter.join(2)
        assert not waiter.is_alive() and turns.waiting == 0
    assert turns.running == 0


def test_the_web_and_the_api_share_one_bound_and_the_library_s_turns(tmp_path):
    library = Library(make_settings(tmp_path))
    assert MAX_WAITING == QUEUE_MAX_SIZE and library.turns.max_waiting == QUEUE_MAX_SIZE
    assert library.parallel_answers == library.turns.at_once == 1  # one llama.cpp context in this process


def test_an_answer_s_json_keeps_markers_and_says_what_was_verified():
    quote = "Harga beras medium naik 3,2 persen."
    hit = Hit(7, "beras", "Harga Beras", "2026-02-12", "JAKARTA — " + quote, 100, 145, 0.9, 0.8, 2.0)
    cited = Citation(1, "beras", "Harga Beras", "2026-02-12", 7, 110, 145, quote)
    answer = Answer("q", "q", "id", "Harga beras naik 3,2 persen [1].", passages=[hit], evidence=[cited],
                    sentences=[AnswerSentence("Harga beras naik 3,2 persen [1].", 0, 33, [1], [cited], True)],
                    confidence=0.8)
    reply = answer_json(answer, {"beras": "https://example.org/beras"})
    assert reply["content"] == "Harga beras naik 3,2 persen. [1]"
    assert reply["citations"] == [{"number": 1, "article_id": "beras", "title": "Harga Beras", "date": "2026-02-12",
                                   "url": "https://example.org/beras", "text": quote, "start": 110, "end": 145,
                                   "verified": True}]
    assert reply["sources"][0]["number"] == 1 and reply["sources"][0]["lexical_score"] == 2.0
    assert reply["details"]["confidence"] == 0.8 and reply["details"]["refusal"] is None  # every plain fact
    assert "draft" not in reply["details"]  # the unchecked draft is never sent

    refused = Answer("q", "q", "en", "The articles cover this but do not answer “who?” The closest they come:",
                     passages=[hit], closest=[cited], refusal="no name in the cited sentence")
    reply = answer_json(refused, {})
    assert reply["content"].endswith(f"The closest they come: “{quote}” [1]")
    assert reply["details"]["refusal"] == "no name in the cited sentence"
    assert [c["verified"] for c in reply["citations"]] == [False]  # what the articles do say, not an answer


def test_access_needs_a_key_when_keys_are_set_and_this_machine_when_none_is(tmp_path):
    keyed = make_settings(tmp_path, api_keys=f" other , {KEY}")
    check_access(keyed, f"Bearer {KEY}", "10.0.0.5")
    for header in (None, "Bearer wrong", f"Basic {KEY}", KEY):
        with pytest.raises(ApiError) as refused:
            check_access(keyed, header, "127.0.0.1")
        assert refused.value.status == 401 and refused.value.headers == {"WWW-Authenticate": "Bearer"}
    open_ = make_settings(tmp_path)
    for host in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"):
        check_access(open_, None, host)
    with pytest.raises(ApiError) as remote:
        check_access(open_, None, "10.0.0.5")
    assert remote.value.status == 403 and "RAG_API_KEYS" in remote.value.message
    assert "other" not in repr(keyed) and KEY not in repr(keyed)  # keys are never shown


def test_a_request_s_temperature_and_length_stay_within_the_settings_ranges():
    def options(**fields) -> dict:
        return ChatRequest.model_validate({"model": "berita-qa", "messages": [{"role": "user", "content": "q"}],
                                           **fields}).options()

    assert options() == {}
    assert options(temperature=0.3, max_tokens=40) == {"temperature": 0.3, "max_answer_tokens": 40}
    assert options(temperature=2.0, max_completion_tokens=100_000) == {"temperature": 1.5, "max_answer_tokens": 1024}
    request = ChatRequest.model_validate({"model": "berita-qa", "messages": [
        {"role": "system", "content": "be brief"}, {"role": "user", "content": "Berapa harga beras?"},
        {"role": "assistant", "content": "Rp 14.500 [1]"},
        {"role": "user", "content": [{"type": "text", "text": "Kenapa?"}]}]})
    assert request.question() == ("Kenapa?", [("Berapa harga beras?", "Rp 14.500 [1]")])


def test_one_answer_s_sampling_reaches_the_shared_model(tmp_path):
    from rag.llm.factory import Sampled

    seen: dict = {}

    class Model:  # the one call Sampled adds something to
        settings = make_settings(tmp_path)

        def stream(self, prompt: str, **options):
            seen.update(options)
            yield "x"
            return {}

    own = Sampled(Model(), Model.settings.with_values({"temperature": 0.7, "max_answer_tokens": 12}))  # type: ignore[arg-type]
    assert list(own.stream("p", stop=["\n"])) == ["x"]
    assert seen == {"max_tokens": 12, "temperature": 0.7, "stop": ["\n"]}
    list(own.stream("p", temperature=0.0))  # a step that asks for its own temperature keeps it
    assert seen["temperature"] == 0.0

# --- the API served by the app ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """(base URL, temporary folder) of the app over a copy of the sample articles, with two API keys."""
    tmp = tmp_path_factory.mktemp("api")
    shutil.copytree(SAMPLE_ARTICLES, tmp / "articles")
    with running_app(tmp / "articles", tmp / "index", tmp / "app.log", env={"RAG_API_KEYS": f"other,{KEY}"}) as url:
        yield url.rstrip("/"), tmp
    log = (tmp / "app.log").read_text(errors="replace")
    assert "Traceback" not in log and KEY not in log, log[-3000:]


def openai_client(url: str, key: str = KEY):
    from openai import OpenAI

    return OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=600)


def check_citations(message: dict) -> None:
    """Every [n] in the content has a citation; each citation's sentence is its source's text at its offsets."""
    numbers = {int(n) for n in MARKER.findall(message["content"])}
    assert numbers and numbers <= {c["number"] for c in message["citations"]}, message
    assert any(c["verified"] for c in message["citations"])
    for citation in message["citations"]:
        source = message["sources"][citation["number"] - 1]
        assert source["article_id"] == citation["article_id"]
        assert source["text"][citation["start"] - source["start"]:citation["end"] - source["start"]] == citation["text"]


@pytest.mark.model
def test_the_openai_client_lists_the_model_and_gets_cited_answers_streamed_or_not(api):
    url, _ = api
    client = openai_client(url)
    card = client.models.retrieve("berita-qa")
    assert [m.id for m in client.models.list()] == ["berita-qa"]
    assert card.model_extra and card.model_extra["embedder"] == "multilingual-e5-small" and card.model_extra["llm"]

    reply = client.chat.completions.create(model="berita-qa", messages=[{"role": "user", "content": RICE}])
    message = reply.choices[0].message.model_dump()
    assert "14.500" in message["content"] and reply.choices[0].finish_reason == "stop"
    check_citations(message)
    assert message["details"]["refusal"] is None and message["details"]["language"] == "id"

    pieces, final = [], None
    for chunk in client.chat.completions.create(model="berita-qa", messages=[{"role": "user", "content": RICE}],
                                                stream=True):
        pieces.append(chunk.choices[0].delta.content or "")
        final = chunk
    assert final is not None and final.choices[0].finish_reason == "stop"
    streamed = final.choices[0].delta.model_dump()
    assert "".join(pieces) == message["content"]  # the same checked answer, never the unchecked draft
    assert streamed["citations"] == message["citations"] and streamed["sources"] == message["sources"]


@pytest.mark.model
def test_earlier_turns_make_a_follow_up_work_and_a_refusal_is_a_normal_answer(api):
    url, _ = api
    client = openai_client(url)
    first = client.chat.completions.create(model="berita-qa", messages=[{"role": "user", "content": RICE}])
    history = [{"role": "user", "content": RICE}, {"role": "assistant", "content": first.choices[0].message.content}]
    follow = client.chat.completions.create(model="berita-qa", messages=[
        *history, {"role": "user", "content": "Kenapa harganya naik?"}]).choices[0].message.model_dump()
    assert follow["details"]["query"] != "Kenapa harganya naik?"  # searched as a standalone question
    assert follow["sources"][0]["title"].startswith("Harga Beras Medium")

    refused = client.chat.completions.create(model="berita-qa", messages=[
        {"role": "user", "content": "Siapa presiden Amerika Serikat pada tahun 1990?"}]).choices[0].message.model_dump()
    assert refused["details"]["refusal"] and refused["content"].startswith("Artikel yang tersedia")
    assert not any(c["verified"] for c in refused["citations"])


@pytest.mark.model
def test_a_question_about_one_article_is_answered_from_it_in_points(api):
    import openai

    url, _ = api
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=600) as http:
        article = http.get("/v1/articles", params={"q": "harga beras"}).json()["data"][0]["id"]
    client = openai_client(url)
    summarise = [{"role": "user", "content": "Ringkas artikel ini"}]
    reply = client.chat.completions.create(model="berita-qa", messages=summarise, extra_body={"article": article})
    message = reply.choices[0].message.model_dump()
    assert message["content"].count("\n- ") >= 2 and "14.500" in message["content"], message["content"]
    assert {c["article_id"] for c in message["citations"]} == {article}
    assert all(c["verified"] for c in message["citations"])
    with pytest.raises(openai.NotFoundError, match="tidak-ada"):
        client.chat.completions.create(model="berita-qa", messages=summarise, extra_body={"article": "tidak-ada"})


@pytest.mark.model
def test_a_missing_or_wrong_key_is_401_and_malformed_requests_are_openai_errors(api):
    import openai

    url, _ = api
    with pytest.raises(openai.AuthenticationError):
        openai_client(url, "wrong").models.list()
    with httpx.Client(base_url=url, timeout=60) as http:
        missing = http.get("/v1/models")
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_api_key"
        assert http.get("/health").json()["status"] == "ok"  # for load balancers: no key, no data
        auth = {"Authorization": f"Bearer {KEY}"}
        cases = [
            (b"{not json", 400, None),
            (b'{"model": "berita-qa"}', 400, "messages"),
            (b'{"model": "berita-qa", "temperature": 3, "messages": [{"role": "user", "content": "x"}]}', 400,
             "temperature"),
            (b'{"model": "berita-qa", "messages": [{"role": "assistant", "content": "x"}]}', 400, "messages"),
            (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}', 404, "model"),
            (b'{"model": "berita-qa", "messages": [{"role": "user", "content": "\\u0001"}]}', 400, None),
        ]
        for body, status, param in cases:
            response = http.post("/v1/chat/completions", content=body,
                                 headers={**auth, "Content-Type": "application/json"})
            error = response.json()["error"]
            assert (response.status_code, error["param"]) == (status, param), (body, response.text)
            assert error["message"] and error["type"]
        assert http.get("/v1/no-such-thing", headers=auth).status_code == 404
        assert http.get("/docs").status_code == 200 and "/v1/chat/completions" in http.get("/openapi.json").text
        page = http.get("/")
        assert page.status_code == 200 and "gradio" in page.text.lower()  # the web UI is still there


@pytest.mark.model
def test_search_and_the_article_collection(api, tmp_path):
    url, _ = api
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=auth, timeout=600) as http:
        found = http.post("/v1/search", json={"query": "juara tunggal putra Piala Nusantara", "k": 3}).json()["data"]
        assert len(found) == 3 and found[0]["article_id"].startswith("bulu-tangkis") and found[0]["number"] == 1
        assert {"score", "dense_score", "lexical_score"} <= set(found[0])

        article = tmp_path / "pasar-malam.md"
        article.write_text("---\ntitle: Pasar Malam Kota Lama\ndate: 2026-05-01\n---\nPasar malam Kota Lama dibuka "
                           "setiap Jumat dengan 240 pedagang.\n", encoding="utf-8")
        files = [("files", (article.name, article.read_bytes())), ("files", ("notes.exe", b"x"))]
        added = http.post("/v1/articles", files=files).json()
        assert added["notes"][0] == "saved uploads/pasar-malam.md" and "unsupported file type" in added["notes"][1]
        assert added["summary"].startswith("added 1,") and added["status"].startswith("11 articles")
        listed = http.get("/v1/articles", params={"q": "pasar malam kota"}).json()["data"]
        assert [row["title"] for row in listed] == ["Pasar Malam Kota Lama"]

        removed = http.delete(f"/v1/articles/{listed[0]['id']}").json()
        assert removed["removed"] == [listed[0]["id"]] and removed["status"].startswith("10 articles")
        gone = http.delete(f"/v1/articles/{listed[0]['id']}")
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "article_not_found"


@pytest.mark.model
@pytest.mark.slow
def test_ten_clients_asking_during_a_rebuild_are_all_answered(api, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    url, _ = api
    questions = ["Berapa banyak warga yang harus mengungsi karena banjir di Demak?", RICE,
                 "Gunung Lawuhan sekarang berstatus apa?", "Berapa ongkos naik kereta komuter Semarang–Kendal?",
                 "How many homes will the Dunmore Valley solar farm supply with electricity?"] * 2
    bulk = bulk_jsonl(tmp_path / "arsip.jsonl", 120)  # indexing outlasts the first answers
    rebuilt: dict = {}

    def rebuild() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=900) as http:
            rebuilt["reply"] = http.post("/v1/articles", files=[("files", (bulk.name, bulk.read_bytes()))]).json()
            rebuilt["at"] = time.monotonic()

    def ask(question: str) -> tuple[str, float]:
        reply = openai_client(url).chat.completions.create(
            model="berita-qa", messages=[{"role": "user", "content": question}], max_tokens=16)
        return reply.choices[0].message.content or "", time.monotonic()

    with ThreadPoolExecutor(11) as pool:
        building = pool.submit(rebuild)
        time.sleep(2)  # the upload is being indexed
        answers = list(pool.map(ask, questions))
        building.result()
    assert all(text for text, _ in answers)
    assert rebuilt["reply"]["summary"].startswith("added 120,"), rebuilt
    assert any(at < rebuilt["at"] for _, at in answers), "no question was answered while the rebuild ran"


@pytest.mark.model
@pytest.mark.slow
def test_a_full_queue_is_429_with_retry_after_and_a_client_gone_leaves_it(api):
    url, _ = api
    body = {"model": "berita-qa", "stream": True, "messages": [{"role": "user", "content": RICE}]}
    statuses: list[tuple[int, str | None]] = []

    async def one(http: httpx.AsyncClient) -> None:
        async with http.stream("POST", "/v1/chat/completions", json=body) as response:
            statuses.append((response.status_code, response.headers.get("Retry-After")))
            await asyncio.sleep(120)  # keeps its place until cancelled

    async def flood() -> dict:
        limits = httpx.Limits(max_connections=QUEUE_MAX_SIZE + 16)
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120,
                                     limits=limits) as http:
            clients = [asyncio.create_task(one(http)) for _ in range(QUEUE_MAX_SIZE + 6)]
            deadline = time.monotonic() + 120
            while sum(status == 429 for status, _ in statuses) < 5 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            full = (await http.get("/health")).json()["answers"]
            for client in clients:
                client.cancel()
            await asyncio.gather(*clients, return_exceptions=True)
            return full

    full = asyncio.run(flood())
    assert full == {"running": 1, "waiting": QUEUE_MAX_SIZE}
    refused = [after for status, after in statuses if status == 429]
    assert len(refused) == 5 and all(after and int(after) >= 1 for after in refused)
    deadline = time.monotonic() + 30
    while (answers := httpx.get(f"{url}/health").json()["answers"]) != {"running": 0, "waiting": 0}:
        assert time.monotonic() < deadline, f"the clients that went away still hold the queue: {answers}"
        time.sleep(0.5)


@pytest.mark.model
def test_without_keys_the_api_answers_on_loopback_and_it_can_be_turned_off(server, sample_settings, tmp_path):
    assert httpx.get(f"{server.rstrip('/')}/v1/models", timeout=60).json()["data"][0]["id"] == "berita-qa"
    with running_app(sample_settings.articles_dir, sample_settings.index_dir, tmp_path / "app.log",
                     args=["--api", "false"]) as url:
        assert httpx.get(f"{url}v1/models", timeout=60).status_code == 404
        assert httpx.get(f"{url}docs", timeout=60).status_code == 404
        assert httpx.get(url, timeout=60).status_code == 200  # the web UI alone
