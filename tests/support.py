"""Helpers shared by tests (import as `from support import ...`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
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

