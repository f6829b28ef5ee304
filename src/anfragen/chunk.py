"""Inquiry -> Units -> Chunks: one chunk per question/answer unit, with a contextual header.

Answers too long for the embedding model's window are split with langchain's
RecursiveCharacterTextSplitter; every part repeats the header and the question.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .models import Chunk, Inquiry, Question, Unit

PREAMBLE_LABEL = {
    "askers": "Vorbemerkung der Fragesteller",
    "government": "Vorbemerkung der Regierung",
}


@dataclass(frozen=True)
class ChunkerSettings:
    """Sizes in characters. e5-small sees 512 tokens, about 1,800 German characters."""

    max_chars: int = 1800
    min_answer_chars: int = 600
    overlap: int = 150
    # Parts of one unit beyond this get no vector of their own (BM25 finds them; dense search
    # sees the unit through its first parts). Long annex tables (21/726 alone splits into
    # 3,000 parts) would otherwise dominate embedding time on 2 cores.
    max_dense_parts: int = 8
    version: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


def units_of(inq: Inquiry) -> list[Unit]:
    """Preambles (#0), one unit per answer block, and questions no block answers."""
    units: list[Unit] = []
    for pre in inq.preambles:
        units.append(
            Unit(inq.doc_id, (0,), (), pre.text, pre.start, pre.end, kind=f"preamble:{pre.side}")
        )
    by_number: dict[int, list[Question]] = {}
    for q in inq.questions:
        by_number.setdefault(q.number, []).append(q)
    answered: set[int] = set()
    for block in inq.answers:
        qs = tuple(q for n in block.questions for q in by_number.get(n, []))
        kind = "fallback" if inq.fallback else "qa"
        units.append(
            Unit(inq.doc_id, block.questions, qs, block.text, block.start, block.end, kind)
        )
        answered.update(block.questions)
    for n, qs in by_number.items():
        if n not in answered:
            units.append(
                Unit(inq.doc_id, (n,), tuple(qs), "", qs[0].start, qs[-1].end, kind="unanswered")
            )
    return units


def header_for(inq: Inquiry) -> str:
    parts = [
        p for p in (inq.parliament, f"Drucksache {inq.drucksache}" if inq.drucksache else "") if p
    ]
    head = " · ".join(parts)
    return f"{head}\n{inq.title}".strip() if inq.title else head


def question_text(unit: Unit) -> str:
    if unit.kind.startswith("preamble"):
        return PREAMBLE_LABEL.get(unit.kind.split(":", 1)[1], "Vorbemerkung")
    return "\n".join(f"Frage {q.label or q.number}: {q.text}" for q in unit.questions)


def split_answer(answer: str, budget: int, overlap: int) -> list[str]:
    if len(answer) <= budget:
        return [answer]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=budget,
        chunk_overlap=min(overlap, budget // 4),
        separators=["\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    return [p.strip() for p in splitter.split_text(answer) if p.strip()]


def chunk_id_for(unit: Unit, part: int) -> str:
    nums = "+".join(str(n) for n in unit.numbers)
    side = f"-{unit.kind.split(':', 1)[1]}" if unit.kind.startswith("preamble") else ""
    return f"{unit.doc_id}#{nums}{side}/{part}"


def chunks_of(inq: Inquiry, settings: ChunkerSettings | None = None) -> list[Chunk]:
    settings = settings or ChunkerSettings()
    header = header_for(inq)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for unit in units_of(inq):
        qtext = question_text(unit)
        budget = max(settings.min_answer_chars, settings.max_chars - len(header) - len(qtext))
        parts = split_answer(unit.answer_text, budget, settings.overlap) or [""]
        for i, part in enumerate(parts):
            cid = chunk_id_for(unit, i)
            while cid in seen:  # two blocks answering the same numbers
                cid += "'"
            seen.add(cid)
            body = f"Antwort: {part}" if part else "(ohne Antwort)"
            chunks.append(
                Chunk(
                    chunk_id=cid,
                    doc_id=inq.doc_id,
                    numbers=unit.numbers,
                    text=f"{header}\n{qtext}\n{body}",
                    answer_text=part,
                    question_text=qtext,
                    part=i,
                    start=unit.start,
                    end=unit.end,
                    kind=unit.kind,
                    dense=i < settings.max_dense_parts,
                )
            )
    return chunks
