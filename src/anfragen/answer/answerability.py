"""Does a passage answer the question? Features that tell a near miss from an answer, and
the small logistic model over them.

A near miss covers the topic but not what the question singles out: another Land, another
year, another organisation ("Wie viele Kinder sind 2024 in Nordrhein-Westfalen an HUS
erkrankt?" against the nationwide figure). The cosine alone cannot see that, so the
features also measure whether the question's salient terms (Länder, years, numbers, rare
words by IDF over the index) occur in the passage or in its document's metadata, whether
dense retrieval and BM25 agree, how far the passage trails the best one, and whether it is
a preamble. The weights come from `anfragen eval calibrate` (answerability_fit.py) and are
stored with the data they were fitted on in answerability.json beside calibration.json.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anfragen.index.analyze import STOPWORDS, analyze, query_key
from anfragen.models import Hit

MODEL_FILE = Path(__file__).with_name("answerability.json")

# Länder as a question names them (noun or adjective) and as a parliament's name shows them;
# matched on lower-cased text with umlauts folded.
LANDS = {
    "Baden-Württemberg": r"baden-?\s?wurttemberg",
    "Bayern": r"\bbay(?:ern|erisch\w*)\b",
    "Berlin": r"\bberlin(?:er|s)?\b",
    "Brandenburg": r"\bbrandenburg\w*",
    "Bremen": r"\bbrem(?:en|isch\w*|er)\b",
    "Hamburg": r"\bhamburg\w*",
    "Hessen": r"\bhess(?:en|isch\w*)\b",
    "Mecklenburg-Vorpommern": r"\bmecklenburg\w*",
    "Niedersachsen": r"\bniedersachs\w*",
    "Nordrhein-Westfalen": r"\bnordrhein-?\s?westfal\w*|\bnrw\b",
    "Rheinland-Pfalz": r"\brheinland-?\s?pfalz\w*",
    "Saarland": r"\bsaarland\w*|\bsaarlandisch\w*",
    "Sachsen": r"(?<![-\w])(?:sachsen|sachsisch\w*)\b(?!-anhalt)",
    "Sachsen-Anhalt": r"\bsachsen-anhalt\w*",
    "Schleswig-Holstein": r"\bschleswig-?\s?holstein\w*",
    "Thüringen": r"\bthuring\w*",
}
_LAND_RE = {name: re.compile(p) for name, p in LANDS.items()}
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
YEAR = re.compile(r"(?<![\d.,/])(?:19|20)\d{2}(?![\d.,])")
_NUMBER = re.compile(r"(?<![\w.,/])\d+(?:[.,]\d+)*(?:\.(?=\s))?")
_QUESTION_WORDS = frozenset("gibt gab wie viel viele hoch groß lange welch welche welcher "
                            "welches wann wo woher wohin warum derzeit aktuell insgesamt "
                            "bisher schon jahr jahren über pro ab beim seit fürs ums "
                            "zurzeit momentan eigentlich".split())
# Countries a question may single out ("aus Malaysia", "an Kenia"), as names.
COUNTRIES = frozenset(
    "afghanistan ägypten albanien algerien argentinien armenien aserbaidschan äthiopien "
    "australien belarus belgien bosnien brasilien bulgarien chile china dänemark estland "
    "finnland frankreich georgien ghana griechenland großbritannien indien indonesien irak "
    "iran irland island israel italien japan jemen jordanien kanada kasachstan katar kenia "
    "kolumbien kongo kosovo kroatien kuba lettland libanon libyen litauen luxemburg mali "
    "malaysia marokko mexiko moldau montenegro myanmar namibia niederlande niger nigeria "
    "nordkorea norwegen österreich pakistan palästina peru philippinen polen portugal "
    "rumänien russland ruanda saudi-arabien schweden schweiz senegal serbien simbabwe "
    "singapur slowakei slowenien somalia spanien sudan südafrika südkorea syrien taiwan "
    "tansania thailand tschechien tunesien türkei uganda ukraine ungarn usa venezuela "
    "vietnam".split())

FEATURES = (
    "cos", "cos_gap", "cos_margin", "dense_rank", "bm25_rank", "fused_rank", "agree",
    "coverage", "coverage_idf", "missing_idf", "missing_names", "missing_place",
    "other_place", "missing_year", "missing_number", "unknown_term", "preamble",
    "unknown_name", "missing_name_idf", "hard", "unknown_share",
)


def fold(text: str) -> str:
    return text.lower().translate(_FOLD)


def lands_in(text: str) -> set[str]:
    t = fold(text)
    return {name for name, rx in _LAND_RE.items() if rx.search(t)}


@dataclass(frozen=True)
class Term:
    """A salient part of the question: as written (a Land by its name), its stems, its kind
    ("place", "year", "number", "name", "word") and its IDF over the index's chunks."""

    text: str
    stems: tuple[str, ...]
    kind: str
    idf: float = 0.0


@dataclass(frozen=True)
class QueryTerms:
    terms: tuple[Term, ...]
    stems: frozenset[str]
    idf: dict = field(default_factory=dict)  # stem -> IDF
    unknown: bool = False  # a content word the whole index never uses
    max_idf: float = 1.0  # IDF of a term in no chunk: the scale of the IDF features


def query_terms(query: str, rows: Callable[[list[str]], dict[str, int]],
                n_chunks: int) -> QueryTerms:
    """The question's salient terms; `rows(stems)` says in how many chunks each stem is."""
    stems = list(dict.fromkeys(analyze(query)))
    df = rows(stems) if stems else {}
    n = max(n_chunks, 1)
    idf = {s: math.log((n + 1) / (df.get(s, 0) + 1)) for s in stems}
    terms = [Term(name, (), "place", 0.0) for name in sorted(lands_in(query))]
    terms += [Term(y, (y,), "year", idf.get(y, 0.0)) for y in dict.fromkeys(YEAR.findall(query))]
    terms += word_terms(query, idf, {t.text for t in terms})
    unknown = any(df.get(s, 0) == 0 for s in stems if not s[0].isdigit() and len(s) > 3)
    return QueryTerms(tuple(terms), frozenset(stems), idf, unknown, math.log(n + 1))


# Words after which a capitalised word names one place, body or thing ("JVA Celle", "Stadt
# Osnabrück", "aus Malaysia"): the specifiers that near misses get wrong.
_DESIGNATORS = frozenset(
    "stadt landkreis kreis gemeinde bezirk region jva krankenhaus krankenhauses klinikum "
    "hochschule universität flughafen bahnhof verein firma unternehmen werft netzgebiet "
    "landeshauptstadt kommune insel".split())
# The whole country is what a Bundestag answer covers anyway: not a specifier.
_NATIONAL = frozenset("deutschland bund land länder eu europa bundesrepublik bundesgebiet "
                      "haushalt".split())
_MONTHS = frozenset("januar februar märz april mai juni juli august september oktober "
                    "november dezember".split())
# The largest cities, a question's most common place below a Land.
CITIES = frozenset(
    "aachen augsburg bielefeld bochum bonn braunschweig bremerhaven chemnitz cottbus "
    "darmstadt dortmund dresden duisburg düsseldorf erfurt erlangen essen flensburg "
    "frankfurt freiburg gelsenkirchen göttingen hagen halle hamm hannover heidelberg "
    "heilbronn hildesheim ingolstadt jena karlsruhe kassel kiel koblenz köln krefeld leipzig "
    "leverkusen lübeck lüneburg magdeburg mainz mannheim mönchengladbach mülheim münchen "
    "münster nürnberg oberhausen offenbach oldenburg osnabrück paderborn pforzheim potsdam "
    "regensburg rostock saarbrücken salzgitter schwerin siegen solingen stuttgart trier ulm "
    "wiesbaden wolfsburg wuppertal würzburg celle emden wilhelmshaven sylt rügen".split())


def word_terms(query: str, idf: dict[str, float], taken: set[str]) -> list[Term]:
    """Numbers and words of the question, proper-name-like ones marked "name"."""
    out: list[Term] = []
    land_words = re.compile("|".join(LANDS.values()))
    words = re.findall(r"\d+(?:[.,/]\d+)*\.?|[^\W\d_][\w-]*", query)
    for i, raw in enumerate(words):
        word = raw.rstrip(".") if raw[0].isdigit() else raw
        low = word.lower()
        if word in taken or low in STOPWORDS or low in _QUESTION_WORDS or land_words.search(
                fold(word)):
            continue
        stems = tuple(analyze(word))
        if not stems:
            continue
        if not specifying(words, i):
            continue
        kind = "number" if word[0].isdigit() else \
            "name" if name_like(word, designating(words, i), i) else "word"
        out.append(Term(raw if kind == "number" else word, stems, kind,
                        max(idf.get(s, 0.0) for s in stems)))
        taken.add(word)
    return out


# Numbers that describe rather than single out: an age ("16-jähriger", "zwischen 6 und 14
# Jahren") or a rough size ("rund 15.000 Einwohner"); a passage answers without repeating them.
_AGE_AFTER = re.compile(r"^(?:jährig\w*|jahre?n?|lebensjahr\w*|monate?n?)$", re.IGNORECASE)
_ROUGH_BEFORE = frozenset("rund etwa ca circa ungefähr knapp über unter mehr mindestens "
                          "fast".split())


def specifying(words: list[str], i: int) -> bool:
    """Does word i single out what the answer must be about? Not an age or a rough number,
    and not a large city named after "bei" to locate a smaller place ("Burgdorf bei
    Hannover")."""
    word = words[i]
    before = words[i - 1].lower() if i else ""
    if word[0].isdigit():
        after = words[i + 1:i + 4]
        age = any(_AGE_AFTER.match(w.lstrip("-")) for w in after[:1]) or (
            len(after) >= 3 and after[0].lower() in ("und", "bis") and after[1][0].isdigit()
            and _AGE_AFTER.match(after[2]) is not None)
        # "mehr als 7.500 Euro", "weniger als 10": a threshold, not a figure to find
        threshold = before == "als" and i >= 2 and words[i - 2].lower() in ("mehr", "weniger")
        return not (age or threshold or before in _ROUGH_BEFORE)
    if before == "bei" and i >= 2 and words[i - 2][:1].isupper() and \
            word.lower() in CITIES:
        return False
    return True


# Endings of plain nouns ("Bundesförderung", "Sicherheit"): after a designator such a word is
# what is designated of, not its name. And the articles a designator may stand behind.
_NOUN_ENDINGS = ("ung", "heit", "keit", "schaft", "tion", "tät", "nis")
_ARTICLES = frozenset("der des die dem den".split())


def designating(words: list[str], i: int) -> str:
    """The word before word i, looking past an article after a designator ("im Netzgebiet
    der Westnetz", "in der Stadt der ..."): lower-cased, "" at the start."""
    before = words[i - 1].lower() if i else ""
    if before in _ARTICLES and i >= 2 and words[i - 2].lower() in _DESIGNATORS:
        return words[i - 2].lower()
    return before


def name_like(word: str, before: str, position: int) -> bool:
    """A country or large city, an acronym or a word with capitals inside ("AOK",
    "HammerHAI"), or a capitalised word after a designator ("JVA Celle", "Landkreis
    Aurich"). Plain nouns are not: German capitalises them all, and an acronym before one
    ("KI-Verhaltenserkennung") does not make it a name."""
    low = word.lower()
    if low in _NATIONAL or low in _MONTHS:
        return False
    if low in COUNTRIES or low in CITIES or low.rstrip("r") in CITIES:
        return True
    if not word[:1].isupper():
        return False
    if word.isupper() and len(word) > 1:  # an acronym: "AOK", "NDR"
        return True
    # capitals inside a part ("HammerHAI"); an acronym that only qualifies what follows
    # ("KI-Verhaltenserkennung", "IT-Sicherheit") does not count
    parts = word.split("-")
    if len(parts) > 1 and parts[0].isupper():
        parts = parts[1:]
    if any(c.isupper() for part in parts for c in part[1:]):
        return True
    # after a designator ("JVA Celle", "Landkreis Aurich"), unless shaped like a plain noun
    # ("Verein Bundesförderung" in a keyword query)
    return position > 0 and before in _DESIGNATORS and not low.endswith(_NOUN_ENDINGS)


@dataclass(frozen=True)
class Coverage:
    """What a passage and its document's metadata offer to match the question against."""

    stems: frozenset[str]
    text: str  # folded
    lands: frozenset[str]  # named in the passage
    doc_land: str  # the parliament's Land, "" for the Bundestag
    numbers: str = ""  # text with thousands separators dropped (plain_number)


# A thousands separator as the documents print it: "7 500", "7.500", "7 500" (narrow or
# no-break space), between a digit and a group of three.
_THOUSANDS = re.compile(r"(?<=\d)[.\s\u00a0\u202f\u2009](?=\d{3}(?!\d))")


def plain_number(text: str) -> str:
    """"7.500" and "7 500" as "7500": a question's number and the passage's then match
    however either prints its thousands."""
    return _THOUSANDS.sub("", text)


def coverage_of(hit: Hit) -> Coverage:
    d = hit.doc
    meta = " ".join(str(d.get(k, "")) for k in ("title", "parliament", "answering_body"))
    text = f"{hit.chunk.text}\n{meta}"
    doc_lands = lands_in(str(d.get("parliament", "")))
    folded = fold(text)
    return Coverage(frozenset(analyze(text)), folded, frozenset(lands_in(hit.chunk.text)),
                    next(iter(sorted(doc_lands)), ""), plain_number(folded))


def missing_terms(qt: QueryTerms, cov: Coverage) -> list[Term]:
    """The question's salient terms that the passage and its document do not mention."""
    out = []
    for t in qt.terms:
        if t.kind == "place":
            found = t.text in cov.lands or t.text == cov.doc_land
        elif t.kind == "year":
            found = printed(t.text, cov.text)
        elif t.kind == "number":
            # as printed, or without thousands separators on both sides ("7.500" in the
            # question, "7 500" in the answer); not only the latter: a table's "2014 215"
            # would read as 2014215
            found = printed(t.text, cov.text) or printed(plain_number(t.text), cov.numbers)
        else:
            found = all(s in cov.stems for s in t.stems)
        if not found:
            out.append(t)
    return out


def printed(number: str, text: str) -> bool:
    """Does `text` hold `number` as a whole number (not inside a longer one)?"""
    return re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d])", text) is not None


def features(qt: QueryTerms, hit: Hit, cov: Coverage, best_cos: float, margin: float) -> dict:
    """The model's inputs for one passage (see FEATURES); IDF-based ones scaled to [0, 1]."""
    miss = missing_terms(qt, cov)
    words = [s for s in qt.stems]
    have = [s for s in words if s in cov.stems]
    total_idf = sum(qt.idf.get(s, 0.0) for s in words) or 1.0
    cos = float(hit.scores.get("cosine") or 0.0)
    asked = {t.text for t in qt.terms if t.kind == "place"}
    return {
        "cos": cos, "cos_gap": cos - best_cos, "cos_margin": margin,
        "dense_rank": inv_rank(hit.scores.get("dense_rank")),
        "bm25_rank": inv_rank(hit.scores.get("bm25_rank")),
        "fused_rank": inv_rank(hit.rank),
        "agree": float(all(r is not None and r <= 5 for r in
                           (hit.scores.get("dense_rank"), hit.scores.get("bm25_rank")))),
        "coverage": len(have) / len(words) if words else 0.0,
        "coverage_idf": sum(qt.idf.get(s, 0.0) for s in have) / total_idf,
        "missing_idf": max((t.idf for t in miss if t.kind in ("name", "word")), default=0.0)
        / qt.max_idf,
        "missing_names": float(sum(t.kind == "name" for t in miss)),
        "missing_place": float(any(t.kind == "place" for t in miss)),
        "other_place": float(bool(asked) and bool(cov.doc_land) and cov.doc_land not in asked),
        "missing_year": float(any(t.kind == "year" for t in miss)),
        "missing_number": float(any(t.kind == "number" for t in miss)),
        "unknown_term": float(qt.unknown),
        "preamble": float(hit.chunk.kind.startswith("preamble")),
        "unknown_name": float(any(t.kind == "name" and t.idf >= qt.max_idf - 1e-9
                                  for t in qt.terms)),
        "missing_name_idf": max((t.idf for t in miss if t.kind == "name"), default=0.0)
        / qt.max_idf,
        "hard": float(any(t.kind in ("place", "year", "number", "name") for t in miss)),
        "unknown_share": sum(v >= qt.max_idf - 1e-9 for v in qt.idf.values())
        / max(len(qt.idf), 1),
    }


def inv_rank(rank) -> float:
    return 1.0 / float(rank) if rank else 0.0


def candidates(hits: Sequence[Hit], depth: int = 10) -> list[Hit]:
    """Passages that may be quoted: the answering side's words, never the askers' preamble."""
    return [h for h in hits[:depth] if h.chunk.answer_text and h.chunk.kind != "preamble:askers"]


def passage_features(qt: QueryTerms, hits: Sequence[Hit]) -> list[tuple[Hit, Coverage, dict]]:
    """Every candidate passage with its coverage and features, in rank order."""
    cands = candidates(hits)
    cos = sorted((float(h.scores.get("cosine") or 0.0) for h in cands), reverse=True)
    best = cos[0] if cos else 0.0
    margin = cos[0] - cos[1] if len(cos) > 1 else 0.0
    out = []
    for h in cands:
        cov = coverage_of(h)
        out.append((h, cov, features(qt, h, cov, best, margin)))
    return out


_HARD = ("missing_place", "missing_year", "missing_number")
_MISSING = (*_HARD, "missing_names")
BEST = ("cos", "cos_margin", "coverage_idf", "missing_idf", "bm25_rank", "dense_rank",
        *_MISSING)
# What question_features computes; the model uses QUESTION_FEATURES of them. The smaller set
# matched or beat all of them in cross-validation on both dev files (abstention 0.81 against
# 0.79 at false abstention 0.04; eval/results/answers-2026-12-02.md): fewer weights to fit
# on 59 unanswerable questions.
ALL_QUESTION_FEATURES = (
    *BEST, "unknown_term", "unknown_name", "missing_name_idf", "unknown_share",
    *(f"top3_{f}" for f in _MISSING), "first_cos",
    "first_coverage_idf", "first_missing_place", "top3_hard", "clean_gap",
)
QUESTION_FEATURES = ("cos", "coverage_idf", "bm25_rank", "top3_hard", "clean_gap",
                     "unknown_term", "unknown_share")
CLEAN_GAP_CAP = 0.05  # no passage names all the question singles out: as far as this


def question_features(rows: list[tuple[Hit, Coverage, dict]]) -> dict | None:
    """The model's inputs for a question (QUESTION_FEATURES): those of its closest passage
    (highest cosine), whether all of the three closest lack a salient term, and those of
    the passage ranked first; None without candidates."""
    if not rows:
        return None
    by_cos = sorted(rows, key=lambda r: (-r[2]["cos"], r[0].rank))
    best = by_cos[0][2]
    out = {f: best[f] for f in BEST}
    out.update(unknown_term=best["unknown_term"], unknown_name=best["unknown_name"],
               missing_name_idf=best["missing_name_idf"], unknown_share=best["unknown_share"])
    for f in _MISSING:
        out[f"top3_{f}"] = min(r[2][f] for r in by_cos[:3])
    first = rows[0][2]
    out.update(first_cos=first["cos"], first_coverage_idf=first["coverage_idf"],
               first_missing_place=first["missing_place"])
    out["top3_hard"] = min(r[2]["hard"] for r in by_cos[:3])
    # how far the closest passage that lacks none of the question's specifics trails the
    # closest one: a near miss has none close, an answer has one among the top
    clean = [r[2]["cos"] for r in by_cos if not r[2]["hard"]]
    out["clean_gap"] = min(best["cos"] - clean[0], CLEAN_GAP_CAP) if clean else CLEAN_GAP_CAP
    return out


def passes(feats: dict, best_cos: float, margin: float, strict: bool) -> bool:
    """May this passage be cited? Close to the best one in cosine, and (when some passage
    does) not lacking a Land, year or number the question names."""
    return feats["cos"] >= best_cos - margin and not (strict and any(feats[f] for f in _HARD))


@dataclass(frozen=True)
class Model:
    """Logistic regression over standardised features: p = sigmoid(b + sum w_i z_i)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, feats: dict) -> float:
        z = self.intercept + sum(
            w * (feats[f] - m) / s
            for f, m, s, w in zip(self.features, self.mean, self.scale, self.coef, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "coef": list(self.coef),
                "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, d: dict) -> Model:
        return cls(tuple(d["features"]), tuple(d["mean"]), tuple(d["scale"]),
                   tuple(d["coef"]), float(d["intercept"]), float(d["threshold"]))


@dataclass(frozen=True)
class Models:
    """The shipped model, and the cross-validation fold models: a question that was part of
    the fitting data is judged by the model of the fold that did not see it."""

    final: Model
    folds: tuple[Model, ...] = ()
    fold_of: dict = field(default_factory=dict)  # question key -> fold index
    fingerprint: str = ""  # the embedding model the features were computed with

    def fits(self, fingerprint: str) -> bool:
        return not self.fingerprint or not fingerprint or fingerprint == self.fingerprint

    def for_query(self, query: str) -> Model:
        i = self.fold_of.get(query_key(query))
        return self.folds[i] if i is not None and i < len(self.folds) else self.final


def load_models(path: Path = MODEL_FILE) -> Models | None:
    """The fitted models, or None when answerability.json is missing (cosine threshold)."""
    if not path.is_file():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    return Models(Model.from_dict(d["model"]), tuple(Model.from_dict(f) for f in d["folds"]),
                  dict(d.get("fold_of", {})), d.get("data", {}).get("model_fingerprint", ""))
