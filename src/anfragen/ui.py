"""Pure helpers for the Streamlit app (app.py): safe HTML for answers and source cards,
German labels, filter options. Nothing here imports streamlit, so it is unit-testable.

Safety rule: every string that comes from a document goes through `esc` (for st.html) or
`md_escape` (for markdown contexts) before it reaches the page; only markup built here is
left unescaped.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from .models import Answer, Citation, Hit
from .retrieve import Filters

MODE_LABELS = {
    "hybrid": "Hybrid (Bedeutung und Stichwörter)",
    "dense": "Nur Bedeutung (semantische Suche)",
    "bm25": "Nur Stichwörter (BM25)",
}
PHASE_LABELS = {"read": "Dokumente werden gelesen", "embed": "Textabschnitte werden eingebettet",
                "sentences": "Sätze werden eingebettet"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:<>])")
_MARKER = re.compile(r"\[(\d+)\]")
_SIDE_LABELS = {"askers": "Vorbemerkung der Fragestellenden",
                "government": "Vorbemerkung der antwortenden Stelle"}


# -- escaping ------------------------------------------------------------------------------
def esc(text: object) -> str:
    """Text for HTML: no tag, entity or attribute from a document survives as markup."""
    return html.escape(str(text or ""), quote=True)


def md_escape(text: object) -> str:
    """Text for st.markdown and widget labels: HTML-escaped, markdown specials backslashed
    (":" too, so Streamlit's :color[...] directives and emoji codes stay literal)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text or ""), quote=False))


def safe_url(url: str) -> str:
    """The URL when it is plain http(s), else "" (no javascript: or data: links)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def anchor(n: int) -> str:
    return f"quelle-{n}"


# -- highlighting --------------------------------------------------------------------------
def sentence_spans(text: str, sentences: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of the quoted sentences in text, sorted.

    Sentences are located verbatim, else with any run of whitespace matching any other."""
    spans: list[tuple[int, int]] = []
    for sent in sentences:
        sent = sent.strip()
        if not sent:
            continue
        start = text.find(sent)
        if start >= 0:
            span = (start, start + len(sent))
        else:
            pattern = r"\s+".join(re.escape(w) for w in sent.split())
            m = re.search(pattern, text)
            if not m:
                continue
            span = (m.start(), m.end())
        if not any(span[0] < e and s < span[1] for s, e in spans):
            spans.append(span)
    return sorted(spans)


def highlight(text: str, sentences: Iterable[str]) -> str:
    """Escaped text with the quoted sentences wrapped in <mark>."""
    out, pos = [], 0
    for start, end in sentence_spans(text, sentences):
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def answer_html(text: str, numbers: Iterable[int]) -> str:
    """The answer text escaped, each [n] of a known citation a link to its source card."""
    valid = set(numbers)

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in valid:
            return m.group(0)
        return (f'<a class="anf-ref" href="#{anchor(n)}" '
                f'aria-label="zu Quelle {n}">[{n}]</a>')

    return f'<div class="anf-answer">{_MARKER.sub(link, esc(text))}</div>'


# -- labels --------------------------------------------------------------------------------
def format_date(iso: str) -> str:
    """'2023-03-14' -> '14.03.2023'; anything else unchanged."""
    try:
        return date.fromisoformat(iso).strftime("%d.%m.%Y")
    except (TypeError, ValueError):
        return iso or ""


def question_label(numbers: Sequence[int]) -> str:
    nums = [n for n in numbers if n]
    if not nums:
        return "Vorbemerkung"
    if len(nums) == 1:
        return f"Frage {nums[0]}"
    if nums == list(range(nums[0], nums[-1] + 1)) and len(nums) > 2:
        return f"Fragen {nums[0]} bis {nums[-1]}"
    return "Fragen " + ", ".join(str(n) for n in nums[:-1]) + f" und {nums[-1]}"


def askers_line(doc: dict) -> str:
    askers = ", ".join(doc.get("askers") or [])
    parties = ", ".join(doc.get("parties") or [])
    if askers and parties:
        return f"{askers} ({parties})"
    return askers or parties


def citation_line(c: Citation) -> str:
    """'Hessischer Landtag, Drucksache 20/123, Frage 1, beantwortet am 14.03.2023' (plain)."""
    parts = [c.parliament or "Unbekanntes Parlament"]
    parts.append(f"Drucksache {c.drucksache}" if c.drucksache else c.doc_id)
    parts.append(question_label(c.questions))
    if c.date_answered:
        parts.append(f"beantwortet am {format_date(c.date_answered)}")
    return ", ".join(parts)


def status_message(msg: str) -> str:
    """German wording for the embedder's one-time conversion messages (English in embed/)."""
    known = {
        "Converting": "Das Sprachmodell wird einmalig umgewandelt (einige Sekunden) …",
        "Checking": "Das umgewandelte Sprachmodell wird geprüft …",
        "Embedding model ready": "Das Sprachmodell ist bereit.",
    }
    for prefix, german in known.items():
        if msg.startswith(prefix):
            return german
    return msg


def progress_text(phase: str, done: int, total: int) -> tuple[float, str]:
    """Fraction in [0, 1] and a German label for an ingest progress callback."""
    frac = min(1.0, done / total) if total else 0.0
    return frac, f"{PHASE_LABELS.get(phase, phase)}: {done} von {total}"


def coverage_line(stats: dict) -> str:
    """One German sentence on what the index covers (plain text, escape before display)."""
    parls = stats.get("parliaments") or []
    n_docs = sum(p["documents"] for p in parls)
    first = min((p["from"] for p in parls if p.get("from")), default="")
    last = max((p["to"] for p in parls if p.get("to")), default="")
    span = ""
    if first and last:
        span = (f", beantwortet am {format_date(first)}" if first == last else
                f", beantwortet zwischen {format_date(first)} und {format_date(last)}")
    updated = (stats.get("manifest") or {}).get("updated", "")
    stand = f" Stand des Index: {format_date(updated[:10])}." if updated else ""
    docs = "parlamentarische Anfrage" if n_docs == 1 else "parlamentarische Anfragen"
    noun = "Parlament" if len(parls) == 1 else "Parlamenten"
    return (f"Durchsucht die Antworten der Regierungen auf {n_docs} {docs} "
            f"aus {len(parls)} {noun}{span}.{stand}")


def parliament_rows(stats: dict) -> list[dict]:
    """Per-parliament rows with German column names, for a small table."""
    return [{"Parlament": p["parliament"] or "unbekannt", "Anfragen": p["documents"],
             "von": format_date(p.get("from") or ""), "bis": format_date(p.get("to") or "")}
            for p in stats.get("parliaments") or []]


# -- source cards and the whole document ----------------------------------------------------
def _meta_row(label: str, value: str) -> str:
    if not value:
        return ""
    return f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>"


def preamble_side(hit: Hit | None) -> str:
    """"askers" / "government" for a preamble chunk (kind "preamble:<side>"), else ""."""
    kind = hit.chunk.kind if hit else ""
    return kind.split(":", 1)[1] if kind.startswith("preamble:") else ""


def card_html(c: Citation, hit: Hit | None, quoted: Sequence[str]) -> str:
    """One source card: heading, metadata list, question, answer passage with highlights."""
    doc = hit.doc if hit else {}
    side = preamble_side(hit)
    where = _SIDE_LABELS.get(side, question_label(c.questions))
    title = c.title or doc.get("title") or c.doc_id
    meta = "".join([
        _meta_row("Parlament", c.parliament),
        _meta_row("Drucksache", c.drucksache or "nicht angegeben"),
        _meta_row("Fundstelle", where),
        _meta_row("Beantwortet am", format_date(c.date_answered)),
        _meta_row("Fragesteller/in", askers_line(doc)),
        _meta_row("Antwort von", c.answering_body),
        _meta_row("Dokumentart", doc.get("doc_type", "")),
    ])
    parts = [f'<section class="anf-card" id="{anchor(c.n)}" aria-labelledby="{anchor(c.n)}-h">',
             f'<h3 id="{anchor(c.n)}-h"><span class="anf-num">[{c.n}]</span> {esc(title)}</h3>',
             f'<dl class="anf-meta">{meta}</dl>']
    if hit and hit.chunk.question_text and not side:
        question = esc(hit.chunk.question_text)
        parts.append('<p class="anf-label">Frage</p>'
                     f'<blockquote class="anf-question">{question}</blockquote>')
    if hit and hit.chunk.answer_text:
        label = _SIDE_LABELS[side] if side else "Antwort"
        parts.append(f'<p class="anf-label">{esc(label)} (zitierte Sätze markiert)</p>'
                     f'<div class="anf-passage">{highlight(hit.chunk.answer_text, quoted)}</div>')
    url = safe_url(c.url or doc.get("url", ""))
    if url:
        parts.append(f'<p><a class="anf-pdf" href="{esc(url)}" target="_blank" '
                     f'rel="noopener noreferrer">Amtliches Dokument öffnen ↗</a></p>')
    else:
        parts.append(f'<p class="anf-source">Quelle: {esc(c.source or c.doc_id)}</p>')
    parts.append("</section>")
    return "".join(parts)


def document_html(inq: dict, numbers: Sequence[int], target: str = "",
                  side: str = "government") -> str:
    """The whole inquiry as escaped HTML; the unit(s) with `numbers` marked as cited (for
    number 0 the preamble of `side`), the first with id `target` and a link to it on top."""
    wanted = set(numbers)
    questions = {q["number"]: q for q in inq.get("questions", [])}
    units: list[tuple[str, list[dict], str, bool]] = []
    for pre in inq.get("preambles", []):
        units.append((_SIDE_LABELS.get(pre.get("side"), "Vorbemerkung"), [], pre.get("text", ""),
                      0 in wanted and pre.get("side") == side))
    answered: set[int] = set()
    for ans in inq.get("answers", []):
        nums = list(ans.get("questions") or [])
        answered.update(nums)
        units.append((f"Antwort zu {question_label(nums)}",
                      [questions[n] for n in nums if n in questions], ans.get("text", ""),
                      bool(wanted & set(nums))))
    for n, q in questions.items():
        if n not in answered:
            units.append((f"Frage {q.get('label') or n} (ohne eigene Antwort)", [q], "",
                          n in wanted))
    first = next((i for i, u in enumerate(units) if u[3]), None) if target else None
    parts = ['<div class="anf-doc" tabindex="0" role="region" aria-label="Ganzes Dokument">']
    if first is not None:
        parts.append(f'<p><a class="anf-jump" href="#{esc(target)}">Zur zitierten Stelle '
                     "springen ↓</a></p>")
    for i, unit in enumerate(units):
        parts.append(_unit_html(*unit, unit_id=target if i == first else ""))
    parts.append("</div>")
    return "".join(parts)


def _unit_html(heading: str, questions: Sequence[dict], text: str, current: bool,
               unit_id: str = "") -> str:
    cls = "anf-unit anf-current" if current else "anf-unit"
    mark = ' <span class="anf-here">zitierte Stelle</span>' if current else ""
    ident = f' id="{esc(unit_id)}"' if unit_id else ""
    out = [f'<div class="{cls}"{ident}><p class="anf-label">{esc(heading)}{mark}</p>']
    for q in questions:
        out.append(f'<blockquote class="anf-question"><strong>Frage '
                   f'{esc(q.get("label") or q.get("number"))}:</strong> '
                   f'{esc(q.get("text", ""))}</blockquote>')
    if text:
        out.append(f'<div class="anf-passage">{esc(text)}</div>')
    out.append("</div>")
    return "".join(out)


def related_html(hits: Sequence[Hit], limit: int) -> str:
    """The closest documents (one entry per document), for an abstention."""
    items, seen = [], set()
    for h in hits:
        if h.chunk.doc_id in seen or len(seen) >= limit:
            continue
        seen.add(h.chunk.doc_id)
        d = h.doc
        ds = f"Drucksache {d.get('drucksache')}" if d.get("drucksache") else h.chunk.doc_id
        when = format_date(d.get("date_answered", ""))
        head = esc(f"{d.get('parliament', '')}, {ds}" + (f", {when}" if when else ""))
        title = esc(d.get("title") or h.chunk.doc_id)
        url = safe_url(d.get("url", ""))
        if url:
            title = (f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
                     f"{title}</a>")
        items.append(f"<li><strong>{title}</strong><br>{head} · "
                     f"{esc(question_label(h.chunk.numbers))}</li>")
    return f'<ul class="anf-related">{"".join(items)}</ul>'


def hit_for(answer: Answer, citation: Citation) -> Hit | None:
    return next((h for h in answer.hits if h.chunk.chunk_id == citation.chunk_id), None)


def quoted_for(answer: Answer, n: int) -> list[str]:
    return [s for s, m in answer.sentences if m == n]


# -- filters and feedback -------------------------------------------------------------------
@dataclass(frozen=True)
class FilterOptions:
    parliaments: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    answering_bodies: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    first: date | None = None
    last: date | None = None


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filter_options(values: dict) -> FilterOptions:
    """The values the sidebar offers (from Engine.filter_values), most frequent first."""
    counts: dict[str, int] = values.get("party_counts", {})
    return FilterOptions(
        parliaments=tuple(values.get("parliament", ())),
        parties=tuple(sorted(counts, key=lambda p: (-counts[p], p))),
        answering_bodies=tuple(values.get("answering_body", ())),
        doc_types=tuple(values.get("doc_type", ())),
        first=_iso(values.get("first")),
        last=_iso(values.get("last")),
    )


def build_filters(
    opts: FilterOptions, parliaments: Sequence[str] = (), dates: Sequence[date] = (),
    parties: Sequence[str] = (), bodies: Sequence[str] = (), doc_types: Sequence[str] = (),
) -> Filters:
    """Filters from the sidebar; a date range equal to the full span filters nothing (so
    documents without a date stay in)."""
    since = until = ""
    if len(dates) == 2:
        lo, hi = sorted(dates)
        if opts.first and lo > opts.first:
            since = lo.isoformat()
        if opts.last and hi < opts.last:
            until = hi.isoformat()
    return Filters(parliaments=tuple(parliaments), since=since, until=until,
                   parties=tuple(parties), answering_bodies=tuple(bodies),
                   doc_types=tuple(doc_types))


def feedback_rows(items: Iterable[dict]) -> list[dict]:
    """Stored feedback as table rows with German column names, newest first."""
    rows = []
    for f in items:
        cites = ", ".join(
            f"[{c.get('n')}] {c.get('drucksache') or c.get('doc_id', '')}"
            for c in f.get("citations") or []
        )
        rows.append({"Zeit (UTC)": f.get("created", ""), "Frage": f.get("query", ""),
                     "Bewertung": "👍 hilfreich" if f.get("helpful") else "👎 nicht hilfreich",
                     "Begründung": f.get("reason") or "", "Quellen": cites,
                     "Antwort": f.get("answer") or ""})
    return rows[::-1]


# -- share and cite ---------------------------------------------------------------------------
# A permalink is the page URL with the question and the filters as query parameters; these
# are their names (the HTTP API's, so a link and an API call read alike).
LINK_LISTS = {"parliament": "parliaments", "party": "parties", "body": "answering_bodies",
              "doc_type": "doc_types"}
_FEMININE = ("ung", "ei", "ion", "behörde", "kammer", "stelle", "in")


@dataclass(frozen=True)
class Permalink:
    query: str = ""
    filters: Filters = Filters()
    mode: str = ""
    k: int = 0  # 0: the app's default


def permalink_params(query: str, filters: Filters, mode: str, k: int) -> dict[str, list[str]]:
    """Query parameters that reproduce this question with these filters."""
    params: dict[str, list[str]] = {"q": [query]}
    for name, attr in LINK_LISTS.items():
        if getattr(filters, attr):
            params[name] = list(getattr(filters, attr))
    for name in ("since", "until"):
        if getattr(filters, name):
            params[name] = [getattr(filters, name)]
    params.update({"mode": [mode], "k": [str(k)]})
    return params


def parse_permalink(params: dict[str, list[str]], modes: Sequence[str],
                    k_range: tuple[int, int]) -> Permalink:
    """The question and filters of a link; values that make no sense are dropped, so an
    edited or truncated link still opens the page."""
    def one(name: str) -> str:
        return (params.get(name) or [""])[0].strip()

    dates = {n: d.isoformat() if (d := _iso(one(n))) else "" for n in ("since", "until")}
    lists = {attr: tuple(v for v in params.get(name, []) if v.strip())
             for name, attr in LINK_LISTS.items()}
    k = int(one("k")) if one("k").isdigit() else 0
    return Permalink(query=one("q"), filters=Filters(**lists, **dates),
                     mode=one("mode") if one("mode") in modes else "",
                     k=k if k_range[0] <= k <= k_range[1] else 0)


def answered_by(body: str) -> str:
    """'Bundesregierung' -> 'der Bundesregierung', 'Senat' -> 'des Senats' (for 'Antwort …')."""
    first = body.split()[0] if body else ""
    if not first or first.lower() in ("der", "des", "die", "das"):
        return body
    if first.lower().endswith(_FEMININE):
        return f"der {body}"
    if first.endswith(("ium", "at", "amt", "er")):
        return f"des {first}s{body[len(first):]}"
    return f"von {body}"


def full_citation(c: Citation) -> str:
    """'Deutscher Bundestag, Drucksache 21/992, Antwort der Bundesregierung vom 23.07.2025,
    Frage 2': one line to paste into an article or a letter."""
    # without a Drucksache number the title is what a reader can search for
    named = f"„{c.title}“" if c.title else c.doc_id
    parts = [c.parliament or "Unbekanntes Parlament",
             f"Drucksache {c.drucksache}" if c.drucksache else named]
    answer = "Antwort"
    if c.answering_body:
        answer += f" {answered_by(c.answering_body)}"
    if c.date_answered:
        answer += f" vom {format_date(c.date_answered)}"
    parts += [answer, question_label(c.questions)]
    return ", ".join(parts)


def answer_markdown(ans: Answer, link: str = "") -> str:
    """The answer with its numbered sources, for download."""
    lines = [f"# {ans.query}", ""]
    if ans.abstained:
        lines += [ans.text or "Keine Antwort gefunden.", ""]
    else:
        lines += [ans.text or "", "", "## Quellen", ""]
        for c in ans.citations:
            url = c.url or ""
            lines.append(f"{c.n}. {full_citation(c)}: {c.title}" + (f" <{url}>" if url else ""))
    if link:
        lines += ["", f"Link zu dieser Antwort: <{link}>"]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("Nr", "Zitierzeile", "Parlament", "Drucksache", "Fragen", "Beantwortet am",
               "Antwortende Stelle", "Titel", "Zitierte Sätze", "URL")


def answer_csv(ans: Answer) -> str:
    """One row per cited source (quoted sentences joined), for spreadsheets."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for c in ans.citations:
        w.writerow([c.n, full_citation(c), c.parliament, c.drucksache,
                    " ".join(str(q) for q in c.questions), c.date_answered, c.answering_body,
                    c.title, " ".join(quoted_for(ans, c.n)), c.url])
    return out.getvalue()


# -- page-wide markup ------------------------------------------------------------------------
# Streamlit serves <html lang="en">; screen readers need the page's real language.
LANG_SCRIPT = '<script>document.documentElement.setAttribute("lang", "de");</script>'

# Explicit colours (not theme-dependent) keep text/background contrast at WCAG AA or better.
PAGE_CSS = """<style>
[data-testid="InputInstructions"]{display:none}
.anf-answer{white-space:pre-line;background:#f1f5fb;color:#1b1f24;border-left:4px solid #0b57d0;
  padding:.9rem 1.1rem;border-radius:.4rem;font-size:1.05rem;line-height:1.6}
.anf-ref{color:#0b57d0;font-weight:600;text-decoration:underline;padding:0 .1rem}
.anf-ref:focus,.anf-card a:focus,.anf-related a:focus{outline:3px solid #1a73e8;
  outline-offset:2px}
.anf-card{background:#fff;color:#1b1f24;border:1px solid #cfd4dc;border-radius:.5rem;
  padding:.9rem 1.1rem .4rem 1.1rem;scroll-margin-top:4rem}
.anf-card h3{color:#1b1f24;font-size:1.15rem;margin:0 0 .5rem 0;padding:0;line-height:1.35}
.anf-num{color:#0b57d0;font-weight:700;margin-right:.25rem}
.anf-meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .9rem;margin:0 0 .6rem 0;
  font-size:.92rem}
.anf-meta dt{font-weight:600;color:#4a5058}
.anf-meta dd{margin:0}
.anf-label{font-weight:600;font-size:.9rem;margin:.6rem 0 .2rem 0;color:#4a5058}
.anf-question{margin:0 0 .4rem 0;padding:.3rem .8rem;border-left:3px solid #9aa0a6;
  white-space:pre-line;font-style:italic}
.anf-passage{white-space:pre-line;line-height:1.55}
.anf-passage mark{background:#ffe58a;color:#1b1f24;padding:.05rem .1rem;border-radius:.15rem}
.anf-pdf{color:#0b57d0;font-weight:600}
.anf-source{font-size:.85rem;color:#4a5058}
.anf-doc{background:#fff;color:#1b1f24;max-height:32rem;overflow-y:auto;padding-right:.5rem}
.anf-unit{padding:.4rem .6rem;margin:.3rem 0;border-radius:.3rem}
.anf-current{background:#fff6d1;color:#1b1f24;border:2px solid #c99a00}
.anf-here{background:#7a5900;color:#fff;font-size:.75rem;padding:.05rem .4rem;
  border-radius:.6rem;margin-left:.4rem}
.anf-related{background:#fff;color:#1b1f24;margin:.2rem 0 0 0;padding:.6rem .8rem .4rem 2rem;
  border:1px solid #cfd4dc;border-radius:.5rem;line-height:1.5}
.anf-related li{margin-bottom:.45rem}
.anf-related a,.anf-jump{color:#0b57d0}
</style>"""
