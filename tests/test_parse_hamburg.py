"""Hamburg (ska_archiv markdown) parser: golden documents, traps, the whole family."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from goldens import check_golden

from anfragen.models import Inquiry, SourceDoc
from anfragen.parse import detect_family, parse_document
from anfragen.parse import hamburg as hh
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
FOLDER = ROOT / "hamburg-ska-archiv-md"
GOLDEN = Path(__file__).parent / "golden" / "hamburg"
PATHS = sorted(FOLDER.glob("HH_*.md"))


@cache
def source(stem: str) -> SourceDoc:
    return read_file(FOLDER / f"{stem}.md", ROOT)


@cache
def parsed(stem: str) -> Inquiry:
    return parse_document(source(stem))


def answer_for(inq: Inquiry, number: int):
    return next(a for a in inq.answers if number in a.questions)


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden(golden: Path) -> None:
    check_golden(parsed(golden.stem), golden)


def test_joint_answer_headings() -> None:
    inq = parsed("HH_22-14472")
    assert answer_for(inq, 7).questions == (5, 6, 7, 8, 9, 10)
    assert answer_for(inq, 20).questions == (18, 19, 20, 21)
    assert hh._numbers("2, 2 a) und 2 b)") == (2,)
    assert hh._numbers("2, 3 und 4") == (2, 3, 4)
    assert hh._numbers("5 bis 8") == (5, 6, 7, 8)


def test_answer_heading_printed_as_plain_text() -> None:
    inq = parsed("HH_23-4557")
    q10 = inq.questions[-1]
    assert q10.number == 10
    assert q10.text.endswith("Bestandteil dieser Modernisierungsüberlegungen?")
    assert "Antwort zu Frage 10" not in q10.text
    a10 = answer_for(inq, 10)
    assert a10.questions == (10,)
    assert a10.text.startswith("Die Vorüberlegungen zur Modernisierung sind in internen")
    # the tool counted 9 blocks because it missed this heading
    assert source("HH_23-4557").meta["antwortbloecke"] == 9 and len(inq.answers) == 10


def test_group_titles_move_out_of_the_answers() -> None:
    inq = parsed("HH_22-14472")
    assert answer_for(inq, 2).text.endswith("auch nicht erforderlich.")
    assert answer_for(inq, 17).text.endswith("Im Übrigen siehe Antwort zu 2.")
    mid = [p.text for p in inq.preambles[1:]]
    assert mid[0].startswith("Detektionen und Nichtdetektionen durch die Software:\nLaut")
    assert mid[2].startswith("Zweijähriges Anschlussprojekt am Hansaplatz:")
    assert all(p.side == "askers" for p in inq.preambles)
    other = parsed("HH_22-12984")
    assert answer_for(other, 5).text.endswith("Im Übrigen siehe Drs. 22/12180.")
    assert answer_for(other, 20).text.endswith("Vorläufige Evaluationsergebnisse liegen nicht vor.")


def test_garbled_table_is_kept_as_text() -> None:
    a4 = answer_for(parsed("HH_22-14472"), 4)
    assert "Am Boden liegende Person" in a4.text
    assert a4.text.endswith("retrograd nicht zu ermitteln.")


def test_sub_questions_stay_in_their_question() -> None:
    inq = parsed("HH_23-4418")
    assert [q.number for q in inq.questions] == list(range(1, 9))
    assert "b) Sofern keine semantische Suche" in inq.questions[1].text
    assert answer_for(inq, 2).questions == (2,)


def test_offsets_point_into_the_text() -> None:
    src, inq = source("HH_22-12339"), parsed("HH_22-12339")
    a6 = answer_for(inq, 6)
    assert src.text[a6.start : a6.end].strip().startswith("Die Software greift nicht")
    q6 = inq.questions[5]
    assert src.text[q6.start : q6.end].strip().endswith("Speicherdauer angeben.")


def test_metadata() -> None:
    inq = parsed("HH_22-12339")
    assert inq.parliament == "Hamburgische Bürgerschaft" and inq.answering_body == "Senat"
    assert inq.askers == ("Deniz Celik",) and inq.parties == ("DIE LINKE",)
    assert (inq.date_asked, inq.date_answered) == ("2023-06-22", "2023-06-30")
    assert inq.url.startswith("https://www.buergerschaft-hh.de/parldok/dokument/84258/")


def test_senate_preamble_is_government() -> None:
    text = (
        "# Drs. 22/1: T\n\n## Vorbemerkung des Senats\n\nDer Senat beantwortet die Fragen.\n\n"
        "### Frage 1\n\nWie?\n\n#### Antwort zu Frage 1\n\nSo.\n"
    )
    src = SourceDoc("x/HH_22-1", "x.md", text, {"generator": "ska_archiv 1.0"})
    inq = hh.parse(src)
    assert [p.side for p in inq.preambles] == ["government"]
    assert inq.drucksache == "22/1" and inq.answers[0].questions == (1,)


def test_detect_by_shape_and_not_other_families() -> None:
    shaped = SourceDoc("x", "x.md", "### Frage 1\n\nWie?\n\n#### Antwort zu Frage 1\n\nSo.\n")
    assert hh.detect(shaped)
    for path in [
        *sorted((ROOT / "niedersachsen-felixkhaj").glob("NI_*.txt"))[:2],
        *sorted((ROOT / "bundestag-digest-dip").glob("*.txt"))[:2],
        *sorted((ROOT / "hessen-seed").glob("*"))[:1],
    ]:
        assert not hh.detect(read_file(path, ROOT)), path


def test_whole_family_matches_front_matter_counts() -> None:
    assert len(PATHS) == 5
    for path in PATHS:
        src = source(path.stem)
        assert detect_family(src) is hh
        inq = parse_document(src)
        assert not inq.fallback and inq.family == "hamburg"
        numbers = [q.number for q in inq.questions]
        assert numbers == list(range(1, src.meta["fragen"] + 1))
        answered = sorted({n for a in inq.answers for n in a.questions})
        assert answered == numbers
        extra = 1 if path.stem == "HH_23-4557" else 0  # the heading the tool missed
        assert len(inq.answers) == src.meta["antwortbloecke"] + extra
