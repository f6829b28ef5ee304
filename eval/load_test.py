"""Bounded load test of `anfragen serve` on loopback: N concurrent clients send GET /ask with
the dev-set questions (cycled) until R requests are done; records p50/p95/max latency, the
throughput and every failed request in eval/results/load-<date>.json and .md.

    python eval/load_test.py --index index            # 8 clients, 400 requests, real model

The server is started here as a subprocess (`anfragen serve`, the model loaded before the
first request) and stopped at the end. Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from anfragen.evaluation.report import percentile

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 300) -> float:
    """Seconds until /health answers 200 (model loaded, index open)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"anfragen serve endete mit {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} nach {timeout} s nicht bereit")


def one(client: httpx.Client, query: str) -> tuple[float, str | None, bool]:
    """(latency ms, error or None, answered with a citation)."""
    t0 = time.perf_counter()
    try:
        r = client.get("/ask", params={"q": query, "k": 10})
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            return ms, f"HTTP {r.status_code}: {r.text[:200]}", False
        return ms, None, bool(r.json()["citations"])
    except httpx.HTTPError as e:
        return (time.perf_counter() - t0) * 1000, f"{type(e).__name__}: {e}", False


def run_load(url: str, queries: list[str], requests: int, clients: int) -> dict:
    work = [queries[i % len(queries)] for i in range(requests)]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    with httpx.Client(base_url=url, timeout=120, limits=limits) as client, \
            ThreadPoolExecutor(clients) as pool:
        t0 = time.perf_counter()
        results = list(pool.map(lambda q: one(client, q), work))
        wall = time.perf_counter() - t0
    ms = [r[0] for r in results]
    errors = [r[1] for r in results if r[1]]
    return {
        "requests": requests, "clients": clients, "wall_s": round(wall, 2),
        "throughput_rps": round(requests / wall, 1),
        "latency_ms": {"p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1),
                       "max": round(max(ms), 1), "min": round(min(ms), 1)},
        "errors": len(errors), "error_samples": errors[:10],
        "answered_with_citation": sum(r[2] for r in results),
    }


def provenance(url: str, args) -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    manifest = httpx.get(f"{url}/stats", timeout=30).json()["manifest"]
    return {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
            "python": platform.python_version(), "model": manifest["model"]["id"],
            "index": str(args.index), "command": " ".join(["python", *sys.argv])}


def render(res: dict) -> str:
    p, lat = res["provenance"], res["latency_ms"]
    return "\n".join([
        f"# Load test of anfragen serve ({p['date']})", "",
        f"commit {p['commit']} · {p['machine']} · Python {p['python']} · model {p['model']} "
        f"· command `{p['command']}`", "",
        f"{res['clients']} concurrent clients, {res['requests']} GET /ask on loopback "
        f"(dev-set questions, cycled); server ready after {res['startup_s']} s.", "",
        "| p50 ms | p95 ms | max ms | requests/s | errors | answered with citation |",
        "|---|---|---|---|---|---|",
        f"| {lat['p50']} | {lat['p95']} | {lat['max']} | {res['throughput_rps']} | "
        f"{res['errors']} | {res['answered_with_citation']} / {res['requests']} |", "",
        "The server runs the engine under one lock (one CPU-bound query at a time), so the "
        "latency under load is mostly queueing: about clients x single-query time.", ""])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--model", default=None)
    ap.add_argument("--queries", type=Path, default=ROOT / "eval/datasets/dev/queries.jsonl")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--out", type=Path, default=ROOT / "eval/results")
    args = ap.parse_args()
    queries = [json.loads(line)["text"] for line in args.queries.read_text().splitlines()
               if line.strip()]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "anfragen.cli", "serve", "--index", str(args.index),
           "--port", str(port), *(["--model", args.model] if args.model else [])]
    proc = subprocess.Popen(cmd)
    try:
        startup = round(wait_up(url, proc), 1)
        res = {**run_load(url, queries, args.requests, args.clients), "startup_s": startup,
               "provenance": provenance(url, args)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    (args.out / f"load-{stamp}.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    (args.out / f"load-{stamp}.md").write_text(render(res))
    print(render(res))
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
