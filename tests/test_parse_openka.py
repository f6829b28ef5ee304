"""Tests for the openka family (JSON records: question document + answer document).

Golden files in tests/golden/openka/ were checked line by line against the raw `full_text` of
each record: question numbers and wording, answer grouping (joint answers), first and last words
of every answer, metadata as printed.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

import pytest
from goldens import check_golden

from anfragen.errors import ParseError
from anfragen.models import Inquiry, SourceDoc
from anfragen.parse import openka as parse_openka
from anfragen.parse import parse_document
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
FOLDER = ROOT / "openka-cli-fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden" / "openka"

# Printed questions, counted by reading each document.
PRINTED_QUESTIONS = {
    "baden-wuerttemberg-17-8906": 6,
    "bayern-19-6524": 5,
    "berlin-19-10006": 6,
    "berlin-19-10048": 4,
    "nordrhein-westfalen-18-13528": 5,
    "saarland-17-1330": 6,
    "thueringen-8-980": 8,
}


@cache
def source(stem: str) -> SourceDoc:
    return read_file(FOLDER / f"{stem}.json", ROOT)


@cache
def parsed(stem: str) -> Inquiry:
    return parse_openka.parse(source(stem))


def answer_for(inq: Inquiry, number: int) -> str:
    return next(a.text for a in inq.answers if number in a.questions)


def norm(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("stem", sorted(PRINTED_QUESTIONS))
def test_golden(stem: str) -> None:
    inq = parsed(stem)
    check_golden(inq, GOLDEN / f"{stem}.json")
    assert not inq.warnings


def test_every_document_has_a_golden_file() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(PRINTED_QUESTIONS)
    assert sorted(p.stem for p in FOLDER.glob("*.json")) == sorted(PRINTED_QUESTIONS)


# --------------------------------------------------------------------------- detection


def test_detect_all_records_and_dispatch() -> None:
    for stem in PRINTED_QUESTIONS:
        src = source(stem)
        assert parse_openka.detect(src)
        inq = parse_document(src)
        assert inq.family == "openka" and not inq.fallback


def test_detect_rejects_other_shapes() -> None:
    text = source("berlin-19-10006").text
    meta = dict(source("berlin-19-10006").meta)
    assert not parse_openka.detect(SourceDoc("x/a", "x/a.txt", text, meta))  # not a record
    assert not parse_openka.detect(SourceDoc("x/a", "x/a.json", text, {"title": "t"}))
    hamburg = {"drucksache": "22/12339", "title": "t", "authors": ["A"]}
    assert not parse_openka.detect(SourceDoc("x/b", "x/b.md", text, hamburg))
    bundestag = "Deutscher Bundestag Drucksache 21/123\n21. Wahlperiode\nAntwort\n"
    assert not parse_openka.detect(SourceDoc("x/c", "x/c.txt", bundestag, {}))


def test_odd_records_raise_parse_error_only() -> None:
    meta = dict(source("saarland-17-1330").meta)
    with pytest.raises(ParseError):
        parse_openka.parse(SourceDoc("x/d", "x/d.json", "Nur ein Satz ohne Fragen.", meta))
    assert parse_document(SourceDoc("x/d", "x/d.json", "Nur ein Satz.", meta)).fallback
    for stem in PRINTED_QUESTIONS:  # truncated records: an Inquiry or ParseError, no crash
        src = source(stem)
        for cut in range(0, len(src.text), len(src.text) // 7):
            for text in (src.text[:cut] or "x", src.text[cut:]):
                try:
                    parse_openka.parse(dataclasses.replace(src, text=text))
                except ParseError:
                    pass


# --------------------------------------------------------------------------- traps


def test_joint_answers_stay_joint() -> None:
    for stem in ("baden-wuerttemberg-17-8906", "saarland-17-1330", "nordrhein-westfalen-18-13528"):
        groups = [a.questions for a in parsed(stem).answers]
        assert groups[0] == (1, 2), stem
        assert all(len(g) == 1 for g in groups[1:]), stem
    assert answer_for(parsed("baden-wuerttemberg-17-8906"), 2).startswith(
        "Die Fragen 1 und 2 werden aufgrund des Sachzusammenhangs gemeinsam beantwortet."
    )


def test_nrw_quoted_earlier_inquiry_is_not_a_question_or_answer() -> None:
    inq = parsed("nordrhein-westfalen-18-13528")
    texts = [q.text for q in inq.questions]
    assert texts[1].startswith("Zu welchen Zeitpunkten wurden die entsprechenden Anfragen")
    assert not any("Welche weiteren ZABen" in t for t in texts)  # quoted old question 2
    assert all(a.questions != (1, 2, 3) for a in inq.answers)  # quoted old joint answer
    assert all("Die Fragen 1 bis 3 werden" not in a.text for a in inq.answers)
    preamble = inq.preambles[0].text
    assert "Die Fragen 1 bis 3 werden" in preamble and "Konfrontationsobliegenheit" in preamble
    assert "vgl. Drs." not in preamble and "APr 18/749" not in preamble  # footnotes dropped
    assert "gegenüber. Auch" in preamble  # footnote marker 10 removed, page break closed


def test_questions_taken_once_from_the_list() -> None:
    for stem, count in PRINTED_QUESTIONS.items():
        numbers = [q.number for q in parsed(stem).questions]
        assert numbers == list(range(1, count + 1)), stem
        covered = sorted(n for a in parsed(stem).answers for n in a.questions)
        assert covered == numbers, stem


def test_saarland_unnumbered_repeats_end_the_answers() -> None:
    inq = parsed("saarland-17-1330")
    assert "Stimmt die Landesregierung" not in answer_for(inq, 1)
    assert "Beabsichtigt die Landesregierung" not in answer_for(inq, 3)
    assert answer_for(inq, 4) == "Nein."
    assert all("Ausgegeben" not in a.text and "- 2 -" not in a.text for a in inq.answers)
    assert "Wahlperiode" not in inq.questions[-1].text  # answer document's head not in Q6


def test_stray_spaces_mended_only_where_safe() -> None:
    saar = parsed("saarland-17-1330")
    assert "Ilka Hoffmann" in saar.preambles[0].text
    assert "wissenschaftlich fundiert" in answer_for(saar, 5)
    bw = parsed("baden-wuerttemberg-17-8906")
    assert [q.text.split()[0] for q in bw.questions] == [
        "Wie", "Wie", "Welche", "Welche", "Worin", "Welche",
    ]  # fmt: skip
    assert "so dass mit der Bauabnahme" in answer_for(parsed("berlin-19-10006"), 1)


def test_page_furniture_and_hyphenation() -> None:
    bw = answer_for(parsed("baden-wuerttemberg-17-8906"), 5)
    assert "Konsumfinanzierung stieg" in bw and "Drucksache" not in bw
    bayern = parsed("bayern-19-6524")
    assert all(q.text.endswith("?") for q in bayern.questions)  # no TOC page numbers
    assert "Landtagsamts" not in answer_for(bayern, 5)
    berlin = parsed("berlin-19-10048")
    assert berlin.questions[1].text.endswith("dem Land hierdurch?")
    assert "Pandemiebedingt traten" in answer_for(berlin, 2)
    assert answer_for(parsed("berlin-19-10006"), 1).endswith("in Betrieb genommen ist.“")


def test_preamble_sides() -> None:
    assert [p.side for p in parsed("berlin-19-10006").preambles] == ["government"]
    assert [p.side for p in parsed("berlin-19-10048").preambles] == ["government"]
    assert [p.side for p in parsed("thueringen-8-980").preambles] == ["askers", "government"]
    assert [p.side for p in parsed("baden-wuerttemberg-17-8906").preambles] == ["askers"]


def test_thueringen_annexes_join_their_answers_not_the_last() -> None:
    inq = parsed("thueringen-8-980")
    last = answer_for(inq, 8)
    assert "Anlage" not in last and "Maier" not in last
    assert "34.442,47" in answer_for(inq, 1)  # table in "Anlage zur Beantwortung von Frage 1"
    assert "Nabenhöhen von 160 m" in answer_for(inq, 2)


def test_offsets_point_at_the_raw_segments() -> None:
    for stem in PRINTED_QUESTIONS:
        text = source(stem).text
        units = [*parsed(stem).questions, *parsed(stem).answers, *parsed(stem).preambles]
        for unit in units:
            assert 0 <= unit.start < unit.end <= len(text)
            assert norm(text[unit.start : unit.end]).startswith(norm(unit.text[:30])), stem


# --------------------------------------------------------------------------- whole family


def test_whole_family_rates() -> None:
    docs = [parse_document(read_file(p, ROOT)) for p in sorted(FOLDER.glob("*.json"))]
    assert len(docs) == len(PRINTED_QUESTIONS)
    assert all(d.family == "openka" and not d.fallback for d in docs)
    complete = sum(bool(d.questions) and bool(d.answers) for d in docs)
    assert complete / len(docs) >= 0.98
    found = sum(len(d.questions) for d in docs)
    assert found / sum(PRINTED_QUESTIONS.values()) >= 0.97
    answered = sum(
        1 for d in docs for q in d.questions if any(q.number in a.questions for a in d.answers)
    )
    assert answered / found >= 0.97
