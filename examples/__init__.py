"""Bundled example data: the catalog an empty site starts with, and sample nodes."""
