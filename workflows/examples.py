"""The example workflows of the bundled catalog (`examples/catalog/workflows.toml`)."""

from __future__ import annotations

import tomllib
from importlib.resources import as_file, files
from pathlib import Path

from mmoda.workflows.registry import Registered, Registry
from mmoda.workflows.sources import from_path

__all__ = ["register_examples"]


def register_examples(registry: Registry) -> list[Registered]:
    """Register every example workflow in one batch (one reasoner run)."""
    examples = files("mmoda.examples")
    listing = tomllib.loads(examples.joinpath("catalog", "workflows.toml").read_text("utf-8"))
    items = []
    for entry in listing["workflow"]:
        with as_file(examples.joinpath(*entry["source"].split("/"))) as path:
            spec = from_path(Path(path), function=entry.get("function"))
        items.append((entry["id"], spec))
    return registry.register_many(items)
