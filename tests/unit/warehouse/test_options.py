import base64

import pytest

from infra.warehouse import errors, options
from infra.warehouse.errors import ClickHouseError


def parse(params: dict[str, str], headers: dict[str, str] | None = None) -> options.Options:
    return options.parse(params, headers or {})


def test_url_parameters_split_into_reserved_query_parameters_settings_and_http_settings() -> None:
    opts = parse(
        {
            "query": "SELECT {n:UInt8}",
            "database": "analytics",
            "default_format": "JSON",
            "query_id": "q-1",
            "param_n": "7",
            "max_threads": "2",
            "enable_http_compression": "1",
            "http_zlib_compression_level": "6",
            "readonly": "1",
            "session_id": "s",
            "session_timeout": "5",
        }
    )
    assert opts.query == b"SELECT {n:UInt8}"
    assert (opts.database, opts.default_format, opts.query_id) == ("analytics", "JSON", "q-1")
    assert opts.params == {"n": "7"}
    assert opts.settings == {"max_threads": "2"}  # the engine sees only real query settings
    assert (opts.compress_response, opts.compression_level, opts.readonly) == (True, 6, 1)
    assert (opts.session_id, opts.session_timeout_s) == ("s", 5.0)


def test_a_query_id_is_made_up_when_none_is_given() -> None:
    assert len(parse({}).query_id) == 36


@pytest.mark.parametrize("timeout", ["abc", "-1", "3601"])
def test_bad_session_timeouts_are_refused(timeout: str) -> None:
    with pytest.raises(ClickHouseError) as caught:
        parse({"session_id": "s", "session_timeout": timeout})
    assert caught.value.code == errors.INVALID_SESSION_TIMEOUT


def test_internal_compression_is_refused_clearly() -> None:
    with pytest.raises(ClickHouseError) as caught:
        parse({"compress": "1"})
    assert caught.value.code == errors.NOT_IMPLEMENTED and "Content-Encoding" in caught.value.message


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("params", "headers", "expected"),
    [
        ({}, {}, ("default", "")),
        ({"user": "u", "password": "p"}, {}, ("u", "p")),
        ({}, {"authorization": basic("u", "p:with:colons")}, ("u", "p:with:colons")),
        ({}, {"x-clickhouse-user": "u", "x-clickhouse-key": "p"}, ("u", "p")),
    ],
)
def test_credentials_come_from_one_scheme(params: dict[str, str], headers: dict[str, str], expected: tuple) -> None:
    creds = options.credentials(params, headers)
    assert (creds.user, creds.password) == expected


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"user": "u"}, {"authorization": basic("u", "p")}),
        ({}, {"authorization": basic("u", "p"), "x-clickhouse-user": "u"}),
        ({}, {"authorization": "Bearer abc"}),
        ({}, {"authorization": "Basic not-base64!"}),
    ],
)
def test_mixed_or_unsupported_schemes_are_refused(params: dict[str, str], headers: dict[str, str]) -> None:
    with pytest.raises(ClickHouseError) as caught:
        options.credentials(params, headers)
    assert caught.value.code == errors.AUTHENTICATION_FAILED
