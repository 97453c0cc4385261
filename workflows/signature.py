"""From a function's signature to formal parameters and outputs, by the notebook grammar.

Each parameter becomes the `Assignment` a notebook line would be: the bare type hint, the
default, and as trailing "comment" the Turtle its `Annotated` metadata amounts to
(`mmoda.workflows.pyannotation`). `make_parameter` and `make_output` then apply exactly the
rules of notebooks. A None default, like `X | None`, makes a parameter optional.
"""

from __future__ import annotations

import ast

from mmoda.workflows.cells import NOT_LITERAL, Assignment
from mmoda.workflows.errors import AnnotationSyntaxError, DefaultOutOfRange
from mmoda.workflows.model import FormalOutput, FormalParameter
from mmoda.workflows.parameters import make_output, make_parameter
from mmoda.workflows.pyannotation import annotation_fragment
from mmoda.workflows.pyhints import Hint, record_fields, unwrap
from mmoda.workflows.pysource import ModuleSource
from mmoda.workflows.vocabulary import Vocabulary

__all__ = ["outputs", "parameters"]

_COLLECTIONS = {"tuple", "Tuple", "list", "List", "Sequence", "Iterable", "Iterator"}
_LITERALS = (str, bytes, int, float, complex, bool, type(None), list, tuple, dict)


def _default(module: ModuleSource, node: ast.expr) -> tuple[object, str]:
    """The literal value of a default (`NOT_LITERAL` otherwise) and its source."""
    try:
        value = module.value(node)
    except AnnotationSyntaxError:
        value = NOT_LITERAL
    source = ast.get_source_segment(module.text, node) or ast.unparse(node)
    return (value if isinstance(value, _LITERALS) else NOT_LITERAL), source


def _parameter(module: ModuleSource, arg: ast.arg, default: ast.expr | None,
               vocab: Vocabulary, position: int) -> FormalParameter:
    hint = unwrap(module, arg.annotation) if arg.annotation else None
    value, source = _default(module, default) if default else (None, None)
    optional = (hint is not None and hint.optional) or (default is not None and value is None)
    if default is None and not optional:
        with module.located(module.where(arg)):
            raise DefaultOutOfRange(arg.arg, None, "is missing; give the parameter a default "
                                    "in the signature or allow None (X | None)")
    comment = annotation_fragment(module, hint)
    bare = Hint(hint.base, optional=optional).annotation() if hint else None
    a = Assignment(arg.arg, arg.lineno, bare, value, source, comment)
    with module.located(module.where(default or arg), comment):
        return make_parameter(a, vocab, position=position, cell="")


def parameters(module: ModuleSource, fn: ast.FunctionDef,
               vocab: Vocabulary) -> tuple[FormalParameter, ...]:
    """The formal parameters of `fn`: every argument, named, with a default or None allowed."""
    args = fn.args
    unnamed = [(a, "positional-only") for a in args.posonlyargs] + \
        [(a, kind) for a, kind in ((args.vararg, "*args"), (args.kwarg, "**kwargs")) if a]
    if unnamed:
        arg, kind = unnamed[0]
        raise module.error(arg, f"{arg.arg} is {kind}; a workflow is called with named "
                           "parameters only")
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(args.args, defaults, strict=True),
             *zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return tuple(_parameter(module, arg, default, vocab, i)
                 for i, (arg, default) in enumerate(pairs))


def _output(module: ModuleSource, name: str, node: ast.expr, vocab: Vocabulary,
            position: int) -> FormalOutput:
    comment = annotation_fragment(module, unwrap(module, node))
    with module.located(module.where(node), comment):
        return make_output(Assignment(name, node.lineno, None, None, None, comment), vocab,
                           position=position, cell="")


def _is_collection(node: ast.expr) -> bool:
    """True for `tuple[...]`, `list[...]`, `Sequence[...]` and the like: several products."""
    head = node.value if isinstance(node, ast.Subscript) else node
    return isinstance(head, ast.Tuple | ast.List) \
        or ast.unparse(head).rsplit(".", 1)[-1] in _COLLECTIONS


def outputs(module: ModuleSource, fn: ast.FunctionDef,
            vocab: Vocabulary) -> tuple[FormalOutput, ...]:
    """The outputs `fn` returns: one named after it, or one per NamedTuple/TypedDict field;
    none for a missing or `None` return annotation."""
    hint = unwrap(module, fn.returns) if fn.returns else None
    if fn.returns is None or hint is None:
        return ()
    fields = None if hint.metadata else record_fields(module, hint.base)
    if fields is not None:
        return tuple(_output(module, name, node, vocab, i)
                     for i, (name, node) in enumerate(fields))
    if not hint.metadata and isinstance(hint.base, ast.Constant) and hint.base.value is None:
        return ()
    if not hint.metadata and _is_collection(hint.base):
        raise module.error(fn.returns, "a workflow returns one product or a NamedTuple/TypedDict "
                           "of products; declare several outputs as a NamedTuple whose fields "
                           "are Annotated[T, oda.Product]")
    return (_output(module, fn.name, fn.returns, vocab, 0),)
