"""From a fresh clone to the first answer in the browser, timed step by step (issue 15).

    .venv/bin/python eval/first_run.py [--repo .] [--workdir /tmp/anfragen-first-run]

Clones the repository's committed HEAD into an empty folder, then times, in that clone:
`make install` (venv, torch, the lock through uv), `make index` (the bundled corpus, vectors
from the bundled cache, the one-time model conversion and ONNX export: the user cache is an
empty folder, as a new user's) and `make app` until Streamlit answers its health check. Then
it opens the page in Debian's headless Chromium, waits for the question box (the page has
loaded), asks one question and times until the first source card (or the related list of an
abstention) is shown. The
package caches (pip, uv) are whatever the machine has: run it twice for a warm-cache figure.
Writes eval/results/first-run-<date>.md and .json with commit and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import free_port, wait_healthy  # noqa: E402

QUESTION = "Können hessische Kommunen HessenConnect 2.0 nutzen?"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def timed_make(target: str, clone: Path, log: Path, env: dict) -> float:
    t0 = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        subprocess.run(["make", target], cwd=clone, env=env, stdout=out,
                       stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - t0


def first_answer(url: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600}, locale="de-DE")
        t0 = time.perf_counter()
        page.goto(url)
        box = page.get_by_role("textbox", name="Ihre Frage")
        box.wait_for(timeout=300_000)
        loaded = time.perf_counter() - t0
        box.fill(QUESTION)
        t1 = time.perf_counter()
        box.press("Enter")
        page.locator("#quelle-1, ul.anf-related").first.wait_for(timeout=300_000)
        answered = time.perf_counter() - t1
        browser.close()
    return {"page_loaded_s": round(loaded, 2), "first_answer_s": round(answered, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=ROOT, help="repository to clone (its HEAD)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/anfragen-first-run"),
                    help="empty folder for the clone (emptied first)")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results")
    args = ap.parse_args()

    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    args.workdir.mkdir(parents=True)
    clone = args.workdir / "anfragen"
    # the clone sits beside a link to ../shared, as the checkout does
    shared = args.repo.resolve().parent / "shared"
    if shared.is_dir():
        (args.workdir / "shared").symlink_to(shared)
    subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, text=True,
                            capture_output=True, check=True).stdout.strip()
    log = args.workdir / "make.log"
    # an empty user cache, as a new user has: the model conversion and ONNX export are timed
    env = dict(os.environ, ANFRAGEN_CACHE=str(args.workdir / "user-cache"))
    steps = {"install_s": timed_make("install", clone, log, env),
             "index_s": timed_make("index", clone, log, env)}
    port = free_port()
    t0 = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        proc = subprocess.Popen(["make", "app", f"PORT={port}"], cwd=clone, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=300)
        steps["app_start_s"] = time.perf_counter() - t0
        steps.update(first_answer(f"http://127.0.0.1:{port}/"))
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    steps = {k: round(v, 1) if k.endswith("_s") and "page" not in k and "answer" not in k
             else v for k, v in steps.items()}
    steps["clone_to_ready_s"] = round(steps["install_s"] + steps["index_s"]
                                      + steps["app_start_s"], 1)
    uv = shutil.which("uv") or (clone / ".venv" / "bin" / "uv").is_file()
    result = {"commit": commit, "date": datetime.now().isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
              "python": platform.python_version(), "uv": bool(uv), "question": QUESTION,
              "command": "python eval/first_run.py", **steps}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"first-run-{datetime.now():%Y-%m-%d-%H%M}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    lines = [f"# Fresh clone to first answer ({result['date']})", "",
             f"commit {commit} · {result['machine']} · Python {result['python']} · installer: "
             f"{'uv' if uv else 'pip'} · command `{result['command']}`", "",
             "| step | seconds |", "|---|---|"]
    lines += [f"| {k[:-2].replace('_', ' ')} | {v} |" for k, v in steps.items()]
    lines += ["", f"Question: „{QUESTION}“. First answer: from pressing Enter on the loaded "
              "page to the first source card."]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
