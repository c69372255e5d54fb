"""A user's first day with the web chat, in one walk through Debian's Chromium (issue 24): an empty start, an
upload, articles dropped into the folder with the indexing seen moving, questions in both languages, a reload,
a chat reopened, an article removed, a bad setting, a search, then dark mode and a phone. It fails on any error
in the browser's console (an HTTP 500 included) and on any traceback in the app's log.

With ``RAG_SCREENSHOTS=docs`` the walk retakes the README's screenshots (docs/chat-*.png).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import ARGS, CHROMIUM
from tests.helpers.corpus import SAMPLE_ARTICLES
from tests.helpers.processes import running_app

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]
UPLOADED = ["banjir-demak-2026-01-20.md", "harga-beras-2026-02-12.txt", "dunmore-valley-solar-farm-2026-03-30.md"]
BUSY = re.compile("belum diperiksa|not checked yet|Mencari di artikel|Searching the articles")
INTERNALS = re.compile(r"top_k|min_answerability|chunk|score|weak evidence|not in source|Rincian teknis|"
                       r"Technical details")
SHOTS = os.environ.get("RAG_SCREENSHOTS")


def answer(page, question: str) -> str:
    """Ask ``question`` and return the finished answer's text (its sources shown, or why there are none)."""
    replies = page.locator("#chat .bot.message")
    asked = replies.count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    expect(replies).to_have_count(asked + 1, timeout=60_000)
    return page.wait_for_function(
        "([n, busy]) => { const m = document.querySelectorAll('#chat .bot.message')[n];"
        " const t = m ? m.innerText : ''; return m && !new RegExp(busy).test(t)"
        " && m.querySelector('details.sources, .reason, .problem') ? t : null; }",
        arg=[asked, BUSY.pattern], timeout=240_000).json_value()


def shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name))
    if SHOTS:
        shutil.copy(tmp_path / name, Path(SHOTS) / name)


def test_a_first_day_with_the_web_chat(tmp_path):
    from playwright.sync_api import sync_playwright

    articles = tmp_path / "articles"
    articles.mkdir()
    log_path = tmp_path / "app.log"
    problems: list[str] = []
    # Batches of 4 chunks: the indexing status moves several times while the folder's articles are indexed.
    with running_app(articles, tmp_path / "index", log_path, args=["--embed-batch-size", "4"]) as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        closing: set = set()  # pages being closed

        def watched(page):
            def problem(text: str) -> None:
                if page not in closing:
                    problems.append(text)
            page.on("console", lambda m: problem(f"console: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda error: problem(f"page error: {error}"))
            page.on("response", lambda r: problem(f"HTTP {r.status} {r.url}") if r.status >= 500 else None)
            return page

        def closed(context) -> None:
            # Closing the tab aborts whatever request is in flight (the status poll, a chat's save), and Gradio
            # logs that abort as an error: what the tab says while it is being closed is no user's problem.
            closing.update(context.pages)
            context.close()

        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
        page = watched(context.new_page())

        # An empty start: what the app is, where articles go, an upload button; the page in the browser's language.
        page.goto(url)
        first_run = page.locator("#first-run")
        expect(first_run).to_be_visible(timeout=120_000)
        expect(first_run).to_contain_text(str(articles.resolve()))
        expect(page.locator("#title")).to_contain_text("Berita QA")
        for tab in ("Tanya", "Cari", "Perpustakaan", "Pengaturan"):
            expect(page.get_by_role("tab", name=tab)).to_be_visible()
        assert page.locator("#chat .examples button").count() == 0
        reply = answer(page, "Berapa harga beras medium sekarang?")
        assert "Perpustakaan masih kosong" in reply, reply

        # Three articles uploaded with a binary renamed .txt and an empty file: those two are refused once and
        # not kept; the first-run panel gives way to example questions about the articles.
        (tmp_path / "foto.txt").write_bytes(bytes(range(256)) * 8)
        (tmp_path / "kosong.txt").write_text("")
        with page.expect_file_chooser() as chooser:
            page.locator("#first-upload").click()
        chooser.value.set_files([SAMPLE_ARTICLES / name for name in UPLOADED] + [tmp_path / "foto.txt",
                                                                                  tmp_path / "kosong.txt"])
        report = page.locator("#first-report")
        expect(report).to_contain_text("3 artikel ditambahkan", timeout=180_000)
        expect(report).to_contain_text("Ditolak: uploads/foto.txt (tidak dapat dibaca sebagai artikel)")
        assert sorted(p.name for p in (articles / "uploads").iterdir()) == sorted(UPLOADED)
        expect(first_run).to_be_hidden(timeout=10_000)
        page.locator("#new-chat").click()  # an empty chat shows the examples
        expect(page.locator("#chat .examples button")).to_have_count(3)
        assert all(e.startswith("Apa isi berita") for e in page.locator("#chat .examples button").all_inner_texts())

        # The rest dropped into the folder, with a JSONL of two: the chat's quiet line shows the indexing move.
        (tmp_path / "ganda.jsonl").write_text("\n".join(json.dumps(
            {"id": f"ganda-{i}", "title": f"Pasar Ganda {i} Dibuka", "date": "2026-06-0" + str(i + 1),
             "text": f"Pasar Ganda {i} di Kota Lama dibuka pada Sabtu pagi dengan {40 + i} kios baru."})
            for i in range(2)) + "\n", encoding="utf-8")
        os.utime(tmp_path / "ganda.jsonl", (1_700_000_000, 1_700_000_000))  # it came long ago
        for source in sorted(SAMPLE_ARTICLES.iterdir()):
            if source.name not in UPLOADED:
                shutil.copy2(source, articles / source.name)
        shutil.copy2(tmp_path / "ganda.jsonl", articles / "ganda.jsonl")
        activity, deadline = page.locator("#activity"), time.monotonic() + 240
        seen: list[str] = []
        while time.monotonic() < deadline and not (seen and not activity.inner_text().strip()):
            if (line := activity.inner_text().strip()) and line not in seen:
                seen.append(line)
            time.sleep(0.2)
        counts = [tuple(map(int, m.groups())) for line in seen if (m := re.search(r"(\d+)/(\d+)$", line))]
        assert any(line.startswith("Mengindeks 9 artikel…") for line in seen), seen
        assert any(0 < done < total for done, total in counts) and len(counts) >= 2, seen  # it moved (polled each 1 s)

        # Questions in Indonesian: a question pasted with its tags is answered as without them, shown as typed.
        reply = answer(page, "<b>Berapa</b> warga yang mengungsi karena banjir di Demak?")
        assert "4.000" in reply.split("“")[0] and not INTERNALS.search(reply), reply
        expect(page.locator("#chat .user.message").last).to_contain_text("<b>Berapa</b>")

        # The switch to English: every label, state and message in English, the chat kept.
        page.locator("#language label", has_text="English").click()
        expect(page.get_by_role("tab", name="Library")).to_be_visible(timeout=60_000)
        expect(page.locator("#ask")).to_have_text("Ask")
        expect(page.locator("#chat .bot.message")).to_have_count(1)
        reply = answer(page, "Berapa harga beras medium sekarang?")
        assert "14.500" in reply and "Sources · " in reply and not INTERNALS.search(reply), reply
        page.locator("#chat .message").last.locator("a[href^='#ans-']").first.click()
        shot(page, tmp_path, "chat-light.png")
        reply = answer(page, "How many homes will the Dunmore Valley solar farm power?")
        assert "34,000" in reply.split("“")[0] and "Sources · 1 article" in reply, reply

        # A reload reopens the chat; a new chat, then the first one again from the side panel, told apart by time.
        page.reload()
        expect(page.locator("#chat .bot.message")).to_have_count(3, timeout=60_000)
        page.locator("#new-chat").click()
        expect(page.locator("#chat .message")).to_have_count(0)
        answer(page, "Berapa harga beras medium sekarang?")
        saved = page.locator("#chats label")
        expect(saved).to_have_count(3)
        labels = saved.all_inner_texts()
        title = "Berapa harga beras medium sekarang? · "
        assert labels[0].startswith(title) and labels[2].startswith(title) and labels[0] != labels[2], labels
        assert all(re.search(r" · (\d+ \w+ )?\d\d:\d\d(:\d\d)?$", label) for label in labels), labels
        assert not any("<b>" in label for label in labels), labels  # a pasted question's tags are not its title
        saved.nth(2).click()  # the first chat: the question asked of the empty library
        expect(page.locator("#chat .message").last).to_contain_text("Perpustakaan masih kosong")
        expect(page.locator("#chat .bot.message")).to_have_count(1)

        # The library: one article of the JSONL removed, with words that say so; the filter and the other
        # article's time kept.
        page.get_by_role("tab", name="Library").click()
        expect(page.locator("#status")).to_contain_text("12 articles · updated")
        page.locator("#filter textarea").fill("Ganda")
        rows = page.locator("#articles tbody tr")
        expect(rows).to_have_count(2)
        added = rows.filter(has_text="Pasar Ganda 0").locator("td.added").inner_text()
        rows.filter(has_text="Pasar Ganda 1").locator("button.remove").click()
        expect(page.locator("#picked")).to_contain_text("Only its line in ganda.jsonl is deleted")
        page.locator("#cancel-remove").click()
        expect(page.locator("#confirm-remove")).to_be_hidden()
        rows.filter(has_text="Pasar Ganda 1").locator("button.remove").click()
        page.locator("#confirm-remove").click()
        expect(page.locator("#status")).to_contain_text("11 articles", timeout=180_000)
        expect(rows).to_have_count(1)
        expect(page.locator("#filter textarea")).to_have_value("Ganda")
        assert rows.first.locator("td.added").inner_text() == added
        assert [json.loads(line)["id"] for line in (articles / "ganda.jsonl").read_text().splitlines()] == ["ganda-0"]

        # A model that cannot be loaded is refused with a sentence.
        page.get_by_role("tab", name="Settings").click()
        page.locator("#model input").fill("mistral-7b")
        page.locator("#model input").press("Enter")
        page.locator("#model input").press("Tab")  # the typed value is the dropdown's once the box is left, too
        page.locator("#apply").click()
        expect(page.locator("#applied")).to_contain_text("Not applied: the model “mistral-7b” cannot be loaded",
                                                         timeout=60_000)

        # Search: one heading per article, the question's words marked, scores only on request.
        page.get_by_role("tab", name="Search").click()
        page.locator("#search-box textarea").fill("harga beras medium")
        page.locator("#search").click()
        results = page.locator("#results")
        expect(results.locator(".article-head", has_text="Harga Beras Medium")).to_have_count(1)
        assert "beras" in [m.lower() for m in results.locator("mark").all_inner_texts()]
        assert results.locator(".scores").count() == 0
        page.locator("#show-scores input").check()
        expect(results.locator(".scores").first).to_contain_text("score")
        closed(context)

        # Dark mode and a phone.
        for name, options, theme in (("chat-dark.png", {"viewport": {"width": 1400, "height": 900}}, "dark"),
                                     ("chat-phone.png", {"viewport": {"width": 390, "height": 844},
                                                         "is_mobile": True, "has_touch": True}, "light")):
            context = browser.new_context(locale="en-US", color_scheme="dark" if theme == "dark" else "light",
                                          **options)
            page = watched(context.new_page())
            page.goto(f"{url}?__theme={theme}")
            expect(page.locator("#chat .examples button")).to_have_count(3, timeout=120_000)
            if name == "chat-phone.png":
                page.get_by_role("tab", name="Library").click()
                card = page.locator("#articles tbody tr").first
                expect(card).to_be_visible()
                assert card.evaluate("row => getComputedStyle(row).display") == "block"  # a card, not a row
                box = card.bounding_box()
                assert box and box["width"] <= 390, box
                page.get_by_role("tab", name="Chat").click()
            reply = answer(page, "Berapa harga beras medium sekarang?")
            assert "14.500" in reply, reply
            page.locator("#chat .message").last.locator("a[href^='#ans-']").first.click()
            shot(page, tmp_path, name)
            closed(context)
        browser.close()
    log = log_path.read_text()
    assert not problems, problems
    assert "Traceback" not in log, log[-3000:]
