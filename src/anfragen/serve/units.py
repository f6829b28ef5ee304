"""One question/answer unit (`<doc_id>#<n>`, DESIGN.md) cut out of a document's JSON."""

from __future__ import annotations

META = ("doc_id", "parliament", "drucksache", "title", "doc_type", "answering_body",
        "date_answered", "url")


def unit_view(doc: dict, n: int) -> dict | None:
    """Metadata, the question(s) numbered `n` and the answers to them; unit 0 is the
    preamble(s). None when the document has no such unit."""
    if n == 0:
        parts = {"preambles": doc.get("preambles", [])}
    else:
        parts = {"questions": [q for q in doc.get("questions", []) if q["number"] == n],
                 "answers": [a for a in doc.get("answers", []) if n in a["questions"]]}
    if not any(parts.values()):
        return None
    return {"unit_id": f"{doc['doc_id']}#{n}", "number": n,
            **{k: doc.get(k, "") for k in META}, **parts}
