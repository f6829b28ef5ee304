"""Read one file into a SourceDoc: text plus the metadata that came with it.

Formats: .txt, .md (YAML front matter -> meta), .json (record with `full_text`), .pdf.
`index.jsonl` files beside documents are metadata sidecars keyed by Drucksache/file name.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import warnings as pywarnings
from collections.abc import Iterator
from pathlib import Path

import yaml

from .errors import QueryError, ReadError
from .models import SourceDoc

DOC_SUFFIXES = (".txt", ".md", ".json", ".pdf")
# Files in a corpus folder that describe the corpus rather than belong to it.
NOT_DOCUMENTS = {"sources.md", "readme.md", "license.md", "changelog.md"}
MAX_BYTES = 20 * 1024 * 1024  # larger files are refused with a clear message
_SOFT_HYPHEN_BEFORE_CAPITAL = re.compile("\ufffe(?=[A-ZÄÖÜ])")


def doc_id_for(path: Path, root: Path) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve())
    except (ValueError, RuntimeError):  # RuntimeError: a symlink loop, refused when read
        rel = Path(path.name)
    return rel.with_suffix("").as_posix()


CORPUS_MARKERS = ("SOURCES.md", "manifest.jsonl")


def corpus_root(path: Path, default: Path) -> Path:
    """The folder doc ids are relative to: the nearest ancestor holding a corpus marker
    (SOURCES.md or manifest.jsonl, as data/corpus does), else `default`. So ingesting
    data/corpus/hessen-seed alone still yields the doc id hessen-seed/HE_20_...."""
    try:
        parents = Path(path).resolve().parents
    except RuntimeError:  # a symlink loop: read_file names it
        return default
    for parent in parents:
        if any((parent / m).is_file() for m in CORPUS_MARKERS):
            return parent
    return default


def iter_document_paths(paths: list[Path]) -> Iterator[tuple[Path, Path]]:
    """Yield (file, root) for every document file under the given files/folders, sorted."""
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and is_document_file(f):
                    yield f, corpus_root(f, p)
        else:
            yield p, corpus_root(p, p.parent)


def is_document_file(path: Path) -> bool:
    if any(part.startswith(".") for part in path.parts[-1:]):
        return False
    return path.suffix.lower() in DOC_SUFFIXES and path.name.lower() not in NOT_DOCUMENTS


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 first; cp1252 for legacy files. Binary data is refused."""
    if not data.strip():
        raise ReadError(f"{path}: Datei ist leer (empty file) – nichts zu indexieren.")
    if b"\x00" in data[:4096] or data.count(b"\x00") > len(data) // 100:
        raise ReadError(
            f"{path}: enthält Binärdaten (NUL bytes), kein Text – "
            "als PDF speichern oder Textdatei in UTF-8 exportieren."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# Text a person wrote is mostly letters and spaces; random or binary bytes decoded as
# cp1252/latin-1 are mostly symbols and control characters. The bundled corpus's lowest
# letter share is far above LETTER_SHARE (tables of numbers included).
LETTER_SHARE = 0.35
CONTROL_SHARE = 0.01
SNIFF_CHARS = 20_000


_SPACE = re.compile(r"\s")
_LETTER = re.compile(r"[^\W\d_]")  # str.isalpha's letters, as a regex class
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # less \t \n \f \r
_CONTROL = ("Cc", "Cs", "Co", "Cn")


def text_problem(text: str) -> str | None:
    """Why `text` does not look like text (None when it does), from its first characters.
    Counted with regexes (a per-character loop over 20,000 characters of each document was a
    tenth of the ingest); only the few non-ASCII characters are looked up one by one."""
    sample = text[:SNIFF_CHARS]
    visible = len(sample) - len(_SPACE.findall(sample))
    if not visible:
        return None
    control = len(_ASCII_CONTROL.findall(sample)) + sum(
        1 for c in _NON_ASCII.findall(sample) if unicodedata.category(c) in _CONTROL)
    letters = len(_LETTER.findall(sample))
    if control > CONTROL_SHARE * len(sample):
        return f"{control} Steuerzeichen in den ersten {len(sample)} Zeichen"
    if letters < LETTER_SHARE * visible:
        return f"nur {letters / visible:.0%} Buchstaben"
    return None


def check_text(text: str, path: Path) -> tuple[str, tuple[str, ...]]:
    """Refuse what is not text; strip NUL bytes (stored text must never hold them) and
    invisible zero-width characters, with a warning naming the file."""
    if (why := text_problem(text)) is not None:
        raise ReadError(f"{path}: sieht nicht nach Text aus ({why}) – keine Textdatei oder "
                        "falsch kodiert; bitte als UTF-8-Text oder PDF speichern.")
    notes = []
    if (nul := text.count("\x00")):
        text = text.replace("\x00", "")
        notes.append(f"{path}: {nul} NUL-Zeichen entfernt")
    if ZERO_WIDTH_DOC.search(text):
        text, n = ZERO_WIDTH_DOC.subn("", text)
        notes.append(f"{path}: {n} unsichtbare Zeichen (Nullbreite) entfernt")
    return text, tuple(notes)


# Zero-width characters change words without being seen. In documents only those never
# part of the bundled corpus are removed (the soft hyphen is, and its chunk texts key the
# committed embedding cache); in queries the soft hyphen goes too, and NFKC folds look-alike
# forms (full-width letters, ligatures). NFKC is not applied to documents: it would change
# 527 of the bundled files' texts and so every vector of theirs.
ZERO_WIDTH_DOC = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
ZERO_WIDTH_QUERY = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalise_query(query: str) -> str:
    """The question as searched: NFKC, zero-width characters removed. A question holding
    bytes that were not UTF-8 (the shell passes them as lone surrogates) is refused."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in query):
        raise QueryError("Die Frage enthält Bytes, die kein gültiges UTF-8 sind – bitte die "
                         "Zeichenkodierung des Terminals auf UTF-8 stellen und neu eingeben.")
    return ZERO_WIDTH_QUERY.sub("", unicodedata.normalize("NFKC", query))


def split_front_matter(text: str, path: Path) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as e:
        raise ReadError(f"{path}: YAML-Front-Matter ist ungültig ({e}); bitte korrigieren.") from e
    if not isinstance(meta, dict):
        meta = {}
    body_start = text.find("\n", end + 4)
    return meta, text[body_start + 1 :] if body_start >= 0 else ""


def read_pdf(path: Path, notes: list[str] | None = None) -> str:
    """The text layer of every page (pages separated by form feeds), via pdfium: faster than
    pypdf and it keeps the reading order of multi-column parliamentary layouts. Warnings raised
    while reading go into `notes`, each with the file's name, instead of onto the terminal."""
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        text = _pdf_text(path)
    if notes is not None:
        said = [str(w.message) for w in caught]
        notes.extend(f"{path}: PDF-Hinweis: {m}" for m in dict.fromkeys(said))
    return text


def _pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as e:
        raise ReadError(
            f"{path}: PDF kann nicht gelesen werden ({e.__class__.__name__}: {e}); "
            "Datei ist beschädigt oder unvollständig – bitte neu herunterladen."
        ) from e
    try:
        pages = [page_text(pdf[i]) for i in range(len(pdf))]
    finally:
        pdf.close()
    text = "\f".join(pages)
    if not text.strip():
        raise ReadError(
            f"{path}: PDF ohne Textebene ({len(pages)} Seiten, vermutlich gescannt) – bitte "
            "vorher eine Texterkennung (OCR) anwenden, z. B. ocrmypdf, und die Ausgabe einlesen."
        )
    return text


def page_text(page) -> str:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
    finally:
        textpage.close()
        page.close()
    return join_hyphens(text)


def join_hyphens(text: str) -> str:
    """pdfium marks a hyphen at a line break with U+FFFE: before a capital it is part of the
    word (Baden-Württemberg), otherwise the word was only split (Büro-kratie -> Bürokratie)."""
    return _SOFT_HYPHEN_BEFORE_CAPITAL.sub("-", text).replace("\ufffe", "")


def read_json(data: bytes, path: Path) -> tuple[dict, str]:
    try:
        rec = json.loads(decode_text(data, path))
    except json.JSONDecodeError as e:
        raise ReadError(f"{path}: kein gültiges JSON ({e}).") from e
    if not isinstance(rec, dict) or not isinstance(rec.get("full_text"), str):
        raise ReadError(
            f"{path}: JSON-Datensatz ohne Feld 'full_text' – erwartet wird ein Objekt "
            'wie {"full_text": "...", "title": "..."}.'
        )
    text = rec.pop("full_text")
    if not text.strip():
        raise ReadError(f"{path}: Feld 'full_text' ist leer.")
    return rec, text


def read_file(path: Path, root: Path, sidecar: dict | None = None) -> SourceDoc:
    """Read one document file. Raises ReadError with the file name and the fix."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReadError(
                f"{path}: Datei ist {size / 1e6:.0f} MB groß (Grenze {MAX_BYTES / 1e6:.0f} MB) – "
                "vermutlich keine einzelne Anfrage; bitte aufteilen."
            )
        data = path.read_bytes()
    except OSError as e:
        raise ReadError(f"{path}: kann nicht gelesen werden ({e.strerror}).") from e
    suffix = path.suffix.lower()
    meta: dict = {}
    notes: list[str] = []
    if suffix == ".pdf":
        text = read_pdf(path, notes)
    elif suffix == ".json":
        meta, text = read_json(data, path)
    else:
        text = decode_text(data, path)
        if suffix == ".md":
            meta, text = split_front_matter(text, path)
    if not text.strip():
        raise ReadError(f"{path}: enthält keinen Text.")
    text, repaired = check_text(text, path)
    if sidecar:
        meta = {**sidecar, **meta}
    return SourceDoc(
        doc_id=doc_id_for(path, root),
        path=str(path),
        text=text,
        meta=meta,
        content_hash=hashlib.sha256(data).hexdigest(),
        warnings=(*notes, *repaired),
    )


def load_sidecars(folder: Path) -> dict[str, dict]:
    """Metadata from `index.jsonl` in a folder, keyed by file stem and by Drucksache."""
    side = folder / "index.jsonl"
    out: dict[str, dict] = {}
    if not side.is_file():
        return out
    for line in side.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(rec, dict):
            continue
        for key in ("file", "filename", "path", "drucksache", "id"):
            val = rec.get(key)
            if isinstance(val, str) and val:
                out[Path(val).stem if key != "drucksache" else val] = rec
    return out


def sidecar_for(path: Path, sidecars: dict[str, dict]) -> dict | None:
    if not sidecars:
        return None
    if path.stem in sidecars:
        return sidecars[path.stem]
    # NI_19-11251 -> 19/11251
    stem = path.stem.split("_", 1)[-1].replace("-", "/")
    return sidecars.get(stem)


def read_with_sidecar(path: Path, root: Path, sidecars: dict[Path, dict[str, dict]]) -> SourceDoc:
    """read_file with the metadata of the folder's index.jsonl; `sidecars` caches each folder's
    sidecar so a corpus run reads it once, not once per document. Only the current folder's
    is kept (files come sorted, folder by folder): 100k documents' metadata never pile up."""
    folder = path.parent
    if folder not in sidecars:
        sidecars.clear()
        sidecars[folder] = load_sidecars(folder)
    return read_file(path, root, sidecar_for(path, sidecars[folder]))
