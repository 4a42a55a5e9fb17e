"""The ingestion benchmark's parts (tests/benchmarks/ingest_bench.py runs them)."""
