"""Read a Python function, typed with ontology terms, into a `WorkflowSpec` without running it.

    def spectrum(E1: Annotated[float, oda.Energy_keV] = 20.0) -> Annotated[Table, oda.Spectrum]:

Parameters and outputs follow `mmoda.workflows.signature`, module dunders give the metadata
(`__license__`, `__author__`/`__authors__`, `__instrument__`, `__product__`, `__keywords__`,
`__runtime__`, `__version__`), and the function's docstring (else the module's) gives the title
(first line) and description. The module is read with `ast` only (`mmoda.workflows.pysource`);
an entry point is located through the import system's finders, which run no module code.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from pathlib import Path

from mmoda.workflows.entrypoints import entry_point, module_source_file
from mmoda.workflows.errors import AnnotationSyntaxError, WorkflowError, WorkflowNotFound
from mmoda.workflows.model import WorkflowSpec
from mmoda.workflows.pydunders import read_dunders
from mmoda.workflows.pyhints import unwrap
from mmoda.workflows.pysource import ModuleSource
from mmoda.workflows.signature import outputs, parameters
from mmoda.workflows.vocabulary import Vocabulary

__all__ = ["ENTRY_POINT_GROUP", "parse_entry_point", "parse_function"]

ENTRY_POINT_GROUP = "mmoda.workflows"


def _read(source: str | Path | bytes) -> tuple[bytes, Path | None]:
    if isinstance(source, bytes):
        return source, None
    path = Path(source)
    try:
        return path.read_bytes(), path
    except OSError as exc:
        raise WorkflowNotFound(f"cannot read the module {path}: {exc.strerror or exc}") from exc


def _decode(data: bytes) -> str:
    """The module's text, honouring a PEP 263 coding line."""
    try:
        return importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise AnnotationSyntaxError(1, 1, f"cannot decode the module: {exc}") from exc


def _annotated(module: ModuleSource, fn: ast.FunctionDef) -> bool:
    """True when a parameter or the return value of `fn` carries `Annotated` metadata."""
    args = fn.args
    every = (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg)
    hints = [a.annotation for a in every if a and a.annotation]
    hints += [fn.returns] if fn.returns else []
    try:
        return any(unwrap(module, h).metadata for h in hints)
    except WorkflowError:  # a broken hint: let parsing report it
        return True


def _choose(module: ModuleSource, function: str | None, where: str) -> ast.FunctionDef:
    """The function `function`, else the single public one with ontology-typed signature."""
    public = {n: f for n, f in module.names.items()
              if isinstance(f, ast.FunctionDef) and not n.startswith("_")}
    if function is not None:
        found = module.names.get(function)
        if not isinstance(found, ast.FunctionDef):
            raise WorkflowNotFound(f"{where} defines no function {function!r}", sorted(public))
        return found
    candidates = sorted(n for n, f in public.items() if _annotated(module, f))
    if len(candidates) == 1:
        return public[candidates[0]]
    if not candidates:
        raise WorkflowNotFound(f"{where} has no public function whose parameters are typed "
                               "with ontology terms (Annotated[float, oda.Energy_keV])",
                               sorted(public))
    raise WorkflowNotFound(f"{where} has several workflow functions; name one", candidates)


def _title(module: ModuleSource, fn: ast.FunctionDef) -> tuple[str | None, str]:
    """The first line of the function's docstring (else the module's) and the rest."""
    doc = ast.get_docstring(fn) or ast.get_docstring(module.tree) or ""
    first, _, rest = doc.strip().partition("\n")
    return first.strip() or None, rest.strip()


def _spec(data: bytes, path: Path | None, function: str | None, vocab: Vocabulary,
          name: str | None, require_license: bool) -> WorkflowSpec:
    module = ModuleSource(_decode(data))
    fn = _choose(module, function, str(path) if path else "the module")
    params, products = parameters(module, fn, vocab), outputs(module, fn, vocab)
    meta = read_dunders(module, require_license)
    title, description = _title(module, fn)
    digest = hashlib.sha256(data).hexdigest()
    return WorkflowSpec(
        name=name or fn.name, title=title or fn.name, description=description,
        parameters=params, outputs=products, source_path=str(path) if path else None,
        content_hash=digest, license=meta.license, version=digest[:12], commit=None,
        keywords=meta.keywords, kind="function", entry=fn.name, creators=meta.creators,
        instrument=meta.labels.instrument, product=meta.labels.product, runtime=meta.runtime,
        tag=meta.version)


def parse_function(source: str | Path | bytes, function: str | None = None, *,
                   known_classes: set[str] | None = None, name: str | None = None,
                   require_license: bool = True) -> WorkflowSpec:
    """Read the workflow a Python module declares (path, or the module's bytes).

    `function` defaults to the single public function whose parameters or return value are
    `Annotated` with ontology terms. `known_classes` and `require_license` are as for
    `parse_notebook`; `name` defaults to the function's name. The module is never imported.
    Raises `WorkflowNotFound`, `AnnotationSyntaxError`, `UnknownTerm`, `DefaultOutOfRange`,
    `InvalidMetadata` or (when `require_license`) `MissingLicense`.
    """
    data, path = _read(source)
    try:
        return _spec(data, path, function, Vocabulary(known_classes), name, require_license)
    except RecursionError as exc:  # expressions nested deeper than Python's stack
        raise AnnotationSyntaxError(1, 1, "the module nests expressions too deeply to be "
                                    "read") from exc


def parse_entry_point(ref: str, *, known_classes: set[str] | None = None,
                      name: str | None = None, require_license: bool = True) -> WorkflowSpec:
    """Read the workflow `ref` names: `"package.module:function"`, or the name of an entry
    point of group `mmoda.workflows` (whose name is then the workflow's default name).

    The module's source is found without running it (nor its packages' `__init__`) and read
    by `parse_function`, whose keyword arguments these are.
    """
    module, colon, function = ref.partition(":")
    if not colon:
        ep = entry_point(ENTRY_POINT_GROUP, ref)
        module, function, name = ep.module, ep.attr or "", name or ep.name
    return parse_function(module_source_file(module.strip()), function.strip() or None,
                          known_classes=known_classes, name=name,
                          require_license=require_license)
