import pytest

from infra.warehouse.errors import ClickHouseError


@pytest.mark.parametrize(
    ("engine_text", "code", "name", "status"),
    [
        ("Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR)", 62, "SYNTAX_ERROR", 400),
        ("Code: 60. DB::Exception: Unknown table 't'. (UNKNOWN_TABLE) (version 26.9.2.1)", 60, "UNKNOWN_TABLE", 404),
        (
            "Streaming query failed: Code: 395. DB::Exception: boom. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO)",
            395,
            "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO",
            500,
        ),
        (
            "Code: 27. DB::Exception: Cannot parse input: row 1\n: details. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)",
            27,
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
            400,
        ),
        ("something without a code", 1001, "STD_EXCEPTION", 500),
    ],
)
def test_engine_errors_keep_code_name_and_status(engine_text: str, code: int, name: str, status: int) -> None:
    error = ClickHouseError.from_engine(RuntimeError(engine_text))
    assert (error.code, error.name, error.http_status) == (code, name, status)
    rendered = error.render()
    assert rendered.startswith(f"Code: {code}. DB::Exception: ")
    assert rendered.rstrip().endswith(")") and f"({name}) (version " in rendered
    assert rendered.count(f"({name})") == 1


def test_own_errors_are_named_like_clickhouse() -> None:
    error = ClickHouseError(516, "default: Authentication failed")
    assert (error.name, error.http_status) == ("AUTHENTICATION_FAILED", 403)
