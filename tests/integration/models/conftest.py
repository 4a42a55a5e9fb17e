"""One dbt build for the whole module set, on the test stack, over two datasets:

- generated: demo traffic (ingest/generate.py) sent through the capture API and the consumer, into a new project;
- tricky: a few events written straight into ClickHouse, each there for a case the models must get right
  (tricky.py), checked against the plain-Python reference (reference.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from clickhouse_connect.driver.client import Client

from ingest.generate import Sender, generate_events
from tests.integration.models import tricky
from tests.support.dbt import Dbt, day_vars
from tests.support.events import insert_events, link
from tests.support.ingest import Pipeline, consumed
from tests.support.stack import Stack

GENERATED_EVENTS = 3000
GENERATED_DAYS = 3
GENERATED_NOW = datetime(2026, 2, 1, tzinfo=UTC)
GENERATED_SEED = 11


@dataclass
class Built:
    dbt: Dbt
    build_output: str
    generated_project: int
    tricky_project: int


@pytest.fixture(scope="session")
def warehouse(stack: Stack) -> Iterator[Client]:
    client = Pipeline(stack.settings).clickhouse()
    yield client
    client.close()


def send_generated(pipeline: Pipeline) -> int:
    project = pipeline.new_project()
    events = generate_events(GENERATED_EVENTS, GENERATED_DAYS, GENERATED_SEED, GENERATED_NOW)
    Sender(pipeline.capture_url, project.key).send(events)
    consumed(pipeline.settings)
    return project.id


def write_tricky(client: Client) -> int:
    """The mapping first, as person processing writes it before the consumer's insert; the events in two
    inserts, the late one last."""
    project_id = random.randrange(10**9, 2 * 10**9)  # far from the stack's real projects
    for person_id, distinct_ids in tricky.links(project_id).items():
        link(client, project_id, person_id, distinct_ids)
    on_time, late = tricky.events(project_id)
    insert_events(client, on_time)
    insert_events(client, late)
    return project_id


@pytest.fixture(scope="session")
def built(stack: Stack, warehouse: Client, dbt: Dbt) -> Built:
    generated = send_generated(Pipeline(stack.settings))
    tricky_project = write_tricky(warehouse)
    output = dbt("build")  # the plain command, as a person runs it first
    # Tables the stack may have built before these events came: build their days explicitly.
    days = day_vars(GENERATED_NOW.date() - timedelta(days=GENERATED_DAYS + 1), tricky.LAST_DAY + timedelta(days=1))
    dbt("build", "--select", "tag:daily+", dbt_vars=days)
    return Built(dbt, output, generated, tricky_project)


def rows(client: Client, sql: str, **parameters: object) -> list[tuple]:
    return [tuple(row) for row in client.query(sql, parameters=parameters).result_rows]


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
