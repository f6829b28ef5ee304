"""German compound splitting for BM25, from a lexicon of the bundled corpus's own words.

A citizen writes "Windrad im Wald", the answer says "Waldfläche"; BM25 on whole stems never
sees that both hold "wald". So every long word is also indexed (and queried) as the known
corpus words it is made of: "distanzelektroimpulsgeräte" -> distanz elektro impuls geräte,
"landesregierung" -> landes regierung (the linking "s" stays with the part before it, as the
corpus writes that part alone: "landes", "arbeits" are rare, so "land", "arbeit" win).

The lexicon (compound_lexicon.txt.gz, built by scripts/build_compound_lexicon.py from the
bundled corpus) is frozen and shipped: index and query side must split the same way, and an
incremental ingest must not change how older chunks were split. Split choice follows Koehn &
Knight (2003): among the ways to cut a word into lexicon words (with an optional linking
element between them), the one with the highest geometric mean of part frequencies, and the
word is left whole when its own frequency beats every split.
"""

from __future__ import annotations

import gzip
import math
from functools import lru_cache
from importlib import resources

LEXICON_NAME = "compound_lexicon.txt.gz"
MIN_WORD = 9  # shorter words are rarely compounds of two >= 4-letter words
MIN_PART = 4  # 3-letter parts ("amt", "maß") split too much that is no compound
LINKS = ("", "s", "es", "n", "en", "e")  # Fugenelemente between two parts
MAX_PARTS = 4


@lru_cache(maxsize=1)
def lexicon() -> dict[str, int]:
    """word -> corpus frequency of the bundled lexicon (empty when the file is missing)."""
    ref = resources.files("anfragen.index").joinpath(LEXICON_NAME)
    if not ref.is_file():
        return {}
    with gzip.open(ref.open("rb"), "rt", encoding="utf-8") as f:
        pairs = (line.rstrip("\n").split("\t") for line in f if "\t" in line)
        return {w: int(n) for w, n in pairs}


def split(word: str, lex: dict[str, int] | None = None, keep_frequent: bool = True) -> list[str]:
    """The parts of a lower-case word, or [] when it is not split. `keep_frequent`: leave a
    word whole when it is more frequent than its parts (Koehn & Knight's rule)."""
    lex = lexicon() if lex is None else lex
    if len(word) < MIN_WORD or not lex:
        return []
    best = _best_split(word, lex)
    if best is None or len(best[1]) < 2:
        return []
    score, parts = best
    if keep_frequent and math.log(lex.get(word, 0) + 1) >= score:
        return []
    return parts


@lru_cache(maxsize=200_000)
def parts(word: str, keep_frequent: bool = True) -> tuple[str, ...]:
    """Every part of `word` at every level ("windenergieanlage" -> windenergie wind energie
    anlage: a citizen's "Windrad" shares "wind" only with the inner split), memoised for
    the shipped lexicon (the same words recur in every chunk)."""
    out: list[str] = []
    for part in split(word, keep_frequent=keep_frequent):
        out.append(part)
        out.extend(parts(part, keep_frequent))
    return tuple(out)


def _best_split(word: str, lex: dict[str, int]) -> tuple[float, list[str]] | None:
    """Highest mean log-frequency cut of `word` into lexicon parts (dynamic programming
    from the end: tail[i] is the best cut of word[i:])."""
    n = len(word)
    tail: dict[int, tuple[float, list[str]]] = {n: (0.0, [])}
    for i in range(n - MIN_PART, -1, -1):
        options = []
        for j in range(i + MIN_PART, n + 1):
            head = word[i:j]
            if head not in lex or (i == 0 and j == n):  # the word itself is no split
                continue
            for link in LINKS:
                k = j + len(link)
                if word[j:k] != link or k not in tail or (k == n and link):
                    continue
                total, rest = tail[k]
                if len(rest) + 1 > MAX_PARTS:
                    continue
                logs = total * len(rest) + math.log(lex[head] + 1)
                options.append((logs / (len(rest) + 1), [head + link, *rest]))
        if options:
            tail[i] = max(options, key=lambda o: (o[0], -len(o[1])))
    return tail.get(0)
