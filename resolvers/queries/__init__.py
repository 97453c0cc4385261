"""SPARQL queries of the resolvers package (`kg.select("resolvers/<name>")`)."""
