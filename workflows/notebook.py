"""Read an annotated notebook (nb2workflow grammar) into a `WorkflowSpec`.

The cell tagged `parameters` declares the inputs (`name[: hint] = default  # oda:Type ; ...`)
and, in full-line comments, Turtle about the notebook (its licence, `dct:license <IRI>`, is
required); the cell tagged `outputs` declares the outputs (`name = expr  # oda:LightCurve`).
The first markdown cell gives the title (its first heading) and the description.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import rdflib
from nbformat import NotebookNode

from mmoda.workflows.annotation import Fragment, looks_like_turtle, read_statements
from mmoda.workflows.cells import content_hash, markdown_header, scan, tagged
from mmoda.workflows.errors import (
    AnnotationSyntaxError,
    MissingLicense,
    NoParametersCell,
    NotANotebook,
)
from mmoda.workflows.metadata import spdx_iri
from mmoda.workflows.model import FormalOutput, FormalParameter, WorkflowSpec
from mmoda.workflows.parameters import make_output, make_parameter
from mmoda.workflows.statements import take_metadata
from mmoda.workflows.vocabulary import Vocabulary

__all__ = ["parse_notebook"]

_NOTEBOOK = rdflib.URIRef(WorkflowSpec.NOTEBOOK_SUBJECT)
_DCT = rdflib.Namespace("http://purl.org/dc/terms/")
_LICENSES = (_DCT.license, rdflib.URIRef("https://schema.org/license"),
             rdflib.URIRef("http://odahub.io/ontology#license"))


def _read(source: str | Path | bytes) -> tuple[NotebookNode, Path | None]:
    path = None if isinstance(source, bytes) else Path(source)
    try:
        text = source.decode("utf-8") if isinstance(source, bytes) else \
            Path(source).read_text("utf-8")
        return nbformat.reads(text, as_version=4), path
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError,
            nbformat.ValidationError) as exc:  # nbformat's errors on JSON that is no notebook
        raise NotANotebook(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) \
            from exc


def _statements(block: tuple[Fragment, ...], cell: str) -> Iterator[rdflib.Graph]:
    """The Turtle statements of a block of full-line comments; prose lines are skipped.

    A statement may continue over the following comment lines until it parses.
    """
    pending: Fragment | None = None
    error: AnnotationSyntaxError | None = None
    for frag in block:
        if pending is None and not looks_like_turtle(frag.text):
            continue
        pending = frag if pending is None else pending.join(frag)
        try:
            yield read_statements(pending, WorkflowSpec.NOTEBOOK_SUBJECT, cell=cell)
        except AnnotationSyntaxError as exc:
            error = exc
        else:
            pending = None
    if pending is not None and error is not None:
        raise error


def _license(graph: rdflib.Graph, required: bool) -> str | None:
    """The notebook's single licence IRI (an SPDX id such as "MIT" is made an SPDX IRI)."""
    found = {o for p in _LICENSES for o in graph.objects(_NOTEBOOK, p)}
    for p in _LICENSES:
        graph.remove((_NOTEBOOK, p, None))
    if len(found) > 1:
        raise MissingLicense(f"the notebook declares {len(found)} licences; declare one")
    if not found:
        if required:
            raise MissingLicense()
        return None
    value = found.pop()
    spdx = spdx_iri(str(value)) if isinstance(value, rdflib.Literal) else None
    if spdx is not None:
        return spdx
    if not isinstance(value, rdflib.URIRef):
        raise MissingLicense(f"the licence {value.n3()} is not an IRI")
    return str(value)


def _take_text(graph: rdflib.Graph, predicate: rdflib.URIRef) -> str | None:
    """The notebook's value of `predicate` (title, description), removed from `graph`."""
    value = graph.value(_NOTEBOOK, predicate)
    graph.remove((_NOTEBOOK, predicate, None))
    return None if value is None else str(value)


def _interface(nb: NotebookNode, vocab: Vocabulary,
               graph: rdflib.Graph) -> tuple[list[FormalParameter], list[FormalOutput]]:
    """Parameters (a later cell overrides a name, as in nb2workflow) and outputs of `nb`."""
    params: dict[str, FormalParameter] = {}
    for cell in tagged(nb, "parameters"):
        scanned = scan(cell.source, cell="parameters")
        for a in scanned.assignments:
            params[a.name] = make_parameter(a, vocab, position=len(params))
        for block in scanned.comment_blocks:
            for statements in _statements(block, "parameters"):
                graph += statements
    outputs: dict[str, FormalOutput] = {}
    for cell in tagged(nb, "outputs"):
        for a in scan(cell.source, cell="outputs").assignments:
            outputs[a.name] = make_output(a, vocab, position=len(outputs))
    return list(params.values()), list(outputs.values())


def parse_notebook(source: str | Path | bytes, *, known_classes: set[str] | None = None,
                   name: str | None = None, require_license: bool = True) -> WorkflowSpec:
    """Read the workflow a notebook declares (path, or the `.ipynb` bytes).

    `known_classes`, when given, are the class IRIs annotations may name (e.g. every class of
    a store's ontology graph); by default, the shipped ODA + MMODA ontology. `name` defaults to
    the file's stem. Creators, labels and runtime needs come from the notebook's Turtle
    (`mmoda.workflows.statements`); git facts are added when the workflow is registered.
    Raises `NoParametersCell`, `AnnotationSyntaxError`, `UnknownTerm`, `DefaultOutOfRange`,
    `InvalidMetadata` or (when `require_license`) `MissingLicense`.
    """
    nb, path = _read(source)
    if not tagged(nb, "parameters"):
        raise NoParametersCell(str(path) if path else "the notebook")
    graph = rdflib.Graph()
    params, outputs = _interface(nb, Vocabulary(known_classes), graph)
    license_iri = _license(graph, require_license)
    meta = take_metadata(graph, _NOTEBOOK)
    heading, body = markdown_header(nb)
    stem = name or (path.stem if path else "notebook")
    digest = content_hash(nb)
    return WorkflowSpec(
        name=stem, title=_take_text(graph, _DCT.title) or heading or stem,
        description=_take_text(graph, _DCT.description) or body,
        parameters=tuple(params), outputs=tuple(outputs),
        extra_turtle=graph.serialize(format="turtle") if len(graph) else "",
        source_path=str(path) if path else None, content_hash=digest, license=license_iri,
        version=digest[:12], keywords=meta.keywords, creators=meta.creators,
        instrument=meta.labels.instrument, product=meta.labels.product, runtime=meta.runtime)
