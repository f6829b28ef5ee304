"""Extractive grounded answers: sentence choice, citations, abstention."""

from __future__ import annotations

from dataclasses import replace

from anfragen.answer.answerability import Model
from anfragen.answer.extractive import (
    ABSTAIN_TEXT,
    AnswerSettings,
    answer_from_hits,
    split_sentences,
)
from anfragen.models import Chunk, Hit
from anfragen.serialize import answer_json, answer_text

SEED_ANSWER = (
    "Die Fragen 1 bis 5 werden im Sachzusammenhang gemeinsam beantwortet. Aus "
    "vergaberechtlichen Gründen ist es nicht möglich, den hessischen Kommunen HessenConnect 2.0 "
    "zur Verfügung zu stellen. Die Ausschreibung war auf die Landesverwaltung beschränkt. "
    "Eine Mitnutzung durch Kommunen würde eine neue Ausschreibung erfordern, deren Kosten "
    "derzeit nicht beziffert werden können. Weitere Serverkapazitäten wären nötig. " * 2
)
DOC = {
    "drucksache": "20/1",
    "parliament": "Hessischer Landtag",
    "date_answered": "2023-03-14",
    "answering_body": "Ministerin für Digitale Strategie und Entwicklung",
    "path": "data/corpus/hessen-seed/HE_20_hessenconnect-2-0.txt",
    "title": "HessenConnect",
}


def hit(answer: str, cosine: float, rank: int = 1, kind: str = "qa", numbers=(1, 2)) -> Hit:
    chunk = Chunk(
        f"d#{rank}", "hessen-seed/HE", numbers, f"Frage 1: x\nAntwort: {answer}", answer, kind=kind
    )
    return Hit(chunk, score=1.0 / rank, rank=rank, scores={"cosine": cosine}, doc=DOC)


def test_sentence_split_keeps_abbreviations_and_dates():
    s = split_sentences("Gemäß § 21 Abs. 1 NKHG gilt das. Am 1. Juli 2025 z. B. waren es 5.")
    assert s == ["Gemäß § 21 Abs. 1 NKHG gilt das.", "Am 1. Juli 2025 z. B. waren es 5."]


def test_answer_quotes_matching_sentences_with_citation():
    ans = answer_from_hits(
        "Können hessische Kommunen HessenConnect 2.0 nutzen?",
        [hit(SEED_ANSWER, 0.9)],
        AnswerSettings(threshold=0.5),
    )
    assert not ans.abstained and ans.citations[0].drucksache == "20/1"
    assert "„Aus vergaberechtlichen Gründen ist es nicht möglich" in ans.text
    assert "[1]" in ans.text
    for sentence, n in ans.sentences:  # every quoted sentence is verbatim in its source
        assert sentence in SEED_ANSWER and n == 1
    assert len(ans.sentences) <= 3


def test_weak_evidence_abstains_and_keeps_hits():
    ans = answer_from_hits(
        "Wie viele Giraffen leben im Zoo?", [hit(SEED_ANSWER, 0.6)], AnswerSettings(threshold=0.8)
    )
    assert ans.abstained and ans.text is None and ans.citations == ()
    assert ans.hits and ABSTAIN_TEXT in answer_text(ans)
    assert "Vielleicht verwandt" in answer_text(ans)


def test_close_second_source_is_cited_far_one_is_not():
    hits = [
        hit(SEED_ANSWER, 0.90, 1),
        replace(hit("Auch Kommunen fragen nach HessenConnect.", 0.89, 2, numbers=(3,))),
        hit("Weit entfernt.", 0.50, 3, numbers=(4,)),
    ]
    ans = answer_from_hits("HessenConnect Kommunen", hits, AnswerSettings(threshold=0.5))
    assert [c.n for c in ans.citations] == [1, 2]
    assert [c.questions for c in ans.citations] == [(1, 2), (3,)]


def test_askers_preamble_is_never_quoted_as_the_answer():
    hits = [
        hit(
            "Die Fragesteller behaupten etwas über HessenConnect.",
            0.95,
            1,
            kind="preamble:askers",
            numbers=(0,),
        ),
        hit(SEED_ANSWER, 0.85, 2),
    ]
    ans = answer_from_hits("HessenConnect Kommunen", hits, AnswerSettings(threshold=0.5))
    assert ans.citations[0].questions == (1, 2)
    assert "Fragesteller behaupten" not in ans.text


def test_answer_json_has_contract_keys():
    ans = answer_from_hits(
        "HessenConnect Kommunen", [hit(SEED_ANSWER, 0.9)], AnswerSettings(threshold=0.5)
    )
    out = answer_json(ans)
    assert {"query", "abstained", "answer", "citations", "hits"} <= out.keys()
    assert {
        "n",
        "chunk_id",
        "doc_id",
        "questions",
        "drucksache",
        "parliament",
        "date_answered",
        "answering_body",
        "source",
    } <= out["citations"][0].keys()
    assert {"rank", "chunk_id", "doc_id", "questions", "score", "text"} <= out["hits"][0].keys()


class FakeLookup:
    """The index access of the answer stage over a few chunks, with every stem rare."""

    n_chunks = 1000

    def __init__(self, units: dict[int, Chunk] | None = None):
        self.units = units or {}

    def term_rows(self, stems):
        return {s: 2 for s in stems}

    def unit(self, doc_id, number):
        return [self.units[number]] if number in self.units else []

    def sentence_vectors(self, chunk_ids):
        return {}

    def query_vector(self):
        return None


ALWAYS = Model(("cos",), (0.0,), (1.0,), (0.0,), 10.0, 0.5)  # answers everything
NEVER = Model(("cos",), (0.0,), (1.0,), (0.0,), -10.0, 0.5)


def test_sources_are_cited_in_rank_order_not_by_cosine():
    hits = [hit(SEED_ANSWER, 0.88, 1), hit("Kommunen nutzen HessenConnect nicht.", 0.90, 2,
                                           numbers=(6,))]
    ans = answer_from_hits("Können Kommunen HessenConnect nutzen?", hits, lookup=FakeLookup(),
                           model=ALWAYS)
    assert [c.questions for c in ans.citations] == [(1, 2), (6,)]


def test_preamble_leads_only_with_the_best_sentence():
    pre = hit("Die Landesverwaltung hat 37.000 Lizenzen.", 0.90, 1, kind="preamble:government",
              numbers=(0,))
    hits = [pre, hit(SEED_ANSWER, 0.89, 2)]
    ans = answer_from_hits("Können hessische Kommunen HessenConnect 2.0 nutzen?", hits,
                           lookup=FakeLookup(), model=ALWAYS)
    assert ans.citations[0].questions == (1, 2)
    assert ans.sentences[0][0].startswith("Aus vergaberechtlichen Gründen")


def test_joint_answer_notice_is_never_quoted():
    ans = answer_from_hits("Können hessische Kommunen HessenConnect 2.0 nutzen?",
                           [hit(SEED_ANSWER, 0.9)], lookup=FakeLookup(), model=ALWAYS)
    assert all("gemeinsam beantwortet" not in s for s, _ in ans.sentences)


def test_a_part_holding_only_the_joint_notice_does_not_take_its_units_citation():
    # a long joint answer: part 0 is the notice alone, the answer is in part 1 (Büchel,
    # 21/1920); part 0 used to stand for the unit, quote nothing and drop it
    notice = hit("Die Fragen 1 bis 11 werden gemeinsam beantwortet.", 0.90, 1)
    answer = replace(hit("Die Angaben betreffen die äußere Sicherheit und werden nicht "
                         "veröffentlicht.", 0.90, 2),
                     chunk=replace(hit("", 0.9, 2).chunk, chunk_id="d#1/1",
                                   answer_text="Die Angaben betreffen die äußere Sicherheit "
                                   "und werden nicht veröffentlicht."))
    other = hit("Die Position der Bundesregierung ist unverändert.", 0.89, 3, numbers=(75,))
    ans = answer_from_hits("Warum veröffentlicht die Bundesregierung die Angaben nicht?",
                           [notice, answer, other], lookup=FakeLookup(), model=ALWAYS)
    assert ans.citations[0].chunk_id == "d#1/1"
    assert ans.sentences[0][0].startswith("Die Angaben betreffen")


def test_cross_reference_brings_the_referenced_answer():
    target = Chunk("d#4", "hessen-seed/HE", (4,), "Frage 4: x\nAntwort: y",
                   "Die Software übermittelt einen Hinweis an das PK 11.")
    hits = [hit("Siehe Antwort zu 4.", 0.9, 1, numbers=(9,))]
    ans = answer_from_hits("Wohin übermittelt die Software Hinweise?", hits,
                           lookup=FakeLookup({4: target}), model=ALWAYS)
    assert [c.questions for c in ans.citations] == [(9,), (4,)]
    assert ans.sentences == (("Die Software übermittelt einen Hinweis an das PK 11.", 2),)
    assert "verweist [1] auf die Antwort zu Frage 4" in ans.text and "[2]" in ans.text


def test_abstention_says_which_land_is_missing():
    text = "Im Jahr 2024 erkrankten bundesweit 47 Kinder an HUS."
    chunk = Chunk("b#3", "bundestag/21_902", (3,), f"Frage 3: HUS\nAntwort: {text}", text)
    h = Hit(chunk, 1.0, 1, {"cosine": 0.9}, {"parliament": "Deutscher Bundestag"})
    ans = answer_from_hits("Wie viele Kinder sind 2024 in Nordrhein-Westfalen an HUS erkrankt?",
                           [h], lookup=FakeLookup(), model=NEVER)
    assert ans.abstained and ans.related == (h,)
    assert ans.reason == ("Zu «Nordrhein-Westfalen» finde ich nichts; die gefundenen Antworten "
                          "nennen nur bundesweite Zahlen.")
    assert answer_json(ans)["reason"] == ans.reason
    assert ans.reason in answer_text(ans)
