"""The app once in a real browser: `streamlit run` + Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port, lenient_calibration, wait_healthy

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
    log = (tmp / "streamlit.log").open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
