"""Embedded ClickHouse over HTTP vs chdb in-process: the parts of ``tests.benchmarks.warehouse_bench``."""
