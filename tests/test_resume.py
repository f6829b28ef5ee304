"""Interrupted ingests continue where they stopped; ingest memory does not grow with the corpus."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import CORPUS, copy_corpus

from anfragen.embed.cache import EmbeddingCache
from anfragen.embed.fake import FakeEmbedder
from anfragen.index import store
from anfragen.index.directory import CHECKPOINT_NAME, Index
from anfragen.index.ingest import ingest, reconcile

FOLDERS = ["hessen-seed", "hamburg-ska-archiv-md", "openka-cli-fixtures"]


class Counting(FakeEmbedder):
    """FakeEmbedder that counts calls and can be told to be interrupted on call n."""

    def __init__(self, interrupt_on: int | None = None):
        super().__init__()
        self.calls, self.passages, self.interrupt_on = 0, 0, interrupt_on

    def embed_passages(self, texts, progress=None):
        self.calls += 1
        if self.calls == self.interrupt_on:
            raise KeyboardInterrupt
        self.passages += len(texts)
        return super().embed_passages(texts, progress)


def snapshot(root: Path) -> tuple[list, list]:
    """(chunk ids with text, sorted vector ids mapped to chunk ids) of an index."""
    idx = Index.open(root)
    chunks = idx.conn.execute("SELECT chunk_id, text FROM chunks ORDER BY chunk_id").fetchall()
    by_row = dict(idx.conn.execute("SELECT id, chunk_id FROM chunks").fetchall())
    vec = sorted(by_row[int(i)] for i in idx.vectors.ids())
    idx.close()
    return [tuple(r) for r in chunks], vec


def work_dirs(root: Path) -> list[Path]:
    return sorted(root.parent.glob(f".{root.name}.ingest-*"))


def test_interrupted_ingest_resumes_where_it_stopped(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", FOLDERS)
    clean, root = tmp_path / "clean", tmp_path / "index"
    ingest([corpus], clean, FakeEmbedder(), batch_chunks=20,
           cache=EmbeddingCache("fake-v1-dim64", user=tmp_path / "c0"))
    cache = EmbeddingCache("fake-v1-dim64", user=tmp_path / "c1")

    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], root, Counting(interrupt_on=4), batch_chunks=20, cache=cache)
    assert not root.exists()  # nothing half-built is published
    (work,) = work_dirs(root)
    saved = json.loads((work / CHECKPOINT_NAME).read_text())
    assert saved["vectors_saved"] > 0  # Ctrl-C saved the vectors of the finished batches
    conn = store.connect(work / "anfragen.sqlite")
    done = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    conn.close()
    assert done > 0

    second = Counting()
    report = ingest([corpus], root, second, batch_chunks=20, cache=cache)
    assert report.resumed == done and report.unchanged == done
    assert report.added == len(list(store.document_hashes(
        store.connect(clean / "anfragen.sqlite")))) - done
    assert "fortgesetzt" in report.summary()
    assert not work_dirs(root)
    assert snapshot(root) == snapshot(clean)


def test_other_ingests_do_not_take_over_a_work_dir(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["hessen-seed", "hamburg-ska-archiv-md"])
    root = tmp_path / "index"
    cache = EmbeddingCache("fake-v1-dim64", user=tmp_path / "c")
    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], root, Counting(interrupt_on=2), batch_chunks=5, cache=cache)
    assert work_dirs(root)
    other = FakeEmbedder(dim=32)  # another model: the work dir is not its to continue
    report = ingest([corpus], root, other, batch_chunks=5,
                    cache=EmbeddingCache(other.fingerprint, user=tmp_path / "c"))
    assert report.resumed == 0 and report.unchanged == 0 and not work_dirs(root)


def test_reconcile_fills_vectors_from_cache_and_drops_what_it_cannot(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", ["hamburg-ska-archiv-md"])
    root = tmp_path / "index"
    ingest([corpus], root, FakeEmbedder(), cache=EmbeddingCache("fake-v1-dim64",
                                                                user=tmp_path / "c"))
    idx = Index.open(root)
    rows = idx.conn.execute("SELECT id, doc_id, text FROM chunks WHERE vec_id = id "
                            "ORDER BY id").fetchall()
    docs = sorted({r["doc_id"] for r in rows})
    cached_doc, lost_doc = docs[0], docs[1]
    # vectors saved at the last checkpoint lack both documents; one stale id is left over
    gone = [r["id"] for r in rows if r["doc_id"] in (cached_doc, lost_doc)]
    original = {i: idx.vectors.index.reconstruct(i) for i in gone}
    idx.vectors.remove(gone)
    idx.vectors.add([10**9], np.ones((1, 64), np.float32) / 8)
    # only the first document's passages were stored in the cache before the kill
    partial = EmbeddingCache("fake-v1-dim64", user=tmp_path / "partial")
    texts = [r["text"] for r in rows if r["doc_id"] == cached_doc]
    keys, _ = partial.lookup(texts)
    partial.store(keys, FakeEmbedder().embed_passages(texts))

    out = reconcile(idx.conn, idx.vectors, partial)

    assert out == {"stale_vectors": 1, "from_cache": len(gone), "dropped_documents": 1}
    assert lost_doc not in store.document_hashes(idx.conn)
    ids = set(idx.vectors.ids().tolist())
    in_sql = {r[0] for r in idx.conn.execute("SELECT id FROM chunks WHERE vec_id = id")}
    assert ids == in_sql and 10**9 not in ids
    for i in (r["id"] for r in rows if r["doc_id"] == cached_doc):
        # float16 in the cache: within its rounding of the original vector
        assert np.allclose(idx.vectors.index.reconstruct(i), original[i], atol=1e-3)
    idx.close()


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from anfragen.embed.cache import EmbeddingCache
from anfragen.embed.fake import FakeEmbedder
from anfragen.index.ingest import ingest

class SlowSecond(FakeEmbedder):
    calls = 0
    def embed_passages(self, texts, progress=None):
        self.calls += 1
        if self.calls == 2:
            print("second batch", flush=True)
            time.sleep(60)
        return super().embed_passages(texts, progress)

# an empty cache of its own: vectors other tests cached would leave no second batch to embed
ingest([Path(sys.argv[2])], Path(sys.argv[1]), SlowSecond(), batch_chunks=20, checkpoint_s=0,
       cache=EmbeddingCache("fake-v1-dim64", user=Path(sys.argv[3])))
"""


def test_killed_ingest_is_continued_by_the_next(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", FOLDERS)
    clean, root = tmp_path / "clean", tmp_path / "index"
    ingest([corpus], clean, FakeEmbedder(), cache=EmbeddingCache("fake-v1-dim64",
                                                                 user=tmp_path / "c0"))
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(root), str(corpus),
                             str(tmp_path / "c-killed")],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "second batch"  # first batch committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert not root.exists() and len(work_dirs(root)) == 1

    report = ingest([corpus], root, Counting(), batch_chunks=20)
    assert report.resumed > 0 and report.added > 0
    assert snapshot(root) == snapshot(clean)


def synthetic_corpus(dest: Path, n: int) -> Path:
    """n distinct documents made from one real Hamburg inquiry (a number line differs)."""
    src = (CORPUS / "hamburg-ska-archiv-md" / "HH_22-12339.md").read_text(encoding="utf-8")
    (dest / "docs").mkdir(parents=True)
    (dest / "SOURCES.md").write_text("synthetic copies for a memory test\n")
    for i in range(n):
        (dest / "docs" / f"HH_copy-{i:04d}.md").write_text(f"{src}\nKopie {i}\n")
    return dest


MEMORY_SCRIPT = """
import sys, tracemalloc
from pathlib import Path
from anfragen.embed.cache import EmbeddingCache
from anfragen.embed.fake import FakeEmbedder
from anfragen.index.ingest import ingest

corpus, work = Path(sys.argv[1]), Path(sys.argv[2])
def run(name):
    ingest([corpus], work / name, FakeEmbedder(), batch_chunks=64,
           cache=EmbeddingCache("fake-v1-dim64", user=work / ("cache-" + name)))
run("warm")  # imports, compiled patterns, first-use allocations
tracemalloc.start()
run("measured")
print(tracemalloc.get_traced_memory()[1])
"""


def peak_python_mb(corpus: Path, work: Path, workers: str) -> float:
    """Peak Python memory of one ingest, in a fresh process (no other test's leftovers)."""
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(corpus), str(work)],
                         capture_output=True, text=True, check=True, timeout=600,
                         env={**os.environ, "ANFRAGEN_READ_WORKERS": workers})
    return int(out.stdout.split()[-1]) / 1e6


@pytest.mark.parametrize("workers", ["0", "1"])  # parsed here, or in a worker process
def test_ingest_memory_does_not_grow_with_the_number_of_documents(tmp_path, workers):
    small = synthetic_corpus(tmp_path / "small", 40)
    large = synthetic_corpus(tmp_path / "large", 160)
    p_small = peak_python_mb(small, tmp_path / "i40", workers)
    p_large = peak_python_mb(large, tmp_path / "i160", workers)
    # holding every parsed document would make the large run ~4x the small one
    assert p_large < 1.5 * p_small, (p_small, p_large)
