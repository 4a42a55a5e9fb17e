"""Request and response bodies of the auth API (they make its OpenAPI document)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import Path
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from api.access import Scope
from api.models import NAME_LENGTH, Role

MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id cannot exist, and must not reach the database
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="An id (a positive 32-bit integer).")]
Name = Field(min_length=1, max_length=NAME_LENGTH)
Password = Field(min_length=8, max_length=256)
_TIMEZONES = frozenset(available_timezones())


def _name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("must not contain control characters")
    return value


class _Named(BaseModel):
    @field_validator("name", "organization_name", "project_name", check_fields=False)
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else _name(value)


class SignUp(_Named):
    email: EmailStr
    password: str = Password
    name: str = Name
    organization_name: str = Name
    project_name: str = Field(default="Default project", min_length=1, max_length=NAME_LENGTH)


class LogIn(BaseModel):
    email: EmailStr
    password: str = Field(max_length=256)


class Refresh(BaseModel):
    refresh_token: str = Field(max_length=4096)


class Tokens(BaseModel):
    access_token: str
    refresh_token: str | None = None
    token_type: str = "bearer"


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserPublic(_Public):
    id: int
    email: str
    name: str


class OrganizationPublic(_Public):
    id: int
    name: str


class MembershipPublic(_Public):
    organization: OrganizationPublic
    role: Role


class Me(UserPublic):
    memberships: list[MembershipPublic]


class ProjectPublic(_Public):
    id: int
    organization_id: int
    name: str
    timezone: str
    api_key: str | None = None
    """The project's current write key (``phc_…``), for SDKs."""


class SignedUp(BaseModel):
    user: UserPublic
    organization: OrganizationPublic
    project: ProjectPublic
    tokens: Tokens


class MemberPublic(BaseModel):
    user: UserPublic
    role: Role


class MemberAdd(_Named):
    email: EmailStr
    role: Role = Role.MEMBER
    password: str | None = Field(default=None, min_length=8, max_length=256)
    """Creates the account when nobody has this e-mail yet (there is no e-mail sending)."""
    name: str | None = Field(default=None, min_length=1, max_length=NAME_LENGTH)


class MemberUpdate(BaseModel):
    role: Role


class ProjectCreate(_Named):
    name: str = Name
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in _TIMEZONES:
            raise ValueError("not a known IANA time zone (e.g. Europe/Paris)")
        return value


class ProjectUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=NAME_LENGTH)
    timezone: str | None = None

    @field_validator("name")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else _name(value)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _TIMEZONES:
            raise ValueError("not a known IANA time zone (e.g. Europe/Paris)")
        return value


class PersonalKeyCreate(_Named):
    name: str = Name
    scopes: list[Scope] = Field(default_factory=lambda: [Scope.READ], min_length=1)
    expires_at: datetime | None = None
    """When the key stops working (a time zone is assumed UTC when none is given)."""

    @field_validator("expires_at")
    @classmethod
    def _storable(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00: past the largest UTC time
            raise ValueError("must be a time before the year 10000 in UTC") from None


class PersonalKeyPublic(_Public):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    """When the key last authenticated a request, to the minute."""
    created_at: datetime


class PersonalKeyCreated(PersonalKeyPublic):
    key: str
    """The key itself: shown this once, kept only as a hash."""
