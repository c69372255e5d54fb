"""The article library: uploads, removal, status — from Python, over HTTP, and in the browser."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from rag.errors import QuestionError, RagError, UnknownArticle
from rag.indexing.builder import build_index
from rag.ingest.uploads import add_files, safe_name
from rag.library import Library, index_status, indexed_articles, remove_article
from rag.settings import SettingsError
from rag.web.render import message_text
from tests.helpers.browser import ARGS, CHROMIUM

ZOO = ("Riverside Zoo Opens Its Doors\n\nThe new Riverside Zoo in Port Linwood opened on June 3, 2026. "
       "The zoo welcomed 2,400 visitors on its opening day. Its director, Ms. Clara Odum, said the zoo "
       "houses 85 species.\n")


def test_safe_names_stay_inside_the_folder():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("/abs/path/berita.md") == "berita.md"
    assert safe_name("..\\..\\win.txt") == "win.txt"
    assert safe_name("\u202egnp.txt") == "gnp.txt"  # control/format characters dropped
    assert safe_name("...") == "upload"


def test_add_files_saves_under_uploads_and_rejects_bad_ones(library, tmp_path):
    good = tmp_path / "zoo.txt"
    good.write_text(ZOO)
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"PK")
    saved, rejected = add_files([good, good, bad], library)
    assert saved == ["uploads/zoo.txt", "uploads/zoo-1.txt"]
    assert rejected and "notes.docx: unsupported file type" in str(rejected[0])
    assert (library.articles_dir / "uploads/zoo.txt").read_text() == ZOO
    big = tmp_path / "besar.txt"
    big.write_text("Judul\n\n" + "kata " * 3_000)
    saved, rejected = add_files([big], library.with_values({"max_file_mb": 0.01}))
    assert saved == [] and [str(r) for r in rejected] == ["besar.txt: file too large (limit 0.01 MB)"]


def test_remove_article_deletes_its_file_or_jsonl_line(library, embedder):
    rows = {row["sources"]: row["id"] for row in indexed_articles(library)}
    remove_article(rows["harga-beras-2026-02-12.txt"], library)
    jsonl_id = next(i for s, i in rows.items() if s.startswith("kiriman.jsonl#"))
    remove_article(jsonl_id, library)
    assert not (library.articles_dir / "harga-beras-2026-02-12.txt").exists()
    assert not (library.articles_dir / "kiriman.jsonl").exists()  # its only line removed: the file goes
    report = build_index(library.articles_dir, library, embedder)
    assert len(report.removed) == 2 and index_status(library)["articles"] == 8
    with pytest.raises(UnknownArticle, match="no indexed article with id 'no-such-id'"):
        remove_article("no-such-id", library)


def test_remove_one_line_of_a_jsonl_file_keeps_the_others(library, embedder):
    lines = [json.dumps({"id": f"n{i}", "title": f"Berita {i}", "text": f"Isi berita nomor {i} tentang pasar."})
             for i in range(3)]
    (library.articles_dir / "lain.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    arrived = 1_700_000_000  # the file came long ago: its other articles keep that time
    os.utime(library.articles_dir / "lain.jsonl", (arrived, arrived))
    build_index(library.articles_dir, library, embedder)
    added = {row["id"]: row["added"] for row in indexed_articles(library)}
    remove_article("n1", library)
    remaining = [json.loads(line)["id"] for line in (library.articles_dir / "lain.jsonl").read_text().splitlines()]
    assert remaining == ["n0", "n2"] and (library.articles_dir / "lain.jsonl").stat().st_mtime == arrived
    assert build_index(library.articles_dir, library, embedder).removed == ["n1"]
    added.pop("n1")
    assert {row["id"]: row["added"] for row in indexed_articles(library)} == added


def test_upload_endpoint_reports_counts(library_app, tmp_path):
    from gradio_client import Client, handle_file

    path = tmp_path / "riverside-zoo.txt"
    path.write_text(ZOO)
    client = Client(library_app, verbose=False)
    report, status, table = client.predict([handle_file(str(path))], api_name="/add_articles")
    assert report == "1 article added  \nSaved: uploads/riverside-zoo.txt"  # in English: a script's language
    assert status.startswith("11 articles · updated just now")
    bad = tmp_path / "evil.exe"
    bad.write_bytes(b"MZ")
    report, _, _ = client.predict([handle_file(str(bad))], api_name="/add_articles")
    assert report.startswith("No article changed  \nRefused: evil.exe (file type not supported; supported: .htm")


@pytest.mark.browser
def test_upload_in_the_browser_then_ask_about_it(library_app, tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "riverside-zoo.txt"
    path.write_text(ZOO)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(library_app)
        page.get_by_role("tab", name="Library").click()
        page.locator("#upload input[type=file]").set_input_files(str(path))
        page.locator("#add").click()
        page.locator("#report", has_text="1 article added").wait_for(timeout=180_000)
        page.get_by_role("tab", name="Chat").click()
        page.locator("#question textarea").fill("How many species does the Riverside Zoo house?")
        page.locator("#ask").click()
        sources = page.locator("#chat .message").last.locator("details.sources")
        sources.locator("mark").first.wait_for(state="attached", timeout=120_000)
        assert "Riverside Zoo" in (sources.text_content() or "")
        assert any("85" in mark for mark in sources.locator("mark").all_text_contents())
        assert "85" in page.locator("#chat .message").last.inner_text()
        browser.close()


@pytest.mark.slow  # about three minutes on 2 cores
def test_settings_apply_without_restart_and_questions_run_during_a_rebuild(library_app, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(library_app, verbose=False)
    applied = client.predict(1, "gemma3-270m", 0.0, 64, api_name="/apply_settings")
    assert applied.startswith("Applied: passages per answer 1 · model gemma3-270m")
    messages, *_ = client.predict("Berapa harga beras medium sekarang?", [], None, api_name="/chat")
    assert message_text(messages[-1]["content"]).count('class="num"') == 1  # one passage

    # A rebuild with a few hundred new articles takes a while; a question asked meanwhile is answered
    # from the current index before the rebuild ends.
    bulk = tmp_path / "arsip.jsonl"
    bulk.write_text("\n".join(json.dumps({"id": f"arsip-{i}", "title": f"Arsip {i}",
                                          "text": " ".join(f"Catatan arsip {i} kalimat {j} tentang kota."
                                                           for j in range(40))})
                              for i in range(300)), encoding="utf-8")
    rebuild = client.submit([handle_file(str(bulk))], api_name="/add_articles")
    messages, *_ = client.predict("How many homes will the Dunmore Valley solar farm power?", [], None,
                                  api_name="/chat")
    assert not rebuild.done(), "the question waited for the rebuild"
    assert "34,000" in str(messages[-1]["content"])
    report, status, _ = rebuild.result(timeout=600)
    assert "300 articles added" in report and status.startswith("310 articles")


def test_listings_read_the_catalogue_not_the_search_index(library, monkeypatch):
    from rag.indexing.lexical import LexicalIndex
    from rag.indexing.vectors import VectorIndex

    def refuse(*args, **kwargs):
        raise AssertionError("a listing loaded FAISS or BM25")

    monkeypatch.setattr(VectorIndex, "load", refuse)
    monkeypatch.setattr(LexicalIndex, "load", refuse)
    service = Library(library)
    rows = service.articles("Beras MEDIUM")
    assert "harga-beras-2026-02-12.txt" in {row["sources"] for row in rows}
    assert all("beras" in str(row).lower() and "medium" in str(row).lower() for row in rows)
    assert len(service.articles()) == 10 and service.status()["articles"] == 10
    with pytest.raises(KeyError):
        service.remove("no-such-id")


def test_settings_fixed_while_serving_are_rejected_with_a_message(library, embedder):
    service = Library(library, embedder)
    with pytest.raises(SettingsError, match="'embed_model' cannot change while serving: restart with --embed-model"):
        service.update_settings({"embed_model": "all-MiniLM-L6-v2"})
    assert service.settings.embed_model == library.embed_model
    assert service.update_settings({"top_k": 2}).top_k == 2
    assert service.pipeline.settings.top_k == service.pipeline.retriever.settings.top_k == 2
    assert service.update_settings({"top_k": 3}).top_k == service.pipeline.settings.top_k == 3


def test_one_summary_of_a_build(library, embedder):
    report = Library(library, embedder).rebuild()
    assert report.summary() == ("added 0, changed 0, removed 0, unchanged 10 (not re-embedded), renamed 0; "
                                "0 chunks embedded; 0 files skipped")


def test_the_faces_search_and_ask_through_the_library(library, embedder):
    service = Library(library, embedder)
    hits = service.search("Berapa harga beras medium per kilogram?", 2)
    assert len(hits) == 2 and hits[0].title.startswith("Harga Beras Medium")
    with pytest.raises(QuestionError, match="the question is empty"):
        service.search(" \x00\u200b ")
    with pytest.raises(QuestionError, match="too long"):
        next(service.ask("kenapa " * 300))  # the question is checked before any passage is searched
    assert ".pdf" in service.formats and ".jsonl" in service.formats
    assert service.settings.llm_model in service.models and service.parallel_answers == 1
    assert "smollm2" not in service.models and "qwen2.5-coder-0.5b" not in service.models  # not for answering


def test_every_error_for_the_user_is_a_rag_error_that_keeps_its_builtin_base():
    import inspect

    import rag.errors

    errors = [cls for _, cls in inspect.getmembers(rag.errors, inspect.isclass) if cls.__module__ == "rag.errors"]
    assert all(issubclass(cls, RagError) for cls in errors) and len(errors) > 10
    assert issubclass(UnknownArticle, KeyError) and str(UnknownArticle("no article 'x'")) == "no article 'x'"
    from rag.llm.base import ModelServerError
    from rag.settings import ModelNotFound

    assert issubclass(ModelServerError, OSError) and issubclass(ModelNotFound, FileNotFoundError)


def test_an_upload_that_cannot_be_read_is_refused_once_and_not_kept(library, embedder, tmp_path):
    (tmp_path / "zoo.txt").write_text(ZOO)
    (tmp_path / "foto.txt").write_bytes(bytes(range(256)) * 4)  # a binary renamed .txt
    (tmp_path / "kosong.txt").write_text("")
    service = Library(library, embedder)
    change = service.add([tmp_path / "zoo.txt", tmp_path / "foto.txt", tmp_path / "kosong.txt"])
    assert sorted(p.source for p in change.rejected) == ["uploads/foto.txt", "uploads/kosong.txt"]
    assert sorted(p.name for p in (library.articles_dir / "uploads").iterdir()) == ["zoo.txt"]
    assert change.report.added and change.notes[0] == "saved uploads/zoo.txt"
    assert not service.rebuild().problems  # not reported again


def test_the_web_says_what_removing_an_article_deletes(library, embedder):
    from rag.history import ChatHistory
    from rag.web.app import WebUI

    lines = [json.dumps({"id": f"d{i}", "title": f"Berita Ganda {i}", "text": f"Isi berita ganda nomor {i}."})
             for i in range(2)]
    (library.articles_dir / "ganda.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ui = WebUI(Library(library, embedder), ChatHistory(library.index_dir / "chats.sqlite"))
    ui.library.rebuild()
    in_english = SimpleNamespace(cookies={"rag_lang": "en"}, headers={})
    article_id, line, *_ = ui.pick_article("d1|1", in_english)
    assert article_id == "d1" and "Only its line in <code>ganda.jsonl</code> is deleted" in line
    harga = next(row["id"] for row in ui.library.articles("Harga Beras"))
    assert "Its file, <code>harga-beras-2026-02-12.txt</code>, is deleted" in ui.pick_article(f"{harga}|2")[1]
    kiriman = next(row["id"] for row in ui.library.articles("kiriman.jsonl"))  # its only line: the file goes
    assert "Its file, <code>kiriman.jsonl</code>" in ui.pick_article(f"{kiriman}|3")[1]
    assert ui.pick_article("gone|4")[0] == ""
    # Removing keeps the filter: the table lists what it listed before, less the article removed.
    report, status, table = ui.remove("d1", "Ganda", in_english)
    assert report == "1 article removed" and status.startswith("11 articles")
    assert "Berita Ganda 0" in table and "Berita Ganda 1" not in table and "Harga Beras" not in table


def test_a_page_polls_the_library_whatever_its_filter_box_holds(library, embedder):
    """Regression: every page asked for the article table each 5 s with its filter box unrendered (None): an
    AttributeError in the log, an HTTP 500 in the browser, and the table never refreshed on those pages."""
    from rag.history import ChatHistory
    from rag.web.app import WebUI

    ui = WebUI(Library(library, embedder), ChatHistory(library.index_dir / "chats.sqlite"))
    activity, status, index, seen = ui.poll({})
    assert activity == "" and status.startswith("10 articles · updated")
    table, examples, first_run, _ = ui.index_view(None)  # the filter box of a page that never showed the library
    assert table.count("<tr>") == 11 and len(examples["examples"]) == 3 and first_run["visible"] is False
    assert all(part == {"__type__": "update"} for part in ui.poll(seen)[:3])  # nothing new: nothing sent
    ui.library.builds += 1  # a rebuild: the page is told the index changed, and asks for the table again
    assert ui.poll(seen)[2] != index and ui.table(None) == table


def test_settings_are_checked_with_their_rules_before_they_are_applied(library, embedder):
    from rag.history import ChatHistory
    from rag.web.app import WebUI

    ui = WebUI(Library(library, embedder), ChatHistory(library.index_dir / "chats.sqlite"))
    before = ui.settings
    assert ui.apply_settings({"llm_model": "mistral-7b"}) == (
        "Not applied: the model “mistral-7b” cannot be loaded on this computer. Pick a model from the list, or "
        "the path of a .gguf file that exists.")
    (library.index_dir / "bukan-model.gguf").write_text("not a model")
    assert ui.apply_settings({"llm_model": str(library.index_dir / "bukan-model.gguf")}).startswith("Not applied")
    assert ui.apply_settings({"top_k": 0}) == "Not applied: Passages per answer must be at least 1."
    in_indonesian = SimpleNamespace(cookies={"rag_lang": "id"}, headers={})
    assert ui.apply_settings({"temperature": -1}, in_indonesian) == "Tidak diterapkan: Suhu harus paling kecil 0."
    assert ui.settings == before
    assert ui.apply_settings({"top_k": 4, "llm_model": "gemma3-270m"}) == (
        "Applied: passages per answer 4 · model gemma3-270m · temperature 0.0 · longest answer 64 tokens.")
    assert ui.settings.llm_model == "gemma3-270m"


def test_a_build_tells_how_far_it_has_got(library, embedder, monkeypatch):
    from rag.indexing.builder import BuildProgress

    monkeypatch.setattr(embedder, "batch_size", 1)  # a batch per chunk: each one is told
    for i in range(3):
        (library.articles_dir / f"kabar-{i}.txt").write_text(f"Kabar {i}\n\nPasar malam ke-{i} dibuka Sabtu.")
    seen: list[BuildProgress] = []
    build_index(library.articles_dir, library, embedder, seen.append)
    assert seen[0] == BuildProgress("reading") and seen[-1] == BuildProgress("writing")
    assert [p.done for p in seen if p.stage == "embedding"] == [0, 1, 2, 3]
    assert {(p.articles, p.total) for p in seen if p.stage == "embedding"} == {(3, 3)}
    service = Library(library, embedder)
    service.rebuild()
    assert service.indexing is None and service.builds == 1
