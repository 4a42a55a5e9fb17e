"""What a hostile or careless client sends: over-long, exotic, injected, malformed and out-of-range input.

The API either keeps a value exactly as sent, or refuses it with 422 naming the field, and never answers
500. The client here does not re-raise server errors, so a 500 shows as a status to assert on.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from infra import clients
from infra.settings import Settings
from tests.support.api import PASSWORD, Account, bearer, sign_up, unique_email

pytestmark = pytest.mark.integration

NAME_LIMIT = 200  # characters, as the API documents it (models.NAME_LENGTH)
EMAIL_LIMIT = 254  # the longest address RFC 5321 allows in a mail path, which the e-mail validator enforces
ANY_FIELD = object()


@pytest.fixture(scope="module")
def client(api: TestClient) -> TestClient:
    """The test app, answering 500 instead of raising, so "never 500" is an assertion like any other."""
    return TestClient(api.app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def account(client: TestClient) -> Account:
    return sign_up(client)


def assert_invalid(response: httpx.Response, field: str | object | None, status: int = 422) -> None:
    """Refused with the one error shape, naming the field (ANY_FIELD: whatever it names)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["code"] == {400: "bad_request", 422: "invalid"}[status], body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    if field is not ANY_FIELD:
        assert body["error"]["field"] == field, body


# --- names ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameSite:
    """A place a name goes in (the field error.field names), and how to read it back afterwards."""

    field: str
    submit: Callable[[TestClient, Account, str], httpx.Response]
    read_back: Callable[[TestClient, Account, httpx.Response], str]


# How each name goes in …


def _sign_up(field: str) -> Callable[[TestClient, Account, str], httpx.Response]:
    def submit(client: TestClient, account: Account, value: str) -> httpx.Response:
        body = {"email": unique_email(), "password": PASSWORD, "name": "Ada", "organization_name": "Org"}
        return client.post("/api/auth/signup", json={**body, field: value})

    return submit


def _create_project(client: TestClient, account: Account, value: str) -> httpx.Response:
    return client.post(
        f"/api/organizations/{account.organization_id}/projects", json={"name": value}, headers=account.headers
    )


def _rename_project(client: TestClient, account: Account, value: str) -> httpx.Response:
    return client.patch(f"/api/projects/{account.project_id}", json={"name": value}, headers=account.headers)


def _create_key(client: TestClient, account: Account, value: str) -> httpx.Response:
    return client.post("/api/personal-keys", json={"name": value}, headers=account.headers)


def _invite(client: TestClient, account: Account, value: str) -> httpx.Response:
    body = {"email": unique_email("invited"), "password": PASSWORD, "name": value}
    return client.post(f"/api/organizations/{account.organization_id}/members", json=body, headers=account.headers)


# … and where it is read back: always a later request, so from PostgreSQL, not from the answer that stored it.


def _signed_up_headers(response: httpx.Response) -> dict[str, str]:
    return bearer(response.json()["tokens"]["access_token"])


def _own_user_name(client: TestClient, account: Account, response: httpx.Response) -> str:
    return client.get("/api/users/me", headers=_signed_up_headers(response)).json()["name"]


def _own_organization_name(client: TestClient, account: Account, response: httpx.Response) -> str:
    (organization,) = client.get("/api/organizations", headers=_signed_up_headers(response)).json()
    return organization["name"]


def _first_project_name(client: TestClient, account: Account, response: httpx.Response) -> str:
    path = f"/api/projects/{response.json()['project']['id']}"
    return client.get(path, headers=_signed_up_headers(response)).json()["name"]


def _project_name(client: TestClient, account: Account, response: httpx.Response) -> str:
    return client.get(f"/api/projects/{response.json()['id']}", headers=account.headers).json()["name"]


def _key_name(client: TestClient, account: Account, response: httpx.Response) -> str:
    keys = client.get("/api/personal-keys", headers=account.headers).json()
    (key,) = [key for key in keys if key["id"] == response.json()["id"]]
    return key["name"]


def _member_name(client: TestClient, account: Account, response: httpx.Response) -> str:
    members = client.get(f"/api/organizations/{account.organization_id}/members", headers=account.headers).json()
    (user,) = [member["user"] for member in members if member["user"]["id"] == response.json()["user"]["id"]]
    return user["name"]


NAME_SITES: dict[str, NameSite] = {
    "user name": NameSite("name", _sign_up("name"), _own_user_name),
    "organization name": NameSite("organization_name", _sign_up("organization_name"), _own_organization_name),
    "first project name": NameSite("project_name", _sign_up("project_name"), _first_project_name),
    "new project name": NameSite("name", _create_project, _project_name),
    "project rename": NameSite("name", _rename_project, _project_name),
    "personal key name": NameSite("name", _create_key, _key_name),
    "invited member name": NameSite("name", _invite, _member_name),
}

KEPT_INTACT: dict[str, str] = {
    # at the limit
    "200 ASCII letters": "n" * NAME_LIMIT,
    "200 emoji": "😀" * NAME_LIMIT,  # 200 characters, 800 bytes: the limit counts characters
    # unicode
    "emoji ZWJ sequence": "Team 👩‍👩‍👧‍👦 🏳️‍🌈",
    "right-to-left": "مرحبا بالعالم",
    "mixed directions with override": "שלום world \u202eevil\u202c",
    "combining accents": "e\u0301\u0301\u0301 Zalgo: Z̷̢̛a̶l̷g̵o",
    "decomposed, not normalized": "Cafe\u0301",  # must not come back as the composed "Café"
    "astral plane": "𝕳𝖊𝖑𝖑𝖔 𓂀 𠜎",
    "zero-width joiner inside": "a\u200db",
    # injection
    "SQL comment": "'; DROP TABLE users; --",
    "SQL tautology": '" OR 1=1',
    "SQL Bobby Tables": "Robert'); DROP TABLE students;--",
    "SQL stacked query": "1; SELECT pg_sleep(10)",
    "format placeholders": "%s %(name)s {0} $1 ?",
    "backslashes": r"C:\new\table \x00 \u0000",
    "markup": "<script>alert(1)</script>",
}


@pytest.mark.parametrize("value", KEPT_INTACT.values(), ids=KEPT_INTACT.keys())
@pytest.mark.parametrize("site", NAME_SITES)
def test_name_is_kept_intact(client: TestClient, account: Account, site: str, value: str) -> None:
    name_site = NAME_SITES[site]

    response = name_site.submit(client, account, value)

    assert 200 <= response.status_code < 300, response.text
    assert name_site.read_back(client, account, response) == value


def test_sql_in_names_is_only_data(client: TestClient, account: Account, api_settings: Settings) -> None:
    """Every SQL fragment is stored as a name, and the tables it names are all still there, rows and all."""
    with clients.postgres(api_settings) as connection:
        count_users = "SELECT count(*) FROM users"
        users_before = connection.execute(count_users).fetchone()[0]
        for label, value in KEPT_INTACT.items():
            if label.startswith("SQL"):
                response = NAME_SITES["new project name"].submit(client, account, value)
                assert response.status_code == 201, response.text
        tables = {row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"users", "organizations", "memberships", "projects", "personal_api_keys", "audit_events"} <= tables
        assert connection.execute(count_users).fetchone()[0] >= users_before  # others may sign up meanwhile


TOO_LONG: dict[str, str] = {
    "201 ASCII letters": "n" * (NAME_LIMIT + 1),
    "201 emoji": "😀" * (NAME_LIMIT + 1),
    "100 000 letters": "n" * 100_000,
}


@pytest.mark.parametrize("value", TOO_LONG.values(), ids=TOO_LONG.keys())
@pytest.mark.parametrize("site", NAME_SITES)
def test_name_over_the_limit_is_refused(client: TestClient, account: Account, site: str, value: str) -> None:
    assert_invalid(NAME_SITES[site].submit(client, account, value), NAME_SITES[site].field)


# Names that must be refused: blank, or with control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F).
REFUSED_NAMES: dict[str, str] = {
    "empty": "",
    "spaces": "   ",
    "ideographic space": "\u3000",
    "tab": "\t",
    "newline inside": "first\nsecond",
    "carriage return inside": "first\rsecond",
    "NUL inside": "a\x00b",
    "terminal escape": "\x1b[31mred",
    "DEL inside": "a\x7fb",
    "C1 NEL inside": "a\x85b",
    "C1 CSI inside": "a\x9b31mred",
}


def _refused_name_cases() -> list[Any]:
    return [
        pytest.param(site, value, id=f"{site}-{label}") for site in NAME_SITES for label, value in REFUSED_NAMES.items()
    ]


@pytest.mark.parametrize(("site", "value"), _refused_name_cases())
def test_blank_or_control_character_name_is_refused(
    client: TestClient, account: Account, site: str, value: str
) -> None:
    assert_invalid(NAME_SITES[site].submit(client, account, value), NAME_SITES[site].field)


# --- e-mails ----------------------------------------------------------------------------------------------


def email_of_length(length: int) -> str:
    """A valid-looking, unique address of exactly `length` characters: 64-character local part, labels of ≤ 63."""
    local = uuid.uuid4().hex.ljust(64, "l")
    domain_length = length - len(local) - 1 - len(".com")
    labels = []
    while domain_length > 0:
        size = min(63, domain_length)
        if domain_length - size == 1:  # a dot and nothing after it: take two fewer, leaving one for a label
            size -= 2
        labels.append("d" * size)
        domain_length -= size + 1
    address = f"{local}@{'.'.join(labels)}.com"
    assert len(address) == length
    return address


def _signup_body(email: str) -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "name": "Ada", "organization_name": "Org"}


EMAIL_SITES: dict[str, Callable[[TestClient, Account, str], httpx.Response]] = {
    "sign-up": lambda client, account, email: client.post("/api/auth/signup", json=_signup_body(email)),
    "invitation": lambda client, account, email: client.post(
        f"/api/organizations/{account.organization_id}/members",
        json={"email": email, "password": PASSWORD},
        headers=account.headers,
    ),
    "log-in": lambda client, account, email: client.post("/api/auth/login", json={"email": email, "password": "x"}),
}


@pytest.mark.parametrize("length", [EMAIL_LIMIT + 1, 320, 1000])
@pytest.mark.parametrize("site", EMAIL_SITES)
def test_email_over_the_limit_is_refused(client: TestClient, account: Account, site: str, length: int) -> None:
    assert_invalid(EMAIL_SITES[site](client, account, email_of_length(length)), "email")


# Kept exactly, and read back exactly. All lower-case: addresses are stored lower-cased, one account per address.
EMAILS_KEPT_INTACT: dict[str, Callable[[str], str]] = {
    "at the limit": lambda tag: email_of_length(EMAIL_LIMIT),
    "accented local part": lambda tag: f"josé.garcía.{tag}@example.com",
    "CJK local part and domain": lambda tag: f"用户{tag}@例子.广告",
    "katakana": lambda tag: f"ユーザー.{tag}@example.com",
    "plus tag": lambda tag: f"ada+{tag}@example.com",
    "SQL quotes": lambda tag: f"a'or'1'='1.{tag}@example.com",
    "SQL comment characters": lambda tag: f"o'brien--{tag}@example.com",
}


@pytest.mark.parametrize("make", EMAILS_KEPT_INTACT.values(), ids=EMAILS_KEPT_INTACT.keys())
def test_email_is_kept_intact(client: TestClient, api_settings: Settings, make: Callable[[str], str]) -> None:
    email = make(uuid.uuid4().hex[:8])

    response = client.post("/api/auth/signup", json=_signup_body(email))

    assert response.status_code == 201, response.text
    assert response.json()["user"]["email"] == email
    assert client.get("/api/users/me", headers=_signed_up_headers(response)).json()["email"] == email
    with clients.postgres(api_settings) as connection:
        stored = connection.execute("SELECT email FROM users WHERE id = %s", (response.json()["user"]["id"],))
        assert stored.fetchone() == (email,)
    assert client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200


# --- bodies -----------------------------------------------------------------------------------------------

MALFORMED_JSON: dict[str, bytes] = {
    "truncated": b'{"name": ',
    "not JSON": b"name=Robert",
    "trailing comma": b'{"name": "x",}',
    "single quotes": b"{'name': 'x'}",
    "garbage after the object": b'{"name": "x"} and more',
    "empty": b"",
    "null": b"null",
    "an array": b'["name"]',
    "a string": b'"name"',
    "a number": b"42",
}


@pytest.mark.parametrize("body", MALFORMED_JSON.values(), ids=MALFORMED_JSON.keys())
def test_malformed_json_body_is_refused(client: TestClient, account: Account, body: bytes) -> None:
    response = client.post(
        f"/api/organizations/{account.organization_id}/projects",
        content=body,
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert_invalid(response, ANY_FIELD)


def test_malformed_json_names_no_field(client: TestClient, account: Account) -> None:
    response = client.post(
        f"/api/organizations/{account.organization_id}/projects",
        content=b'{"name": ',
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert_invalid(response, None)


# Bodies the JSON parser gives up on before any validation (FastAPI answers 400 "error parsing the body"):
# refused, with the error shape, and not with a 500.
UNPARSEABLE: dict[str, bytes] = {
    "nested 100 000 deep": b"[" * 100_000 + b"]" * 100_000,
    "a 5000-digit number": b'{"name": ' + b"9" * 5000 + b"}",
    "Latin-1, not UTF-8": '{"name": "Café"}'.encode("latin-1"),
    "UTF-16 byte order mark, then UTF-8": b'\xff\xfe{"name": "x"}',
}


@pytest.mark.parametrize("body", UNPARSEABLE.values(), ids=UNPARSEABLE.keys())
def test_unparseable_body_is_refused(client: TestClient, account: Account, body: bytes) -> None:
    response = client.post(
        f"/api/organizations/{account.organization_id}/projects",
        content=body,
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    assert_invalid(response, None, status=response.status_code)


PROJECTS = "/api/organizations/{organization}/projects"
MEMBERS = "/api/organizations/{organization}/members"
MEMBER = MEMBERS + "/{user}"
KEYS = "/api/personal-keys"

# (method, path, body, the field error.field must name); {organization}, {project}, {user} of the account.
WRONG_TYPES: dict[str, tuple[str, str, Any, str]] = {
    "project name a number":      ("POST", PROJECTS, {"name": 5}, "name"),
    "project name null":          ("POST", PROJECTS, {"name": None}, "name"),
    "project name a list":        ("POST", PROJECTS, {"name": ["x"]}, "name"),
    "project name an object":     ("POST", PROJECTS, {"name": {"x": 1}}, "name"),
    "project name a boolean":     ("POST", PROJECTS, {"name": True}, "name"),
    "project name missing":       ("POST", PROJECTS, {}, "name"),
    "timezone a number":          ("POST", PROJECTS, {"name": "x", "timezone": 5}, "timezone"),
    "rename to a number":         ("PATCH", "/api/projects/{project}", {"name": 5}, "name"),
    "role unknown":               ("PATCH", MEMBER, {"role": "superuser"}, "role"),
    "role a number":              ("PATCH", MEMBER, {"role": 3}, "role"),
    "role missing":               ("PATCH", MEMBER, {}, "role"),
    "member e-mail a number":     ("POST", MEMBERS, {"email": 5}, "email"),
    "member password a number":   ("POST", MEMBERS, {"email": "a@example.com", "password": 12345678}, "password"),
    "scopes a string":            ("POST", KEYS, {"name": "k", "scopes": "read"}, "scopes"),
    "scope unknown":              ("POST", KEYS, {"name": "k", "scopes": ["admin"]}, "scopes.0"),
    "scopes empty":               ("POST", KEYS, {"name": "k", "scopes": []}, "scopes"),
    "expiry not a date":          ("POST", KEYS, {"name": "k", "expires_at": "tomorrow"}, "expires_at"),
    "expiry in the past":         ("POST", KEYS, {"name": "k", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    "sign-up e-mail a list":      ("POST", "/api/auth/signup", {**_signup_body("x"), "email": ["a@b.io"]}, "email"),
    "sign-up password too short": ("POST", "/api/auth/signup", {**_signup_body(unique_email()), "password": "short"},
                                   "password"),
    "log-in password over 256":   ("POST", "/api/auth/login", {"email": "a@example.com", "password": "p" * 257},
                                   "password"),
    "refresh token a number":     ("POST", "/api/auth/refresh", {"refresh_token": 5}, "refresh_token"),
}  # fmt: skip


@pytest.mark.parametrize("case", WRONG_TYPES)
def test_wrong_type_is_refused_naming_the_field(client: TestClient, account: Account, case: str) -> None:
    method, path, body, field = WRONG_TYPES[case]
    path = path.format(organization=account.organization_id, project=account.project_id, user=account.user_id)
    assert_invalid(client.request(method, path, json=body, headers=account.headers), field)


# --- ids in paths -----------------------------------------------------------------------------------------

# (method, path, body) with {id} the hostile id; the other ids are the account's own.
ID_PATHS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "get project": ("GET", "/api/projects/{id}", None),
    "update project": ("PATCH", "/api/projects/{id}", {"name": "x"}),
    "delete project": ("DELETE", "/api/projects/{id}", None),
    "rotate project key": ("POST", "/api/projects/{id}/api-key/rotate", None),
    "revoke project key": ("POST", "/api/projects/{id}/api-key/revoke", None),
    "list members": ("GET", "/api/organizations/{id}/members", None),
    "add member": ("POST", "/api/organizations/{id}/members", {"email": "a@example.com"}),
    "create project": ("POST", "/api/organizations/{id}/projects", {"name": "x"}),
    "change role": ("PATCH", "/api/organizations/{organization}/members/{id}", {"role": "viewer"}),
    "remove member": ("DELETE", "/api/organizations/{organization}/members/{id}", None),
    "revoke personal key": ("DELETE", "/api/personal-keys/{id}", None),
}

HOSTILE_IDS: list[Any] = [
    pytest.param(0, id="0"),
    pytest.param(-1, id="-1"),
    pytest.param(2**31 - 1, id="2^31-1"),
    pytest.param(2**31, id="2^31"),
    pytest.param(-(2**31) - 1, id="-2^31-1"),
    pytest.param(2**63, id="2^63"),
    pytest.param(10**30, id="10^30"),
    pytest.param("9" * 5000, id="5000 digits"),  # beyond what the int parser takes: 422 before any query
    pytest.param("1e3", id="1e3"),
]


@pytest.mark.parametrize("hostile_id", HOSTILE_IDS)
@pytest.mark.parametrize("endpoint", ID_PATHS)
def test_out_of_range_path_id_is_not_found_or_invalid(
    client: TestClient, account: Account, endpoint: str, hostile_id: int | str
) -> None:
    method, path, body = ID_PATHS[endpoint]
    path = path.format(id=hostile_id, organization=account.organization_id)

    response = client.request(method, path, json=body, headers=account.headers)

    assert response.status_code in (404, 422), response.text
    if response.status_code == 422:
        assert_invalid(response, ANY_FIELD)
    else:
        assert response.json()["error"]["code"] == "not_found", response.text


def test_token_with_out_of_range_subject_is_unauthorized(
    client: TestClient, api_settings: Settings, account: Account
) -> None:
    """Only whoever holds the signing key can make such a token, but the answer must still be 401, not 500."""
    claims = {"sub": str(2**40), "kind": "access", "exp": int(time.time()) + 60}
    token = jwt.encode(claims, api_settings.signing_key(), algorithm="HS256")
    assert client.get("/api/projects", headers=bearer(token)).status_code == 401


# --- time zones -------------------------------------------------------------------------------------------

UNKNOWN_TIMEZONES = [
    "Mars/Olympus_Mons",
    "utc",  # IANA names are case-sensitive
    "",
    "Europe/Paris ",
    "Europe/Paris\x00",
    "../../../../etc/passwd",
    "/usr/share/zoneinfo/UTC",
    "+02:00",
    "'; DROP TABLE projects; --",
]


@pytest.mark.parametrize("timezone", UNKNOWN_TIMEZONES)
@pytest.mark.parametrize("method", ["create", "update"])
def test_unknown_timezone_is_refused(client: TestClient, account: Account, method: str, timezone: str) -> None:
    if method == "create":
        response = client.post(
            f"/api/organizations/{account.organization_id}/projects",
            json={"name": "Zoned", "timezone": timezone},
            headers=account.headers,
        )
    else:
        response = client.patch(
            f"/api/projects/{account.project_id}", json={"timezone": timezone}, headers=account.headers
        )
    assert_invalid(response, "timezone")


@pytest.mark.parametrize("timezone", ["Europe/Paris", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Etc/GMT-14"])
def test_known_timezone_is_kept(client: TestClient, account: Account, timezone: str) -> None:
    response = client.post(
        f"/api/organizations/{account.organization_id}/projects",
        json={"name": "Zoned", "timezone": timezone},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    assert client.get(f"/api/projects/{response.json()['id']}", headers=account.headers).json()["timezone"] == timezone
