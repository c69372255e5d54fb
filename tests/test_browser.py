"""The web chat in a real browser: Debian's Chromium driven by Playwright, against the app on loopback."""
from __future__ import annotations

import shutil

import pytest

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


def test_ask_in_the_browser_shows_answer_and_highlighted_source(page, tmp_path):
    page.locator("#question textarea").fill("Berapa harga beras medium sekarang?")
    page.locator("#ask").click()
    page.locator("#sources mark").first.wait_for(timeout=120_000)
    answer = page.locator("#chat .message").last.inner_text()
    assert "14.500" in answer
    assert "Harga Beras Medium" in page.locator("#sources").inner_text()
    assert "14.500" in page.locator("#sources mark").first.inner_text()
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
