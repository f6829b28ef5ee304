"""The app once in a real browser: `streamlit run` + Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port, lenient_calibration, serving, wait_healthy

from anfragen.pipeline import Engine

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SEED_QUERY = "Können hessische Kommunen HessenConnect 2.0 nutzen?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    index = tmp / "index"
    Engine(index_dir=index, model="fake").ingest(
        [CORPUS / "hessen-seed", CORPUS / "hamburg-ska-archiv-md", CORPUS / "openka-cli-fixtures"]
    )
    port = free_port()
    env = {**os.environ, "ANFRAGEN_INDEX": str(index), "ANFRAGEN_MODEL": "fake",
           "PYTHONPATH": os.pathsep.join([str(lenient_calibration(tmp)),
                                          os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    url = f"http://127.0.0.1:{port}"
    with serving(cmd, url, env, tmp / "streamlit.log", wait=wait_healthy):
        yield url

@pytest.fixture
def page(server: str):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); never `playwright "
                    "install` here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
        pg.goto(server)
        yield pg
        browser.close()


def test_question_answered_in_browser(page, tmp_path: Path) -> None:
    page.get_by_role("heading", name="Antworten aus parlamentarischen Anfragen").wait_for()
    box = page.get_by_role("textbox", name="Ihre Frage")
    box.fill(SEED_QUERY)
    box.press("Enter")
    card = page.locator("#quelle-1")
    card.wait_for(timeout=30_000)
    assert "Hessischer Landtag" in card.inner_text()
    assert "Drucksache" in card.inner_text()
    assert page.locator("mark").count() >= 1
    ref = page.locator("a.anf-ref").first
    assert ref.get_attribute("href") == "#quelle-1"
    ref.focus()
    page.keyboard.press("Enter")  # the marker is a real link, usable from the keyboard
    page.wait_for_function("location.hash === '#quelle-1'")
    assert page.evaluate("document.documentElement.lang") == "de"
    page.screenshot(path=str(tmp_path / "antwort.png"), full_page=True)
    assert (tmp_path / "antwort.png").stat().st_size > 10_000


def test_keyboard_only_question_and_abstention(page) -> None:
    page.get_by_role("textbox", name="Ihre Frage").wait_for()
    for _ in range(60):  # the question box is reachable with the Tab key alone
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Ihre Frage":
            break
    else:
        pytest.fail("the question box was not reached with Tab")
    page.keyboard.type("Wie viele Giraffen leben im Berliner Zoo?")
    page.keyboard.press("Enter")
    page.get_by_text("keine Antwort gefunden").wait_for(timeout=30_000)
    page.get_by_text("Vielleicht verwandt").wait_for()
    assert page.locator("ul.anf-related li").count() >= 1
    assert page.locator("div.anf-answer").count() == 0


@pytest.fixture
def browser(server: str):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def fresh_page(browser, url: str):
    """A page in a context of its own: no cookies, no storage, a new Streamlit session."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE").new_page()
    page.goto(url)
    return page


def ask_in(page, query: str) -> str:
    box = page.get_by_role("textbox", name="Ihre Frage")
    box.fill(query)
    box.press("Enter")
    page.locator("#quelle-1").wait_for(timeout=30_000)
    return page.locator("div.anf-answer").inner_text()


def test_a_permalink_opened_elsewhere_shows_the_same_answer(browser, server, tmp_path) -> None:
    first = fresh_page(browser, server)
    answer = ask_in(first, SEED_QUERY)
    first.wait_for_function("location.search.includes('q=')")
    link = first.url
    assert "parliament" not in link and "mode=hybrid" in link
    citation = first.locator("[data-testid='stCode']").first.inner_text()
    second = fresh_page(browser, link)  # a colleague opens the shared link
    second.locator("#quelle-1").wait_for(timeout=30_000)
    assert second.locator("div.anf-answer").inner_text() == answer
    assert second.locator("[data-testid='stCode']").first.inner_text() == citation
    assert second.get_by_role("textbox", name="Ihre Frage").input_value() == SEED_QUERY
    second.screenshot(path=str(tmp_path / "permalink.png"), full_page=True)


def test_feedback_stays_in_its_browser(browser, server) -> None:
    mine = fresh_page(browser, server)
    ask_in(mine, SEED_QUERY)
    mine.get_by_label("Begründung (optional)").fill("Nur für mich sichtbar")
    mine.get_by_role("button", name="👍 hilfreich").click()
    mine.get_by_text("Rückmeldung wurde gespeichert").wait_for(timeout=30_000)
    mine.get_by_role("tab", name="Rückmeldungen").click()
    mine.get_by_text("1 Rückmeldungen, davon 1 hilfreich").wait_for(timeout=30_000)
    theirs = fresh_page(browser, server)
    theirs.get_by_role("tab", name="Rückmeldungen").click()
    theirs.get_by_text("noch keine Rückmeldung gegeben").wait_for(timeout=30_000)
    assert theirs.get_by_text("Rückmeldungen, davon").count() == 0
    assert "Nur für mich sichtbar" not in theirs.content()
