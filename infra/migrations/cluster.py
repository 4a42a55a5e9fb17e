"""The migrations for a ClickHouse cluster: each statement ON CLUSTER, each MergeTree table replicated.

The files in schemas/clickhouse/ are written for one server. With CLICKPATH_CLICKHOUSE_CLUSTER set to a
cluster of the servers' `remote_servers`, the runner rewrites every statement before it runs it:

- `CREATE TABLE|VIEW|MATERIALIZED VIEW|DICTIONARY`, `ALTER TABLE`, `DROP TABLE` and `EXCHANGE TABLES` get
  `ON CLUSTER <name>`, so every server applies them;
- `ENGINE = <Kind>MergeTree(args)` becomes `Replicated<Kind>MergeTree('/clickhouse/tables/{shard}/{database}/{table}',
  '{replica}', args)`: the `{shard}` and `{replica}` macros come from each server's configuration, and
  `{database}`/`{table}` are expanded by ClickHouse itself;
- data statements (`INSERT … SELECT`) run on the one server the runner talks to; replication copies them.

This is replication: every server holds all the data (one shard, any number of replicas), and clients
may reach any of them. Sharding across several shards (Distributed tables) is the next step, described in
docs/RUNBOOKS.md; it is not automated here.
"""

from __future__ import annotations

import re

ZOOKEEPER_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
_NAME = r"(?:`[^`]+`|[\w.]+)"
_CREATE = re.compile(
    rf"^(CREATE\s+(?:TABLE|VIEW|MATERIALIZED\s+VIEW|DICTIONARY)\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME})", re.IGNORECASE
)
_ALTER = re.compile(rf"^(ALTER\s+TABLE\s+{_NAME})", re.IGNORECASE)
_DROP = re.compile(rf"^(DROP\s+(?:TABLE|VIEW|DICTIONARY)\s+(?:IF\s+EXISTS\s+)?{_NAME})", re.IGNORECASE)
_EXCHANGE = re.compile(rf"^(EXCHANGE\s+TABLES\s+{_NAME}\s+AND\s+{_NAME})", re.IGNORECASE)
_LEADING_COMMENTS = re.compile(r"^(?:\s*--[^\n]*\n)*\s*")
_ENGINE = re.compile(r"\bENGINE\s*=\s*(\w*)MergeTree\b(\s*\(([^()]*)\))?", re.IGNORECASE)


def for_cluster(statement: str, cluster: str) -> str:
    """The statement as it must run on the cluster; unchanged if it names no table to create or change."""
    on_cluster = f" ON CLUSTER `{cluster}`"
    comments = _LEADING_COMMENTS.match(statement).end()  # the files explain a statement above it
    head, body = statement[:comments], statement[comments:]
    for pattern in (_CREATE, _ALTER, _DROP, _EXCHANGE):
        body, count = pattern.subn(lambda match: match.group(1) + on_cluster, body, count=1)
        if count:
            break
    return head + _ENGINE.sub(_replicated, body)


def _replicated(match: re.Match[str]) -> str:
    kind, arguments = match.group(1), (match.group(3) or "").strip()
    if kind.lower().startswith("replicated"):
        return match.group(0)  # already replicated: the file chose its own path
    extra = f", {arguments}" if arguments else ""
    return f"ENGINE = Replicated{kind}MergeTree('{ZOOKEEPER_PATH}', '{{replica}}'{extra})"
