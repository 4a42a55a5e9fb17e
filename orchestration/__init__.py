"""Dagster definitions for Clickpath: the dbt models as assets, partitioned by day, scheduled and checked."""
