"""The HTTP API, its pages and the `mmoda` command line."""
