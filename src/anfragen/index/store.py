"""SQLite side of the index: documents, chunks, FTS5 (BM25) over German stems, feedback."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from anfragen.models import Chunk, Inquiry

from .analyze import COMPOUND_ANALYZER, fts_document, fts_match, fts_terms, ingest_analyzer

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, path TEXT, content_hash TEXT, family TEXT, parliament TEXT,
    wahlperiode TEXT, drucksache TEXT, title TEXT, doc_type TEXT, askers TEXT, parties TEXT,
    answering_body TEXT, date_asked TEXT, date_answered TEXT, url TEXT, fallback INTEGER,
    warnings TEXT, inquiry_json TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, doc_id TEXT REFERENCES documents(doc_id),
    numbers TEXT, part INTEGER, kind TEXT, text TEXT, answer_text TEXT, question_text TEXT,
    start INTEGER, "end" INTEGER, vec_id INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS documents_drucksache ON documents(drucksache);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(body, tokenize='unicode61');
CREATE TABLE IF NOT EXISTS term_rows (term TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_stats (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
-- A rowid table: a WITHOUT ROWID row keeps only ~1 KB in its page, so each row with its
-- 768-byte vector spilled into a 4 KB overflow page (245 MB for 88,000 sentences).
CREATE TABLE IF NOT EXISTS sentences (
    chunk_id TEXT, doc_id TEXT, ord INTEGER, text TEXT, vec BLOB, PRIMARY KEY (chunk_id, ord)
);
CREATE INDEX IF NOT EXISTS sentences_doc ON sentences(doc_id);
CREATE TABLE IF NOT EXISTS question_vectors (id INTEGER PRIMARY KEY, vec BLOB);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, created TEXT DEFAULT (datetime('now')), query TEXT, answer TEXT,
    citations TEXT, helpful INTEGER, reason TEXT, config TEXT
);
"""

DOC_COLUMNS = (
    "doc_id path content_hash family parliament wahlperiode drucksache title doc_type askers "
    "parties answering_body date_asked date_answered url fallback warnings"
).split()


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.executescript(SCHEMA)
    return conn


def fts_body(inq: Inquiry, chunk: Chunk) -> str:
    """What BM25 sees: the chunk text plus people and bodies that a searcher may name."""
    extra = " ".join((*inq.askers, *inq.parties, inq.answering_body, inq.drucksache))
    # ingest refuses an index of another analyser (directory.check_analyzer), so this
    # matches the manifest of the index being written
    return fts_document(f"{chunk.text}\n{extra}", ingest_analyzer() == COMPOUND_ANALYZER)


def doc_row(inq: Inquiry, content_hash: str) -> tuple:
    return (
        inq.doc_id, inq.source, content_hash, inq.family, inq.parliament, inq.wahlperiode,
        inq.drucksache, inq.title, inq.doc_type, json.dumps(list(inq.askers), ensure_ascii=False),
        json.dumps(list(inq.parties), ensure_ascii=False), inq.answering_body, inq.date_asked,
        inq.date_answered, inq.url, int(inq.fallback),
        json.dumps(list(inq.warnings), ensure_ascii=False),
        json.dumps(asdict(inq), ensure_ascii=False),
    )


def insert_document(
    conn: sqlite3.Connection, inq: Inquiry, content_hash: str, chunks: Sequence[Chunk]
) -> list[int]:
    """Insert one document and its chunks (caller holds the transaction); returns row ids."""
    conn.execute(
        f"INSERT INTO documents VALUES ({','.join('?' * 18)})", doc_row(inq, content_hash)
    )
    ids: list[int] = []
    unit_vec: dict[tuple, int] = {}  # a part without own vector borrows its unit's first one
    for c in chunks:
        cur = conn.execute(
            'INSERT INTO chunks (chunk_id, doc_id, numbers, part, kind, text, answer_text, '
            'question_text, start, "end") VALUES (?,?,?,?,?,?,?,?,?,?)',
            (c.chunk_id, c.doc_id, json.dumps(list(c.numbers)), c.part, c.kind, c.text,
             c.answer_text, c.question_text, c.start, c.end),
        )
        rowid = int(cur.lastrowid)
        unit = (c.numbers, c.kind, c.chunk_id.split("/")[0])
        if c.dense:
            unit_vec.setdefault(unit, rowid)
        vec_id = rowid if c.dense else unit_vec.get(unit)
        conn.execute("UPDATE chunks SET vec_id=? WHERE id=?", (vec_id, rowid))
        conn.execute("INSERT INTO chunks_fts(rowid, body) VALUES (?, ?)", (rowid, fts_body(inq, c)))
        ids.append(rowid)
    return ids


def delete_document(conn: sqlite3.Connection, doc_id: str) -> list[int]:
    """Remove a document with its chunks; returns the removed chunk row ids."""
    ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
    conn.executemany("DELETE FROM chunks_fts WHERE rowid=?", [(i,) for i in ids])
    conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
    conn.execute("DELETE FROM sentences WHERE doc_id=?", (doc_id,))
    conn.executemany("DELETE FROM question_vectors WHERE id=?", [(i,) for i in ids])
    conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
    return ids


def document_hashes(conn: sqlite3.Connection) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT doc_id, content_hash FROM documents")}


def row_to_chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], numbers=tuple(json.loads(row["numbers"])),
        text=row["text"], answer_text=row["answer_text"], question_text=row["question_text"],
        part=row["part"], start=row["start"], end=row["end"], kind=row["kind"],
        dense=row["vec_id"] == row["id"],
    )


def chunk_kinds(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), 900):
        part = list(ids[i : i + 900])
        q = f"SELECT id, kind FROM chunks WHERE id IN ({','.join('?' * len(part))})"
        out.update({r[0]: r[1] for r in conn.execute(q, part)})
    return out


def vector_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, int | None]:
    """chunk row id -> the row id whose vector stands for it (itself when it has one)."""
    out: dict[int, int | None] = {}
    for i in range(0, len(ids), 900):
        part = list(ids[i : i + 900])
        q = f"SELECT id, vec_id FROM chunks WHERE id IN ({','.join('?' * len(part))})"
        out.update({r[0]: r[1] for r in conn.execute(q, part)})
    return out


def get_chunks(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Chunk]:
    ids = list(ids)
    out: dict[int, Chunk] = {}
    for i in range(0, len(ids), 900):
        part = ids[i : i + 900]
        q = f"SELECT * FROM chunks WHERE id IN ({','.join('?' * len(part))})"
        out.update({r["id"]: row_to_chunk(r) for r in conn.execute(q, part)})
    return out


def unit_chunks(conn: sqlite3.Connection, doc_id: str, number: int) -> list[Chunk]:
    """The chunks of one unit (`<doc_id>#<number>`, 0 = the answering side's preamble), in
    order: the target of a cross-reference such as "Auf die Antwort zu Frage 7 wird
    verwiesen."."""
    rows = conn.execute("SELECT * FROM chunks WHERE doc_id=? ORDER BY id", (doc_id,))
    chunks = [row_to_chunk(r) for r in rows]
    if number == 0:
        return [c for c in chunks if c.kind == "preamble:government"]
    return [c for c in chunks if number in c.numbers and not c.kind.startswith("preamble")]


def insert_sentences(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Rows (chunk_id, doc_id, ord, text, float16 vector bytes); caller holds the
    transaction."""
    conn.executemany("INSERT OR REPLACE INTO sentences VALUES (?,?,?,?,?)", rows)


def clear_sentences(conn: sqlite3.Connection) -> int:
    """Drop every stored sentence (their split changed); caller holds the transaction."""
    return conn.execute("DELETE FROM sentences").rowcount


# quotable chunks (not the askers' preamble) none of whose sentences has a vector yet
_WITHOUT_SENTENCES = ("kind != 'preamble:askers' AND NOT EXISTS (SELECT 1 FROM sentences s "
                      "WHERE s.chunk_id = c.chunk_id)")


def chunks_without_sentences(conn: sqlite3.Connection, after: int = 0,
                             limit: int = 1000) -> list[tuple[int, str, str, str]]:
    """(row id, chunk_id, doc_id, answer_text) of quotable chunks after row id `after` whose
    sentences have no vectors, `limit` at a time (memory stays flat)."""
    return conn.execute(
        "SELECT id, chunk_id, doc_id, answer_text FROM chunks c WHERE id > ? AND "
        f"{_WITHOUT_SENTENCES} ORDER BY id LIMIT ?", (after, limit)
    ).fetchall()


def count_chunks_without_sentences(conn: sqlite3.Connection) -> int:
    """How many chunks chunks_without_sentences would return in all."""
    return conn.execute(
        f"SELECT count(*) FROM chunks c WHERE {_WITHOUT_SENTENCES}").fetchone()[0]


def chunks_without_question_vector(conn: sqlite3.Connection, after: int = 0,
                                   limit: int = 1000) -> list[tuple[int, str, str]]:
    """(row id, question text, document title) of the first chunk with a vector of its own
    of every unit with a printed question, after row id `after`, that has no question vector
    yet, `limit` at a time. One per unit: given to every part of a long answer, the
    question's vector filled the top 5 with parts of one unit. Preambles are left out: their
    "question" is the label "Vorbemerkung der Fragesteller"."""
    return conn.execute(
        "SELECT c.id, c.question_text, d.title FROM chunks c JOIN documents d ON "
        "d.doc_id = c.doc_id WHERE c.id > ? AND c.vec_id = c.id AND "
        "c.kind NOT LIKE 'preamble%' AND coalesce(trim(c.question_text), '') != '' AND "
        "c.id = (SELECT min(id) FROM chunks p WHERE p.doc_id = c.doc_id AND "
        "p.numbers = c.numbers AND p.vec_id = p.id) AND NOT EXISTS (SELECT 1 FROM "
        "question_vectors q WHERE q.id = c.id) ORDER BY c.id LIMIT ?", (after, limit)
    ).fetchall()


def insert_question_vectors(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Rows (chunk row id, float16 vector bytes); caller holds the transaction."""
    conn.executemany("INSERT OR REPLACE INTO question_vectors VALUES (?,?)", rows)


def question_vector_rows(conn: sqlite3.Connection) -> tuple[list[int], list[bytes]]:
    """Chunk row ids and vector bytes of every question vector, in id order."""
    rows = conn.execute("SELECT id, vec FROM question_vectors ORDER BY id").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def question_vector_texts(conn: sqlite3.Connection) -> list[tuple[str, str, bytes]]:
    """(printed question, document title, vector bytes) of every question vector."""
    return conn.execute("SELECT c.question_text, d.title, q.vec FROM question_vectors q JOIN "
                        "chunks c ON c.id = q.id JOIN documents d ON d.doc_id = c.doc_id "
                        "ORDER BY q.id").fetchall()


def drop_question_vectors(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM question_vectors")


def question_vectors_without_chunk(conn: sqlite3.Connection) -> list[int]:
    """Ids of question vectors whose chunk is gone or has no vector of its own."""
    return [r[0] for r in conn.execute(
        "SELECT q.id FROM question_vectors q LEFT JOIN chunks c ON c.id = q.id "
        "WHERE c.id IS NULL OR c.vec_id IS NOT c.id ORDER BY q.id")]


def count_question_vectors(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM question_vectors").fetchone()[0]


def sentence_rows(conn: sqlite3.Connection, chunk_ids: Sequence[str]) -> list[tuple]:
    """(chunk_id, text, vector bytes) of the given chunks' sentences."""
    out: list[tuple] = []
    for i in range(0, len(chunk_ids), 900):
        part = list(chunk_ids[i : i + 900])
        marks = ",".join("?" * len(part))
        q = f"SELECT chunk_id, text, vec FROM sentences WHERE chunk_id IN ({marks})"
        out.extend(conn.execute(q, part).fetchall())
    return out


def get_documents(conn: sqlite3.Connection, doc_ids: Iterable[str]) -> dict[str, dict]:
    ids = sorted(set(doc_ids))
    if not ids:
        return {}
    cols = ", ".join(DOC_COLUMNS)
    q = f"SELECT {cols} FROM documents WHERE doc_id IN ({','.join('?' * len(ids))})"
    out = {}
    for r in conn.execute(q, ids):
        d = dict(r)
        for k in ("askers", "parties", "warnings"):
            d[k] = json.loads(d[k] or "[]")
        out[d["doc_id"]] = d
    return out


def get_inquiry_json(conn: sqlite3.Connection, doc_id: str) -> dict | None:
    row = conn.execute("SELECT inquiry_json FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
    return json.loads(row[0]) if row else None


# FTS5 scores every row that holds any query term. In an index of ~1.7M chunks a question
# with common stems (Landesregierung, Jahr, Schule) matches most rows, and ranking them all
# takes the better part of a second. So the terms are taken rarest first while the rows they
# match add up to at most MAX_POSTINGS; the common terms left out carry the least IDF weight,
# and the rare ones that decide the ranking stay. Measured on the dev set (bundled corpus,
# 34k chunks): hybrid unchanged, BM25 alone unit R@10 0.850 -> 0.843; at 104k chunks BM25 p50
# 69 -> 23 ms. The row counts come from term_rows, refreshed when an ingest is published.
MAX_POSTINGS = 20_000


def refresh_term_rows(conn: sqlite3.Connection, force: bool = False) -> bool:
    """Rebuild the term -> rows table from FTS5's vocabulary (one pass over the whole full-text
    index) when it is missing or the index grew or shrank by more than 10% since; counts a
    little stale only move which common terms a huge query drops. True when rebuilt."""
    chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    row = conn.execute("SELECT value FROM fts_stats WHERE key = 'term_rows_at'").fetchone()
    if not force and row is not None and abs(chunks - row[0]) <= 0.1 * max(row[0], 1):
        return False
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab "
                 "USING fts5vocab(main, chunks_fts, row)")
    with conn:
        conn.execute("DELETE FROM term_rows")
        conn.execute("INSERT INTO term_rows SELECT term, doc FROM temp.chunks_vocab")
        conn.execute("INSERT OR REPLACE INTO fts_stats VALUES ('term_rows_at', ?)", (chunks,))
    return True


def term_rows(conn: sqlite3.Connection, terms: Sequence[str]) -> dict[str, int]:
    """How many chunks held each term at the last refresh (terms new since count as rare)."""
    q = f"SELECT term, n FROM term_rows WHERE term IN ({','.join('?' * len(terms))})"
    found = dict(conn.execute(q, list(terms)).fetchall())
    return {t: found.get(t, 0) for t in terms}


def within_budget(conn: sqlite3.Connection, terms: list[str],
                  budget: int | None = None) -> list[str]:
    """The query's terms, or its rarest ones whose rows fit the budget (at least one)."""
    budget = MAX_POSTINGS if budget is None else budget
    if len(terms) <= 1:
        return terms
    rows = term_rows(conn, terms)
    if sum(rows.values()) <= budget:
        return terms
    keep, total = [], 0
    for term in sorted(terms, key=lambda t: (rows[t], t)):
        if keep and total + rows[term] > budget:
            break
        keep.append(term)
        total += rows[term]
    return [t for t in terms if t in keep]


def bm25_search(
    conn: sqlite3.Connection, query: str, k: int, where: str = "", params: Sequence = (),
    compounds: bool = False,
) -> list[tuple[int, float]]:
    """Top-k (chunk row id, BM25 score; higher is better) with SQL filters before the cut;
    `compounds`: the bodies hold compound parts, so the query adds them too."""
    match = fts_match(within_budget(conn, fts_terms(query, compounds=compounds)))
    if not match:
        return []
    if not where:  # no filter: let FTS5 sort by its own rank, no joins (3-4x faster)
        sql = ("SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ? "
               "ORDER BY rank, rowid LIMIT ?")
        return [(r[0], float(r[1])) for r in conn.execute(sql, (match, k))]
    sql = (
        "SELECT chunks_fts.rowid AS id, -bm25(chunks_fts) AS score FROM chunks_fts "
        "JOIN chunks ON chunks.id = chunks_fts.rowid "
        "JOIN documents ON documents.doc_id = chunks.doc_id "
        f"WHERE chunks_fts MATCH ? {('AND ' + where) if where else ''} "
        "ORDER BY score DESC, chunks_fts.rowid ASC LIMIT ?"
    )
    return [(r[0], float(r[1])) for r in conn.execute(sql, (match, *params, k))]


def filtered_ids(conn: sqlite3.Connection, where: str, params: Sequence) -> list[int]:
    sql = (
        "SELECT chunks.id FROM chunks JOIN documents ON documents.doc_id = chunks.doc_id "
        f"WHERE {where}"
    )
    return [r[0] for r in conn.execute(sql, params)]


def ids_for_drucksache(conn: sqlite3.Connection, drucksachen: Sequence[str]) -> list[int]:
    if not drucksachen:
        return []
    q = (
        "SELECT chunks.id FROM chunks JOIN documents ON documents.doc_id = chunks.doc_id "
        f"WHERE documents.drucksache IN ({','.join('?' * len(drucksachen))}) "
        "ORDER BY chunks.id"
    )
    return [r[0] for r in conn.execute(q, list(drucksachen))]


def add_feedback(
    conn: sqlite3.Connection, query: str, answer: str, citations: list, helpful: bool,
    reason: str = "", config: dict | None = None,
) -> int:
    with conn:
        cur = conn.execute(
            "INSERT INTO feedback (query, answer, citations, helpful, reason, config) "
            "VALUES (?,?,?,?,?,?)",
            (query, answer, json.dumps(citations, ensure_ascii=False), int(helpful), reason,
             json.dumps(config or {}, ensure_ascii=False)),
        )
    return int(cur.lastrowid)


def list_feedback(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute("SELECT * FROM feedback ORDER BY id")
    return [{**dict(r), "citations": json.loads(r["citations"] or "[]")} for r in rows]


# -- read-only views for the faces and the benchmarks (no SQL outside this layer) ----------

def dense_chunk_texts(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(chunk id, indexed text) of every chunk with a vector of its own, in id order."""
    return [(r[0], r[1]) for r in
            conn.execute("SELECT id, text FROM chunks WHERE vec_id = id ORDER BY id")]


def chunk_texts(conn: sqlite3.Connection, limit: int) -> list[str]:
    """The indexed text of the first `limit` chunks (all chunks, with or without a vector)."""
    return [r[0] for r in conn.execute("SELECT text FROM chunks ORDER BY id LIMIT ?", (limit,))]


def count_rows(conn: sqlite3.Connection, table: str) -> int:
    if table not in ("documents", "chunks", "feedback"):
        raise ValueError(f"unknown table {table!r}")
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def count_dense(conn: sqlite3.Connection) -> int:
    """Chunks with a vector of their own (each must have one in vectors.faiss)."""
    return conn.execute("SELECT count(*) FROM chunks WHERE vec_id = id").fetchone()[0]


def integrity_errors(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own check of every page and index; empty when the file is whole."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def dense_chunk_ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM chunks WHERE vec_id = id")]


def source_documents(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(doc_id, path, content hash) of every document, in doc_id order."""
    rows = conn.execute("SELECT doc_id, path, content_hash FROM documents ORDER BY doc_id")
    return [(r[0], r[1], r[2]) for r in rows]


def unit_rows(conn: sqlite3.Connection) -> list[tuple]:
    """Per chunk in id order: doc_id, numbers (JSON), question text, answer text, and the
    document's title, Drucksache and parliament."""
    return conn.execute(
        "SELECT c.doc_id, c.numbers, c.question_text, c.answer_text, d.title, d.drucksache, "
        "d.parliament FROM chunks c JOIN documents d ON d.doc_id = c.doc_id ORDER BY c.id"
    ).fetchall()


def parliament_counts(conn: sqlite3.Connection) -> list[dict]:
    """Documents per parliament with the first and last answer date, largest first."""
    rows = conn.execute(
        "SELECT parliament, count(*), min(date_answered), max(date_answered) "
        "FROM documents GROUP BY parliament ORDER BY count(*) DESC"
    ).fetchall()
    return [{"parliament": r[0], "documents": r[1], "from": r[2], "to": r[3]} for r in rows]


FILTER_COLUMNS = ("parliament", "answering_body", "doc_type")


def distinct_values(conn: sqlite3.Connection, column: str) -> tuple[str, ...]:
    """Non-empty values of a document column, most frequent first."""
    if column not in FILTER_COLUMNS:
        raise ValueError(f"no filter column {column!r}; one of {FILTER_COLUMNS}")
    rows = conn.execute(
        f"SELECT {column}, count(*) AS n FROM documents WHERE coalesce({column}, '') != '' "
        f"GROUP BY {column} ORDER BY n DESC, {column}"
    )
    return tuple(r[0] for r in rows)


def party_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Documents per asking party (parties are stored as a JSON list per document)."""
    counts: dict[str, int] = {}
    for (raw,) in conn.execute("SELECT parties FROM documents"):
        for party in json.loads(raw or "[]"):
            counts[party] = counts.get(party, 0) + 1
    return counts


def answer_date_range(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """First and last ISO answer date (values that are not ISO dates are ignored)."""
    first, last = conn.execute(
        "SELECT min(date_answered), max(date_answered) FROM documents "
        "WHERE date_answered GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'"
    ).fetchone()
    return first, last
