"""Reading files: formats, encodings, sidecars, and bad input with clear messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anfragen.errors import ReadError
from anfragen.read import (
    corpus_root,
    iter_document_paths,
    load_sidecars,
    read_file,
    sidecar_for,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


def test_cp1252_text_is_decoded(tmp_path):
    f = tmp_path / "alt.txt"
    f.write_bytes("Antwort des Ministeriums für Gesundheit: Größe".encode("cp1252"))
    assert "für Gesundheit: Größe" in read_file(f, tmp_path).text


def test_markdown_front_matter_becomes_meta(tmp_path):
    f = tmp_path / "a.md"
    f.write_text('---\ndrucksache: "23/1"\nurheber: ["A B"]\n---\n# Titel\nText', encoding="utf-8")
    doc = read_file(f, tmp_path)
    assert doc.meta["drucksache"] == "23/1" and doc.meta["urheber"] == ["A B"]
    assert doc.text.startswith("# Titel")


def test_json_record_full_text_and_meta(tmp_path):
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"full_text": "Frage 1: x?", "title": "T"}), encoding="utf-8")
    doc = read_file(f, tmp_path)
    assert doc.text == "Frage 1: x?" and doc.meta == {"title": "T"}
    assert doc.doc_id == "r"


def test_pdf_generated_by_the_test(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Kleine Anfrage\nFrage 1. Wie viele Radwege gibt es?\nAntwort: Zwölf.")
    f = tmp_path / "anfrage.pdf"
    pdf.output(str(f))
    doc = read_file(f, tmp_path)
    assert "Wie viele Radwege gibt es?" in doc.text


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("leer.txt", b"", "leer"),
        ("binaer.txt", b"\x00\x01\x02PNG\x00" * 50, "Binärdaten"),
        ("kaputt.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "PDF"),
        ("ohne.json", json.dumps({"title": "x"}).encode(), "full_text"),
    ],
)
def test_bad_input_names_file_and_reason(tmp_path, name, content, reason):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(ReadError) as e:
        read_file(f, tmp_path)
    assert name in str(e.value) and reason in str(e.value)


def test_huge_text_is_refused(tmp_path, monkeypatch):
    import anfragen.read as read

    monkeypatch.setattr(read, "MAX_BYTES", 1000)
    f = tmp_path / "gross.txt"
    f.write_text("x" * 5000)
    with pytest.raises(ReadError, match="gross.txt.*MB"):
        read_file(f, tmp_path)


def test_sidecar_metadata_is_merged_not_indexed():
    folder = CORPUS / "niedersachsen-felixkhaj"
    files = [f for f, _ in iter_document_paths([folder])]
    assert all(f.suffix == ".txt" for f in files)  # index.jsonl is not a document
    path = folder / "NI_19-11279.txt"
    doc = read_file(path, CORPUS, sidecar_for(path, load_sidecars(folder)))
    assert doc.meta["pdf_url"].endswith("19-11279.pdf")


def test_doc_ids_are_relative_to_the_corpus_root():
    path = CORPUS / "hessen-seed" / "HE_20_hessenconnect-2-0.txt"
    assert corpus_root(path, path.parent) == CORPUS
    assert read_file(path, CORPUS).doc_id == "hessen-seed/HE_20_hessenconnect-2-0"
    assert not any(f.name == "SOURCES.md" for f, _ in iter_document_paths([CORPUS]))
