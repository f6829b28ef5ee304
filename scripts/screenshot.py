"""Screenshot of the app answering a real question on the real index, for the README.

    .venv/bin/python scripts/screenshot.py ["Frage"] [--out docs/screenshot.png]

Starts `streamlit run app.py` on a free port (index/ and the default model), asks the question
in Debian's headless Chromium through Playwright, and saves a full-page PNG.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import free_port, wait_healthy  # noqa: E402

ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def shoot(question: str, out: Path, url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        # Streamlit scrolls inside its own container: a tall viewport shows the whole answer
        page = browser.new_page(viewport={"width": 1280, "height": 2600}, locale="de-DE")
        page.goto(url)
        box = page.get_by_role("textbox", name="Ihre Frage")
        box.wait_for(timeout=120_000)
        box.fill(question)
        box.press("Enter")
        page.locator("#quelle-1, ul.anf-related").first.wait_for(timeout=120_000)
        page.wait_for_timeout(5000)  # let the rerun settle (no stale elements)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("question", nargs="?",
                    default="Können hessische Kommunen HessenConnect 2.0 nutzen?")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    args = ap.parse_args()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=120)
        shoot(args.question, args.out, f"http://127.0.0.1:{port}")
        print(f"saved {args.out}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
