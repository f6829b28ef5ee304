"""Fault injection on real index directories (fake embedder, small corpus copies): two
writers, kill -9 during publish, damaged files, a reader while another index is published,
Ctrl-C in the middle of embedding. Each test reproduces one finding of issue 16."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, copy_corpus

from anfragen.cli.main import main
from anfragen.embed.cache import EmbeddingCache
from anfragen.embed.fake import FakeEmbedder
from anfragen.index import Index, lock, store
from anfragen.index.check import check_index
from anfragen.index.ingest import ingest
from anfragen.pipeline import Engine

FIRST = ("hessen-seed", "kleineanfragen-fixture-saarland")
SECOND = ("openka-cli-fixtures",)
THIRD = "hamburg-ska-archiv-md"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(corpus copy, index over FIRST), built once; tests work on copies of the index."""
    base = tmp_path_factory.mktemp("faults")
    corpus = copy_corpus(base / "corpus", (*FIRST, *SECOND, THIRD))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANFRAGEN_CACHE", str(base / "cache"))
        eng = Engine.open(base / "index", "fake")
        eng.ingest([corpus / f for f in FIRST])
        eng.close()
    return corpus, base / "index"


@pytest.fixture
def index(built, tmp_path) -> Path:
    dest = tmp_path / "index"
    shutil.copytree(built[1], dest)
    return dest


def doc_ids(root: Path) -> set[str]:
    idx = Index.open(root)
    try:
        return {d for d, _, _ in store.source_documents(idx.conn)}
    finally:
        idx.close()


def cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, "-m", "anfragen.cli.main", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)



@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Embeddings made here stay here: other tests (test_resume) count what they embed."""
    monkeypatch.setenv("ANFRAGEN_CACHE", str(tmp_path / "embedding-cache"))

# -- finding 1: two writers --------------------------------------------------------------------
def test_two_ingests_started_together_keep_both_runs_documents(built, index) -> None:
    corpus, _ = built
    before = doc_ids(index)
    procs = [cli("ingest", str(corpus / f), "--index", str(index), "--model", "fake",
                 "--wait", "60") for f in (*SECOND, THIRD)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    refused = [err for (_, err), rc in zip(outs, codes, strict=True) if rc == 2]
    assert all(rc in (0, 2) for rc in codes), outs
    assert all("wird gerade von Prozess" in err for err in refused)  # refused by name
    after = doc_ids(index)
    assert before < after
    for folder, rc in zip((*SECOND, THIRD), codes, strict=True):
        if rc == 0:  # every run that succeeded has its documents in the final index
            assert any(d.startswith(folder) for d in after), (folder, after)
    assert codes == [0, 0]  # with --wait 60 the second waits for the first instead


def test_second_writer_is_refused_naming_the_holder(built, index, capsys) -> None:
    corpus, _ = built
    with lock.writer_lock(index, wait_s=0):
        rc = main(["ingest", str(corpus / SECOND[0]), "--index", str(index), "--model", "fake",
                   "--wait", "0.3"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"Prozess {os.getpid()} auf {socket.gethostname()}" in err and "Traceback" not in err
    assert not any(d.startswith(SECOND[0]) for d in doc_ids(index))


def test_stale_lock_of_a_dead_process_is_taken_over(built, index) -> None:
    corpus, _ = built
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock.lock_path(index).write_text(json.dumps(
        {"pid": dead.pid, "host": socket.gethostname(), "started": "2026-01-01T00:00:00"}))
    report = ingest([corpus / SECOND[0]], index, FakeEmbedder(), lock_wait_s=0)
    assert report.added > 0
    assert any(f"Prozess {dead.pid}" in w and "übernommen" in w for w in report.warnings)
    assert lock.lock_path(index).read_text() == ""  # released cleanly: no stale record left


# -- kill -9 between the two renames of publish ------------------------------------------------
KILL_IN_PUBLISH = """
import os, signal, sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
real = os.replace
def replace(src, dst):
    if Path(dst).resolve() == root and Path(src).name.startswith("." + root.name + ".ingest-"):
        os.kill(os.getpid(), signal.SIGKILL)  # the old index moved aside, the new one not in
    return real(src, dst)
os.replace = replace
from anfragen.cli.main import main
main(["ingest", sys.argv[2], "--index", str(root), "--model", "fake"])
"""


def test_kill_9_during_publish_leaves_the_previous_index_answering(built, index) -> None:
    corpus, _ = built
    eng = Engine.open(index, "fake")
    want = [h.chunk.chunk_id for h in eng.search("HessenConnect Kommunen")]
    eng.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-c", KILL_IN_PUBLISH, str(index),
                           str(corpus / SECOND[0])], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not index.exists()  # the crash happened between the renames
    eng = Engine.open(index, "fake")  # opening puts the previous index back
    assert [h.chunk.chunk_id for h in eng.search("HessenConnect Kommunen")] == want
    eng.close()
    assert check_index(index).ok
    report = ingest([corpus / SECOND[0]], index, FakeEmbedder())  # and the rerun completes
    assert any(d.startswith(SECOND[0]) for d in doc_ids(index)) and check_index(index).ok
    # the killed writer's lock record is named as taken over (the kernel freed its flock)
    assert any("übernommen" in w for w in report.warnings)


def test_reader_leaves_a_live_writers_half_done_swap_alone(index) -> None:
    old = index.parent / f".{index.name}.old"
    os.replace(index, old)  # the state between the two renames of a running publish
    with lock.writer_lock(index, wait_s=0):
        assert not Engine.open(index, "fake").has_index() and old.exists()
    assert Engine.open(index, "fake").has_index() and not old.exists()  # writer gone: repaired


# -- finding 3: damaged files ------------------------------------------------------------------
def half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    data[4096:] = rng.integers(0, 256, len(data) - 4096, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


DAMAGE = {
    "half vectors.faiss": ("vectors.faiss", half),
    "empty vectors.faiss": ("vectors.faiss", lambda p: p.write_bytes(b"")),
    "missing vectors.faiss": ("vectors.faiss", Path.unlink),
    "damaged anfragen.sqlite": ("anfragen.sqlite", scramble),
    "zero-byte anfragen.sqlite": ("anfragen.sqlite", lambda p: p.write_bytes(b"")),
    "broken manifest.json": ("manifest.json", half),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_index_gives_one_message_with_the_fix(built, index, case, capsys) -> None:
    corpus, _ = built
    name, damage = DAMAGE[case]
    damage(index / name)
    opts = ["--index", str(index), "--model", "fake"]
    # feedback lives apart from the index (feedback.sqlite), so it stays readable
    assert main(["feedback", *opts]) == 0
    capsys.readouterr()
    for argv in (["stats", *opts], ["ask", "HessenConnect", *opts], ["check", *opts],
                 ["ingest", str(corpus / FIRST[0]), *opts]):
        rc = main(argv)
        err = capsys.readouterr().err
        assert rc == 2, (argv, err)
        assert name in err and "--rebuild" in err and "Traceback" not in err, (argv, err)
    assert main(["ingest", *(str(corpus / f) for f in FIRST), "--rebuild", *opts]) == 0
    capsys.readouterr()
    assert main(["check", *opts]) == 0
    assert "in Ordnung" in capsys.readouterr().out
    assert main(["ask", "HessenConnect", *opts]) == 0


def test_rebuild_over_unreadable_database_warns_that_feedback_stayed_behind(built, index):
    corpus, _ = built
    scramble(index / "anfragen.sqlite")
    report = ingest([corpus / f for f in FIRST], index, FakeEmbedder(), rebuild=True)
    assert any("Rückmeldungen" in w and "nicht übernommen" in w for w in report.warnings)
    assert check_index(index).ok


def test_check_names_vectors_without_chunks(index) -> None:
    from anfragen.index.vectors import VectorStore

    manifest = json.loads((index / "manifest.json").read_text())
    vec = VectorStore.load(index / "vectors.faiss", manifest["model"]["dim"])
    vec.add([999_999], np.ones((1, vec.dim), np.float32) / np.sqrt(vec.dim))
    vec.save(index / "vectors.faiss")
    manifest["counts"]["vectors"] += 1  # consistent counts: only the full check can tell
    (index / "manifest.json").write_text(json.dumps(manifest))
    rep = check_index(index)
    assert not rep.ok and any("1 Vektoren ohne Chunk (z. B. ID 999999)" in p for p in rep.problems)


# -- finding 2: a reader while another index is published --------------------------------------
def test_reader_notices_a_published_index_and_feedback_keeps_working(built, index) -> None:
    corpus, _ = built
    reader = Engine.open(index, "fake")
    before = reader.stats()["counts"]["documents"]
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_on() -> None:
        while not stop.is_set():
            try:
                reader.search("Landesregierung Schule")
            except BaseException as e:  # noqa: BLE001 - collected and asserted on below
                errors.append(e)

    t = threading.Thread(target=read_on)
    t.start()
    try:
        report = Engine.open(index, "fake").ingest([corpus / SECOND[0]])
        time.sleep(1.2)  # the engine looks at the manifest at most once per second
    finally:
        stop.set()
        t.join()
    assert errors == []
    counts = reader.stats()["counts"]
    assert counts["documents"] == before + report.added
    assert any(h.chunk.doc_id.startswith(SECOND[0]) for h in reader.search("openka", None))
    assert reader.feedback("frage", "antwort", [], True) > 0  # no "readonly database"
    reader.close()


def test_app_shows_a_newly_published_index_without_restart(built, index, tmp_path,
                                                           monkeypatch) -> None:
    from test_app import start, use_index  # streamlit is imported only for this test

    corpus, _ = built
    use_index(monkeypatch, tmp_path, index, 0.5)
    n = len(doc_ids(index))
    at = start()
    assert f"{n} parlamentarische Anfragen" in at.markdown[0].value
    report = ingest([corpus / SECOND[0]], index, FakeEmbedder())
    time.sleep(1.2)
    at.run()  # the same cached engine, no restart
    assert not at.exception
    assert f"{n + report.added} parlamentarische Anfragen" in at.markdown[0].value


# -- finding 7: Ctrl-C in the middle of embedding ----------------------------------------------
class Counting(FakeEmbedder):
    """FakeEmbedder in batches of 8 that counts passages and can be interrupted after n."""

    batch_size = 8

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.stop_after = stop_after
        self.embedded = 0

    def embed_passages(self, texts, progress=None):
        if self.stop_after is not None and self.embedded + len(texts) > self.stop_after:
            raise KeyboardInterrupt
        self.embedded += len(texts)
        return super().embed_passages(texts, progress)


def test_ctrl_c_at_40_embeddings_then_resume_embeds_only_the_rest(built, tmp_path,
                                                                  monkeypatch) -> None:
    # counts chunk vectors only; question and sentence vectors are embedded after them
    # (test_qvecs.py, test_sentences.py)
    monkeypatch.setenv("ANFRAGEN_QUESTION_VECTORS", "0")
    corpus, _ = built
    root = tmp_path / "index"
    first, files = Counting(stop_after=40), [corpus / f for f in FIRST + SECOND]
    cache = EmbeddingCache(first.fingerprint, user=tmp_path / "cache")  # nothing cached yet
    with pytest.raises(KeyboardInterrupt):
        ingest(files, root, first, cache=cache, sentence_vectors=False)
    assert first.embedded == 40
    again = Counting()
    report = ingest(files, root, again, cache=cache, sentence_vectors=False)
    assert again.embedded == report.embedded == report.vectors_total - 40
    assert report.from_cache == 40 and report.vectors_total > 40
    assert check_index(root).ok
