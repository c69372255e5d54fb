"""The article library: uploads, removal, status — from Python, over HTTP, and in the browser."""
from __future__ import annotations

import json

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
    assert rejected and "notes.docx: unsupported file type" in rejected[0]
    assert (library.articles_dir / "uploads/zoo.txt").read_text() == ZOO
    big = tmp_path / "besar.txt"
    big.write_text("Judul\n\n" + "kata " * 3_000)
    saved, rejected = add_files([big], library.with_values({"max_file_mb": 0.01}))
    assert saved == [] and rejected == ["besar.txt: file too large (limit 0.01 MB)"]


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
    build_index(library.articles_dir, library, embedder)
    remove_article("n1", library)
    remaining = [json.loads(line)["id"] for line in (library.articles_dir / "lain.jsonl").read_text().splitlines()]
    assert remaining == ["n0", "n2"]
    assert build_index(library.articles_dir, library, embedder).removed == ["n1"]


def test_upload_endpoint_reports_counts(library_app, tmp_path):
    from gradio_client import Client, handle_file

    path = tmp_path / "riverside-zoo.txt"
    path.write_text(ZOO)
    client = Client(library_app, verbose=False)
    report, status, table = client.predict([handle_file(str(path))], api_name="/add_articles")
    assert "saved uploads/riverside-zoo.txt" in report and "added 1, changed 0, removed 0, unchanged 10" in report
    assert status.startswith("11 articles · ") and "built just now" in status
    bad = tmp_path / "evil.exe"
    bad.write_bytes(b"MZ")
    report, _, _ = client.predict([handle_file(str(bad))], api_name="/add_articles")
    assert "rejected evil.exe: unsupported file type" in report


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
        page.get_by_text("added 1,").wait_for(timeout=180_000)
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
    assert "top_k=1" in applied
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
    assert "added 300" in report and status.startswith("310 articles")


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


def test_every_error_for_the_user_is_a_rag_error_that_keeps_its_builtin_base():
    import inspect

    import rag.errors

    errors = [cls for _, cls in inspect.getmembers(rag.errors, inspect.isclass) if cls.__module__ == "rag.errors"]
    assert all(issubclass(cls, RagError) for cls in errors) and len(errors) > 10
    assert issubclass(UnknownArticle, KeyError) and str(UnknownArticle("no article 'x'")) == "no article 'x'"
    from rag.llm.base import ModelServerError
    from rag.settings import ModelNotFound

    assert issubclass(ModelServerError, OSError) and issubclass(ModelNotFound, FileNotFoundError)
