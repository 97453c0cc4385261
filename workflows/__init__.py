"""Contributed workflows: annotated notebooks, Python functions and nb2workflow services
as catalog nodes."""

from mmoda.workflows.function import parse_entry_point, parse_function
from mmoda.workflows.notebook import parse_notebook
from mmoda.workflows.rdf import restriction_turtle, workflow_quads

__all__ = ["parse_entry_point", "parse_function", "parse_notebook", "restriction_turtle",
           "workflow_quads"]
