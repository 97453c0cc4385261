"""MMODA: knowledge-graph-centric multi-messenger astronomy analysis platform."""

__version__ = "0.1.0"
