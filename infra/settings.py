"""Everything a Clickpath process needs to know about its surroundings, from ``CLICKPATH_*`` variables.

One class, read once per process; a ``.env`` file in the working directory is honoured too. Each
outside service has a URL setting: left unset, the local stack runs that service itself on its local
port (shifted by ``CLICKPATH_PORT_OFFSET``); set, the local stack leaves it alone and everything talks
to the URL instead.
"""

from __future__ import annotations

import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local stack's ports before CLICKPATH_PORT_OFFSET (see docs/STACK.md).
LOCAL_PORTS = {
    "clickhouse": 8123,
    "kafka": 9092,
    "kafka_controller": 9093,
    "postgres": 5432,
    "redis": 6379,
    "capture": 8000,
    "api": 8001,
    "dashboard": 3000,
    "dagster": 3001,
    "streamlit": 8501,
    "example": 8080,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLICKPATH_", env_file=".env", extra="ignore")

    home: Path = Path(".clickpath")
    """Where the local stack keeps its state: data, logs, the supervisor's socket, demo credentials."""

    port_offset: int = 0
    """Added to every local port, so a second stack (the tests') runs beside the first."""

    clickhouse_url: str | None = None
    """ClickHouse's HTTP interface, e.g. http://user:password@host:8123. Unset: the embedded server."""

    clickhouse_database: str = "clickpath"
    """The database Clickpath's tables live in."""

    clickhouse_cluster: str | None = None
    """A cluster of the servers' remote_servers: migrations then run ON CLUSTER with replicated tables
    (docs/RUNBOOKS.md, "Moving ClickHouse to a cluster"). Unset: one server."""

    kafka_bootstrap_servers: str | None = None
    """Kafka brokers, host:port[,host:port]. Unset: the local single-node broker."""

    kafka_events_topic: str = "clickpath_events"
    kafka_dlq_topic: str = "clickpath_events_dlq"
    kafka_partitions: int = 6
    """Partitions of the events topic (and of its dead-letter topic); more only ever get added."""

    kafka_replication_factor: int = 1

    database_url: str | None = None
    """PostgreSQL as a SQLAlchemy URL (postgresql+psycopg://…). Unset: the local server."""

    redis_url: str | None = None
    """Redis, redis://host:port/db. Unset: the local server."""

    warehouse_user: str = "default"
    """The user the embedded ClickHouse server accepts."""

    warehouse_password: SecretStr = SecretStr("")
    """That user's password; empty means none, as ClickHouse's ``default`` user out of the box."""

    secret_key: SecretStr | None = None
    """Signs the API's tokens. Unset: a random key kept in the stack's home (fine for one machine only)."""

    access_token_minutes: int = 15
    refresh_token_days: int = 30
    login_limit_per_account: str = "5/minute"
    """Log-in attempts allowed per e-mail address, in the `limits` notation."""
    login_limit_per_ip: str = "30/minute"
    project_key_cache_s: int = 60
    """How long a resolved project key stays in Redis; rotation and revocation also clear it at once."""

    capture_max_request_bytes: int = 20 * 1024 * 1024
    """Largest request body the capture API reads, after decompression (PostHog's /batch/ limit)."""
    capture_max_event_bytes: int = 1024 * 1024
    """Largest single event, as JSON."""
    capture_max_batch_events: int = 5000
    """Most events in one request."""
    capture_rate_limit: str = "1000000/minute"
    """Events a project may send, in the `limits` notation; over it capture answers 429 with Retry-After."""
    capture_trusted_proxies: list[str] = []
    """Networks (CIDR) of proxies whose X-Forwarded-For names the client; from anyone else it is ignored."""
    capture_delivery_timeout_s: float = 5.0
    """How long capture waits for Kafka to acknowledge a request's events before answering 503."""
    capture_key_cache_s: float = 1.0
    """How long one capture process trusts a project key it resolved (revocation reaches it within this)."""
    capture_workers: int = 2
    """Capture processes on the one port (ingest/capture/serve.py): one per core is the most that helps; two take
    1.3 to 1.6 times the batched events of one on two cores (docs/PERFORMANCE.md)."""
    consumer_group: str = "clickpath-ingest"
    consumer_batch_events: int = 100_000
    """The consumer inserts what it has read (all its partitions together) once it holds this many events …
    Each insert has costs of its own (person lookups, the views, a part to merge later): at 100,000 the consumer
    sustained about a fifth more than at 50,000 against a twentieth more for plain inserts (docs/PERFORMANCE.md);
    the price is memory: with events of about 1.2 KB, a batch's messages and request body take about 250 MB,
    and the insert in flight holds the previous body (120 MB). The consumer keeps that memory once it has it
    (ingest.consumer.tune_allocator), so its resident size stays at about two batches."""
    consumer_batch_ms: int = 500
    """… or once the oldest of them has waited this long."""

    demo_events: int = 100_000
    """Events of demo traffic the first `clickpath up` sends to the demo project (0: none)."""
    demo_days: int = 30

    dbt_project_dir: Path | None = None
    """The dbt project Dagster runs. Unset: models/ in this checkout."""
    dagster_postgres_url: str | None = None
    """Dagster's instance (runs, events, schedules) on PostgreSQL, postgresql://user:password@host/db, through
    dagster-postgres. Unset: SQLite files under ``<home>/dagster``."""
    partitions_start: date = date(2026, 1, 1)
    """First day of the daily partitions of the dbt models (docs/ORCHESTRATION.md); set it before older data."""
    ingestion_freshness_warn_s: int = 15 * 60
    """The newest event in ClickHouse older than this: the ingestion freshness check warns …"""
    ingestion_freshness_error_s: int = 60 * 60
    """… and older than this it fails as an error."""
    dead_letter_window_s: int = 60 * 60
    """A message that reached the dead-letter topic within this window fails the dead-letter check."""
    models_freshness_s: int = 2 * 60 * 60
    """The daily models not updated for this long fail their freshness check (the hourly schedule updates them)."""

    api_public_url: str | None = None
    """Where browsers reach the query API (the dashboard's Connect screen offers it). Unset: the host the page
    was loaded from, on the API's local port."""
    capture_public_url: str | None = None
    """Where browsers send events (the example site). Unset: the page's host, on capture's local port."""
    cors_origins: list[str] | None = None
    """Web origins the query API answers from a browser, e.g. ["https://dashboard.example.com"]. Unset: the
    local dashboard's, http://127.0.0.1 and http://localhost on the dashboard port."""

    api_url: str | None = None
    """The query API as Clickpath's own processes reach it (the Streamlit app). Unset: the local stack's."""
    streamlit_personal_key: SecretStr | None = None
    """The personal API key (read scope) the Streamlit app asks the query API with. Unset: the demo account's,
    from ``<home>/demo.json``."""
    streamlit_project_id: int | None = None
    """The project the Streamlit app opens on (its sidebar offers every project of the key). Unset: the demo
    project, else the key's first."""

    query_max_execution_s: int = 30
    """ClickHouse stops a query of the query API after this long (max_execution_time)."""
    query_max_result_rows: int = 10_000
    """Rows a SQL query of the query API returns at most; the rest are cut off (result_overflow_mode=break)."""
    query_cache_ttl_s: int = 24 * 60 * 60
    """How long Redis keeps a cached answer; freshness in its key already retires answers the data outdated."""
    query_queue: str = "clickpath-queries"
    """The Redis queue (rq) of asynchronous queries; the query-worker service works on it."""
    query_job_ttl_s: int = 60 * 60
    """How long an asynchronous query's answer (or failure) is kept, and a queued one waits for a worker; after
    that ``GET …/query/{job_id}`` is 404."""
    query_job_timeout_s: int = 10 * 60
    """The worker stops an asynchronous query that runs longer than this (the job fails)."""

    def port(self, service: str) -> int:
        return LOCAL_PORTS[service] + self.port_offset

    @property
    def effective_cors_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return self.cors_origins
        return [f"http://{host}:{self.port('dashboard')}" for host in ("127.0.0.1", "localhost")]

    @property
    def effective_clickhouse_url(self) -> str:
        return self.clickhouse_url or f"http://127.0.0.1:{self.port('clickhouse')}"

    @property
    def effective_kafka_bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.port('kafka')}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"postgresql+psycopg://clickpath@127.0.0.1:{self.port('postgres')}/clickpath"

    @property
    def effective_redis_url(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.port('redis')}/0"

    @property
    def home_dir(self) -> Path:
        return self.home.resolve()

    @property
    def effective_dbt_project_dir(self) -> Path:
        return (self.dbt_project_dir or Path(__file__).resolve().parents[1] / "models").resolve()

    def signing_key(self) -> str:
        """The secret that signs tokens: the setting, else one generated once into the home (mode 600)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.home_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
