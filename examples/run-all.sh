#!/usr/bin/env bash
# The whole Clickpath stack on this machine (`make up`: ClickHouse, Kafka, PostgreSQL, Redis, the APIs, Dagster,
# the dashboards and this demo shop), then where to go: the shop, and the two apps to watch its events in.
# Safe to run again: `make up` starts only what is not running. `make down` stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

make up

read -r shop streamlit dashboard < <(.venv/bin/python -c '
from infra.settings import Settings
s = Settings()
print(*(f"http://127.0.0.1:{s.port(name)}" for name in ("example", "streamlit", "dashboard")))
')
cat <<TEXT

  The demo shop:   $shop/
                   (its events go to the demo project, with the key the shop reads from $shop/config.json)
  Streamlit:       $streamlit/
  React dashboard: $dashboard/   (log in with the demo account above)

TEXT
