"""PDF input through pypdfium2, with three real parliamentary PDFs (tests/data/pdfs, official
works, see SOURCES.md there) and one without a text layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from anfragen.errors import ReadError
from anfragen.read import join_hyphens, read_file, read_pdf

PDFS = Path(__file__).parent / "data" / "pdfs"


@pytest.mark.parametrize(("name", "pages", "words"), [
    ("bw_17_0273_D.pdf", 4, ("Drucksache 17 / 273", "Gesetzentwurf", "Baden-Württemberg")),
    ("landtagtoday_0.pdf", 26, ("Vorgangsmappe für die Drucksache 18/17136",
                                "Bürokratieaufwand")),
    ("landtagtoday_6.pdf", 11, ("Vorgangsmappe für die Drucksache 18/17072", "begründet")),
])
def test_real_pdfs_keep_pages_and_words(name: str, pages: int, words: tuple[str, ...]) -> None:
    text = read_pdf(PDFS / name)
    assert text.count("\f") == pages - 1
    for word in words:
        assert word in text, word
    assert "\ufffe" not in text and "\r" not in text


def test_reading_order_of_the_first_page() -> None:
    first = read_pdf(PDFS / "bw_17_0273_D.pdf").split("\f")[0]
    order = [first.index(s) for s in ("Landtag von Baden-Württemberg", "Drucksache 17 / 273",
                                      "A. Zielsetzung")]
    assert order == sorted(order)


def test_read_file_gives_a_source_doc(tmp_path) -> None:
    doc = read_file(PDFS / "landtagtoday_6.pdf", PDFS)
    assert doc.doc_id == "landtagtoday_6" and len(doc.content_hash) == 64


def test_a_pdf_without_text_layer_is_named_with_the_ocr_hint(tmp_path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a drawing, no text: like a scan
    f = tmp_path / "gescannt.pdf"
    pdf.output(str(f))
    with pytest.raises(ReadError) as e:
        read_file(f, tmp_path)
    assert "gescannt.pdf" in str(e.value) and "OCR" in str(e.value)


def test_line_break_hyphens() -> None:
    assert join_hyphens("Baden\ufffeWürttemberg und Büro\ufffekratie") == \
        "Baden-Württemberg und Bürokratie"
