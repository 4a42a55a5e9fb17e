"""models/profiles.yml connects where infra/clients.py does, for the same CLICKPATH_ variables."""

from __future__ import annotations

import os
from typing import Any

import clickhouse_connect
import pytest
import yaml
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context

from infra import clients
from infra.settings import Settings
from tests.support.dbt import PROJECT_DIR

ENVIRONMENTS = [
    {},
    {"CLICKPATH_PORT_OFFSET": "500", "CLICKPATH_WAREHOUSE_PASSWORD": "s3cret", "CLICKPATH_CLICKHOUSE_DATABASE": "cp"},
    {"CLICKPATH_CLICKHOUSE_URL": "https://alice:pa:ss@ch.example.com:9443"},
    {"CLICKPATH_CLICKHOUSE_URL": "https://bob@ch.example.com"},
    {"CLICKPATH_CLICKHOUSE_URL": "http://ch:81", "CLICKPATH_WAREHOUSE_USER": "u", "CLICKPATH_WAREHOUSE_PASSWORD": "p"},
]


def profile(env: dict[str, str]) -> dict[str, Any]:
    set_invocation_context(env)  # env_var() in the profile reads this, as dbt's CLI sets it from os.environ
    outputs = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())["clickpath"]["outputs"]
    assert list(outputs) == ["local"]
    return ProfileRenderer({}).render_data(outputs["local"])


def client_arguments(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What infra.clients.clickhouse passes to clickhouse-connect for these variables."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(clickhouse_connect, "get_client", lambda **kwargs: seen.update(kwargs))
    clients.clickhouse(Settings(_env_file=None))
    return seen


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda env: ",".join(env) or "defaults")
def test_profile_reads_the_settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("CLICKPATH_")]:
        monkeypatch.delenv(name)
    rendered = profile(env)
    expected = client_arguments(env, monkeypatch)
    assert (rendered["type"], rendered["driver"]) == ("clickhouse", "http")
    assert rendered["host"] == expected["host"]
    assert rendered["port"] == expected["port"]
    assert rendered["user"] == expected["username"]
    assert (rendered["password"] or None) == (expected["password"] or None)
    assert rendered["secure"] is expected["secure"]
    assert rendered["schema"] == env.get("CLICKPATH_CLICKHOUSE_DATABASE", "clickpath")
