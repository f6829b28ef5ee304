#!/usr/bin/env bash
# The installed product, away from the checkout: build the wheel, install it into a fresh
# venv in a temporary folder, and there run `anfragen ingest` (bundled corpus and embedding
# cache from the wheel), `anfragen ask --json` with the seed question (must be answered with
# a citation) and `anfragen app` until Streamlit's health check answers.
#   scripts/wheel_smoke.sh            (PY=python3.12 to pick the interpreter; KEEP=1 keeps the folder)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
unset PYTHONPATH PYTHONHOME  # nothing of the checkout may leak into the fresh venv
SEED="Dürfen hessische Kommunen HessenConnect 2.0 nutzen?"
work=$(mktemp -d "${TMPDIR:-/tmp}/anfragen-wheel.XXXXXX")
app_pid=""
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

echo "== wheel"
$PY -m venv "$work/venv"
pip="$work/venv/bin/pip"
# torch first, pinned to the CPU build (see README), or pip pulls a multi-GB CUDA build
"$pip" install -q torch==2.13.0
"$pip" install -q "setuptools>=77" wheel
# built from a copy of the tracked files, so the build leaves nothing (build/, egg-info) here
mkdir "$work/checkout"
git ls-files -z --cached --others --exclude-standard | tar -c --null -T - | tar -x -C "$work/checkout"
"$pip" wheel -q --no-deps --no-build-isolation -w "$work/dist" "$work/checkout"
"$pip" install -q "$work"/dist/anfragen-*.whl

echo "== ingest, ask and app in $work (outside the checkout)"
cd "$work"
rm -rf "$work/checkout"
export ANFRAGEN_DATA="$work/user-data" ANFRAGEN_CACHE="$work/cache"
bin="$work/venv/bin"
"$bin/anfragen" ingest --index "$work/index"
"$bin/anfragen" ask --index "$work/index" --json "$SEED" > ask.json
"$bin/python" - ask.json <<'PY'
import json, sys
ans = json.load(open(sys.argv[1], encoding="utf-8"))
assert not ans["abstained"] and ans["citations"], f"no cited answer: {ans['message']}"
c = ans["citations"][0]
print(f"answered with {len(ans['citations'])} citation(s): {c['parliament']}, "
      f"Drucksache {c['drucksache']}")
import anfragen, anfragen.paths as p
assert "site-packages" in anfragen.__file__, anfragen.__file__
assert p.checkout_data() is None and "site-packages" in str(p.bundled("corpus"))
PY
port=$("$bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/anfragen" app --index "$work/index" --port "$port" > app.log 2>&1 &
app_pid=$!
for _ in $(seq 1 120); do
  if "$bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/_stcore/health', timeout=2)" 2>/dev/null; then
    echo "app healthy on 127.0.0.1:$port"
    exit 0
  fi
  kill -0 "$app_pid" 2>/dev/null || { cat app.log; echo "anfragen app exited"; exit 1; }
  sleep 1
done
cat app.log
echo "anfragen app not healthy after 120 s"
exit 1
