"""Requests, runs and results: from a submitted request to results with provenance."""
