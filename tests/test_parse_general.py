"""Tests for the general parser (parse/general.py with marks, furniture,
header, layouts) and the review of family results (parse/review.py).

- tests/data/unseen/: four real documents of layouts no family was written for, as records
  and as plain text, copied unaltered from ../shared/unseen/ (see its README for the source);
  gold.jsonl holds their hand-checked structure. Golden files in tests/golden/unseen/ hold what
  the parser makes of them (metadata, first and last words of every part), checked against the
  printed documents.
- synthetic_layouts.py: small documents in every marker style, joint-answer wording and
  parliament layout; each is parsed as printed and with its line breaks lost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from goldens import check_golden
from synthetic_layouts import HARD_CASES, JOINT_WORDINGS, LAYOUTS, Layout

from anfragen.models import Inquiry, SourceDoc
from anfragen.parse import general as parse_general
from anfragen.parse import parse_document
from anfragen.parse.furniture import MASK, mask_furniture, span_text
from anfragen.parse.header import is_person_name, printed_askers
from anfragen.parse.layouts import HINTS, NO_HINT, hint_for
from anfragen.parse.marks import find_marks, numbers
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1]
UNSEEN = ROOT / "tests" / "data" / "unseen"
GOLDEN = ROOT / "tests" / "golden" / "unseen"
GOLD = {g["doc"]: g for g in map(json.loads, (UNSEEN / "gold.jsonl").read_text().splitlines())}
FORMS = {"records": "json", "text": "txt"}
ASKERS = {  # as printed in each document's head
    "bund-21-7449": ["Ulrich von Zons", "Knuth Meyer-Soltau"],
    "saarland-17-1331": ["Jutta Schmitt-Lang"],
    "schleswig-holstein-20-2905": ["Annabell Krämer"],
    "berlin-19-10041": ["Anne Helm", "Niklas Schrader"],
}
META_FIELDS = ("doc_id", "parliament", "wahlperiode", "drucksache", "title", "doc_type",
               "answering_body", "date_asked", "date_answered", "family", "rule")  # fmt: skip


@cache
def unseen(doc: str, form: str) -> Inquiry:
    return parse_document(read_file(UNSEEN / form / f"{doc}.{FORMS[form]}", UNSEEN))


def structure(inq: Inquiry) -> tuple[list[int], list[list[int]]]:
    return [q.number for q in inq.questions], [list(a.questions) for a in inq.answers]


def one_line(text: str) -> SourceDoc:
    return SourceDoc("t/one-line", "t/one-line.txt", " ".join(text.split()), {})


# --------------------------------------------------------------------------- unseen documents


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("doc", sorted(GOLD))
def test_unseen_documents_parse_to_their_gold_structure(doc: str, form: str) -> None:
    inq = unseen(doc, form)
    assert structure(inq) == (GOLD[doc]["questions"], GOLD[doc]["answer_groups"])
    assert not inq.fallback and inq.confidence == 1.0


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("doc", sorted(GOLD))
def test_unseen_askers_are_names_only(doc: str, form: str) -> None:
    inq = unseen(doc, form)
    assert list(inq.askers) == ASKERS[doc]
    assert all(is_person_name(a) for a in inq.askers)


@pytest.mark.parametrize("doc", sorted(GOLD))
def test_unseen_documents_with_their_line_breaks_lost(doc: str) -> None:
    text = read_file(UNSEEN / "text" / f"{doc}.txt", UNSEEN).text
    inq = parse_document(one_line(text))
    assert structure(inq) == (GOLD[doc]["questions"], GOLD[doc]["answer_groups"])
    assert list(inq.askers) == ASKERS[doc]


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("doc", sorted(GOLD))
def test_unseen_golden(doc: str, form: str) -> None:
    check_golden(unseen(doc, form), GOLDEN / f"{doc}.{form}.json")


def test_every_unseen_document_has_golden_files() -> None:
    want = sorted(f"{doc}.{form}" for doc in GOLD for form in FORMS)
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == want


def test_unseen_offsets_point_at_the_raw_text() -> None:
    for doc in GOLD:
        text = read_file(UNSEEN / "text" / f"{doc}.txt", UNSEEN).text
        inq = unseen(doc, "text")
        for unit in (*inq.questions, *inq.answers, *inq.preambles):
            assert 0 <= unit.start < unit.end <= len(text)
            raw = "".join(ch for ch in text[unit.start : unit.end] if ch.isalnum())
            assert raw.startswith("".join(ch for ch in unit.text[:20] if ch.isalnum())), doc


def test_furniture_never_reaches_the_text() -> None:
    for doc in GOLD:
        inq = unseen(doc, "text")
        for unit in (*inq.questions, *inq.answers, *inq.preambles):
            assert "Gesamtherstellung" not in unit.text and "ISSN" not in unit.text
            assert "Ausgegeben:" not in unit.text and "Drucksache 21/7652 –" not in unit.text


# --------------------------------------------------------------------------- synthetic layouts


def _cases(layouts: tuple[Layout, ...]) -> list:
    return [pytest.param(lay, form, id=f"{lay.name[:50]}-{form}") for lay in layouts
            for form in ("printed", "one-line")]  # fmt: skip


@pytest.mark.parametrize(("lay", "form"), _cases(LAYOUTS + JOINT_WORDINGS + HARD_CASES))
def test_synthetic_layout(lay: Layout, form: str) -> None:
    src = SourceDoc("t/synthetic", "t/synthetic.txt", lay.text, {})
    inq = parse_document(src if form == "printed" else one_line(lay.text))
    assert structure(inq) == (lay.questions, lay.groups)
    assert not inq.fallback and inq.rule.startswith("general:")
    for name, want in lay.meta.items():
        assert getattr(inq, name) == want, name


def test_numbered_questions_never_fall_back_whole() -> None:
    """Questions with answers that carry no number: still one block per paragraph."""
    text = ("Kleine Anfrage\nIch frage die Landesregierung:\n1. Wie viele Ämter gibt es?\n"
            "2. Wie viele Stellen sind frei?\n\nAntwort der Landesregierung\n\n"
            "Es gibt zwölf Ämter.\n\nFrei sind 40 Stellen.\n")
    inq = parse_document(SourceDoc("t/d", "t/d.txt", text, {}))
    assert not inq.fallback and inq.rule == "general:degraded"
    assert structure(inq) == ([1, 2], [[1], [2]]) and inq.confidence <= 0.4


def test_text_without_structure_still_falls_back() -> None:
    inq = parse_document(SourceDoc("t/d", "t/d.txt", "Ein Brief ohne Fragen und Antworten.", {}))
    assert inq.fallback and inq.rule == "fallback" and inq.confidence == 0.0


# --------------------------------------------------------------------------- marks


def test_numbers_of_labels_and_joint_sentences() -> None:
    assert numbers("1. und 2.") == (1, 2)
    assert numbers("2 bis 5") == (2, 3, 4, 5)
    assert numbers("5. a.") == (5,)
    assert numbers("1.1 und 2.3") == (1, 2)
    assert numbers("6, 6a, 6b, 7 und 9") == (6, 7, 9)


@pytest.mark.parametrize(
    ("printed", "nums"),
    [("Zu 1.:", (1,)), ("Zu 5. a.:", (5,)), ("Zu Frage 12:", (12,)), ("zu Fragen 2 und 3:", (2, 3)),
     ("Antwort zu Frage 4:", (4,)), ("Antwort zu 1:", (1,)), ("Zu den Fragen 1 und 3:", (1, 3)),
     ("Zu 1.1:", (1,)), ("Zu 2. und 3.:", (2, 3)), ("Antwort zu den Fragen 2 bis 4:", (2, 3, 4)),
     ("Zusammenfassende Antwort auf die Fragen 1 und 2", (1, 2))],
)
def test_answer_labels(printed: str, nums: tuple[int, ...]) -> None:
    marks = [m for m in find_marks(f"Text.\n{printed}\nDie Antwort.", NO_HINT) if m.kind == "label"]
    assert [m.nums for m in marks] == [nums]


@pytest.mark.parametrize(
    ("sentence", "nums"),
    [("Die Fragen 2 bis 5 werden zusammen beantwortet.", (2, 3, 4, 5)),
     ("Die Fragen 1 und 3 werden aufgrund des Sachzusammenhangs gemeinsam beantwortet.", (1, 3)),
     ("Die Fragen 3 und 4 werden zusammenhängend beantwortet.", (3, 4)),
     ("Die Fragen 1 bis 5 werden im Sachzusammenhang gemeinsam beantwortet.", (1, 2, 3, 4, 5)),
     ("Aufgrund des Sachzusammenhangs werden die Fragen 6 und 7 gemeinsam beantwortet.", (6, 7))],
)
def test_joint_answer_wordings(sentence: str, nums: tuple[int, ...]) -> None:
    marks = [m for m in find_marks(f"Nein. {sentence} Ja.", NO_HINT) if m.kind == "joint"]
    assert [m.nums for m in marks] == [nums]


def test_dates_ordinals_and_mid_sentence_numbers_are_no_questions() -> None:
    text = ("Seit dem 1. Januar 2020 gilt das. Stand: 11. November 2021. In der 3. Klasse.\n"
            "21. Wahlperiode\n")
    assert [m for m in find_marks(text, NO_HINT, one_line=True) if m.kind == "item"] == []
    text = "Es gilt das Gesetz (vgl. 2. Abschnitt) und wie viele"
    assert [m for m in find_marks(text, NO_HINT) if m.kind == "item"] == []


# --------------------------------------------------------------------------- furniture, header


def test_furniture_is_masked_in_place_and_joined_over() -> None:
    text = ("Die Zahl der Anträge ist im Jahr 2024 deutlich ge-\n"
            "Drucksache 8/123 Landtag Mecklenburg-Vorpommern - 8. Wahlperiode\n"
            "stiegen.\n- 2 -\fWeiter geht es.\n42\nEnde")
    view = mask_furniture(text, hint_for(text))
    assert len(view) == len(text) and "Drucksache" not in view.replace(MASK, "")
    assert span_text(view, 0, len(view)).startswith("Die Zahl der Anträge ist im Jahr 2024 "
                                                    "deutlich gestiegen.")
    assert "42" in view  # a number inside a page is no page number


def test_running_header_in_one_line_text() -> None:
    text = ("Eine Aussage ohne Ende " * 30 + "Drucksache 21/7652 – 2 – Deutscher Bundestag – "
            "21. Wahlperiode 5. Welche Maßnahmen plant die Bundesregierung?")
    view = mask_furniture(text, hint_for(text))
    assert view.endswith("5. Welche Maßnahmen plant die Bundesregierung?")
    assert "Drucksache" not in view.replace(MASK, "")


@pytest.mark.parametrize("hint", HINTS, ids=lambda h: h.name)
def test_every_parliament_is_found_by_its_printed_name(hint) -> None:
    printed = {"Abgeordnetenhaus Berlin": "ABGEORDNETENHAUS BERLIN",
               "Hamburgische Bürgerschaft": "BÜRGERSCHAFT DER FREIEN UND HANSESTADT HAMBURG"}
    head = f"{printed.get(hint.name, hint.name.upper())} Drucksache 8/1234\n8. Wahlperiode\n"
    assert hint_for(head + "Kleine Anfrage des Deutschen Bundestages") is hint


@pytest.mark.parametrize(
    ("head", "names", "parties"),
    [("der Abgeordneten Ulrich von Zons, Knuth Meyer-Soltau\nund der Fraktion der AfD\n",
      ("Ulrich von Zons", "Knuth Meyer-Soltau"), ("AfD",)),
     ("der Abgeordneten Anne Helm und Niklas Schrader (LINKE)\nvom 8. November 2021",
      ("Anne Helm", "Niklas Schrader"), ("DIE LINKE",)),
     ("des Abgeordneten Thomas Beispiel, Fraktion der AfD\nTitel", ("Thomas Beispiel",), ("AfD",)),
     ("der Abgeordneten Maximilian Deisenhofer, Laura Weber,\nPatrick Friedl BÜNDNIS 90/DIE "
      "GRÜNEN\nvom", ("Maximilian Deisenhofer", "Laura Weber", "Patrick Friedl"),
      ("BÜNDNIS 90/DIE GRÜNEN",)),
     ("Antwort des Senats auf die Kleine Anfrage der Fraktion der CDU vom 2. April", (),
      ("CDU",))],
)
def test_printed_askers_are_names_with_their_party(head, names, parties) -> None:
    assert printed_askers(head) == (names, parties)


def test_person_names_and_what_is_no_name() -> None:
    for name in ("Dr. Konstantin von Notz", "Claudia Roth (Augsburg)", "König-Preuss",
                 "Dr. h. c. Björn Thümler", "Alexander J. Herrmann"):
        assert is_person_name(name), name
    for junk in ("der Fraktion der", "Freie Demokratische Partei", "Landesregierung",
                 "Wissenschaft Minister/in für Allgemeine und Berufliche Bildung",
                 "Die Bundesregierung hat in den vergangenen Jahren den Schutz"):
        assert not is_person_name(junk), junk


# --------------------------------------------------------------------------- routing, review


def test_record_with_wrong_family_structure_gets_the_general_one() -> None:
    inq = unseen("berlin-19-10041", "records")
    assert inq.family == "openka" and inq.rule == "general:labels"
    assert inq.url.startswith("https://pardok.parlament-berlin.de/")  # metadata of the record


def test_record_askers_and_parliament_are_checked_against_the_print() -> None:
    inq = unseen("bund-21-7449", "records")
    assert inq.parliament == "Deutscher Bundestag"
    assert any("Metadaten nach dem Druckbild berichtigt" in w for w in inq.warnings)


def test_family_that_fails_hands_over_to_the_general_parser() -> None:
    inq = unseen("saarland-17-1331", "text")  # the saarland family raises ParseError on it
    assert inq.family == "general" and "saarland:" in inq.warnings[-1]


def test_parse_json_reports_rule_and_confidence() -> None:
    path = UNSEEN / "text" / "berlin-19-10041.txt"
    r = subprocess.run([sys.executable, "-m", "anfragen.cli", "parse", "--json", str(path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["rule"] == "general:labels" and doc["confidence"] == 1.0
    assert doc["drucksachen"] == ["19/10041"]


def test_general_parser_is_fast_enough() -> None:
    """One short document in well under the 20 ms that 50 documents/s allow (typical run)."""
    import time

    text = LAYOUTS[0].text
    started = time.process_time()
    for _ in range(20):
        parse_general.parse(SourceDoc("t/x", "t/x.txt", text, {}))
    assert (time.process_time() - started) / 20 < 0.02
