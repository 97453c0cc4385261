"""The knowledge graph: a pyoxigraph store with named graphs, JSON-LD in and out, bound queries."""
