"""The web chat in a real browser: Debian's Chromium driven by Playwright, against the app on loopback."""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import time

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import ARGS, CHROMIUM
from tests.helpers.processes import busy_cpus, running_app

pytestmark = [pytest.mark.browser, pytest.mark.model]
CHECKING = re.compile("belum diperiksa|not checked yet|Mencari di artikel|Searching the articles")


@pytest.fixture(scope="module")
def browser(server):
    if not shutil.which("chromium"):
        pytest.fail("Debian chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    open_app(page, server)
    new_chat(page)
    yield page
    context.close()


def open_app(page, url: str) -> None:
    """Load the app and wait until it is live: a click before the page is hydrated would be lost."""
    page.goto(url)
    page.locator("#chat .examples button, #chat .message-row").first.wait_for(timeout=120_000)


def final_answer(page) -> str:
    """The last answer's final text: its sources block rendered and no longer being written.
    Read in the same check, since Gradio re-renders messages while it streams."""
    return page.wait_for_function(
        "() => { const m = [...document.querySelectorAll('#chat .message')].pop(); const t = m ? m.innerText : '';"
        " return m && m.querySelector('details.sources')"
        " && !/belum diperiksa|not checked yet|Mencari di artikel|Searching the articles|Loading content/.test(t)"
        " ? t : null; }", timeout=180_000).json_value()


def new_chat(page) -> None:
    """Start a new chat, and wait for the server's reply: it empties the question box, and a question typed
    before it arrives would be wiped."""
    box = page.locator("#question textarea")
    box.fill("…")
    page.locator("#new-chat").click()
    expect(box).to_have_value("")
    expect(page.locator("#chat .message")).to_have_count(0)


def submit(page, question: str) -> None:
    """Type ``question`` and send it; returns once the chat shows it (the server took it)."""
    questions = page.locator("#chat .user.message")
    asked = questions.count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    expect(questions).to_have_count(asked + 1, timeout=60_000)


def ask(page, question: str) -> str:
    submit(page, question)
    return final_answer(page)


@pytest.mark.parametrize("question, expected", [
    ("Berapa warga yang mengungsi karena banjir di Demak?", "4.000"),
    ("Berapa harga beras medium sekarang?", "14.500"),
    ("How many homes will the Dunmore Valley solar farm power?", "34,000"),
])
def test_questions_are_answered_with_the_supporting_sentence_highlighted(page, question, expected, tmp_path):
    text = ask(page, question)
    answer = text.split("“")[0]  # before the quoted evidence (a question about "now" starts with the date)
    assert expected in answer and 'class="problem"' not in page.locator("#chat .message").last.inner_html(), text
    last = page.locator("#chat .message").last
    last.locator("a[href^='#ans-']").first.click()  # [n] opens this answer's sources at the passage
    expect(last.locator("details.sources")).to_have_attribute("open", "")
    assert any(expected in mark for mark in last.locator("details.sources .passage mark").all_inner_texts())
    page.screenshot(path=str(tmp_path / "answer.png"))


def test_a_detail_the_articles_do_not_give_is_refused_with_the_closest_sentence(page, tmp_path):
    """A near-miss: the marathon is covered, its runners counted, its spectators not. No answer is shown as
    checked; the reply says the articles do not state it and quotes the closest sentence, highlighted."""
    text = ask(page, "How many spectators watched the Calder Bay Marathon?")
    assert text.startswith("The articles cover this but do not answer"), text
    last = page.locator("#chat .message").last
    quoted = re.search("“(.+?)”", last.locator("blockquote").first.inner_text())
    assert quoted, text
    closest = quoted.group(1)
    marks = last.locator("details.sources .passage mark").all_text_contents()
    assert any(closest in mark for mark in marks), (closest, marks)
    assert "18,500" not in text.split("“")[0]  # the runners are not the spectators
    page.screenshot(path=str(tmp_path / "near-miss.png"))


def test_a_summary_shows_several_cited_points_each_opening_its_own_sentence(page, tmp_path):
    text = ask(page, "Apa yang terjadi di Demak?")
    last = page.locator("#chat .message").last
    points = last.locator("li")
    assert points.count() >= 3 and "4.000" in text, text
    assert "Banjir Rendam 12 Desa di Demak" in last.locator(".point-head").inner_text()
    points.last.locator("a[href^='#ans-']").click()  # its [n] opens the article with every point marked
    expect(last.locator("details.sources")).to_have_attribute("open", "")
    marks = " ".join(last.locator("details.sources .passage mark").all_text_contents())
    for point in points.all_inner_texts():
        assert re.sub(r"\s*\[\d+\]$", "", point).strip() in marks, (point, marks)
    page.screenshot(path=str(tmp_path / "summary.png"))


def test_asking_about_one_article_from_the_library_keeps_the_chat_on_it(page):
    page.get_by_role("tab", name="Library").click()
    page.locator("#articles tbody tr", has_text="Harga Beras Medium").locator("a.ask").click()
    expect(page.locator("#scope")).to_contain_text("Harga Beras Medium")  # and the chat is in front again
    expect(page.locator("#question textarea")).to_be_visible()
    text = ask(page, "Ringkas artikel ini")
    last = page.locator("#chat .message").last
    assert last.locator("li").count() >= 3 and "14.500" in text, text
    assert last.locator(".point-head").all_inner_texts() == [last.locator(".point-head").first.inner_text()]
    page.locator("#unscope").click()
    expect(page.locator("#scope")).to_have_text("")
    assert "Demak" in ask(page, "Ringkas berita banjir di Demak.")


def test_the_landing_examples_come_from_the_index_and_are_answered(page):
    examples = page.locator("#chat .examples button").all_inner_texts()
    titles = ["Raka Pradipta Juara Tunggal Putra", "Greyhaven Library", "PanenKita"]  # the newest sample articles
    assert len(examples) == 3 and all(any(t in e for e in examples) for t in titles), examples
    page.locator("#chat .examples button").first.click()
    text = final_answer(page)
    assert not CHECKING.search(text) and page.locator("#chat .message").last.locator(".problem").count() == 0


def test_an_older_answers_citation_opens_its_own_passage(page):
    ask(page, "Berapa warga yang mengungsi karena banjir di Demak?")
    ask(page, "Berapa harga beras medium sekarang?")
    first = page.locator("#chat .message.bot, #chat .message").filter(has=page.locator("details.sources")).first
    first.locator("a[href^='#ans-']").first.click()
    passage_id = first.locator("a[href^='#ans-']").first.get_attribute("href")[1:]
    passage = page.locator(f"[id='{passage_id}']")
    expect(passage).to_be_visible()
    assert "Demak" in passage.inner_text() and "14.500" not in passage.inner_text()  # not the newer answer
    assert "4.000" in " ".join(passage.locator("mark").all_inner_texts())


def contrast(page, selector: str) -> float:
    """WCAG contrast ratio of the first ``selector``'s text colour against its background (the nearest one
    drawn: a transparent element shows its parent's)."""
    return page.evaluate("""(selector) => {
        const el = document.querySelector(selector); const color = getComputedStyle(el).color;
        let node = el, back = getComputedStyle(el).backgroundColor;
        while (/rgba\\(.*, 0\\)|transparent/.test(back) && (node = node.parentElement)) {
            back = getComputedStyle(node).backgroundColor; }
        const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const [a, b] = [lum(color), lum(node ? back : 'rgb(255, 255, 255)')].sort((x, y) => y - x);
        return (a + 0.05) / (b + 0.05); }""", selector)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_highlight_is_readable_in_light_and_dark_mode(browser, server, scheme, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    open_app(page, server + ("?__theme=dark" if scheme == "dark" else "?__theme=light"))
    new_chat(page)
    ask(page, "Berapa harga beras medium sekarang?")
    page.locator("#chat .message").last.locator("a[href^='#ans-']").first.click()
    assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
    for selector in ("#chat details.sources mark", "#header p", "#ask"):  # highlight, secondary text, button
        ratio = contrast(page, selector)
        assert ratio >= 4.5, (selector, ratio)
    page.screenshot(path=str(tmp_path / f"{scheme}.png"))
    context.close()


def test_on_a_phone_the_question_box_and_the_answer_are_on_screen(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_app(page, server)
    expect(page.locator("#sidebar.open")).to_have_count(0)  # the chat list does not cover the chat
    for tab in ("Chat", "Search", "Library", "Settings"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()  # no tab hidden behind "⋯"
    for button in ("#question textarea", "#ask"):  # a first visit: where to type is on screen, whole
        box = page.locator(button).bounding_box()
        assert box and box["y"] + box["height"] <= 844, (button, box)
    ask(page, "Berapa harga beras medium sekarang?")
    answer = page.locator("#chat .message").last
    for element in (page.locator("#question textarea"), answer):
        box = element.bounding_box()
        assert box and box["y"] < 844 and box["y"] + min(box["height"], 40) > 0, box
    page.screenshot(path=str(tmp_path / "phone.png"))
    ask(page, "Siapa nama kepala desa Sidomulyo Kidul?")  # refused: the closest sentence stands in a long passage
    answer = page.locator("#chat .message").last
    answer.locator("a[href^='#ans-']").first.click()  # on a narrow screen too, [n] shows the marked sentence
    mark, box = answer.locator("details.sources .passage mark").first, None
    for _ in range(40):  # where the smooth scroll ends (on its way it passes the sentence either way)
        page.wait_for_timeout(250)
        if box == (box := mark.bounding_box()):
            break
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    context.close()


def test_an_empty_question_gets_its_message_by_the_input(page):
    page.locator("#question textarea").fill("   ")
    page.locator("#ask").click()
    expect(page.locator("#question-hint")).to_contain_text("Type a question first")
    expect(page.locator("#chat .message")).to_have_count(0)


def test_stop_ends_the_answer_within_a_second(page):
    questions = ["How many homes will the Dunmore Valley solar farm power once it is finished?",
                 "Berapa warga yang dievakuasi BPBD ke titik pengungsian karena banjir di Demak?",
                 "Berapa harga beras medium per kilogram menurut laporan bulanan LKHPN?"]
    for number, question in enumerate(questions, 1):  # a short answer may end before the click: ask the next
        submit(page, question)
        state = page.wait_for_function(  # this question's answer: being written, done, or an error
            "n => { const m = document.querySelectorAll('#chat .bot.message')[n - 1]; if (!m) return null;"
            " return m.querySelector('.draft') ? 'writing' : m.querySelector('details.sources') ? 'done'"
            " : m.querySelector('.problem') ? m.innerText : null; }", arg=number, timeout=180_000).json_value()
        assert state in ("writing", "done"), state  # an error message instead of an answer
        if state == "done":
            continue
        with busy_cpus():  # another job keeps every CPU busy: the model's step under way takes longer
            started = time.monotonic()
            page.locator("#stop").click()
            text = page.wait_for_function(
                "() => { const m = [...document.querySelectorAll('#chat .message')].pop(); const t = m.innerText;"
                " return /Dihentikan|Stopped/.test(t)"
                " || m.querySelector('details.sources') && !m.querySelector('.draft') ? t : null; }",
                polling=50, timeout=10_000).json_value()
            took = time.monotonic() - started
        if re.search("Dihentikan|Stopped", text):
            assert took < 1, took  # the browser's round trip: the server looks at Stop every 0.1 s
            expect(page.locator("#ask")).to_be_visible()
            expect(page.locator("#stop")).to_be_hidden()
            return
    pytest.fail("every answer finished before Stop could be clicked")


def test_stop_during_a_summary_keeps_its_points(page):
    questions = ["Apa yang terjadi di Demak?", "Ringkas berita tentang harga beras medium.",
                 "What happened at the Dunmore Valley solar farm?"]
    for number, question in enumerate(questions, 1):  # the check may end before the click: ask the next
        submit(page, question)
        state = page.wait_for_function(  # the points shown and being checked, done, or an error
            "n => { const m = document.querySelectorAll('#chat .bot.message')[n - 1]; if (!m) return null;"
            " return m.querySelector('details.sources') ? 'done' : m.querySelector('.point-head') ? 'checking'"
            " : m.querySelector('.problem') ? m.innerText : null; }", arg=number, polling=50,
            timeout=180_000).json_value()
        assert state in ("checking", "done"), state
        if state == "done":
            continue
        with busy_cpus():
            page.locator("#stop").click()
            text = page.wait_for_function(
                "() => { const m = [...document.querySelectorAll('#chat .message')].pop();"
                " return m.querySelector('details.sources') ? m.innerText : null; }", timeout=10_000).json_value()
        if re.search("Dihentikan|Stopped", text):
            last = page.locator("#chat .message").last
            assert last.locator("li").count() >= 3 and last.locator(".point-head").count() >= 1, text
            assert "Sources" in last.locator("details.sources > summary").inner_text()
            return
    pytest.fail("every summary was checked before Stop could be clicked")


def test_a_chat_survives_a_reload_and_is_listed_renamed_and_deleted(page):
    text = ask(page, "Siapa juara tunggal putra Piala Nusantara?")
    page.reload()
    expect(page.locator("#chat .message").last).to_contain_text(text.split("\n")[0][:20])
    chats = page.locator("#chats label")
    expect(chats.filter(has_text="Siapa juara tunggal putra")).to_have_count(1)
    page.locator("#chat-tools").click()
    page.locator("#chat-title textarea, #chat-title input").fill("Bulu tangkis")
    page.locator("#rename-chat").click()
    expect(chats.filter(has_text="Bulu tangkis")).to_have_count(1)
    page.locator("#delete-chat").click()
    expect(page.locator("#confirm-delete")).to_be_visible()
    page.locator("#cancel-delete").click()
    expect(chats.filter(has_text="Bulu tangkis")).to_have_count(1)  # nothing deleted without confirmation
    page.locator("#delete-chat").click()
    page.locator("#confirm-delete").click()
    expect(chats.filter(has_text="Bulu tangkis")).to_have_count(0)
    expect(page.locator("#chat .message")).to_have_count(0)


def test_chats_survive_a_restart_and_a_killed_server(browser, sample_settings, tmp_path):
    """A chat is saved as it goes: a restart keeps it, and a server killed mid-answer loses nothing saved."""
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("chats.sqlite*"))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    with running_app(sample_settings.articles_dir, index_dir, tmp_path / "first.log") as url:
        open_app(page, url)
        first = ask(page, "Berapa harga beras medium sekarang?").split("\n")[0]
        submit(page, "Berapa warga yang mengungsi karena banjir di Demak?")
        page.wait_for_function("() => [...document.querySelectorAll('#chat .message')].pop().querySelector('.state')",
                               timeout=120_000)
        pids = [int(p) for p in os.popen(f"pgrep -f 'app.py --port {url.rsplit(':', 1)[1].strip('/')}'").read().split()]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)  # mid-answer
    chats = sqlite3.connect(index_dir / "chats.sqlite")
    saved = chats.execute("SELECT role, content FROM messages ORDER BY id").fetchall()
    assert [role for role, _ in saved] == ["user", "assistant", "user"] and "14.500" in saved[1][1]
    with running_app(sample_settings.articles_dir, index_dir, tmp_path / "second.log") as url:
        page.goto(url)  # a new port is a new origin to the browser: the chat is reopened from the list
        saved_chat = page.locator("#chats label").filter(has_text="Berapa harga beras")
        expect(saved_chat).to_have_count(1)
        saved_chat.click()
        expect(page.locator("#chat .message-row")).to_have_count(3)
        expect(page.locator("#chat .message-row").nth(1)).to_contain_text(first[:15])
    context.close()


def test_removing_an_article_asks_first(browser, library_app, library):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    open_app(page, library_app)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#status")).to_contain_text("10 articles")
    headers = page.locator("#articles thead").inner_text()
    assert all(h in headers for h in ("Title", "Date", "Language", "File", "Added")), headers
    target = library.articles_dir / "harga-beras-2026-02-12.txt"
    remove = page.locator("#articles tbody tr", has_text="Harga Beras Medium").locator("button.remove")
    remove.click()
    expect(page.locator("#picked")).to_contain_text("Harga Beras Medium")
    expect(page.locator("#picked")).to_contain_text("Its file, harga-beras-2026-02-12.txt, is deleted")
    page.locator("#cancel-remove").click()
    expect(page.locator("#confirm-remove")).to_be_hidden()
    assert target.exists()  # nothing removed without confirmation
    remove.click()
    page.locator("#confirm-remove").click()
    expect(page.locator("#status")).to_contain_text("9 articles", timeout=180_000)
    assert not target.exists()
    expect(page.locator("#articles tbody tr", has_text="Harga Beras Medium")).to_have_count(0)
    context.close()


def test_how_a_story_developed_lists_its_dated_articles_in_date_order(browser, library_app, library):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    open_app(page, library_app)
    (library.articles_dir / "banjir-demak-surut.md").write_text(
        "---\ntitle: Banjir Demak Mulai Surut, 3.100 Pengungsi Pulang\ndate: 2026-01-23\n---\n"
        "Banjir yang merendam 12 desa di Kabupaten Demak mulai surut pada Kamis (22/1/2026). Sebanyak 3.100 dari "
        "4.000 pengungsi sudah kembali ke rumah. Tanggul Sungai Tuntang yang jebol ditambal dengan 2.000 karung "
        "pasir.\n", encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#status")).to_contain_text("11 articles", timeout=90_000)
    page.get_by_role("tab", name="Chat").click()
    text = ask(page, "Bagaimana perkembangan banjir di Demak?")
    heads = page.locator("#chat .message").last.locator(".point-head").all_inner_texts()
    assert len(heads) == 2, text
    assert "20 Januari 2026" in heads[0] and "23 Januari 2026" in heads[1] and "Mulai Surut" in heads[1], heads
    context.close()


def test_a_file_dropped_into_the_folder_is_indexed_and_announced(browser, library_app, library):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    open_app(page, library_app)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#status")).to_contain_text("10 articles")
    (library.articles_dir / "kebun-teh.md").write_text(
        "# Kebun Teh Kemuning Panen Raya\n\nPetani teh di Kemuning memanen 40 ton daun teh pekan ini.\n",
        encoding="utf-8")
    expect(page.locator("#status")).to_contain_text("11 articles", timeout=90_000)
    expect(page.locator("#status")).to_contain_text("1 article added")
    expect(page.locator("#articles")).to_contain_text("Kebun Teh Kemuning")
    context.close()


def test_with_several_logins_each_sees_only_its_own_chats(browser, sample_settings, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("chats.sqlite*"))
    with running_app(sample_settings.articles_dir, index_dir, tmp_path / "app.log",
                     env={"RAG_AUTH": "ana:kunci-ana;budi:kunci-budi"}) as url:
        pages = {}
        for user in ("ana", "budi"):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            pages[user] = context.new_page()
            pages[user].goto(url)
            pages[user].locator("input[name=username], input[type=text]").first.fill(user)
            pages[user].locator("input[type=password]").fill(f"kunci-{user}")
            pages[user].keyboard.press("Enter")
            pages[user].locator("#chat .examples button").first.wait_for(timeout=120_000)
        ask(pages["ana"], "Berapa harga beras medium sekarang?")
        expect(pages["ana"].locator("#chats label")).to_have_count(1)
        ask(pages["budi"], "Siapa juara tunggal putra Piala Nusantara?")
        pages["budi"].reload()
        expect(pages["budi"].locator("#chats label")).to_have_count(1)  # his own, once the list has loaded
        assert "Siapa juara" in pages["budi"].locator("#chats").inner_text()
        assert "harga beras" not in pages["budi"].locator("#chats").inner_text()  # ana's chat is not budi's
        for page in pages.values():
            page.context.close()


def test_with_two_model_servers_two_people_are_answered_at_once(browser, sample_settings, model_servers, tmp_path):
    """RAG_LLM_BACKEND=openai: answers come from the servers, up to one per server at the same time."""
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("chats.sqlite*"))
    before = [server.requests() for server in model_servers]
    env = {"RAG_LLM_BACKEND": "openai", "RAG_LLM_BASE_URL": ",".join(server.url for server in model_servers)}
    with running_app(sample_settings.articles_dir, index_dir, tmp_path / "app.log", env=env) as url:
        pages = []
        for _ in range(2):
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            open_app(page, url)
            pages.append(page)
        questions = {"Berapa warga yang mengungsi karena banjir di Demak?": "4.000",
                     "How many homes will the Dunmore Valley solar farm power?": "34,000"}
        for page, question in zip(pages, questions):
            submit(page, question)
        # both answers under way at once (evidence shown, the model at work, not done): neither is queued
        answering = ("() => { const m = [...document.querySelectorAll('#chat .bot.message')].pop();"
                     " return !!m && !!m.querySelector('blockquote') && !m.querySelector('details.sources'); }")
        deadline = time.monotonic() + 120
        while not all(page.evaluate(answering) for page in pages):
            assert time.monotonic() < deadline, "the two answers were never under way at the same time"
            time.sleep(0.1)
        for page, expected in zip(pages, questions.values()):
            assert expected in final_answer(page).split("“")[0]
        for page in pages:
            page.context.close()
    served = [server.requests() - b for server, b in zip(model_servers, before)]
    assert min(served) >= 1, served  # each server wrote an answer (the checks go to whichever server is free)
