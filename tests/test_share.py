"""Permalinks, citation lines and the Markdown/CSV downloads (pure helpers in anfragen.ui)."""

from __future__ import annotations

import csv
import io

from anfragen import ui
from anfragen.models import Answer, Citation
from anfragen.retrieve import MODES, Filters

C1 = Citation(n=1, chunk_id="bt/21_992#2/0", doc_id="bt/21_992", questions=(2,),
              drucksache="21/992", parliament="Deutscher Bundestag", date_answered="2025-07-23",
              answering_body="Bundesregierung", source="data/x.txt", title="Radwege",
              url="https://dserver.bundestag.de/btd/21/009/2100992.pdf")
C2 = Citation(n=2, chunk_id="hh/23_1#3/0", doc_id="hh/23_1", questions=(3, 4),
              drucksache="23/1", parliament="Hamburgische Bürgerschaft", date_answered="",
              answering_body="Senat", source="data/y.md", title="Häfen, \"Kräne\"; mehr")
ANS = Answer(query="Wie viele Radwege?", abstained=False, text="Es sind 12 [1]. Mehr [2].",
             citations=(C1, C2), hits=(), sentences=(("Es sind 12.", 1), ("Mehr.", 2)))


def test_citation_line_as_a_journalist_would_write_it() -> None:
    assert ui.full_citation(C1) == ("Deutscher Bundestag, Drucksache 21/992, Antwort der "
                                    "Bundesregierung vom 23.07.2025, Frage 2")
    assert ui.full_citation(C2) == ("Hamburgische Bürgerschaft, Drucksache 23/1, Antwort des "
                                    "Senats, Fragen 3 und 4")


def test_without_drucksache_the_title_names_the_document() -> None:
    from dataclasses import replace

    assert ui.full_citation(replace(C1, drucksache="")).startswith(
        "Deutscher Bundestag, „Radwege“, Antwort der Bundesregierung")


def test_answering_bodies_in_the_genitive() -> None:
    assert ui.answered_by("Landesregierung") == "der Landesregierung"
    assert ui.answered_by("Ministerium für Inneres") == "des Ministeriums für Inneres"
    assert ui.answered_by("Staatskanzlei") == "der Staatskanzlei"
    assert ui.answered_by("Ministerin für Digitales") == "der Ministerin für Digitales"
    assert ui.answered_by("Minister des Innern") == "des Ministers des Innern"
    assert ui.answered_by("Bürgerbeauftragte") == "von Bürgerbeauftragte"


def test_permalink_round_trip() -> None:
    flt = Filters(parliaments=("Deutscher Bundestag", "Hessischer Landtag"), since="2025-01-01",
                  parties=("SPD",), doc_types=("Kleine Anfrage",))
    params = ui.permalink_params("Radwege?", flt, "bm25", 7)
    assert params["parliament"] == ["Deutscher Bundestag", "Hessischer Landtag"]
    assert "until" not in params and "body" not in params
    back = ui.parse_permalink(params, MODES, (1, 20))
    assert back == ui.Permalink("Radwege?", flt, "bm25", 7)


def test_a_mangled_link_still_opens() -> None:
    got = ui.parse_permalink({"q": [" Radwege "], "mode": ["zauber"], "k": ["999"],
                              "since": ["31.12.2024"], "party": ["", "CDU"]}, MODES, (1, 20))
    assert got == ui.Permalink("Radwege", Filters(parties=("CDU",)), "", 0)
    assert ui.parse_permalink({}, MODES, (1, 20)) == ui.Permalink()


def test_markdown_download_lists_sources_and_link() -> None:
    md = ui.answer_markdown(ANS, "http://localhost:8501/?q=Radwege")
    assert md.startswith("# Wie viele Radwege?\n\nEs sind 12 [1]. Mehr [2].")
    assert ("1. Deutscher Bundestag, Drucksache 21/992, Antwort der Bundesregierung vom "
            "23.07.2025, Frage 2: Radwege <https://dserver.bundestag.de/btd/21/009/"
            "2100992.pdf>") in md
    assert "2. Hamburgische Bürgerschaft, Drucksache 23/1" in md
    assert md.rstrip().endswith("<http://localhost:8501/?q=Radwege>")


def test_csv_download_one_row_per_source_survives_commas_and_quotes() -> None:
    rows = list(csv.DictReader(io.StringIO(ui.answer_csv(ANS))))
    assert [r["Nr"] for r in rows] == ["1", "2"]
    assert rows[1]["Titel"] == 'Häfen, "Kräne"; mehr'
    assert rows[0]["Zitierte Sätze"] == "Es sind 12." and rows[1]["Fragen"] == "3 4"
    assert rows[0]["URL"].endswith("2100992.pdf")
