"""Query runners: one module per insight kind, dispatched on the body's ``kind`` (registry.py).

Every runner builds ClickHouse SQL with server-side bound parameters (``{name:Type}``) and always filters on
the caller's project; service.py adds the cache and the timing around it. docs/QUERIES.md has the bodies.
"""
