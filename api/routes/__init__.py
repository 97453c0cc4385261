"""HTTP routers of the FastAPI side of the app."""
