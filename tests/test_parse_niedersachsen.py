"""Niedersachsen parser: golden documents, the family's traps, and the whole family."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from goldens import check_golden

from anfragen.models import Inquiry, SourceDoc
from anfragen.parse import detect_family, parse_document
from anfragen.parse import niedersachsen as ni
from anfragen.read import load_sidecars, read_file, sidecar_for

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
FOLDER = ROOT / "niedersachsen-felixkhaj"
GOLDEN = Path(__file__).parent / "golden" / "niedersachsen"
PATHS = sorted(FOLDER.glob("NI_*.txt"))


@cache
def _sidecars() -> dict[str, dict]:
    return load_sidecars(FOLDER)


@cache
def source(stem: str) -> SourceDoc:
    path = FOLDER / f"{stem}.txt"
    return read_file(path, ROOT, sidecar=sidecar_for(path, _sidecars()))


@cache
def parsed(stem: str) -> Inquiry:
    return parse_document(source(stem))


def answer_for(inq: Inquiry, number: int):
    return next(a for a in inq.answers if number in a.questions)


# --- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden(golden: Path) -> None:
    check_golden(parsed(golden.stem), golden)


# --- traps ----------------------------------------------------------------------------------


def test_page_headers_and_footnotes_stay_out_of_the_flow() -> None:
    inq = parsed("NI_19-11251")
    assert [q.number for q in inq.questions] == list(range(1, 32))
    texts = [a.text for a in inq.answers] + [p.text for p in inq.preambles]
    assert not any("Wahlperiode Drucksache" in t for t in texts)
    assert not any("https://" in t for t in texts)  # footnote lines at the page bottom
    askers = inq.preambles[0].text
    assert "im Vorjahr waren es 518 Fälle. Gleichzeitig" in askers  # marker " 1" removed
    assert "in Deutschland. Internationale" in askers  # marker ".2" removed
    # Question 9's answer runs over a page break and a footnote block into the next page.
    nine = answer_for(inq, 9).text
    assert "Die Landesregierung beobachtet diese Entwicklung mit Aufmerksamkeit" in nine
    assert "Abfrage vom" not in nine


def test_hyphenation_is_joined() -> None:
    inq = parsed("NI_19-11251")
    assert inq.questions[0].text.startswith(
        "Welche wissenschaftlichen Studien, Gutachten oder Untersuchungen hat die "
        "Landesregierung seit 2020 zu möglichen Zusammenhängen zwischen Personalmangel und "
        "Patientensicherheit"
    )
    eight = answer_for(inq, 8).text
    assert "Arbeitgeber sowie strukturellen" in eight  # "so-\nwie" is one word
    assert "Gesundheits- und Pflegeberufen" in eight  # the hyphen before "und" stays


def test_joint_answers_below_questions_printed_back_to_back() -> None:
    inq = parsed("NI_19-11181")
    assert len(inq.questions) == 47
    block = answer_for(inq, 5)
    assert block.questions == (4, 5, 6)
    assert block.text.startswith("Die Fragen 4 bis 6 werden aufgrund des Sachzusammenhangs")
    assert answer_for(inq, 28).questions == (27, 28)  # joint without a "gemeinsam" sentence


def test_joint_statement_below_one_question_and_an_unanswered_question() -> None:
    inq = parsed("NI_19-11269")
    assert inq.answers[1].questions == (2, 3, 4)
    assert inq.answers[1].text.startswith("Die Fragen 2 bis 4 werden wie folgt gemeinsam")
    # 13 is followed by blank lines and question 14: printed without an answer, not joint.
    assert all(13 not in a.questions for a in inq.answers)
    assert answer_for(inq, 14).questions == (14,)
    assert any("13 ohne Antwort" in w for w in inq.warnings)


def test_question_ending_with_a_request_instead_of_a_question_mark() -> None:
    inq = parsed("NI_19-11214")
    q10 = inq.questions[9]
    assert q10.text.endswith("werden? Wenn ja, bitte die Voraussetzungen dafür nennen.")
    assert answer_for(inq, 10).text.startswith("Mehrtägige Streifenfahren")


def test_sub_questions_belong_to_their_number() -> None:
    ndr = parsed("NI_19-11160")
    q5 = ndr.questions[4]
    assert q5.number == 5 and q5.text.endswith("g) sonstigen Sachkosten?")
    assert answer_for(ndr, 5).text.startswith("a) Teilnahmegebühren")  # answer uses a) too
    hospiz = parsed("NI_19-11279")
    q20 = hospiz.questions[19]
    assert "a) Falls ja, wie ist diese ausgestaltet?" in q20.text
    assert q20.text.endswith("?") and "b) Falls nein" in q20.text
    assert answer_for(hospiz, 20).text.startswith("Es wird auf")


def test_second_question_sentence_on_its_own_line() -> None:
    inq = parsed("NI_19-11271")
    q6 = inq.questions[5]
    assert q6.text.endswith("aus dem Ökodesign-Gesetz entstehen?")
    assert answer_for(inq, 6).text.startswith("Perspektivisch werden")


def test_group_titles_of_the_askers_are_not_answer_text() -> None:
    inq = parsed("NI_19-11266")
    assert [q.number for q in inq.questions] == list(range(1, 22))
    assert not any("Rückkaufrecht, Exit-Strategie" in a.text for a in inq.answers)


def test_annex_after_verteilt_goes_with_the_last_answer() -> None:
    inq = parsed("NI_19-11276")
    assert "Ammerland" in inq.answers[-1].text
    assert not any("(verteilt am" in a.text for a in inq.answers)
    assert any("Anlage" in w for w in inq.warnings)


def test_offsets_point_into_the_raw_text() -> None:
    src, inq = source("NI_19-11142"), parsed("NI_19-11142")
    q1 = inq.questions[0]
    assert src.text[q1.start : q1.end].startswith("1. Welche Partner sind")
    a4 = inq.answers[-1]
    assert src.text[a4.start : a4.end].rstrip().endswith("liquidiert werden.")


def test_metadata_from_page_one_and_sidecar() -> None:
    inq = parsed("NI_19-11147")
    assert inq.title == "Hintergründe des „Justizskandals“ um einen ehemaligen Staatsanwalt"
    assert inq.askers == ("MUDr. PhDr. / Univ.Prag Jozef Rakicky",)
    assert inq.parties == ("fraktionslos",)
    assert inq.answering_body == "Niedersächsisches Justizministerium"
    assert parsed("NI_19-11216").answering_body == "Niedersächsische Staatskanzlei"
    assert inq.url.endswith("19-11147.pdf")


def test_withdrawal_notice_falls_back_with_its_metadata() -> None:
    src = source("NI_19-11153")
    assert ni.detect(src)
    inq = parse_document(src)
    assert inq.fallback and inq.family == "niedersachsen"
    assert inq.drucksache == "19/11153" and inq.doc_type == "Unterrichtung"


def test_footnote_markers() -> None:
    assert ni._strip_markers("im Vorjahr waren es 518 Fälle. 1", {1}) == (
        "im Vorjahr waren es 518 Fälle."
    )
    assert ni._strip_markers("in Deutschland.2 Nach", {2}) == "in Deutschland. Nach"
    assert ni._strip_markers("der Vertragspartner 4, ARS", {4}) == "der Vertragspartner, ARS"
    assert ni._strip_markers("gemäß § 111c Abs. 4", {4}) == "gemäß § 111c Abs. 4"
    assert ni._strip_markers("für Baustufe 1 wurden", {1}) == "für Baustufe 1 wurden"
    assert ni._strip_markers("mit 89,2 % angegeben", {2}) == "mit 89,2 % angegeben"
    assert ni._strip_markers("80 Tsd. m2 in 2026", {2}) == "80 Tsd. m2 in 2026"


def test_detect_claims_no_other_family() -> None:
    others = [
        *sorted((ROOT / "hamburg-ska-archiv-md").glob("*.md"))[:2],
        *sorted((ROOT / "bundestag-digest-dip").glob("*.txt"))[:2],
        *sorted((ROOT / "bundestag-digest-schriftliche-fragen").glob("*.txt"))[:1],
        *sorted((ROOT / "hessen-seed").glob("*"))[:1],
    ]
    assert others
    for path in others:
        assert not ni.detect(read_file(path, ROOT)), path


# --- the whole family -----------------------------------------------------------------------


def test_whole_family() -> None:
    assert len(PATHS) == 78
    docs = questions = covered = with_qa = 0
    for path in PATHS:
        src = source(path.stem)
        assert detect_family(src) is ni, path.name
        inq = parse_document(src)
        assert inq.family == "niedersachsen"
        docs += 1
        numbers = [q.number for q in inq.questions]
        assert numbers == list(range(1, len(numbers) + 1)), path.name
        answered = {n for a in inq.answers for n in a.questions}
        questions += len(numbers)
        covered += len(set(numbers) & answered)
        with_qa += bool(numbers and inq.answers and not inq.fallback)
    assert with_qa / docs >= 0.98  # 77 of 78: 19/11153 is a withdrawal notice
    assert questions >= 1030
    assert covered / questions >= 0.99
