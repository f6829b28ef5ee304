"""Inquiry and Answer -> the JSON of DESIGN.md ("Machine-readable outputs") and plain text."""

from __future__ import annotations

from anfragen.answer.extractive import ABSTAIN_TEXT

from .models import Answer, Hit, Inquiry


def inquiry_json(inq: Inquiry) -> dict:
    return {
        "doc_id": inq.doc_id,
        "source": inq.source,
        "family": inq.family,
        "parliament": inq.parliament,
        "wahlperiode": inq.wahlperiode,
        "drucksache": inq.drucksache,
        "doc_type": inq.doc_type,
        "title": inq.title,
        "askers": list(inq.askers),
        "parties": list(inq.parties),
        "answering_body": inq.answering_body,
        "date_asked": inq.date_asked,
        "date_answered": inq.date_answered,
        "url": inq.url,
        "preambles": [{"side": p.side, "text": p.text, "start": p.start, "end": p.end}
                      for p in inq.preambles],
        "questions": [{"number": q.number, "label": q.label or str(q.number), "text": q.text,
                       "start": q.start, "end": q.end,
                       **({"asker": q.asker, "party": q.party} if q.asker else {})}
                      for q in inq.questions],
        "answers": [{"questions": list(a.questions), "text": a.text, "start": a.start,
                     "end": a.end,
                     **({"answering_body": a.answering_body} if a.answering_body else {}),
                     **({"date": a.date} if a.date else {})}
                    for a in inq.answers],
        "fallback": inq.fallback,
        "warnings": list(inq.warnings),
        "drucksachen": list(inq.drucksachen),
        "confidence": inq.confidence,
        "rule": inq.rule,
    }


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def inquiry_text(inq: Inquiry) -> str:
    lines = [
        f"{inq.doc_id}  [{inq.family}{', FALLBACK' if inq.fallback else ''}]"
        f"  Regel: {inq.rule or inq.family} · Strukturvertrauen {inq.confidence:.2f}",
        f"  {inq.parliament} · Drucksache {inq.drucksache} · WP {inq.wahlperiode}",
        f"  Titel: {inq.title}",
        f"  Fragesteller: {', '.join(inq.askers)} ({', '.join(inq.parties)})",
        f"  Antwort: {inq.answering_body} · gefragt {inq.date_asked or '?'} · "
        f"beantwortet {inq.date_answered or '?'}",
    ]
    for p in inq.preambles:
        lines.append(f"  Vorbemerkung ({p.side}): {_short(p.text)}")
    for q in inq.questions:
        lines.append(f"  Frage {q.label or q.number}: {_short(q.text)}")
    for a in inq.answers:
        nums = ", ".join(str(n) for n in a.questions)
        lines.append(f"  Antwort zu {nums}: {_short(a.text)}")
    lines.extend(f"  ! {w}" for w in inq.warnings)
    return "\n".join(lines)


def hit_json(h: Hit) -> dict:
    return {
        "rank": h.rank,
        "chunk_id": h.chunk.chunk_id,
        "doc_id": h.chunk.doc_id,
        "questions": list(h.chunk.numbers),
        "score": h.score,
        "scores": h.scores,
        "drucksache": h.doc.get("drucksache", ""),
        "parliament": h.doc.get("parliament", ""),
        "title": h.doc.get("title", ""),
        "text": h.chunk.text,
        "answer_text": h.chunk.answer_text,
    }


def answer_json(ans: Answer) -> dict:
    return {
        "query": ans.query,
        "abstained": ans.abstained,
        "answer": ans.text,
        "message": ABSTAIN_TEXT if ans.abstained else None,
        "reason": ans.reason,
        "confidence": ans.confidence,
        "notice": ans.notice,
        "citations": [
            {"n": c.n, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "questions": list(c.questions),
             "drucksache": c.drucksache, "parliament": c.parliament,
             "date_answered": c.date_answered, "answering_body": c.answering_body,
             "source": c.source, "title": c.title, "url": c.url}
            for c in ans.citations
        ],
        "sentences": [{"text": s, "citation": n} for s, n in ans.sentences],
        "hits": [hit_json(h) for h in ans.hits],
        "related": [hit_json(h) for h in ans.related],
    }


def answer_text(ans: Answer) -> str:
    if ans.abstained:
        lines = [ABSTAIN_TEXT, *([ans.reason] if ans.reason else []), "", "Vielleicht verwandt:"]
        seen = set()
        for h in ans.related or ans.hits:
            if h.chunk.doc_id in seen or len(seen) >= 5:
                continue
            seen.add(h.chunk.doc_id)
            lines.append(f"  - {h.doc.get('parliament', '')}, Drucksache "
                         f"{h.doc.get('drucksache', '')}: {h.doc.get('title', '')}")
        return "\n".join(lines)
    lines = [ans.text or "", ""]
    if ans.notice:
        lines.insert(0, f"Hinweis: {ans.notice}\n")
    for c in ans.citations:
        qs = ", ".join(str(q) for q in c.questions)
        lines.append(f"[{c.n}] {c.parliament}, Drucksache {c.drucksache}, Frage {qs}, "
                     f"Antwort vom {c.date_answered or '?'}, {c.answering_body}: {c.title}")
        lines.append(f"    {c.url or c.source}")
    return "\n".join(lines)

