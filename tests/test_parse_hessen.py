"""Hessischer Landtag: the HessenConnect seed and the shape in general."""

from __future__ import annotations

from pathlib import Path

from goldens import check_golden

from anfragen.models import SourceDoc
from anfragen.parse import detect_family, parse_document
from anfragen.parse import hessen as parse_hessen
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
SEED = ROOT / "hessen-seed" / "HE_20_hessenconnect-2-0.txt"
GOLDEN = Path(__file__).parent / "golden" / "hessen" / "HE_20_hessenconnect-2-0.json"

OTHER = """HESSISCHER LANDTAG
21. Wahlperiode Drucksache 21/456

Kleine Anfrage
Anna Beispiel und Bernd Muster (SPD) vom 10.04.2024
Radwege an Landesstraßen
und
Antwort
Minister für Wirtschaft, Energie, Verkehr, Wohnen und ländlichen Raum

Vorbemerkung der Fragesteller:
Radwege fehlen.

Frage 1. Wie viele Kilometer Radweg wurden 2023 gebaut?

Im Jahr 2023 wurden 42 Kilometer gebaut.

Frage 2a. Welche Strecken sind geplant?

Frage 2b. Bis wann?

Die Fragen 2a und 2b werden gemeinsam beantwortet. Geplant sind drei Strecken bis 2027.

Frage 3. Welche Kosten entstehen?

Rund 12 Mio. Euro.

Wiesbaden, 6. Mai 2024

Kaweh Mansoori
"""


def test_seed_required_fields():
    inq = parse_document(read_file(SEED, ROOT))
    assert inq.family == "hessen" and not inq.fallback
    assert inq.askers == ("Oliver Stirböck",)
    assert inq.parties == ("Freie Demokraten",)
    assert inq.date_asked == "2023-02-03"
    assert inq.date_answered == "2023-03-14"
    assert inq.answering_body == "Ministerin für Digitale Strategie und Entwicklung"
    assert [p.side for p in inq.preambles] == ["askers", "government"]
    assert [q.number for q in inq.questions] == [1, 2, 3, 4, 5]
    assert [a.questions for a in inq.answers] == [(1, 2, 3, 4, 5)]
    assert inq.parliament == "Hessischer Landtag" and inq.wahlperiode == "20"


def test_seed_golden():
    check_golden(parse_document(read_file(SEED, ROOT)), GOLDEN)


def test_seed_text_cleaning():
    inq = parse_document(read_file(SEED, ROOT))
    # "zur Verfü-" + blank line + "gung" in the question, a blank line inside question 1.
    assert inq.questions[1].text.endswith("kostenpflichtig zur Verfügung stellen?")
    assert "\n" not in inq.questions[0].text
    gov = inq.preambles[1].text
    assert gov.startswith("Rund 37.000") and "Informationssicherheit" in gov
    assert "Wiesbaden" not in inq.answers[0].text and "Sinemus" not in inq.answers[0].text
    assert inq.answers[0].text.endswith("NZBau 2019, 116).")


def test_other_hessen_document_by_content():
    src = SourceDoc("x/drs-21-456", "x/drs-21-456.txt", OTHER)
    assert detect_family(src) is parse_hessen
    inq = parse_hessen.parse(src)
    assert (inq.drucksache, inq.wahlperiode, inq.title) == (
        "21/456",
        "21",
        "Radwege an Landesstraßen",
    )
    assert inq.askers == ("Anna Beispiel", "Bernd Muster") and inq.parties == ("SPD",)
    assert inq.date_answered == "2024-05-06"
    assert [q.number for q in inq.questions] == [1, 2, 3]
    assert inq.questions[1].text == "Welche Strecken sind geplant?\nBis wann?"
    assert [a.questions for a in inq.answers] == [(1,), (2,), (3,)]
    assert inq.answers[2].text == "Rund 12 Mio. Euro."
    assert [p.side for p in inq.preambles] == ["askers"]


def test_detect_rejects_other_parliaments():
    for head in ("Deutscher Bundestag Drucksache 21/1", "Niedersächsischer Landtag"):
        src = SourceDoc("y", "y.txt", head + "\n" + OTHER)
        assert not parse_hessen.detect(src)
    assert not parse_hessen.detect(SourceDoc("z", "z.json", OTHER))
