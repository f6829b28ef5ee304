"""Streamlit face of anfragen: widgets only; everything else is anfragen.Engine and anfragen.ui.

Run: anfragen app [--host 127.0.0.1] [--port 8501], or streamlit run app.py
(ANFRAGEN_INDEX, ANFRAGEN_MODEL as for the CLI; ANFRAGEN_ADMIN_TOKEN unlocks everyone's feedback).
The wheel ships this file as anfragen/webapp.py (setup.py), which `anfragen app` runs.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from urllib.parse import quote

import streamlit as st

from anfragen import ui
from anfragen.answer.extractive import ABSTAIN_TEXT
from anfragen.errors import AnfragenError, QueryError
from anfragen.models import Answer, Citation
from anfragen.pipeline import Engine
from anfragen.retrieve import MODES, Filters, RetrievalConfig
from anfragen.serialize import answer_json

log = logging.getLogger("anfragen.app")

EXAMPLES = (
    "Können hessische Kommunen HessenConnect 2.0 nutzen?",
    "Müssen Krankenhäuser in Niedersachsen ein System haben, über das Beschäftigte Fehler "
    "anonym melden können?",
    "Wie viele Menschen wurden Anfang Juli 2025 in Deutschland mit offenem Haftbefehl "
    "polizeilich gesucht?",
    "Dürfen Feuerwehrleute bald mit dem normalen Autoführerschein Einsatzfahrzeuge bis fünf "
    "Tonnen fahren?",
)


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    engine = Engine.from_env()
    engine.preload(setup_lock())  # the model loads while the page renders, not on question 1
    return engine


@st.cache_resource(show_spinner=False)
def setup_lock() -> threading.Lock:
    """One model conversion / index build at a time, however many sessions are open."""
    return threading.Lock()


# -- first run: model and index ---------------------------------------------------------------
def prepare_model(engine: Engine) -> None:
    if engine.embedder is not None:
        return
    with st.status("Das Sprachmodell wird geladen …", expanded=True) as status:
        engine.get_embedder(progress=lambda msg: status.write(ui.status_message(msg)))
        status.update(label="Das Sprachmodell ist bereit.", state="complete", expanded=False)


def prepare_index(engine: Engine) -> None:
    if engine.has_index():
        return
    st.info("Es gibt noch keinen Suchindex. Er wird jetzt einmalig aus den mitgelieferten "
            "Dokumenten aufgebaut; das kann einige Minuten dauern.")
    bar = st.progress(0.0, text="Der Suchindex wird aufgebaut …")

    def update(phase: str, done: int, total: int) -> None:
        frac, text = ui.progress_text(phase, done, total)
        bar.progress(frac, text=text)

    report = engine.ensure_index(progress=update)
    bar.progress(1.0, text="Der Suchindex ist fertig.")
    if report is not None and report.failed:
        st.warning(f"{len(report.failed)} Dateien konnten nicht gelesen werden und fehlen im "
                   "Index (Details: anfragen ingest auf der Kommandozeile).")


def prepare(engine: Engine) -> bool:
    """Model and index ready (built with visible progress); False after a shown error."""
    try:
        with setup_lock():
            prepare_model(engine)
            prepare_index(engine)
        _ = engine.index  # opened now, so a broken index is reported here
    except AnfragenError as exc:
        st.error(f"Die Suche kann nicht starten: {exc}")
        return False
    except Exception as exc:  # the app's last line: a message, never a traceback
        log.exception("setup failed")
        st.error(f"Die Suche kann nicht starten (unerwarteter Fehler {type(exc).__name__}: "
                 f"{exc}). Bitte prüfen Sie die Installation und starten Sie die App neu.")
        return False
    return True


# -- sidebar ------------------------------------------------------------------------------------
def linked() -> ui.Permalink:
    """Question and filters from the page URL, read once per session (a shared link)."""
    if "link" not in st.session_state:
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        link = ui.parse_permalink(params, MODES, (1, 20))
        st.session_state["link"] = link
        if link.query:
            st.session_state["frage"] = st.session_state["query"] = link.query
    return st.session_state["link"]


def date_range(opts: ui.FilterOptions) -> tuple:
    if not (opts.first and opts.last):
        return ()
    flt = linked().filters
    lo = max(opts.first, date.fromisoformat(flt.since)) if flt.since else opts.first
    hi = min(opts.last, date.fromisoformat(flt.until)) if flt.until else opts.last
    picked = st.date_input(
        "Beantwortet im Zeitraum", value=(lo, hi), min_value=opts.first,
        max_value=opts.last, format="DD.MM.YYYY", key="f_dates",
    )
    return tuple(picked) if isinstance(picked, (tuple, list)) else ()


def filter_options(engine: Engine) -> ui.FilterOptions:
    try:
        return ui.filter_options(engine.filter_values())
    except AnfragenError as exc:
        st.sidebar.error(f"Die Filterwerte konnten nicht gelesen werden ({exc}).")
        return ui.FilterOptions()


def sidebar(engine: Engine) -> tuple[Filters, RetrievalConfig, int]:
    opts = filter_options(engine)
    link = linked()

    def known(values: tuple[str, ...], offered: tuple[str, ...]) -> list[str]:
        return [v for v in values if v in offered]  # a link may name values no longer there

    with st.sidebar:
        st.header("Filter")
        parls = st.multiselect("Parlament", opts.parliaments, key="f_parl",
                               default=known(link.filters.parliaments, opts.parliaments),
                               placeholder="alle Parlamente")
        dates = date_range(opts)
        parties = st.multiselect("Partei der Fragestellenden", opts.parties, key="f_party",
                                 default=known(link.filters.parties, opts.parties),
                                 placeholder="alle Parteien")
        bodies = st.multiselect("Antwortende Stelle", opts.answering_bodies, key="f_body",
                                default=known(link.filters.answering_bodies,
                                              opts.answering_bodies),
                                placeholder="alle Stellen")
        types = st.multiselect("Dokumentart", opts.doc_types, key="f_type",
                               default=known(link.filters.doc_types, opts.doc_types),
                               placeholder="alle Dokumentarten")
        k = st.slider("Anzahl weiterer Fundstellen", 1, 20, link.k or 5, key="f_k")
        with st.expander("Erweitert"):
            default = link.mode or RetrievalConfig().mode
            mode = st.radio("Suchverfahren", MODES, index=MODES.index(default), key="f_mode",
                            format_func=lambda m: ui.MODE_LABELS.get(m, m))
    filters = ui.build_filters(opts, parls, dates, parties, bodies, types)
    st.session_state["shown"] = (filters, mode, k)  # what a permalink has to reproduce
    # more hits than shown, so that k distinct documents can be listed
    return filters, RetrievalConfig(mode=mode, k=max(4 * k, 10)), k


# -- question ------------------------------------------------------------------------------------
def use_example(text: str) -> None:
    st.session_state["frage"] = text
    st.session_state["query"] = text


def submit() -> None:
    st.session_state["query"] = st.session_state.get("frage", "")


def question_form() -> None:
    with st.form("frage_form", border=False):
        st.text_input("Ihre Frage", key="frage", max_chars=2000,
                      placeholder="Frage in eigenen Worten – mit der Eingabetaste suchen")
        st.form_submit_button("Antwort suchen", type="primary", on_click=submit)
    st.caption("Beispiele zum Ausprobieren:")
    with st.container(horizontal=True, gap="small"):
        for i, text in enumerate(EXAMPLES):
            st.button(ui.md_escape(text), key=f"beispiel_{i}", on_click=use_example, args=(text,))


def run_query(engine: Engine, query: str, cfg: RetrievalConfig, filters: Filters) -> Answer | None:
    try:
        with st.spinner("Die Anfragen werden durchsucht …"):
            return engine.ask(query, cfg, filters)
    except QueryError as exc:
        st.warning(str(exc))
    except AnfragenError as exc:
        st.error(f"Die Suche ist fehlgeschlagen: {exc}")
    except Exception as exc:  # the app's last line: a message, never a traceback
        log.exception("query failed: %r", query)
        st.error(f"Die Suche ist mit einem unerwarteten Fehler abgebrochen "
                 f"({type(exc).__name__}: {exc}). Bitte versuchen Sie es erneut.")
    return None


# -- answer ---------------------------------------------------------------------------------------
def source_card(engine: Engine, ans: Answer, c: Citation) -> None:
    hit = ui.hit_for(ans, c)
    st.html(ui.card_html(c, hit, ui.quoted_for(ans, c.n)))
    st.caption("Zitierzeile zum Kopieren:")
    st.code(ui.full_citation(c), language=None, wrap_lines=True)
    with st.expander(f"Ganzes Dokument anzeigen (Quelle {c.n})"):
        inq = engine.document(c.doc_id)
        if inq:
            side = ui.preamble_side(hit) or "government"
            st.html(ui.document_html(inq, c.questions, f"{ui.anchor(c.n)}-stelle", side))
        else:
            st.caption("Das Dokument ist nicht mehr im Index.")


def show_answer(engine: Engine, ans: Answer, filters: Filters, k: int) -> None:
    st.subheader("Antwort")
    if ans.notice:
        st.info(ans.notice)
    if ans.abstained:
        show_abstention(ans, filters, k)
        return
    st.html(ui.answer_html(ans.text or "", [c.n for c in ans.citations]))
    st.caption("Wörtliche Zitate aus den Antworten; die Nummern führen zu den Quellen.")
    st.subheader("Quellen")
    for c in ans.citations:
        source_card(engine, ans, c)
    cited = {c.chunk_id for c in ans.citations}
    others = [h for h in ans.hits if h.chunk.chunk_id not in cited]
    if others:
        with st.expander("Weitere Fundstellen"):
            st.html(ui.related_html(others, k))
    share(ans)


def share(ans: Answer) -> None:
    """Downloads of the answer with its sources; the page URL is its permalink."""
    link = permalink_url()
    st.caption("Die Adresse dieser Seite führt zu genau dieser Antwort (Frage und Filter "
               "stehen darin) und kann geteilt werden.")
    left, right = st.columns(2)
    left.download_button("Antwort als Markdown", ui.answer_markdown(ans, link),
                         file_name="antwort.md", mime="text/markdown", width="stretch")
    right.download_button("Quellen als CSV", ui.answer_csv(ans), file_name="quellen.csv",
                          mime="text/csv", width="stretch")


def permalink_url() -> str:
    base = (st.context.url or "").split("?")[0]
    query = "&".join(f"{k}={quote(v)}" for k, vs in st.query_params.to_dict().items()
                     for v in st.query_params.get_all(k)) if base else ""
    return f"{base}?{query}" if base and query else base


def show_abstention(ans: Answer, filters: Filters, k: int) -> None:
    st.info(f"{ABSTAIN_TEXT} {ans.reason}" if ans.reason else ABSTAIN_TEXT)
    if ans.hits:
        st.markdown("**Vielleicht verwandt:**")
        st.html(ui.related_html(ans.related or ans.hits, k))
    elif filters.active:
        st.caption("Mit den gewählten Filtern wurde nichts gefunden. Lockern Sie die Filter "
                   "in der Seitenleiste.")


# -- feedback -------------------------------------------------------------------------------------
def feedback_form(engine: Engine, ans: Answer, cfg: RetrievalConfig, filters: Filters) -> None:
    config = {"mode": cfg.mode, "k": cfg.k, "filters": asdict(filters)}
    signature = repr((ans.query, config))
    if st.session_state.get("feedback_for") == signature:
        st.success("Danke! Ihre Rückmeldung wurde gespeichert.")
        return
    with st.form("feedback_form", enter_to_submit=False):
        st.markdown("**War diese Antwort hilfreich?**")
        reason = st.text_input("Begründung (optional)", key="fb_reason",
                               placeholder="Was hat gefehlt oder gestimmt?")
        left, right = st.columns(2)
        up = left.form_submit_button("👍 hilfreich", width="stretch")
        down = right.form_submit_button("👎 nicht hilfreich", width="stretch")
    if not (up or down):
        return
    try:
        engine.feedback(ans.query, ans.text or ABSTAIN_TEXT, answer_json(ans)["citations"],
                        helpful=bool(up), reason=reason.strip(), config=config,
                        session=session_id())
    except Exception as exc:  # storing feedback must not break the page
        log.exception("feedback failed")
        st.error(f"Die Rückmeldung konnte nicht gespeichert werden ({type(exc).__name__}: "
                 f"{exc}).")
        return
    st.session_state["feedback_for"] = signature
    st.success("Danke! Ihre Rückmeldung wurde gespeichert.")


def session_id() -> str:
    """This browser session's key to its own feedback (nothing else identifies a visitor)."""
    return st.session_state.setdefault("fb_session", uuid.uuid4().hex)


def feedback_table(rows: list[dict], empty: str) -> None:
    if not rows:
        st.caption(empty)
        return
    helpful = sum(r["Bewertung"].startswith("👍") for r in rows)
    st.markdown(f"{len(rows)} Rückmeldungen, davon {helpful} hilfreich und "
                f"{len(rows) - helpful} nicht hilfreich.")
    st.dataframe(rows, hide_index=True, width="stretch")


def feedback_overview(engine: Engine) -> None:
    """Each visitor sees their own feedback; everyone's only with ANFRAGEN_ADMIN_TOKEN."""
    st.caption("Hier sehen nur Sie Ihre Rückmeldungen aus dieser Sitzung.")
    feedback_table(ui.feedback_rows(engine.list_feedback(session_id())),
                   "Sie haben in dieser Sitzung noch keine Rückmeldung gegeben.")
    token = os.environ.get("ANFRAGEN_ADMIN_TOKEN", "")
    if not token:
        return
    with st.expander("Alle Rückmeldungen (Betrieb)"):
        given = st.text_input("Admin-Token", type="password", key="admin_token")
        if given and hmac.compare_digest(given.encode(), token.encode()):
            feedback_table(ui.feedback_rows(engine.list_feedback()), "Noch keine Rückmeldungen.")
        elif given:
            st.error("Das Token stimmt nicht.")


# -- page -----------------------------------------------------------------------------------------
def header(engine: Engine) -> None:
    stats = engine.stats()
    st.markdown(ui.md_escape(ui.coverage_line(stats)))
    with st.expander("Welche Parlamente und Zeiträume sind enthalten?"):
        st.dataframe(ui.parliament_rows(stats), hide_index=True, width="stretch")


def ask_tab(engine: Engine, filters: Filters, cfg: RetrievalConfig, k: int) -> None:
    question_form()
    query = st.session_state.get("query", "")
    if not query:
        return
    flt, mode, shown_k = st.session_state["shown"]
    st.query_params.from_dict(ui.permalink_params(query, flt, mode, shown_k))
    ans = run_query(engine, query, cfg, filters)
    if ans is not None:
        show_answer(engine, ans, filters, k)
        feedback_form(engine, ans, cfg, filters)


def guarded(step: Callable[[], None]) -> None:
    """Run one part of the page; an unexpected error becomes a German message."""
    try:
        step()
    except Exception as exc:
        log.exception("page failed")
        st.error(f"Beim Anzeigen ist ein unerwarteter Fehler aufgetreten ({type(exc).__name__}: "
                 f"{exc}).")


def main() -> None:
    st.set_page_config(page_title="Anfragen – Antworten aus dem Parlament", page_icon="🏛️",
                       layout="centered")
    st.html(ui.PAGE_CSS)
    st.html(ui.LANG_SCRIPT, unsafe_allow_javascript=True)
    st.title("Antworten aus parlamentarischen Anfragen")
    engine = get_engine()
    if not prepare(engine):
        return
    guarded(lambda: header(engine))
    filters, cfg, k = sidebar(engine)
    frage, rueck = st.tabs(["Fragen", "Rückmeldungen"])
    with frage:
        guarded(lambda: ask_tab(engine, filters, cfg, k))
    with rueck:
        guarded(lambda: feedback_overview(engine))


main()
