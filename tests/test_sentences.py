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


def test_parenthesis_holds_its_colon_and_full_stops():
    # the DRSF answer was quoted as "Hiervon haben bisher (Stand:" before
    s = split_sentences("Hiervon haben bisher (Stand: 29. April 2025) rund 83 Prozent einen "
                        "Antrag eingereicht. Das Verfahren läuft. Die Anschaffung (Antragshöhe: "
                        "1,4 Millionen Euro) wurde beantragt.")
    assert s == ["Hiervon haben bisher (Stand: 29. April 2025) rund 83 Prozent einen Antrag "
                 "eingereicht.", "Das Verfahren läuft.",
                 "Die Anschaffung (Antragshöhe: 1,4 Millionen Euro) wurde beantragt."]
    # a "(" never closed (table debris) does not swallow the sentences after it
    assert split_sentences("Heime (ohne Ferienheime: 5 3 2. Weiter geht es. Und so.") == [
        "Heime (ohne Ferienheime:", "5 3 2. Weiter geht es.", "Und so."]


def test_a_restated_question_never_leads():
    text = ("d) Wurden die Projektträger über die Überprüfung informiert? "
            "Eine Information der Projektträger findet nicht statt.")
    q = np.array([1.0, 0.0], np.float32)
    vecs = {embed_text("d) Wurden die Projektträger über die Überprüfung informiert?"):
            np.array([1.0, 0.0], np.float16),
            embed_text("Eine Information der Projektträger findet nicht statt."):
            np.array([0.8, 0.6], np.float16)}
    picked = select(candidates({"projekttrag"}, text, vecs, q), 3, 600, 0)
    assert picked[0].text == "Eine Information der Projektträger findet nicht statt."
    # only a question to quote: it is quoted rather than nothing
    assert select(candidates(set(), "Wurde informiert?", None, None), 3, 600, 0)[0].text == \
        "Wurde informiert?"


def test_an_index_split_otherwise_gets_its_sentences_again(tmp_path):
    import json

    from support import copy_corpus

    from anfragen.embed.cache import EmbeddingCache
    from anfragen.embed.fake import FakeEmbedder
    from anfragen.index import store
    from anfragen.index.ingest import ingest
    from anfragen.index.sentences import SPLIT_VERSION

    corpus = copy_corpus(tmp_path / "corpus", ("hessen-seed",))
    root, emb = tmp_path / "index", FakeEmbedder()
    cache = EmbeddingCache(emb.fingerprint, user=tmp_path / "cache")
    ingest([corpus], root, emb, cache=cache)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sentence_split"] == SPLIT_VERSION
    conn = store.connect(root / "anfragen.sqlite")
    stored = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    # as an index from before the split rule: a fragment ending inside a parenthesis,
    # no sentence_split in the manifest
    with conn:
        conn.execute("UPDATE sentences SET text = 'Bisher (Stand:' WHERE rowid = "
                     "(SELECT min(rowid) FROM sentences)")
    conn.close()
    del manifest["sentence_split"]
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = ingest([corpus], root, emb, cache=cache)
    assert report.unchanged > 0 and report.sentences["resplit"] == stored
    assert "neu geteilt" in report.summary()
    conn = store.connect(root / "anfragen.sqlite")
    assert conn.execute("SELECT count(*) FROM sentences").fetchone()[0] == stored
    assert conn.execute("SELECT count(*) FROM sentences WHERE text = 'Bisher (Stand:'"
                        ).fetchone()[0] == 0
    conn.close()
    # the next ingest finds the current split and leaves the sentences alone
    assert "resplit" not in ingest([corpus], root, emb, cache=cache).sentences
