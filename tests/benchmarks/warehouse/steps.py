"""The three measurements: bulk insert, GROUP BY over a big table, and SELECT 1 round trips.

Every measurement warms each variant up first, then runs ``rounds`` rounds in which all variants of a case
run once, in an order that flips every round. Inserts go to a fresh table each time and check the row count
afterwards, so a failed or lossy insert is recorded as an error instead of as a fast one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import lz4.frame
from clickhouse_connect.driver.transform import NativeTransform

from tests.benchmarks.warehouse.data import COLUMNS, Payload, create_table_sql, generate_sql, group_by_queries
from tests.benchmarks.warehouse.measure import Progress, Results, percentile, round_order, timed
from tests.benchmarks.warehouse.sides import CLIENT_VARIANTS, HTTP_LZ4, HTTP_PLAIN, IN_PROCESS, Sides

INSERT = "insert"
LOAD = "load"
GROUP_BY = "group by"
LATENCY = "latency"

DATAFRAME = "DataFrame"
COLUMN_LISTS = "Python column lists"
NATIVE_BODY = "pre-serialized Native"
RAW_HTTP_PLAIN = "HTTP plain · httpx POST"
RAW_HTTP_LZ4 = "HTTP lz4 (1 frame) · httpx POST"
RAW_IN_PROCESS = "in-process · chdb send_insert"

BIG_TABLE = "bench_events_big"
TEMPLATE_TABLE = "bench_events_template"

LATENCY_CC_LZ4 = "clickhouse-connect · HTTP lz4"
LATENCY_CC_PLAIN = "clickhouse-connect · HTTP plain"
LATENCY_HTTPX = "httpx GET · HTTP"
LATENCY_URLLIB3 = "urllib3 GET · HTTP"
LATENCY_CC_LOCAL = "clickhouse-connect · in-process"
LATENCY_CHDB_RAW = "chdb query · in-process"


@dataclass(frozen=True)
class InsertVariant:
    case: str
    variant: str
    write: Callable[[str], Any]  # inserts the whole payload into the named (empty) table


# -- 1. insert ---------------------------------------------------------------------------------------------


def insert_variants(sides: Sides, payload: Payload, cases: list[str]) -> list[InsertVariant]:
    variants: list[InsertVariant] = []
    for name in CLIENT_VARIANTS:
        client = sides.clients[name]
        if DATAFRAME in cases:
            variants.append(InsertVariant(DATAFRAME, name, lambda table, c=client: c.insert_df(table, payload.frame)))
        if COLUMN_LISTS in cases:
            variants.append(
                InsertVariant(
                    COLUMN_LISTS,
                    name,
                    lambda table, c=client: c.insert(
                        table, payload.columns, column_names=list(COLUMNS), column_oriented=True
                    ),
                )
            )
    if NATIVE_BODY in cases:
        variants += native_body_variants(sides, payload)
    return variants


def native_body_variants(sides: Sides, payload: Payload) -> list[InsertVariant]:
    """The same bytes clickhouse-connect would send, serialized up front: transport and engine cost only."""
    body = native_body(sides, payload)
    framed = lz4.frame.compress(body)  # one frame, compressed outside the timing

    def post(table: str, content: bytes, headers: dict[str, str]) -> None:
        query = {"query": f"INSERT INTO {table} FORMAT Native"}
        sides.httpx_client.post("/", params=query, content=content, headers=headers).raise_for_status()

    def send_insert(table: str) -> None:
        inserter = sides.chdb_raw.send_insert(f"INSERT INTO {table}", "Native")
        inserter.append(body)
        inserter.finish()

    return [
        InsertVariant(NATIVE_BODY, RAW_HTTP_PLAIN, lambda table: post(table, body, {})),
        InsertVariant(NATIVE_BODY, RAW_HTTP_LZ4, lambda table: post(table, framed, {"Content-Encoding": "lz4"})),
        InsertVariant(NATIVE_BODY, RAW_IN_PROCESS, send_insert),
    ]


def native_body(sides: Sides, payload: Payload) -> bytes:
    """clickhouse-connect's Native insert body for the payload, without its leading ``INSERT … FORMAT`` line."""
    client = sides.local_client
    client.command(create_table_sql(TEMPLATE_TABLE))
    try:
        context = client.create_insert_context(
            TEMPLATE_TABLE, column_names=list(COLUMNS), data=payload.columns, column_oriented=True
        )
        body = b"".join(NativeTransform().build_insert(context))
    finally:
        client.command(f"DROP TABLE {TEMPLATE_TABLE} SYNC")
    return body[body.index(b"\n") + 1 :]


def measure_inserts(
    sides: Sides, payload: Payload, cases: list[str], rounds: int, results: Results, progress: Progress
) -> list[str]:
    """Insert throughput per case and variant; returns notes on warm-up inserts that failed."""
    variants = insert_variants(sides, payload, cases)
    tables = (f"bench_insert_{n}" for n in itertools.count())
    notes: list[str] = []
    progress(f"insert: warm-up, {len(variants)} variants × {payload.rows:,} rows")
    for variant in variants:
        outcome = insert_once(sides, variant, payload.rows, next(tables))
        if isinstance(outcome, str):
            notes.append(f"insert warm-up · {variant.case} · {variant.variant} failed: {outcome}")
            progress(notes[-1])
    for round_index in range(rounds):
        for case in cases:
            for variant in round_order([v for v in variants if v.case == case], round_index):
                record = results.get(INSERT, case, variant.variant, "throughput", "rows/s")
                outcome = insert_once(sides, variant, payload.rows, next(tables))
                if isinstance(outcome, str):
                    record.errors.append(outcome)
                    shown = f"ERROR {outcome}"
                else:
                    record.values.append(payload.rows / outcome)
                    shown = f"{payload.rows / outcome:>12,.0f} rows/s ({outcome:.3f} s)"
                progress(f"insert round {round_index + 1}/{rounds}: {case} · {variant.variant}: {shown}")
    return notes


def insert_once(sides: Sides, variant: InsertVariant, rows: int, table: str) -> float | str:
    """Seconds one full insert into a fresh table took, or what went wrong (an error, or rows lost)."""
    owner = sides.owner(variant.variant)
    owner.command(create_table_sql(table))
    try:
        sides.quiesce()
        seconds, _ = timed(lambda: variant.write(table))
        written = owner.command(f"SELECT count() FROM {table}")
        if written != rows:
            return f"wrote {written:,} of {rows:,} rows"
        return seconds
    except Exception as exc:  # recorded per round; one failed round must not end a long run
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    finally:
        owner.command(f"DROP TABLE IF EXISTS {table} SYNC")


# -- 2. GROUP BY -------------------------------------------------------------------------------------------


def load_big_table(sides: Sides, rows: int, results: Results, progress: Progress) -> None:
    """The same rows on both engines, generated inside each, then merged to one part so layouts match."""
    for name in (HTTP_LZ4, IN_PROCESS):
        client = sides.clients[name]
        client.command(f"DROP TABLE IF EXISTS {BIG_TABLE} SYNC")
        client.command(create_table_sql(BIG_TABLE))
        seconds, _ = timed(lambda c=client: c.command(generate_sql(BIG_TABLE, rows)))
        results.get(LOAD, f"INSERT … SELECT FROM numbers({rows:,})", name, "time", "s").values.append(seconds)
        merge_seconds, _ = timed(lambda c=client: c.command(f"OPTIMIZE TABLE {BIG_TABLE} FINAL"))
        count = client.command(f"SELECT count() FROM {BIG_TABLE}")
        progress(f"group by: loaded {count:,} rows via {name} in {seconds:.2f} s, OPTIMIZE FINAL {merge_seconds:.2f} s")
    sides.quiesce()


def measure_group_by(sides: Sides, rounds: int, results: Results, progress: Progress) -> list[str]:
    """Time each query through every client; returns notes on results that differ between the two engines."""
    notes: list[str] = []
    for case, sql in group_by_queries(BIG_TABLE).items():
        answers = {name: sides.clients[name].query(sql).result_rows for name in CLIENT_VARIANTS}  # warm-up
        if answers[HTTP_LZ4] != answers[IN_PROCESS] or answers[HTTP_PLAIN] != answers[IN_PROCESS]:
            notes.append(f"{case}: HTTP and in-process results differ")
        progress(f"group by: warm-up '{case}' done ({len(answers[IN_PROCESS]):,} result rows)")
        for round_index in range(rounds):
            for name in round_order(CLIENT_VARIANTS, round_index):
                client = sides.clients[name]
                seconds, _ = timed(lambda c=client, q=sql: c.query(q).result_rows)
                results.get(GROUP_BY, case, name, "time", "s").values.append(seconds)
                progress(f"group by round {round_index + 1}/{rounds}: {case} · {name}: {seconds:.3f} s")
    return notes


# -- 3. SELECT 1 -------------------------------------------------------------------------------------------


def latency_probes(sides: Sides) -> dict[str, Callable[[], Any]]:
    """Ways to run SELECT 1, from the full client down to a bare keep-alive GET and a bare engine call."""
    clients = sides.clients
    return {
        LATENCY_CC_LZ4: lambda: clients[HTTP_LZ4].query("SELECT 1").result_rows,
        LATENCY_CC_PLAIN: lambda: clients[HTTP_PLAIN].query("SELECT 1").result_rows,
        LATENCY_HTTPX: lambda: sides.httpx_client.get("/", params={"query": "SELECT 1"}).content,
        LATENCY_URLLIB3: lambda: sides.urllib3_pool.request("GET", "/?query=SELECT%201").data,
        LATENCY_CC_LOCAL: lambda: clients[IN_PROCESS].query("SELECT 1").result_rows,
        LATENCY_CHDB_RAW: lambda: sides.chdb_raw.query("SELECT 1", "TabSeparated").bytes(),
    }


def measure_latency(sides: Sides, queries: int, warmup: int, rounds: int, results: Results, progress: Progress) -> None:
    probes = latency_probes(sides)
    for name, probe in probes.items():
        answer = probe()
        if answer not in ([(1,)], b"1\n"):
            raise RuntimeError(f"{name}: SELECT 1 answered {answer!r}")
    for round_index in range(rounds):
        for name in round_order(list(probes), round_index):
            samples = list(sample_latency(probes[name], queries, warmup))
            p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
            results.get(LATENCY, "SELECT 1", name, "p50", "ms").values.append(p50)
            results.get(LATENCY, "SELECT 1", name, "p99", "ms").values.append(p99)
            progress(f"latency round {round_index + 1}/{rounds}: {name}: p50 {p50:.3f} ms, p99 {p99:.3f} ms")


def sample_latency(probe: Callable[[], Any], queries: int, warmup: int) -> Iterator[float]:
    """Milliseconds per call, one sample per call, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        probe()
    for _ in range(queries):
        seconds, _ = timed(probe, collect_garbage=False)
        yield seconds * 1000
