"""SPARQL queries of the runs package (`kg.select("runs/<name>")`)."""
