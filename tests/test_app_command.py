"""`anfragen app` starts the Streamlit UI on loopback by default (a real streamlit server)."""

from __future__ import annotations

import os
import sys
import urllib.request

from support import free_port, serving


def test_app_command_serves_on_loopback(fake_index, tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "anfragen.cli", "app", "--index", str(fake_index),
           "--model", "fake", "--port", str(port)]
    with serving(cmd, f"{url}/_stcore/health", dict(os.environ), tmp_path / "log"):
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as resp:
            assert resp.status == 200 and resp.read() == b"ok"
    log = (tmp_path / "log").read_text()
    assert f"http://127.0.0.1:{port}" in log
