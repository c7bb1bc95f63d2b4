"""A loopback Azure AI Search service on 127.0.0.1, for the real ``azure-search-documents`` SDK.

A real HTTP server (stdlib ``ThreadingHTTPServer`` in a background thread) speaking enough of the
search service REST API (``api-version=2026-04-01``, what the SDK 12.0.0 sends) for our backend:

- ``PUT /indexes('name')`` (or ``/indexes/name``): create (201) or update (200) an index; the schema is
  checked the way the service checks it (one ``Edm.String`` key field, known types, unique names,
  vector fields with ``dimensions`` and a ``vectorSearchProfile`` that names a profile whose
  ``algorithm`` exists) and an existing field may not change type or dimensions (400).
- ``GET /indexes('name')``: the stored definition (404 when absent); ``DELETE`` removes it (204).
- ``POST /indexes('name')/docs/search.index``: an index batch (``upload``, ``merge``,
  ``mergeOrUpload``, ``delete``); each document is checked (key present and made of letters, digits,
  ``_``, ``-``, ``=``; only fields of the schema; vectors of the declared dimensions). The answer is
  ``{"value": [{key, status, errorMessage, statusCode}]}``, 200 when all succeeded, 207 otherwise.
  More than 1000 actions in one batch: 400 (the service's documented limit; stricter than the service
  so a test notices).
- ``POST /indexes('name')/docs/search.post.search``: ``search`` scored by naive term overlap over the
  searchable fields (``*`` or no text: every document, score 1), ``vectorQueries`` of kind ``vector``
  by cosine similarity (k nearest), both fused by reciprocal rank (k = 60) as the service fuses hybrid
  queries, ``filter``, ``orderby`` (one sortable field, ``asc``/``desc``), ``select``, ``skip``,
  ``top`` (default 50, at most 1000), ``count``. Non-retrievable fields are never returned.

Filters are parsed, not ignored: only conjunctions (``and``) of ``field eq 'text'`` and
``field gt 'text'`` over filterable string fields (quotes doubled inside literals). Anything else is
refused with 400 so a test notices a query the fake does not understand.

Every request needs the ``api-key`` header (403 when wrong or missing, as the service answers a bad
key) and an ``api-version`` query parameter (400 without). Every request is recorded (method, path,
query, headers, JSON body), refused ones too::

    with FakeAzureSearch(api_key="k") as service:
        client = SearchIndexClient(service.endpoint, AzureKeyCredential("k"))
        ...
        assert service.index_schema("knowledge")["fields"][0]["key"] is True
        assert service.search_bodies("knowledge")[-1]["filter"] == "project_id eq 'p1'"

``reject_documents(predicate)`` makes every later indexing action on a document the predicate accepts
fail (``statusCode`` 400 in a 207 answer): for tests of per-document result handling.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

MAX_BATCH_ACTIONS = 1000
MAX_TOP = 1000
DEFAULT_TOP = 50
RRF_K = 60

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-=]{1,1024}$")
_PRIMITIVE_TYPES = {
    "Edm.String",
    "Edm.Int32",
    "Edm.Int64",
    "Edm.Double",
    "Edm.Boolean",
    "Edm.DateTimeOffset",
    "Edm.GeographyPoint",
    "Edm.Single",
    "Edm.Half",
    "Edm.Int16",
    "Edm.SByte",
    "Edm.Byte",
}
_VECTOR_ELEMENT_TYPES = {"Edm.Single", "Edm.Half", "Edm.Int16", "Edm.SByte", "Edm.Byte"}
_INDEX_PATH = re.compile(r"^/indexes(?:\('(?P<quoted>[^']+)'\)|/(?P<plain>[^/]+))(?P<rest>/.*)?$")
_WORD = re.compile(r"\w+")
# One comparison of a conjunction: field, operator, a string literal with '' for a quote.
_COMPARISON = re.compile(
    r"\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<op>eq|gt)\s+'(?P<value>(?:[^']|'')*)'\s*"
)


class FilterNotSupported(ValueError):
    """A filter outside the small grammar this fake understands."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the parsed JSON body, or None

    @property
    def index_name(self) -> str | None:
        match = _INDEX_PATH.match(self.path)
        return None if match is None else match["quoted"] or match["plain"]

    @property
    def operation(self) -> str:
        """``index.put``, ``index.get``, ``docs.index``, ``docs.search``, or ``METHOD path``."""
        match = _INDEX_PATH.match(self.path)
        if match is None:
            return f"{self.method} {self.path}"
        rest = match["rest"] or ""
        if rest == "":
            return f"index.{self.method.lower()}"
        if rest == "/docs/search.index" and self.method == "POST":
            return "docs.index"
        if rest == "/docs/search.post.search" and self.method == "POST":
            return "docs.search"
        return f"{self.method} {self.path}"


@dataclass
class _Index:
    schema: dict[str, Any]
    etag: int = 1
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.schema["fields"]}

    @property
    def key_field(self) -> str:
        return next(f["name"] for f in self.schema["fields"] if f.get("key"))


class _Refusal(Exception):
    def __init__(self, status: int, message: str, code: str = "InvalidRequest") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class FakeAzureSearch:
    def __init__(self, *, api_key: str = "test-admin-key", port: int = 0) -> None:
        self.api_key = api_key
        self._requested_port = port
        self._lock = threading.Lock()
        self._indexes: dict[str, _Index] = {}
        self._requests: list[RecordedRequest] = []
        self._rejections: list[Callable[[Mapping[str, Any]], bool]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> FakeAzureSearch:
        if self._server is not None:
            return self
        fake = self

        class Handler(_Handler):
            service = fake

        server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), Handler)
        server.daemon_threads = True
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-azure-search", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeAzureSearch:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, operation: str, index_name: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.operation == operation and (index_name is None or r.index_name == index_name)
        ]

    def index_schema(self, index_name: str) -> dict[str, Any]:
        """The definition as last accepted (without the service's ``@odata`` annotations)."""
        with self._lock:
            index = self._indexes.get(index_name)
            if index is None:
                raise KeyError(f"no index {index_name!r}")
            return json.loads(json.dumps(index.schema))

    def index_batches(self, index_name: str) -> list[list[dict[str, Any]]]:
        """The actions of every ``docs.index`` request, in order (refused ones too)."""
        return [list(r.body.get("value", [])) for r in self.requests_for("docs.index", index_name)]

    def search_bodies(self, index_name: str) -> list[dict[str, Any]]:
        return [dict(r.body) for r in self.requests_for("docs.search", index_name)]

    def documents(self, index_name: str) -> dict[str, dict[str, Any]]:
        """The stored documents by key (copies)."""
        with self._lock:
            index = self._indexes.get(index_name)
            return {} if index is None else json.loads(json.dumps(index.documents))

    def reject_documents(self, predicate: Callable[[Mapping[str, Any]], bool]) -> None:
        with self._lock:
            self._rejections.append(predicate)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # ------------------------------------------------------------------------------------ dispatch

    def _handle(self, recorded: RecordedRequest) -> tuple[int, Any]:
        with self._lock:
            self._requests.append(recorded)
            try:
                if recorded.headers.get("api-key") != self.api_key:
                    raise _Refusal(403, "Invalid or missing api-key.", code="Forbidden")
                if not recorded.query.get("api-version"):
                    raise _Refusal(400, "The api-version query parameter is required.")
                return self._dispatch(recorded)
            except _Refusal as refusal:
                return refusal.status, {"error": {"code": refusal.code, "message": refusal.message}}

    def _dispatch(self, recorded: RecordedRequest) -> tuple[int, Any]:
        name = recorded.index_name
        operation = recorded.operation
        if name is None:
            raise _Refusal(404, f"No such resource: {recorded.method} {recorded.path}", code="NotFound")
        if operation == "index.put":
            return self._put_index(name, recorded.body)
        if operation == "index.get":
            return 200, self._represent(name, self._index(name))
        if operation == "index.delete":
            if self._indexes.pop(name, None) is None:
                raise _Refusal(404, f"No index with the name '{name}' was found.", code="NotFound")
            return 204, None
        if operation == "docs.index":
            return self._index_batch(self._index(name), recorded.body)
        if operation == "docs.search":
            return 200, self._search(self._index(name), recorded.body)
        raise _Refusal(404, f"The fake does not implement {recorded.method} {recorded.path}", "NotFound")

    def _index(self, name: str) -> _Index:
        index = self._indexes.get(name)
        if index is None:
            raise _Refusal(404, f"The index '{name}' for service 'fake' was not found.", code="NotFound")
        return index

    def _represent(self, name: str, index: _Index) -> dict[str, Any]:
        body = json.loads(json.dumps(index.schema))
        body["@odata.etag"] = f'"0x{index.etag:X}"'
        body["name"] = name
        return body

    # ------------------------------------------------------------------------------------ indexes

    def _put_index(self, name: str, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            raise _Refusal(400, "The index definition must be a JSON object.")
        if body.get("name") != name:
            raise _Refusal(400, "The index name in the URL and in the body must match.")
        schema = {k: v for k, v in body.items() if not k.startswith("@odata.")}
        _check_schema(schema)
        existing = self._indexes.get(name)
        if existing is None:
            self._indexes[name] = _Index(schema=schema)
            return 201, self._represent(name, self._indexes[name])
        for field_name, old in existing.fields.items():
            new = {f["name"]: f for f in schema["fields"]}.get(field_name)
            if new is None:
                raise _Refusal(400, f"Existing field '{field_name}' cannot be removed from the index.")
            for attribute in ("type", "key", "dimensions", "vectorSearchProfile"):
                if old.get(attribute) != new.get(attribute):
                    raise _Refusal(
                        400, f"Existing field '{field_name}' cannot be changed ({attribute} differs)."
                    )
        existing.schema = schema
        existing.etag += 1
        return 200, self._represent(name, existing)

    # ------------------------------------------------------------------------------------ documents

    def _index_batch(self, index: _Index, body: Any) -> tuple[int, Any]:
        actions = body.get("value") if isinstance(body, dict) else None
        if not isinstance(actions, list):
            raise _Refusal(400, 'The request body must be {"value": [actions]}.')
        if len(actions) > MAX_BATCH_ACTIONS:
            raise _Refusal(400, f"A batch may hold at most {MAX_BATCH_ACTIONS} actions, not {len(actions)}.")
        results = [self._apply(index, action) for action in actions]
        status = 200 if all(r["status"] for r in results) else 207
        return status, {"value": results}

    def _apply(self, index: _Index, action: Any) -> dict[str, Any]:
        key_field = index.key_field
        key = action.get(key_field) if isinstance(action, dict) else None
        if not isinstance(key, str) or not _KEY_PATTERN.match(key):
            return _result(str(key), 400, f"Invalid document key: {key!r}.")
        kind = action.get("@search.action", "upload")
        document = {k: v for k, v in action.items() if k != "@search.action"}
        if kind == "delete":
            index.documents.pop(key, None)
            return _result(key, 200)
        if kind not in ("upload", "merge", "mergeOrUpload"):
            return _result(key, 400, f"Unknown action {kind!r}.")
        problem = _document_problem(index, document)
        if problem is None and any(reject(document) for reject in self._rejections):
            problem = "Rejected by the test."
        if problem is not None:
            return _result(key, 400, problem)
        existing = index.documents.get(key)
        if kind == "merge" and existing is None:
            return _result(key, 404, f"Document not found: {key}.")
        if kind == "upload" or existing is None:
            index.documents[key] = document
            return _result(key, 201 if existing is None else 200)
        existing.update(document)
        return _result(key, 200)

    # ------------------------------------------------------------------------------------ search

    def _search(self, index: _Index, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _Refusal(400, "The search request must be a JSON object.")
        fields = index.fields
        known = {
            "search", "filter", "top", "skip", "select", "orderby", "count", "vectorQueries",
            "vectorFilterMode", "searchMode", "queryType", "searchFields",
        }  # fmt: skip
        unknown = set(body) - known
        if unknown:
            raise _Refusal(400, f"The fake does not implement these search parameters: {sorted(unknown)}.")
        top = body.get("top", DEFAULT_TOP)
        skip = body.get("skip", 0)
        if not isinstance(top, int) or not 0 <= top <= MAX_TOP:
            raise _Refusal(400, f"top must be an integer from 0 to {MAX_TOP}.")
        if not isinstance(skip, int) or skip < 0:
            raise _Refusal(400, "skip must be a non-negative integer.")
        try:
            conditions = parse_filter(body.get("filter"))
        except FilterNotSupported as error:
            raise _Refusal(400, f"Invalid expression: {error}") from None
        for field_name, _, _ in conditions:
            spec = fields.get(field_name)
            if spec is None or not spec.get("filterable", True) or spec["type"] != "Edm.String":
                raise _Refusal(400, f"Field '{field_name}' is not a filterable string field.")
        candidates = [
            (key, doc)
            for key, doc in index.documents.items()
            if all(_compare(doc.get(f), op, value) for f, op, value in conditions)
        ]
        scored = self._score(index, candidates, body)
        scored = self._order(index, scored, body.get("orderby"))
        page = scored[skip : skip + top]
        select = _names(body.get("select"))
        retrievable = [
            name for name, spec in fields.items() if spec.get("retrievable", True) and not spec.get("hidden")
        ]
        for name in select or []:
            if name not in fields:
                raise _Refusal(400, f"Could not find a property named '{name}' on type 'search.document'.")
        shown = [n for n in (select or retrievable) if n in retrievable]
        answer: dict[str, Any] = {
            "value": [
                {"@search.score": score, **{n: doc[n] for n in shown if n in doc}} for score, doc in page
            ]
        }
        if body.get("count"):
            answer["@odata.count"] = len(scored)
        return answer

    def _score(
        self, index: _Index, candidates: list[tuple[str, dict[str, Any]]], body: dict[str, Any]
    ) -> list[tuple[float, dict[str, Any]]]:
        fields = index.fields
        text = body.get("search")
        rankings: list[list[tuple[float, str]]] = []
        if text is not None and text.strip() not in ("", "*"):
            searchable = _names(body.get("searchFields")) or [
                n
                for n, spec in fields.items()
                if spec.get("searchable") and spec["type"] in ("Edm.String", "Collection(Edm.String)")
            ]
            terms = set(_words(text))
            text_hits = []
            for key, doc in candidates:
                words = [w for name in searchable for w in _field_words(doc.get(name))]
                overlap = sum(1 for w in words if w in terms)
                if overlap:
                    text_hits.append((overlap / math.sqrt(len(words)), key))
            rankings.append(sorted(text_hits, key=lambda hit: (-hit[0], hit[1])))
        for query in body.get("vectorQueries") or []:
            rankings.append(self._vector_ranking(fields, candidates, query))
        by_key = dict(candidates)
        if not rankings:
            return [(1.0, doc) for _, doc in sorted(candidates)]
        if len(rankings) == 1:
            return [(score, by_key[key]) for score, key in rankings[0]]
        fused: dict[str, float] = {}
        for ranking in rankings:
            for rank, (_, key) in enumerate(ranking, start=1):
                fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
        return [(score, by_key[key]) for key, score in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))]

    def _vector_ranking(
        self, fields: dict[str, dict[str, Any]], candidates: list[tuple[str, dict[str, Any]]], query: Any
    ) -> list[tuple[float, str]]:
        if not isinstance(query, dict) or query.get("kind") != "vector":
            raise _Refusal(400, "The fake implements vector queries of kind 'vector' only.")
        vector = query.get("vector")
        names = _names(query.get("fields")) or []
        if len(names) != 1 or names[0] not in fields or "dimensions" not in fields[names[0]]:
            raise _Refusal(
                400, f"Vector query fields must name one vector field, not {query.get('fields')!r}."
            )
        name = names[0]
        if not isinstance(vector, list) or len(vector) != fields[name]["dimensions"]:
            raise _Refusal(400, f"The vector query must have {fields[name]['dimensions']} dimensions.")
        k = query.get("k", DEFAULT_TOP)
        similar = [
            (_cosine(vector, doc[name]), key) for key, doc in candidates if isinstance(doc.get(name), list)
        ]
        return sorted(similar, key=lambda hit: (-hit[0], hit[1]))[:k]

    def _order(
        self, index: _Index, scored: list[tuple[float, dict[str, Any]]], orderby: Any
    ) -> list[tuple[float, dict[str, Any]]]:
        clauses = _names(orderby)
        if not clauses:
            return scored
        if len(clauses) != 1:
            raise _Refusal(400, "The fake implements one $orderby clause only.")
        parts = clauses[0].split()
        if len(parts) not in (1, 2) or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise _Refusal(400, f"Invalid $orderby clause {clauses[0]!r}.")
        spec = index.fields.get(parts[0])
        if spec is None or not spec.get("sortable"):
            raise _Refusal(400, f"Field '{parts[0]}' is not sortable.")
        descending = len(parts) == 2 and parts[1] == "desc"

        def sort_key(item: tuple[float, dict[str, Any]]) -> tuple[bool, Any]:
            value = item[1].get(parts[0])
            return (value is not None, value)  # nulls first ascending, last descending

        return sorted(scored, key=sort_key, reverse=descending)


class _Handler(BaseHTTPRequestHandler):
    service: FakeAzureSearch
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded requests are the log."""

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            method=self.command,
            path=unquote(url.path),
            query={k: v[-1] for k, v in parse_qs(url.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        if raw and body is None:
            status, answer = 400, {"error": {"code": "InvalidRequest", "message": "The body is not JSON."}}
        else:
            status, answer = self.service._handle(recorded)
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        if answer is not None:
            self.send_header("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", "fake")
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_PUT = _serve
    do_POST = _serve
    do_DELETE = _serve


# ---------------------------------------------------------------------------------------- helpers


def parse_filter(expression: str | None) -> list[tuple[str, str, str]]:
    """``a eq 'x' and b gt 'y'`` as ``[(a, eq, x), (b, gt, y)]``; anything else raises."""
    if expression is None:
        return []
    conditions = []
    position = 0
    while True:
        match = _COMPARISON.match(expression, position)
        if match is None:
            raise FilterNotSupported(f"unsupported filter {expression!r} at {position}")
        conditions.append((match["field"], match["op"], match["value"].replace("''", "'")))
        position = match.end()
        if position == len(expression):
            return conditions
        if not expression.startswith("and ", position):
            raise FilterNotSupported(f"unsupported filter {expression!r} at {position}")
        position += len("and ")


def _compare(actual: Any, op: str, value: str) -> bool:
    if not isinstance(actual, str):
        return False
    return actual == value if op == "eq" else actual > value


def _check_schema(schema: dict[str, Any]) -> None:
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        raise _Refusal(400, "An index needs at least one field.")
    names = [f.get("name") for f in fields]
    if len(set(names)) != len(names):
        raise _Refusal(400, "Field names must be unique.")
    keys = [f for f in fields if f.get("key")]
    if len(keys) != 1 or keys[0].get("type") != "Edm.String":
        raise _Refusal(400, "An index needs exactly one key field, of type Edm.String.")
    vector_search = schema.get("vectorSearch") or {}
    profiles = {p["name"]: p for p in vector_search.get("profiles") or []}
    algorithms = {a["name"]: a for a in vector_search.get("algorithms") or []}
    for profile in profiles.values():
        if profile.get("algorithm") not in algorithms:
            raise _Refusal(400, f"Profile '{profile['name']}' names an unknown algorithm.")
    for algorithm in algorithms.values():
        if algorithm.get("kind") not in ("hnsw", "exhaustiveKnn"):
            raise _Refusal(400, f"Unknown vector algorithm kind {algorithm.get('kind')!r}.")
    for spec in fields:
        kind = spec.get("type", "")
        element = kind[len("Collection(") : -1] if kind.startswith("Collection(") else kind
        if element not in _PRIMITIVE_TYPES:
            raise _Refusal(400, f"Field '{spec['name']}' has an unknown type {kind!r}.")
        is_vector = kind.startswith("Collection(") and element in _VECTOR_ELEMENT_TYPES
        if is_vector:
            dimensions = spec.get("dimensions")
            if not isinstance(dimensions, int) or not 2 <= dimensions <= 4096:
                raise _Refusal(400, f"Vector field '{spec['name']}' needs dimensions from 2 to 4096.")
            if spec.get("vectorSearchProfile") not in profiles:
                raise _Refusal(400, f"Vector field '{spec['name']}' needs a known vectorSearchProfile.")
            if not spec.get("searchable"):
                raise _Refusal(400, f"Vector field '{spec['name']}' must be searchable.")
            if spec.get("filterable") or spec.get("sortable") or spec.get("facetable"):
                raise _Refusal(400, f"Vector field '{spec['name']}' cannot be filterable/sortable/facetable.")
        elif spec.get("searchable") and element != "Edm.String":
            raise _Refusal(400, f"Field '{spec['name']}' of type {kind} cannot be searchable.")


def _document_problem(index: _Index, document: dict[str, Any]) -> str | None:
    fields = index.fields
    for name, value in document.items():
        spec = fields.get(name)
        if spec is None:
            return f"The property '{name}' does not exist on type 'search.documentFields'."
        if value is None:
            continue
        kind = spec["type"]
        if "dimensions" in spec:
            if not isinstance(value, list) or len(value) != spec["dimensions"]:
                return f"The vector field '{name}' must have {spec['dimensions']} dimensions."
            if not all(isinstance(x, int | float) for x in value):
                return f"The vector field '{name}' must hold numbers."
        elif kind == "Edm.String" and not isinstance(value, str):
            return f"The field '{name}' must be a string."
        elif kind in ("Edm.Int32", "Edm.Int64") and (not isinstance(value, int) or isinstance(value, bool)):
            return f"The field '{name}' must be an integer."
        elif kind == "Collection(Edm.String)" and not (
            isinstance(value, list) and all(isinstance(x, str) for x in value)
        ):
            return f"The field '{name}' must be a list of strings."
    return None


def _result(key: str, status_code: int, message: str | None = None) -> dict[str, Any]:
    return {"key": key, "status": status_code < 300, "errorMessage": message, "statusCode": status_code}


def _names(value: Any) -> list[str] | None:
    """A comma-separated list (as the REST API spells ``select``, ``orderby``, ``fields``)."""
    if value is None:
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [item.strip() for item in items if item.strip()]


def _words(text: str) -> Iterator[str]:
    return (w.lower() for w in _WORD.findall(text))


def _field_words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [w for item in value for w in _words(str(item))]
    return list(_words(str(value or "")))


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return 0.0 if norm == 0 else dot / norm
