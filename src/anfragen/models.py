"""The nouns of anfragen: frozen dataclasses that every stage takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceDoc:
    """One file as read: its text and whatever metadata came with it (front matter, sidecar)."""

    doc_id: str
    path: str
    text: str
    meta: dict = field(default_factory=dict)
    content_hash: str = ""
    warnings: tuple[str, ...] = ()  # what reading repaired or a library complained of


@dataclass(frozen=True)
class Preamble:
    """'Vorbemerkung' of the askers or of the answering body (unit number 0)."""

    side: str  # "askers" | "government"
    text: str
    start: int = -1  # offsets into SourceDoc.text, -1 when unknown
    end: int = -1


@dataclass(frozen=True)
class Question:
    """A numbered question; `number` as printed ("3a", "3b" -> 3), `label` keeps the print."""

    number: int
    text: str
    label: str = ""
    start: int = -1
    end: int = -1
    asker: str = ""  # per item in Schriftliche-Fragen collections
    party: str = ""


@dataclass(frozen=True)
class AnswerBlock:
    """An answer; several question numbers for a joint answer ("Die Fragen 3 und 4 ...")."""

    questions: tuple[int, ...]
    text: str
    start: int = -1
    end: int = -1
    answering_body: str = ""  # per item where the collection names it
    date: str = ""


@dataclass(frozen=True)
class Inquiry:
    doc_id: str
    source: str
    family: str
    parliament: str = ""
    wahlperiode: str = ""
    drucksache: str = ""
    title: str = ""
    doc_type: str = ""
    askers: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    answering_body: str = ""
    date_asked: str = ""  # ISO yyyy-mm-dd where known
    date_answered: str = ""
    url: str = ""
    preambles: tuple[Preamble, ...] = ()
    questions: tuple[Question, ...] = ()
    answers: tuple[AnswerBlock, ...] = ()
    fallback: bool = False  # True when no known shape matched: whole text as one unit
    warnings: tuple[str, ...] = ()
    drucksachen: tuple[str, ...] = ()  # every Drucksache the header prints (question, answer)
    confidence: float = 0.0  # how sure the structure is, 0..1 (parse_general.structure_confidence)
    rule: str = ""  # which parser or rule decided the structure ("bundestag", "general:labels")


@dataclass(frozen=True)
class Unit:
    """One question/answer unit: an answer block plus the question(s) it answers."""

    doc_id: str
    numbers: tuple[int, ...]  # (0,) for a preamble
    questions: tuple[Question, ...]
    answer_text: str
    start: int = -1
    end: int = -1
    kind: str = "qa"  # "qa" | "preamble" | "fallback" | "unanswered"

    @property
    def unit_ids(self) -> tuple[str, ...]:
        return tuple(f"{self.doc_id}#{n}" for n in self.numbers)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    numbers: tuple[int, ...]
    text: str  # as indexed: contextual header + answer part
    answer_text: str  # the answer part alone, for display and quoting
    question_text: str = ""
    part: int = 0
    start: int = -1
    end: int = -1
    kind: str = "qa"
    dense: bool = True  # has its own vector; False for deep parts of very long answers


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int
    scores: dict = field(default_factory=dict)  # per retriever: {"dense": .., "bm25": ..}
    doc: dict = field(default_factory=dict)  # document metadata row


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    questions: tuple[int, ...]
    drucksache: str
    parliament: str
    date_answered: str
    answering_body: str
    source: str
    title: str = ""
    url: str = ""


@dataclass(frozen=True)
class Answer:
    query: str
    abstained: bool
    text: str | None
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    sentences: tuple[tuple[str, int], ...] = ()  # (quoted sentence, citation n)
    confidence: float = 0.0
    notice: str = ""
    reason: str | None = None  # why there is no answer, when the documents say (abstention)
    related: tuple[Hit, ...] = ()  # near misses shown as related, not as the answer
