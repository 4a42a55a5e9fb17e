"""The embedded ClickHouse: chdb's engine served over ClickHouse's HTTP interface."""
