"""`anfragen app`: the Streamlit UI, from a checkout (app.py) or an installed wheel (the same
script, shipped as anfragen/webapp.py), on loopback by default."""

from __future__ import annotations

import importlib.resources
import os
import sys
from pathlib import Path

from anfragen import paths
from anfragen.errors import AnfragenError


def add_app_parser(sub, common) -> None:
    p = sub.add_parser("app", parents=[common], help="Die Web-Oberfläche starten (Streamlit)")
    p.add_argument("--host", default="127.0.0.1",
                   help="Adresse (Standard: 127.0.0.1, nur dieser Rechner; 0.0.0.0 für alle)")
    p.add_argument("--port", type=int, default=8501, help="Port (Standard: 8501)")


def app_script() -> Path:
    shipped = Path(str(importlib.resources.files("anfragen") / "webapp.py"))
    if shipped.is_file():
        return shipped
    data = paths.checkout_data()
    if data is not None and (data.parent / "app.py").is_file():
        return data.parent / "app.py"
    raise AnfragenError("Die Oberfläche (webapp.py) fehlt im installierten Paket; das Paket "
                        "neu installieren: pip install --force-reinstall anfragen")


def cmd_app(args) -> int:
    env = {**os.environ, "ANFRAGEN_INDEX": str(Path(args.index).resolve())}
    if args.model:
        env["ANFRAGEN_MODEL"] = args.model
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_script()),
           "--server.address", args.host, "--server.port", str(args.port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           # no file watcher: it walked .venv (tens of thousands of files, inotify overflow)
           # at every start, and a served app does not reload on edits
           "--server.fileWatcherType", "none"]
    print(f"anfragen: http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    # streamlit takes this process over, so a stop signal reaches the server itself
    os.execve(sys.executable, cmd, env)
    return 0  # not reached
