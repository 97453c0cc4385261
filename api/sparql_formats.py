"""What the SPARQL endpoint needs besides its request loop.

Parameter parsing, content negotiation of results and graphs, the service description, and
the protocol dataset: whether a query names its own dataset (FROM / FROM NAMED), and the
rewriting of an update so that `using-graph-uri` / `using-named-graph-uri` apply to it.
"""

from __future__ import annotations

import re
from codecs import escape_decode
from urllib.parse import unquote_to_bytes

import mimeparse
import pyoxigraph as ox

from mmoda.api.errors import BadRequest, NotAcceptable
from mmoda.kg import graphs
from mmoda.kg.limits import Format, Kind

_R = ox.QueryResultsFormat
_G = ox.RdfFormat

# Offered media types, default last (mimeparse gives ties to the later entry); the value is
# the Content-Type answered and the serialisation.
RESULT_TYPES: dict[str, tuple[str, Format]] = {
    "text/tab-separated-values": ("text/tab-separated-values; charset=utf-8", _R.TSV),
    "text/csv": ("text/csv; charset=utf-8", _R.CSV),
    "text/xml": ("text/xml; charset=utf-8", _R.XML),
    "application/xml": ("application/xml", _R.XML),
    "application/sparql-results+xml": ("application/sparql-results+xml", _R.XML),
    "application/json": ("application/json", _R.JSON),
    "application/sparql-results+json": ("application/sparql-results+json", _R.JSON),
}
GRAPH_TYPES: dict[str, tuple[str, Format]] = {
    "application/rdf+xml": ("application/rdf+xml", _G.RDF_XML),
    "application/ld+json": ("application/ld+json", _G.JSON_LD),
    "application/n-triples": ("application/n-triples", _G.N_TRIPLES),
    "text/turtle": ("text/turtle; charset=utf-8", _G.TURTLE),
}
_OFFERS: dict[Kind, tuple[dict[str, tuple[str, Format]], list[str]]] = {
    "solutions": (RESULT_TYPES, list(RESULT_TYPES)),
    "boolean": (RESULT_TYPES, list(RESULT_TYPES)),
    "graph": (GRAPH_TYPES, list(GRAPH_TYPES)),
}
_chosen: dict[tuple[Kind, str], tuple[str, Format] | str] = {}


def negotiate(kind: Kind, accept: str | None) -> tuple[str, Format]:
    """Content-Type and format for a `kind` of answer by Accept (q-values honoured); 406 if none.

    No Accept (or `*/*`) gives SPARQL JSON for solutions and booleans, Turtle for graphs.
    """
    key = (kind, accept or "*/*")
    hit = _chosen.get(key)
    if hit is None:
        hit = _negotiate(kind, key[1])
        if len(_chosen) > 512:  # Accept values are client-controlled: bound the cache
            _chosen.clear()
        _chosen[key] = hit
    if isinstance(hit, str):
        raise NotAcceptable(hit)
    return hit


def _negotiate(kind: Kind, accept: str) -> tuple[str, Format] | str:
    table, offered = _OFFERS[kind]
    try:
        media = mimeparse.best_match(offered, accept)
    except (ValueError, IndexError):
        media = ""
    if not media:
        what = {"solutions": "SELECT results", "boolean": "an ASK result", "graph": "RDF"}[kind]
        return f"nothing offered for {what} matches Accept: {accept}; " \
               f"available: {', '.join(reversed(offered))}"
    return table[media]


# -- parameters ---------------------------------------------------------------------------------

def form_params(raw: bytes) -> dict[str, list[str]]:
    """Parameters of a query string or form body: `parse_qsl` semantics, 6x faster.

    Raises `BadRequest` when a name or value is not UTF-8.
    """
    out: dict[str, list[str]] = {}
    try:
        for pair in raw.split(b"&"):
            if pair:
                key, _, value = pair.partition(b"=")
                out.setdefault(_unquote(key), []).append(_unquote(value))
    except UnicodeDecodeError as exc:
        raise BadRequest(f"parameters are not UTF-8: {exc}") from exc
    return out


def _unquote(raw: bytes) -> str:
    if b"%" not in raw and b"+" not in raw:
        return raw.decode("utf-8")
    # urllib's unquote loops in Python over every escape (a query has dozens); escape_decode
    # does it in C once `%XX` is spelled `\xXX` and existing backslashes are doubled.
    try:
        decoded = escape_decode(raw.replace(b"\\", b"\\\\").replace(b"+", b" ")
                                .replace(b"%", b"\\x"))[0]
    except ValueError:  # a stray `%` that is no escape: unquote leaves it as it is
        decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    return decoded.decode("utf-8")


# -- service description ------------------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMATS = "http://www.w3.org/ns/formats/"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_FORMAT_IRIS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]


class ServiceDescription:
    """The `sd:Service` of an endpoint, serialised once per format."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._cache: dict[str, bytes] = {}
        self.triples = _describe(endpoint)

    def render(self, accept: str | None) -> tuple[str, bytes]:
        """Content-Type and body by Accept (Turtle by default); 406 if no RDF format fits."""
        content_type, fmt = negotiate("graph", accept)
        body = self._cache.get(content_type)
        if body is None:
            prefixes = {"sd": SD, "formats": _FORMATS} if fmt == _G.TURTLE else None
            out = ox.serialize(self.triples, format=fmt, prefixes=prefixes)  # type: ignore[arg-type]
            body = self._cache[content_type] = bytes(out or b"")
        return content_type, body


def _describe(endpoint: str) -> list[ox.Triple]:
    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    service = ox.BlankNode("service")
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    out = [
        ox.Triple(service, _RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")),
        # Without a protocol or FROM dataset, the default graph is the union of all graphs.
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("feature"), sd("EmptyGraphs")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, _RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, _RDF_TYPE, sd("Graph")),
    ]
    out += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(_FORMATS + f))
            for f in _FORMAT_IRIS]
    for i, graph in enumerate(graphs.LOCAL):
        named = ox.BlankNode(f"named{i}")
        out += [ox.Triple(dataset, sd("namedGraph"), named),
                ox.Triple(named, _RDF_TYPE, sd("NamedGraph")),
                ox.Triple(named, sd("name"), graph)]
    return out


# -- protocol dataset ---------------------------------------------------------------------------

# Strings, IRIs and comments: blanked out before looking for keywords.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n\r]*",
    re.S,
)
_KEYWORD = r"(?<![\w:?$@.\-])(?:{})(?![\w:\-])"
_FROM = re.compile(_KEYWORD.format("FROM"), re.I)
_UPDATE_TOKENS = re.compile(r"[{}]|" + _KEYWORD.format("WITH|USING|WHERE|DELETE"), re.I)


def _blank(text: str) -> str:
    return _OPAQUE.sub(lambda m: " " * len(m.group()), text)


def names_dataset(query: str) -> bool:
    """True when the query has a FROM or FROM NAMED clause."""
    if "from" not in query.lower():  # 15x cheaper than the regex; most queries have no FROM
        return False
    return _FROM.search(_blank(query)) is not None


class DatasetConflict(ValueError):
    """An update names its own dataset (USING/WITH) while the request names one too."""


def with_using(update: str, default: list[ox.NamedNode], named: list[ox.NamedNode]) -> str:
    """`update` with the protocol's USING / USING NAMED graphs added to each of its operations.

    `DELETE WHERE { P }` becomes `DELETE { P } USING … WHERE { P }` (its equivalent that may
    carry USING). Raises `DatasetConflict` when the update has its own USING or WITH.
    """
    using = " ".join([f"USING {g}" for g in default] + [f"USING NAMED {g}" for g in named])
    blanked = _blank(update)
    edits: list[tuple[int, int, str]] = []
    depth, previous, shortcut, start = 0, "", -1, 0
    for token in _UPDATE_TOKENS.finditer(blanked):
        word = token.group().upper()
        if word == "{":
            if depth == 0 and shortcut >= 0:
                start = token.start()
            depth += 1
        elif word == "}":
            depth -= 1
            if depth == 0 and shortcut >= 0:
                pattern = update[start:token.end()]
                edits.append((shortcut, token.end(), f"{pattern} {using} WHERE {pattern}"))
                shortcut = -1
        elif depth == 0:
            if word in ("WITH", "USING"):
                raise DatasetConflict(
                    f"the update has its own {word} clause and the request gives "
                    "using-graph-uri/using-named-graph-uri; use one or the other")
            if word == "WHERE" and previous == "DELETE":
                shortcut = token.start()
            elif word == "WHERE":
                edits.append((token.start(), token.start(), using + " "))
        if depth == 0:
            previous = word
    for begin, end, text in reversed(edits):
        update = update[:begin] + text + update[end:]
    return update
