"""dbt-clickhouse (driver: http) against the embedded server, through the plain dbt CLI.

The dbt project in ./dbt_project has one model per materialization Clickpath relies on: a table,
incremental delete+insert and append models, and a materialized view. The module fixture runs the
whole flow once (run, more source rows, run, test, docs generate); each test checks one model's
exact contents in ClickHouse afterwards.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from tests.integration.warehouse.conftest import PASSWORD
from tests.support.dbt import Dbt
from tests.support.warehouse import WarehouseProcess

pytestmark = pytest.mark.integration

PROJECT_DIR = Path(__file__).parent / "dbt_project"
MODELS = ("events_by_type", "users_latest", "events_log", "revenue_by_user")

T0 = datetime(2024, 5, 1, 12, 0)
T1 = T0 + timedelta(days=1)

EVENT_COLUMNS = ["event_id", "user_id", "event_type", "amount_cents", "ts"]
USER_COLUMNS = ["user_id", "plan", "updated_at"]

# (event_id, user_id, event_type, amount_cents); ts follows event_id.
EVENTS_1 = [
    (1, 1, "pageview", 0),
    (2, 1, "purchase", 1500),
    (3, 2, "pageview", 0),
    (4, 2, "signup", 0),
    (5, 3, "pageview", 0),
    (6, 3, "purchase", 2500),
]
EVENTS_2 = [
    (7, 2, "purchase", 4000),
    (8, 4, "signup", 0),
    (9, 4, "pageview", 0),
    (10, 1, "purchase", 500),
]
USERS_1 = [(1, "free", T0), (2, "free", T0), (3, "free", T0)]
USERS_2 = [(2, "pro", T1), (3, "team", T1), (4, "free", T1)]  # users 2 and 3 change plan, user 4 is new

# Each model read back in a fixed order; revenue_by_user's parts may not be merged yet, so it is summed.
QUERIES = {
    "events_by_type": "SELECT event_type, events, amount_cents FROM {schema}.events_by_type ORDER BY event_type",
    "users_latest": "SELECT user_id, plan FROM {schema}.users_latest ORDER BY user_id",
    "events_log": "SELECT event_id, user_id, event_type, amount_cents FROM {schema}.events_log ORDER BY event_id",
    "revenue_by_user": "SELECT user_id, sum(events), sum(amount_cents) FROM {schema}.revenue_by_user "
    "GROUP BY user_id ORDER BY user_id",
}


@dataclass
class Flow:
    """What the module fixture did, for the tests to check."""

    client: Client
    raw: str
    schema: str
    dbt: Dbt
    before_second_run: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    second_run_sql: dict[str, str] = field(default_factory=dict)

    def rows(self, model: str) -> list[tuple[Any, ...]]:
        return read(self.client, self.schema, model)


def read(client: Client, schema: str, model: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in client.query(QUERIES[model].format(schema=schema)).result_rows]


def create_sources(client: Client, raw: str) -> None:
    client.command(f"CREATE DATABASE {raw}")
    client.command(
        f"CREATE TABLE {raw}.events (event_id UInt64, user_id UInt32, event_type LowCardinality(String),"
        " amount_cents UInt64, ts DateTime) ENGINE = MergeTree ORDER BY event_id"
    )
    client.command(
        f"CREATE TABLE {raw}.users (user_id UInt32, plan LowCardinality(String), updated_at DateTime)"
        " ENGINE = MergeTree ORDER BY (user_id, updated_at)"
    )


def insert_batch(client: Client, raw: str, events: Sequence[tuple[Any, ...]], users: Sequence[tuple[Any, ...]]) -> None:
    timed_events = [(*event, T0 + timedelta(minutes=event[0])) for event in events]
    client.insert(f"{raw}.events", timed_events, column_names=EVENT_COLUMNS)
    client.insert(f"{raw}.users", users, column_names=USER_COLUMNS)


@pytest.fixture(scope="module")
def flow(warehouse: WarehouseProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    # Per-run database names, so a rerun against a kept data directory never meets old tables.
    run_id = uuid.uuid4().hex[:8]
    raw, schema = f"clickpath_raw_{run_id}", f"clickpath_dbt_{run_id}"
    env = {
        **os.environ,
        "CLICKPATH_TEST_CH_HOST": "127.0.0.1",
        "CLICKPATH_TEST_CH_PORT": str(warehouse.port),
        "CLICKPATH_TEST_CH_PASSWORD": PASSWORD,
        "CLICKPATH_TEST_CH_SCHEMA": schema,
        "CLICKPATH_TEST_RAW_SCHEMA": raw,
    }
    client = clickhouse_connect.get_client(host="127.0.0.1", port=warehouse.port, password=PASSWORD)
    result = Flow(client, raw, schema, Dbt(env, tmp_path_factory.mktemp("dbt"), PROJECT_DIR))
    try:
        create_sources(client, raw)
        insert_batch(client, raw, EVENTS_1, USERS_1)
        result.dbt("run")
        insert_batch(client, raw, EVENTS_2, USERS_2)
        # Before dbt runs again: only the materialized view can have seen the second batch.
        result.before_second_run = {model: read(client, schema, model) for model in MODELS}
        result.dbt("run")
        result.second_run_sql = result.dbt.compiled_code()
        result.dbt("test")
        result.dbt("docs", "generate")
        yield result
    finally:
        for database in (schema, raw):
            client.command(f"DROP DATABASE IF EXISTS {database}")
        client.close()


def test_table_model_is_rebuilt(flow: Flow) -> None:
    assert flow.before_second_run["events_by_type"] == [("pageview", 3, 0), ("purchase", 2, 4000), ("signup", 1, 0)]
    assert flow.rows("events_by_type") == [("pageview", 4, 0), ("purchase", 4, 8500), ("signup", 2, 0)]


def test_delete_insert_model_replaces_updated_keys(flow: Flow) -> None:
    assert flow.before_second_run["users_latest"] == [(1, "free"), (2, "free"), (3, "free")]
    # The second run took the incremental path (only changed users), yet no user appears twice.
    assert "where user_id in" in flow.second_run_sql["users_latest"]
    assert flow.rows("users_latest") == [(1, "free"), (2, "pro"), (3, "team"), (4, "free")]


def test_append_model_holds_every_event_once(flow: Flow) -> None:
    assert [row[0] for row in flow.before_second_run["events_log"]] == [1, 2, 3, 4, 5, 6]
    assert "where event_id >" in flow.second_run_sql["events_log"]
    assert flow.rows("events_log") == [(e[0], e[1], e[2], e[3]) for e in EVENTS_1 + EVENTS_2]


def test_materialized_view_sums_rows_inserted_after_it(flow: Flow) -> None:
    expected = [(1, 3, 2000), (2, 3, 4000), (3, 2, 2500), (4, 2, 0)]
    # The view summed the second batch as it was inserted, and the second dbt run did not add it again.
    assert flow.before_second_run["revenue_by_user"] == expected
    assert flow.rows("revenue_by_user") == expected
    views = flow.client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND engine = 'MaterializedView'",
        parameters={"db": flow.schema},
    ).result_rows
    assert views == [("revenue_by_user_mv",)]


def test_docs_generate_writes_a_catalog(flow: Flow) -> None:
    catalog = json.loads((flow.dbt.target_path / "catalog.json").read_text())
    assert not catalog.get("errors"), catalog["errors"]
    columns = {node_id.rsplit(".", 1)[-1]: set(node["columns"]) for node_id, node in catalog["nodes"].items()}
    assert columns["users_latest"] == {"user_id", "plan", "last_updated_at"}
    assert set(MODELS) <= set(columns)
    assert {source_id.rsplit(".", 1)[-1] for source_id in catalog["sources"]} == {"events", "users"}


def test_singular_test_catches_a_model_behind_its_source(flow: Flow) -> None:
    # A user the model has not loaded yet: the check that ties users_latest to the raw table must fail.
    flow.client.insert(f"{flow.raw}.users", [(5, "free", T1)], column_names=USER_COLUMNS)
    output = flow.dbt("test", "--select", "users_latest_matches_raw", expect_code=1)
    assert "Failure in test users_latest_matches_raw" in output, output
