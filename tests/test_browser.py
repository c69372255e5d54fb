"""The web chat in a real browser: Debian's Chromium driven by Playwright, against the app on loopback."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from rag.web.app import EXAMPLES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def page(server):
    if not shutil.which("chromium"):
        pytest.fail("Debian chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server)
        yield page
        browser.close()


def final_answer(page) -> str:
    """The last answer's final text: cited ([n] shown and linked) and no longer marked as being checked.
    Read in the same check, since Gradio re-renders messages while it streams ("Loading content", "…")."""
    return page.wait_for_function(
        "() => { const m = [...document.querySelectorAll('#chat .message')].pop(); const t = m ? m.innerText : '';"
        " return m && m.querySelector(\"a[href^='#source-']\") && /\\[\\d+\\]/.test(t)"
        " && !/Sedang memeriksa|Checking against|Loading content/.test(t) ? t : null; }",
        timeout=180_000).json_value()


def new_chat(page) -> None:
    page.locator("#question textarea").fill("x")
    page.locator("#clear").click()  # empties the chat and the question box: wait for it, or it empties what follows
    expect(page.locator("#question textarea")).to_have_value("")


@pytest.mark.parametrize("example, expected", list(zip(EXAMPLES, ["4.000", "14.500", "34,000"])))
def test_the_landing_page_examples_are_answered_and_cited(page, example, expected, tmp_path):
    new_chat(page)
    page.get_by_text(example, exact=True).first.click()  # the example fills the question box
    expect(page.locator("#question textarea")).to_have_value(example)
    page.locator("#ask").click()
    text = final_answer(page)
    assert expected in text and "⚠️" not in text, text
    assert "Sedang memeriksa" not in text and "Checking against" not in text
    assert any(expected in mark for mark in page.locator("#sources mark").all_inner_texts())
    page.screenshot(path=str(tmp_path / "example.png"), full_page=True)


def test_ask_in_the_browser_shows_answer_and_highlighted_source(page, tmp_path):
    new_chat(page)
    page.locator("#question textarea").fill("Berapa harga beras medium sekarang?")
    page.locator("#ask").click()
    assert "14.500" in final_answer(page)
    assert "Harga Beras Medium" in page.locator("#sources").inner_text()
    assert "14.500" in page.locator("#sources mark").first.inner_text()
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
