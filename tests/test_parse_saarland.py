"""Landtag des Saarlandes, two-column answer with unnumbered questions (Drs. 15/1284)."""

from __future__ import annotations

from pathlib import Path

from goldens import check_golden

from anfragen.models import SourceDoc
from anfragen.parse import detect_family, parse_document
from anfragen.parse import saarland as parse_saarland
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
DOC = ROOT / "kleineanfragen-fixture-saarland" / "SL_15-1284.txt"
GOLDEN = Path(__file__).parent / "golden" / "saarland" / "SL_15-1284.json"
OPENKA = ROOT / "openka-cli-fixtures" / "saarland-17-1330.json"


def _inq():
    return parse_document(read_file(DOC, ROOT))


def test_golden():
    check_golden(_inq(), GOLDEN)


def test_unnumbered_questions_take_the_numbers_of_their_heading():
    inq = _inq()
    by_number = {q.number: q.text for q in inq.questions}
    assert sorted(by_number) == list(range(1, 11))
    assert by_number[1].startswith("Wer hat die Qualität des Leistungserbringers")
    assert by_number[3].startswith("Welche Gründe gaben den Ausschlag")
    assert by_number[2].startswith("War der Landesregierung bekannt")
    assert by_number[10].startswith("Gibt es hinsichtlich des Einsatzes von „Kurzzügen“")
    assert by_number[9].startswith("Welche Ausschreibungskriterien")


def test_joint_answers_kept_joint():
    groups = [a.questions for a in _inq().answers]
    assert groups == [(1, 3), (2,), (4,), (5,), (6, 7, 8, 10), (9,)]


def test_page_break_inside_answer_and_noisy_line_breaks():
    inq = _inq()
    a2 = next(a for a in inq.answers if a.questions == (2,))
    # Answer 2 continues after the page header of page 4; the header itself is gone.
    assert "Netinera Deutschland" in a2.text
    assert "Drucksache 15/1284" not in a2.text and "- 4 -" not in a2.text
    assert not a2.text.endswith("Regress?")
    pre_askers = inq.preambles[0].text
    assert "Verkehrssicherheit, wenn ab Landesgrenze" in pre_askers  # ", wenn" began a line
    assert "Ausgegeben" not in pre_askers
    a5 = next(a for a in inq.answers if a.questions == (5,))
    assert "Inbetriebsetzungskonzept" in a5.text  # "Inbe-" blank line "triebsetzungskonzept"
    a9 = next(a for a in inq.answers if a.questions == (9,))
    assert a9.text.endswith("(incl. eines Prognoseaufschlages).")


def test_preambles():
    sides = [(p.side, p.text[:20]) for p in _inq().preambles]
    assert sides == [("askers", "Mit dem Fahrplanwech"), ("government", "Mit dem Fahrplanwech")]
    gov = _inq().preambles[1].text
    assert gov.endswith("zwischen Saarbrücken und Mainz an.")


def test_openka_record_not_claimed():
    src = read_file(OPENKA, ROOT)
    assert not parse_saarland.detect(src)
    assert detect_family(read_file(DOC, ROOT)) is parse_saarland
    fake = SourceDoc("x", "x.txt", DOC.read_text(encoding="utf-8"), meta={"reference": "15/1"})
    assert not parse_saarland.detect(fake)
