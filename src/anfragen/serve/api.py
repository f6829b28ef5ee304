"""The HTTP API: /ask, /search, /documents/{doc_id}, /units/{unit_id}, /stats, /health.

Responses are the JSON of the CLI's ``--json`` (anfragen.serialize); errors are
``{"error": <German message>, "status": <code>}`` with 400 for a bad request, 404 for an
unknown id or path and 503 while the index is missing or unusable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from anfragen.errors import (
    AnfragenError,
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
    ModelError,
    QueryError,
)
from anfragen.pipeline import Engine
from anfragen.retrieve import Filters, RetrievalConfig
from anfragen.serialize import answer_json, hit_json

from .units import unit_view

log = logging.getLogger("anfragen.serve")

MAX_Q = 500  # a question, not a document: longer input is almost always a paste by mistake
MAX_K = 100
Mode = Literal["hybrid", "dense", "bm25"]
STATUS_OF: tuple[tuple[type[AnfragenError], int], ...] = (
    (QueryError, 400),
    (IndexMissingError, 503),
    (IndexMismatchError, 503),
    (IndexDamagedError, 503),
    (ModelError, 503),
)


class BadRequest(AnfragenError):
    """A parameter outside what the API accepts (400)."""


class NotFound(AnfragenError):
    """An id that names nothing in the index (404)."""


class AskRequest(BaseModel):
    """Body of POST /ask and POST /search; the same fields as the GET query parameters."""

    q: str = Field(max_length=MAX_Q, description="die Frage, auf Deutsch")
    k: int = Field(default=10, ge=1, le=MAX_K)
    mode: Mode = "hybrid"
    parliament: list[str] = []
    since: str = ""
    until: str = ""
    party: list[str] = []
    body: list[str] = []
    doc_type: list[str] = []


def status_for(exc: AnfragenError) -> int:
    if isinstance(exc, BadRequest | QueryError):
        return 400
    if isinstance(exc, NotFound):
        return 404
    return next((code for cls, code in STATUS_OF if isinstance(exc, cls)), 500)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def checked_date(name: str, value: str) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadRequest(f"{name}={value!r} ist kein Datum; erwartet JJJJ-MM-TT, "
                         "z. B. 2025-01-31") from None


def filters_of(req: AskRequest) -> Filters:
    since, until = checked_date("since", req.since), checked_date("until", req.until)
    if since and until and since > until:
        raise BadRequest(f"since={since} liegt nach until={until}; bitte tauschen")
    return Filters(parliaments=tuple(req.parliament), since=since, until=until,
                   parties=tuple(req.party), answering_bodies=tuple(req.body),
                   doc_types=tuple(req.doc_type))


def validation_message(exc: RequestValidationError) -> str:
    """Pydantic's first complaint in German, naming the parameter and the accepted range."""
    err = exc.errors()[0]
    name = str(err["loc"][-1]) if err.get("loc") else "Anfrage"
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "missing":
        return f"Parameter {name} fehlt; z. B. /ask?q=Wie+viele+Schulen+gibt+es"
    if kind == "string_too_long":
        return f"{name} ist zu lang: höchstens {ctx.get('max_length', MAX_Q)} Zeichen"
    if kind in ("greater_than_equal", "less_than_equal", "int_parsing"):
        return f"{name}={err.get('input')!r} ungültig; erlaubt sind ganze Zahlen von 1 bis {MAX_K}"
    if kind == "literal_error":
        return f"{name}={err.get('input')!r} ungültig; erlaubt: hybrid, dense, bm25"
    if kind in ("json_invalid", "model_attributes_type", "dict_type"):
        return "Der Rumpf ist kein gültiges JSON-Objekt, z. B. {\"q\": \"Frage\"}"
    return f"{name}={err.get('input')!r} ungültig ({err.get('msg', '')})"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AnfragenError)
    async def domain_error(_req: Request, exc: AnfragenError) -> JSONResponse:
        return error(status_for(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_params(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return error(400, validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(req: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error(404, f"Unbekannter Pfad {req.url.path}; die Schnittstelle ist unter "
                              "/docs beschrieben")
        if exc.status_code == 405:
            return error(405, f"{req.method} ist für {req.url.path} nicht vorgesehen")
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unerwarteter Fehler", exc_info=exc)  # the trace goes to the log only
        return error(500, "Interner Fehler; Einzelheiten stehen im Protokoll des Servers")


class Service:
    """The engine behind one lock: SQLite, FAISS and the model are shared by all requests,
    and on a small CPU box running them one at a time is also the fastest."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.lock = threading.Lock()

    def call(self, fn: Callable, *args):
        if not self.engine.has_index():
            raise IndexMissingError(f"Kein Index in {self.engine.index_dir}. Zuerst bauen: "
                                    "anfragen ingest")
        with self.lock:
            return fn(*args)

    def warm_up(self) -> None:
        """Load the model and open the index now, so the first visitor does not wait."""
        if not self.engine.has_index():
            log.warning("Kein Index in %s: Anfragen erhalten 503, bis anfragen ingest lief",
                        self.engine.index_dir)
            return
        try:
            # one search loads what the first query would otherwise wait for (model,
            # vectors, BM25 term statistics)
            self.call(self.engine.search, "Anfrage", RetrievalConfig(k=1))
        except AnfragenError as e:  # reported now and again on every request (503)
            log.warning("Index oder Modell nicht bereit: %s", e)


def query_params(
    q: Annotated[str, Query(max_length=MAX_Q, description="die Frage, auf Deutsch")],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="so viele Treffer")] = 10,
    mode: Annotated[Mode, Query(description="Suchmodus")] = "hybrid",
    parliament: Annotated[list[str], Query(description="z. B. Deutscher Bundestag")] = [],  # noqa: B006
    since: Annotated[str, Query(description="Antwortdatum ab, JJJJ-MM-TT")] = "",
    until: Annotated[str, Query(description="Antwortdatum bis, JJJJ-MM-TT")] = "",
    party: Annotated[list[str], Query(description="Fraktion der Fragesteller")] = [],  # noqa: B006
    body: Annotated[list[str], Query(description="antwortende Stelle (Teilstring)")] = [],  # noqa: B006
    doc_type: Annotated[list[str], Query(description="Dokumenttyp")] = [],  # noqa: B006
) -> AskRequest:
    return AskRequest(q=q, k=k, mode=mode, parliament=parliament, since=since, until=until,
                      party=party, body=body, doc_type=doc_type)


def add_query_routes(app: FastAPI, svc: Service) -> None:
    def ask(req: AskRequest) -> dict:
        cfg, flt = RetrievalConfig(mode=req.mode, k=req.k), filters_of(req)
        return answer_json(svc.call(svc.engine.ask, req.q, cfg, flt))

    def search(req: AskRequest) -> dict:
        cfg, flt = RetrievalConfig(mode=req.mode, k=req.k), filters_of(req)
        hits = svc.call(svc.engine.search, req.q, cfg, flt)
        return {"query": req.q.strip(), "mode": req.mode, "k": req.k,
                "hits": [hit_json(h) for h in hits[: req.k]]}

    @app.get("/ask", summary="Eine Frage beantworten (Antwort mit Belegen)")
    def get_ask(req: Annotated[AskRequest, Depends(query_params)]) -> dict:
        return ask(req)

    @app.post("/ask", summary="Eine Frage beantworten; Parameter als JSON-Rumpf")
    def post_ask(req: AskRequest) -> dict:
        return ask(req)

    @app.get("/search", summary="Treffer ohne Antwort, bestbewertete zuerst")
    def get_search(req: Annotated[AskRequest, Depends(query_params)]) -> dict:
        return search(req)

    @app.post("/search", summary="Treffer; Parameter als JSON-Rumpf")
    def post_search(req: AskRequest) -> dict:
        return search(req)


def add_lookup_routes(app: FastAPI, svc: Service) -> None:
    @app.get("/documents/{doc_id:path}", summary="Ein Dokument, wie anfragen parse --json")
    def document(doc_id: str) -> dict:
        doc = svc.call(svc.engine.document, doc_id)
        if doc is None:
            raise NotFound(f"Kein Dokument mit der Kennung {doc_id!r}; Kennungen stehen in "
                           "den Treffern unter doc_id")
        return doc

    @app.get("/units/{unit_id:path}",
             summary="Eine Frage-Antwort-Einheit <doc_id>#<n> (# als %23 schreiben)")
    def unit(unit_id: str) -> dict:
        doc_id, sep, n = unit_id.rpartition("#")
        if not sep or not n.isdigit():
            raise BadRequest(f"{unit_id!r} ist keine Einheit; erwartet <doc_id>#<Nummer>, "
                             "das # als %23 geschrieben")
        doc = svc.call(svc.engine.document, doc_id)
        view = unit_view(doc, int(n)) if doc is not None else None
        if view is None:
            raise NotFound(f"Keine Einheit {unit_id!r} im Index")
        return view

    @app.get("/stats", summary="Index-Statistik, wie anfragen stats --json")
    def stats() -> dict:
        return svc.call(svc.engine.stats)

    @app.get("/health", summary="200, wenn ein Index da ist; sonst 503")
    def health() -> JSONResponse:
        if not svc.engine.has_index():
            return error(503, f"Kein Index in {svc.engine.index_dir}. Zuerst bauen: "
                              "anfragen ingest")
        return JSONResponse({"status": "ok", "index": str(svc.engine.index_dir)})


def create_app(engine: Engine) -> FastAPI:
    svc = Service(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        svc.warm_up()
        yield
        engine.close()

    app = FastAPI(title="anfragen", lifespan=lifespan,
                  description="Antworten aus parlamentarischen Anfragen, mit Belegen. Die "
                              "JSON-Formen sind die von anfragen ask --json.")
    install_error_handlers(app)
    add_query_routes(app, svc)
    add_lookup_routes(app, svc)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory: index and model from ANFRAGEN_INDEX and ANFRAGEN_MODEL."""
    return create_app(Engine.from_env())
