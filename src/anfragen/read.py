"""Read one file into a SourceDoc: text plus the metadata that came with it.

Formats: .txt, .md (YAML front matter -> meta), .json (record with `full_text`), .pdf.
`index.jsonl` files beside documents are metadata sidecars keyed by Drucksache/file name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from .errors import ReadError
from .models import SourceDoc

DOC_SUFFIXES = (".txt", ".md", ".json", ".pdf")
# Files in a corpus folder that describe the corpus rather than belong to it.
NOT_DOCUMENTS = {"sources.md", "readme.md", "license.md", "changelog.md"}
MAX_BYTES = 20 * 1024 * 1024  # larger files are refused with a clear message
_SOFT_HYPHEN_BEFORE_CAPITAL = re.compile("\ufffe(?=[A-ZÄÖÜ])")


def doc_id_for(path: Path, root: Path) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(path.name)
    return rel.with_suffix("").as_posix()


CORPUS_MARKERS = ("SOURCES.md", "manifest.jsonl")


def corpus_root(path: Path, default: Path) -> Path:
    """The folder doc ids are relative to: the nearest ancestor holding a corpus marker
    (SOURCES.md or manifest.jsonl, as data/corpus does), else `default`. So ingesting
    data/corpus/hessen-seed alone still yields the doc id hessen-seed/HE_20_...."""
    for parent in Path(path).resolve().parents:
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
    if b"\x00" in data[:4096]:
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


def read_pdf(path: Path) -> str:
    """The text layer of every page (pages separated by form feeds), via pdfium: faster than
    pypdf and it keeps the reading order of multi-column parliamentary layouts."""
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
    if suffix == ".pdf":
        text = read_pdf(path)
    elif suffix == ".json":
        meta, text = read_json(data, path)
    else:
        text = decode_text(data, path)
        if suffix == ".md":
            meta, text = split_front_matter(text, path)
    if not text.strip():
        raise ReadError(f"{path}: enthält keinen Text.")
    if sidecar:
        meta = {**sidecar, **meta}
    return SourceDoc(
        doc_id=doc_id_for(path, root),
        path=str(path),
        text=text,
        meta=meta,
        content_hash=hashlib.sha256(data).hexdigest(),
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
