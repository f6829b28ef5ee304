"""Bundestag answers to Kleine Anfragen: golden documents, traps, and the whole family."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from goldens import check_golden

from anfragen.models import Inquiry, SourceDoc
from anfragen.parse import bundestag as parse_bundestag
from anfragen.parse import detect_family, parse_document
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
FAMILY_DIR = ROOT / "bundestag-digest-dip"
GOLDEN_DIR = Path(__file__).parent / "golden" / "bundestag"

pytestmark = pytest.mark.skipif(not FAMILY_DIR.is_dir(), reason="corpus not present")


@cache
def _src(stem: str) -> SourceDoc:
    return read_file(FAMILY_DIR / f"{stem}.txt", ROOT)


@cache
def _parsed(stem: str) -> Inquiry:
    return parse_document(_src(stem))


def _answer_for(inq: Inquiry, number: int) -> str:
    return "\n".join(a.text for a in inq.answers if number in a.questions)


# ---------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("golden", sorted(GOLDEN_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_golden(golden: Path) -> None:
    check_golden(_parsed(golden.stem), golden)


def test_at_least_three_golden_files() -> None:
    assert len(list(GOLDEN_DIR.glob("*.json"))) >= 3


# ---------------------------------------------------------------------------- traps


def test_spliced_transmission_note_is_cut_and_word_rejoined() -> None:
    inq = _parsed("2025-05-07_21_123")
    answer = _answer_for(inq, 2)
    assert "Bankkontonummer (IBAN) geändert. Von diesen 121 Online-Accounts" in answer
    assert "Schrifttype" not in answer and "übermittelt" not in answer
    assert inq.answering_body == "Bundesministerium für Arbeit und Soziales"
    assert inq.date_answered == "2025-05-07"


def test_transmission_note_glued_mid_line() -> None:
    # "ZuständigDie Antwort wurde namens ... den Fragetext.\nkeit, ob ..."
    inq = _parsed("2025-08-11_21_1178")
    assert inq.answering_body == "Bundesministerium des Innern"
    assert inq.date_answered == "2025-08-08"
    text = "\n".join(p.text for p in inq.preambles)
    assert "Zuständigkeit, ob" in text
    assert "Die Antwort wurde" not in text


def test_letter_spaced_headings_become_preambles() -> None:
    inq = _parsed("2025-07-31_21_1021")
    sides = [p.side for p in inq.preambles]
    assert sides == ["askers", "government"]
    assert all("V o r b" not in p.text for p in inq.preambles)
    assert inq.preambles[0].text.startswith("Im Rahmen des Gesetzes zur Überarbeitung")


def test_en_space_numbers_and_joint_answer_without_empty_blocks() -> None:
    inq = _parsed("2025-07-17_21_925")
    assert [q.number for q in inq.questions] == list(range(1, 13))
    assert inq.questions[0].text.startswith("Wie viele Leistungsbezieher nach dem Zweiten Buch")
    groups = [a.questions for a in inq.answers]
    assert (1, 2, 3, 4) in groups and (10, 11) in groups
    assert all(len([g for g in groups if n in g]) == 1 for n in range(1, 13))
    joint = next(a for a in inq.answers if a.questions == (1, 2, 3, 4))
    assert joint.text.startswith("Die Fragen 1 bis 4 werden im Sachzusammenhang beantwortet.")


def test_numbered_date_in_answer_is_not_a_question() -> None:
    # Answer 9 contains a line starting "1. Juli 2025 wie folgt dar."
    inq = _parsed("2025-07-17_21_925")
    assert "1. Juli 2025 wie folgt dar." in _answer_for(inq, 9)
    assert "Moldau, Republik 3 574" in _answer_for(inq, 9)


def test_questions_reprinted_out_of_order_for_a_joint_answer() -> None:
    inq = _parsed("2025-05-07_21_124")
    numbers = [q.number for q in inq.questions]
    assert numbers[21:24] == [22, 24, 23]
    assert sorted(numbers) == list(range(1, 39))
    assert (22, 24) in [a.questions for a in inq.answers]


def test_line_end_hyphenation_in_questions_and_names() -> None:
    inq = _parsed("2025-07-31_21_1021")
    assert "Dr. Kirsten Kappert-Gonther" in inq.askers
    inq = _parsed("2025-05-07_21_123")
    assert "Ist es zutreffend" in inq.questions[0].text
    assert "ge- " not in _answer_for(inq, 2)


def test_single_unnumbered_question() -> None:
    inq = _parsed("2025-07-09_21_840")
    assert [q.number for q in inq.questions] == [1]
    assert inq.questions[0].text.startswith("Welchen Wortlaut hat der Bericht der Beraterin")
    assert _answer_for(inq, 1).startswith("Der Bericht der Sachverständigen Beraterin")


def test_footnote_between_questions_does_not_make_an_answer() -> None:
    # "* Von einer Drucklegung der Anlage wird abgesehen ..." sits between questions 6 and 7.
    inq = _parsed("2025-10-08_21_2158")
    assert (6, 7, 8) in [a.questions for a in inq.answers]


def test_inquiry_drucksache_marked_neu() -> None:
    inq = _parsed("2025-08-22_21_1343")
    assert not inq.fallback
    assert "Kleine Anfrage: Drucksache 21/1026" in inq.warnings


def test_offsets_point_into_source_text() -> None:
    src = _src("2025-05-07_21_123")
    inq = _parsed("2025-05-07_21_123")
    q = inq.questions[0]
    assert src.text[q.start : q.end].startswith("1. Ist es zutreffend")
    a = inq.answers[0]
    assert src.text[a.start : a.end].startswith("Der Bericht der Bundesagentur")


def test_detect_rejects_other_families() -> None:
    others = [
        ROOT / "bundestag-digest-schriftliche-fragen",
        ROOT / "niedersachsen-felixkhaj",
        ROOT / "hessen-seed",
    ]
    for folder in others:
        for path in sorted(folder.glob("*.txt"))[:5]:
            assert not parse_bundestag.detect(read_file(path, ROOT)), path


def test_odd_shape_raises_parse_error_not_crash() -> None:
    src = SourceDoc(
        doc_id="x",
        path="x.txt",
        text="Deutscher Bundestag Drucksache 21/1\n21. Wahlperiode 01.01.2025\nAntwort\n"
        "der Bundesregierung\nauf die Kleine Anfrage der Abgeordneten A B\n",
    )
    assert parse_bundestag.detect(src)
    inq = parse_document(src)
    assert inq.fallback


# ---------------------------------------------------------------------------- whole family


@cache
def _family() -> list[Inquiry]:
    out = []
    for path in sorted(FAMILY_DIR.glob("*.txt")):
        src = read_file(path, ROOT)
        assert detect_family(src) is parse_bundestag, path
        out.append(parse_document(src))
    return out


def test_whole_family_rates() -> None:
    inqs = _family()
    assert len(inqs) == 672
    with_qa = sum(1 for i in inqs if i.questions and i.answers and not i.fallback)
    assert with_qa / len(inqs) >= 0.98
    found = sum(len({q.number for q in i.questions}) for i in inqs)
    printed = sum(max((q.number for q in i.questions), default=0) for i in inqs)
    assert found / printed >= 0.97
    covered = sum(
        len({q.number for q in i.questions} & {n for a in i.answers for n in a.questions})
        for i in inqs
    )
    assert covered / found >= 0.97


def test_whole_family_metadata() -> None:
    inqs = _family()
    assert all(i.parliament == "Deutscher Bundestag" and i.wahlperiode == "21" for i in inqs)
    assert all(i.drucksache.startswith("21/") and i.date_answered for i in inqs)
    assert sum(1 for i in inqs if i.answering_body.startswith("Bundesministerium")) >= 550
    assert sum(1 for i in inqs if i.askers and i.parties) >= 665
    assert sum(1 for i in inqs if any(p.side == "askers" for p in i.preambles)) >= 655
    assert sum(1 for i in inqs if any(p.side == "government" for p in i.preambles)) >= 235
    no_empty = all(a.text.strip() for i in inqs for a in i.answers)
    assert no_empty
