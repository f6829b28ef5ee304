"""The package's shape: imports run one way, no cycles, no private names across modules,
the faces hold no SQL. Static checks over the source (every import statement counts, also
those inside functions), so a violation fails here before it grows."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "anfragen"
FACES = [ROOT / "app.py",
         *sorted((PKG / "cli").glob("*.py")), *sorted((PKG / "serve").glob("*.py"))]
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE TABLE|PRAGMA|ATTACH)\b")


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def resolve(mod: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_pkg = MODULES[mod].name == "__init__.py"
    base = mod.split(".")[: len(mod.split(".")) - node.level + (1 if is_pkg else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(mod: str) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import in `mod`."""
    tree = ast.parse(MODULES[mod].read_text(encoding="utf-8"))
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(mod, node)
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((sub, None) if sub in MODULES else (target, a.name))
    return [(t, n) for t, n in out if t == "anfragen" or t.startswith("anfragen.")]


def graph() -> dict[str, set[str]]:
    return {m: {t for t, _ in imports_of(m) if t in MODULES and t != m} for m in MODULES}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    # a package's __init__ re-exporting its own modules is not a cycle between modules
    g = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph().items()}
    assert cycles(g) == []


def test_no_private_name_imported_from_another_module() -> None:
    bad = [f"{m} imports {t}.{n}" for m in MODULES for t, n in imports_of(m)
           if n and n.startswith("_") and n != "__version__"]
    assert bad == []


def test_top_level_has_at_most_twelve_modules() -> None:
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= 12, top


@pytest.mark.parametrize("pkg", sorted(p.parent.name for p in PKG.glob("*/__init__.py")))
def test_every_subpackage_says_what_it_holds(pkg: str) -> None:
    doc = ast.get_docstring(ast.parse((PKG / pkg / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 120 and "import" in doc, pkg


def docstrings(tree: ast.AST) -> set[int]:
    nodes = [tree, *(n for n in ast.walk(tree)
                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef))]
    return {id(n.body[0].value) for n in nodes
            if n.body and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)}


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.name)
def test_faces_hold_no_sql_and_no_index_internals(face: Path) -> None:
    tree = ast.parse(face.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    sql = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
           and isinstance(n.value, str) and id(n) not in skip and SQL.search(n.value)]
    internals = [n.attr for n in ast.walk(tree)
                 if isinstance(n, ast.Attribute) and n.attr in ("conn", "vectors", "execute")]
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert (sql, internals) == ([], []), face
    assert not {"sqlite3", "faiss"} & set(modules), face


def test_only_the_faces_parse_arguments() -> None:
    users = sorted(m for m in MODULES if "argparse" in MODULES[m].read_text(encoding="utf-8")
                   and not m.startswith("anfragen.cli"))
    assert users == []
