"""Sentence selection: procedural boilerplate, cross-references, the answering sentence."""

from __future__ import annotations

import numpy as np

from anfragen.index.sentences import (
    candidates,
    embed_text,
    is_procedural,
    question_numbers,
    reference_in,
    references,
    select,
    split_sentences,
)


def test_sentence_split_keeps_abbreviations_and_dates():
    s = split_sentences("Gemäß § 21 Abs. 1 NKHG gilt das. Am 1. Juli 2025 z. B. waren es 5.")
    assert s == ["Gemäß § 21 Abs. 1 NKHG gilt das.", "Am 1. Juli 2025 z. B. waren es 5."]


def test_procedural_notices_are_recognised():
    for s in ("Die Fragen 1 bis 5 werden im Sachzusammenhang gemeinsam beantwortet.",
              "Die Fragen 3a bis 3c werden zusammen beantwortet.",
              "Die Fragen 2 und 4 werden aufgrund des Sachzusammenhangs gemeinsam beantwortet.",
              "Diese Vorbemerkung vorangestellt beantworte ich die Kleine Anfrage wie folgt:",
              "Namens der Landesregierung beantworte ich die Kleine Anfrage wie folgt:"):
        assert is_procedural(s), s
    for s in ("Aus vergaberechtlichen Gründen ist es nicht möglich.",
              "Die Fragen der Kommunen werden geprüft."):
        assert not is_procedural(s), s


def test_references_to_answers_of_the_same_document():
    assert reference_in("Auf die Antwort zu Frage 7 wird verwiesen.").numbers == (7,)
    assert reference_in("Siehe Antwort zu 4.").numbers == (4,)
    r = reference_in("Es wird auf die Antworten zu den Fragen 3 und 4 verwiesen.")
    assert r.numbers == (3, 4) and r.only
    assert reference_in("Im Übrigen wird auf die Vorbemerkung der Bundesregierung "
                        "verwiesen.").numbers == (0,)
    partial = reference_in("Hinsichtlich der Anzahl der eingeleiteten Verfahren wird auf die "
                           "Antwort zu Frage 5 verwiesen.")
    assert partial.numbers == (5,) and not partial.only
    # another Drucksache: not followed
    assert reference_in("Es wird auf die Antwort der Bundesregierung zu Frage 3 auf "
                        "Bundestagsdrucksache 21/12 verwiesen.") is None
    assert question_numbers("1 bis 3b") == (1, 2, 3)


def test_best_sentence_leads_and_procedural_ones_are_dropped():
    text = ("Die Fragen 1 bis 5 werden im Sachzusammenhang gemeinsam beantwortet. "
            "Die Landesregierung hat dazu Stellung genommen. "
            "Im Rahmen einer Ausschreibung hat die Deutsche Telekom den Zuschlag erhalten.")
    lead = "Im Rahmen einer Ausschreibung hat die Deutsche Telekom den Zuschlag erhalten."
    q = np.array([1.0, 0.0], np.float32)
    vecs = {embed_text("Die Landesregierung hat dazu Stellung genommen."):
            np.array([0.2, 0.98], np.float16), embed_text(lead): np.array([0.9, 0.44], np.float16)}
    picked = select(candidates(set(), text, vecs, q), 3, 600, 600)
    assert [c.text for c in picked] == [lead, "Die Landesregierung hat dazu Stellung genommen."]


def test_pointer_only_passage_names_its_target():
    cands = candidates(set(), "Siehe Antwort zu 4.")
    assert select(cands, 3, 600, 600) == []
    assert references(cands, (9,)) == (4,)


def test_ingest_embeds_sentence_vectors_unless_told_not_to(tmp_path, monkeypatch):
    from support import CORPUS

    from anfragen.pipeline import Engine

    monkeypatch.setenv("ANFRAGEN_CACHE", str(tmp_path / "cache"))  # nothing cached yet
    eng = Engine(index_dir=tmp_path / "index", model="fake")
    report = eng.ingest([CORPUS / "hessen-seed"], sentence_vectors=False)
    assert report.sentences["sentences"] == report.sentences["embedded"] == 0
    assert report.sentences["without_vector"] > 0
    seen = []
    report = eng.ingest([CORPUS / "hessen-seed"], progress=lambda *a: seen.append(a))
    assert report.sentences["without_vector"] == 0 and report.sentences["embedded"] > 0
    assert f"Satzvektoren: {report.sentences['sentences']} neu" in report.summary()
    done = [a for a in seen if a[0] == "sentences"]
    assert done and done[-1][1] == done[-1][2]  # the progress reaches its total
    pre = "hessen-seed/HE_20_hessenconnect-2-0#0-government/0"
    vecs = eng.lookup("HessenConnect").sentence_vectors([pre])[pre]
    assert any("Deutsche Telekom" in t for t in vecs)
    assert all("vorangestellt" not in t for t in vecs)  # procedural: never quoted, no vector
    eng.close()
