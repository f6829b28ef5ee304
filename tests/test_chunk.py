"""Units and chunks: ids, headers, splitting of long answers."""

from __future__ import annotations

from anfragen.chunk import ChunkerSettings, chunks_of, units_of
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question


def inquiry(answer_text: str = "Kurz.") -> Inquiry:
    return Inquiry(
        doc_id="x/D1", source="x/D1.txt", family="test", parliament="Hessischer Landtag",
        drucksache="20/1", title="Radwege",
        preambles=(Preamble("askers", "Radwege fehlen."), Preamble("government", "Vorab.")),
        questions=(Question(1, "Wie viele?"), Question(2, "Wo?"), Question(3, "Wann?")),
        answers=(AnswerBlock((1, 2), answer_text), ),
    )


def test_units_cover_joint_answers_preambles_and_unanswered():
    units = units_of(inquiry())
    assert [u.numbers for u in units] == [(0,), (0,), (1, 2), (3,)]
    assert units[2].unit_ids == ("x/D1#1", "x/D1#2")
    assert units[3].kind == "unanswered"


def test_chunk_text_has_header_question_and_answer():
    c = chunks_of(inquiry())[2]
    assert c.chunk_id == "x/D1#1+2/0"
    assert c.text.splitlines()[0] == "Hessischer Landtag · Drucksache 20/1"
    assert "Frage 1: Wie viele?" in c.text and "Frage 2: Wo?" in c.text
    assert c.text.endswith("Antwort: Kurz.") and c.answer_text == "Kurz."


def test_long_answer_is_split_and_each_part_repeats_the_header():
    long = " ".join(f"Satz {i} enthält eine Zahl {i * 7}." for i in range(400))
    s = ChunkerSettings(max_chars=1000, min_answer_chars=300, overlap=50)
    parts = [c for c in chunks_of(inquiry(long), s) if c.numbers == (1, 2)]
    assert len(parts) > 5
    assert [c.part for c in parts] == list(range(len(parts)))
    assert len({c.chunk_id for c in parts}) == len(parts)
    for c in parts:
        assert "Frage 1: Wie viele?" in c.text and len(c.answer_text) <= 1000
    joined = " ".join(c.answer_text for c in parts)
    assert "Satz 0 " in joined and "Satz 399 " in joined


def test_chunk_ids_are_stable():
    assert [c.chunk_id for c in chunks_of(inquiry())] == [
        c.chunk_id for c in chunks_of(inquiry())
    ]


def test_deep_parts_of_long_units_get_no_vector_of_their_own():
    long = " ".join(f"Zeile {i} der Anlage mit Wert {i * 3}." for i in range(600))
    s = ChunkerSettings(max_chars=800, min_answer_chars=300, overlap=0, max_dense_parts=3)
    parts = [c for c in chunks_of(inquiry(long), s) if c.numbers == (1, 2)]
    assert len(parts) > 3
    assert [c.dense for c in parts] == [True] * 3 + [False] * (len(parts) - 3)
