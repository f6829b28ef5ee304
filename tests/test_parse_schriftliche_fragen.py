"""Bundestag "Schriftliche Fragen" collections: items, joint answers, noise, whole family."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldens import check_golden

from anfragen.models import SourceDoc
from anfragen.parse import detect_family, parse_document
from anfragen.parse import schriftliche_fragen as sf
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
FOLDER = ROOT / "bundestag-digest-schriftliche-fragen"
GOLDEN = Path(__file__).parent / "golden" / "schriftliche_fragen"
FILES = sorted(FOLDER.glob("*.txt"))


def _parse(name: str):
    return parse_document(read_file(FOLDER / name, ROOT))


@pytest.fixture(scope="module")
def family():
    return [parse_document(read_file(f, ROOT)) for f in FILES]


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden(golden: Path):
    check_golden(_parse(golden.stem + ".txt"), golden)


def test_joint_answer_kept_joint():
    inq = _parse("2025-05-23_21_237.txt")
    block = next(a for a in inq.answers if 3 in a.questions)
    assert block.questions == (2, 3, 4)
    assert block.text.startswith("Die Fragen 2 bis 4 werden zusammen beantwortet.")
    assert block.answering_body == (
        "Parlamentarischer Staatssekretär Michael Schrodi, Bundesministerium der Finanzen"
    )


def test_date_without_dot_and_split_year():
    # "vom 21 Mai 2025" and "vom 8. Oktober 20 25" are answer headers, not question text.
    a46 = next(a for a in _parse("2025-05-23_21_237.txt").answers if a.questions == (46,))
    assert a46.date == "2025-05-21"
    inq = _parse("2025-10-10_21_2141.txt")
    a164 = next(a for a in inq.answers if a.questions == (164,))
    assert a164.date == "2025-10-08"
    assert a164.answering_body.startswith("Parlamentarischer Staatssekretär Thomas Jarzombek")


def test_abbreviated_item_marker_and_footer_removed():
    inq = _parse("2025-10-10_21_2141.txt")
    q19 = next(q for q in inq.questions if q.number == 19)
    assert (q19.asker, q19.party) == ("Lisa Schubert", "Die Linke")
    for unit in (*inq.questions, *inq.answers):
        assert "Vorabfassung" not in unit.text and "lektorierte" not in unit.text


def test_footer_inside_hyphenated_word_is_rejoined():
    text = (
        "Deutscher Bundestag Drucksache 21/9\n21. Wahlperiode 09.05.2025\nSchriftliche Fragen\n"
        "mit den in der Woche vom 5. Mai 2025\neingegangenen Antworten der Bundesregierung\n"
        "Geschäftsbereich des Auswärtigen Amts\n1.\u2002Abgeordneter\nMax Muster\n(AfD)\n"
        "Was gilt?\nAntwort des Staatssekretärs Dr. Bernhard Kotsch\nvom 7. Mai 2025\n"
        "Die Regel wurde ge-\nVorabfassung - w\nird durch die lektorierte Version ersetzt.\n"
        "ändert.\nGeschäftsbereich des Bundesministeriums der Finanzen\n2.\u2002Abgeordnete\n"
        "Erika Muster\n(BÜNDNIS 90/\nDIE GRÜNEN)\nUnd jetzt?\n"
        "Antwort der Parlamentarischen Staatssekretärin Anna Beispiel\nvom 8. Mai 2025\n"
        "Nichts.\nBerlin, den 9. Mai 2025\nGesamtherstellung: H. Heenemann GmbH\nISSN 0722-8333\n"
    )
    src = SourceDoc("x/2025-05-09_21_9", "x/2025-05-09_21_9.txt", text)
    assert sf.detect(src)
    inq = sf.parse(src)
    assert [a.text for a in inq.answers] == ["Die Regel wurde geändert.", "Nichts."]
    assert inq.answers[0].answering_body == "Staatssekretär Dr. Bernhard Kotsch, Auswärtiges Amt"
    assert inq.answers[1].answering_body == (
        "Parlamentarische Staatssekretärin Anna Beispiel, Bundesministerium der Finanzen"
    )
    assert inq.questions[1].party == "BÜNDNIS 90/DIE GRÜNEN"
    assert inq.parties == ("AfD", "BÜNDNIS 90/DIE GRÜNEN")


def test_annex_goes_to_its_question_and_addendum_is_a_preamble():
    inq = _parse("2025-08-08_21_1164.txt")
    a130 = next(a for a in inq.answers if a.questions == (130,))
    assert "Anlage zu Frage 130:" in a130.text and "Gigabitförderung 2.0" in a130.text
    last = inq.answers[-1]
    assert last.questions == (173,)
    assert "Ergänzung" not in last.text and "Gesamtherstellung" not in last.text
    assert inq.preambles[0].side == "government"
    assert "Schriftliche Frage 92" in inq.preambles[0].text


def test_name_with_constituency_parenthesis():
    q = next(q for q in _parse("2025-08-15_21_1234.txt").questions if q.number == 45)
    assert (q.asker, q.party) == ("Stephan Mayer (Altötting)", "CDU/CSU")


def test_index_numbers_are_not_questions():
    inq = _parse("2025-05-09_21_119.txt")
    assert [q.number for q in inq.questions] == list(range(1, 86))


def test_detect_rejects_other_shapes():
    kleine = SourceDoc(
        "a", "a.txt", "Deutscher Bundestag Drucksache 21/1\nAntwort der Bundesregierung"
    )
    assert not sf.detect(kleine)
    rec = SourceDoc("b", "b.json", (FOLDER / "2025-05-09_21_119.txt").read_text()[:3000])
    assert not sf.detect(rec)


def test_whole_family(family):
    assert len(family) == 24
    for f, inq in zip(FILES, family, strict=True):
        assert detect_family(read_file(f, ROOT)) is sf
        assert inq.family == "schriftliche_fragen" and not inq.fallback, f.name
        numbers = [q.number for q in inq.questions]
        assert numbers == list(range(1, len(numbers) + 1)), f.name
        covered = [n for a in inq.answers for n in a.questions]
        assert sorted(covered) == numbers, f.name
        assert all(a.date and a.answering_body for a in inq.answers), f.name
    joint = sum(len(a.questions) > 1 for inq in family for a in inq.answers)
    assert joint >= 40
