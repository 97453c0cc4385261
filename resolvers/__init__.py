"""Request resolution: request → (workflow, site), parameter normalisation, result reuse."""
