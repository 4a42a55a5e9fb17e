"""The migrations rewritten for a cluster: every statement still parses, and every table is replicated on it.

ClickHouse's own parser (the embedded engine's EXPLAIN AST) judges the syntax; no cluster is needed for that.
"""

from __future__ import annotations

import re

import chdb
import pytest

from infra.migrations.clickhouse import LEDGER, discover
from infra.migrations.cluster import ZOOKEEPER_PATH, for_cluster

STATEMENTS = [LEDGER.strip()] + [statement for migration in discover() for statement in migration.statements()]


def parses(statement: str) -> bool:
    chdb.query(f"EXPLAIN AST {statement}", "TSV")  # raises on a syntax error
    return True


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: " ".join(s.split()[:4])[:60])
def test_each_statement_parses_on_cluster_and_keeps_no_plain_merge_tree(statement: str) -> None:
    rewritten = for_cluster(statement, "analytics")
    assert parses(rewritten), rewritten
    assert not re.search(r"ENGINE\s*=\s*(?!Replicated)\w*MergeTree", rewritten), rewritten
    if re.match(r"(?:\s*--[^\n]*\n)*\s*(CREATE|ALTER|DROP|EXCHANGE)\b", statement):
        assert "ON CLUSTER `analytics`" in rewritten
    else:  # data statements run on one server; replication copies what they write
        assert rewritten == statement


def test_engine_arguments_follow_the_replication_path() -> None:
    statement = "CREATE TABLE t (v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY v"
    assert for_cluster(statement, "c") == (
        f"CREATE TABLE t ON CLUSTER `c` (v UInt64) ENGINE = ReplicatedReplacingMergeTree('{ZOOKEEPER_PATH}', "
        "'{replica}', v) ORDER BY v"
    )
    assert "ReplicatedMergeTree('" in for_cluster("CREATE TABLE t (v UInt8) ENGINE = MergeTree ORDER BY v", "c")


def test_a_table_already_replicated_keeps_its_own_path() -> None:
    statement = "CREATE TABLE t (v UInt8) ENGINE = ReplicatedMergeTree('/mine/t', '{replica}') ORDER BY v"
    assert for_cluster(statement, "c") == statement.replace("CREATE TABLE t", "CREATE TABLE t ON CLUSTER `c`")
