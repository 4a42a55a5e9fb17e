"""The query and auth API: one FastAPI app (port 8001) with an auth router; the query router comes later."""
