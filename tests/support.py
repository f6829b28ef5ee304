"""Helpers shared by tests (import as `from support import ...`)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
SMALL = ("hessen-seed", "hamburg-ska-archiv-md", "openka-cli-fixtures",
         "kleineanfragen-fixture-saarland")


def copy_corpus(dest: Path, folders=SMALL) -> Path:
    """A private copy of some corpus folders (with the corpus marker), so tests may edit it."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(CORPUS / "SOURCES.md", dest / "SOURCES.md")
    for f in folders:
        shutil.copytree(CORPUS / f, dest / f)
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait for streamlit's health endpoint; fail early if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit at {url} not healthy after {timeout} s")


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until `url` answers at all (any status); fail early if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered, with an error status: up
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} not answering after {timeout} s")


@contextlib.contextmanager
def serving(cmd: list[str], ready_url: str, env: dict, log: Path, cwd: Path = ROOT,
            wait=wait_http):
    """A server subprocess, up until the block ends (then terminated, killed if need be);
    `wait(ready_url, proc)` returns once it is up."""
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait(ready_url, proc)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def lenient_calibration(tmp: Path) -> Path:
    """A sitecustomize that lowers the abstention threshold for the FakeEmbedder's scores
    (its cosines are not the real model's) inside the streamlit subprocess only."""
    (tmp / "sitecustomize.py").write_text(
        "import json, pathlib, anfragen.answer.extractive as a\n"
        f"p = pathlib.Path({str(tmp / 'calibration.json')!r})\n"
        "d = json.loads(a.CALIBRATION_FILE.read_text()) if a.CALIBRATION_FILE.is_file() else {}\n"
        "p.write_text(json.dumps({**d, 'threshold': 0.4}))\n"
        "a.CALIBRATION_FILE = p\n",
        encoding="utf-8",
    )
    return tmp

