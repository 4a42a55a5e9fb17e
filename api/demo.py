"""The demo account that `make up` creates (once) and writes to demo.json."""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select

from api import accounts, db, security
from api.insights import stored_query
from api.models import Dashboard, DashboardTile, Insight, Membership, PersonalApiKey, Project
from api.queries.registry import QueryBody
from infra.settings import Settings

EMAIL = "demo@clickpath.dev"
ORGANIZATION = "Demo organization"
PROJECT = "Demo shop"
DASHBOARD = "Shop overview"
# Questions about the generated shop (ingest/generate.py), saved as insights on the demo project's dashboard.
INSIGHTS: dict[str, dict[str, Any]] = {
    "Pageviews per day": {"kind": "trends", "series": [{"event": "$pageview"}], "date_from": "-30d"},
    "Visit, sign-up, purchase": {
        "kind": "funnel",
        "steps": [{"event": "$pageview"}, {"event": "signup"}, {"event": "purchase"}],
        "window_seconds": 7 * 24 * 3600,
        "date_from": "-30d",
    },
    "Purchases by browser": {
        "kind": "trends",
        "series": [{"event": "purchase"}],
        "date_from": "-30d",
        "interval": "week",
        "breakdown": "$browser",
    },
}


def ensure(settings: Settings, previous: dict[str, Any]) -> dict[str, Any]:
    """Reuse the demo account recorded in demo.json while its personal key works; otherwise make one.

    An account whose credentials were lost gets a new password and a new key, not a second account.
    """
    with db.sessions(settings)() as session:
        if _still_valid(session, previous):
            return {key: previous[key] for key in _FIELDS}
        password = secrets.token_urlsafe(12)
        user = accounts.find_user(session, EMAIL)
        if user is None:
            account = accounts.create_account(session, EMAIL, password, "Demo", ORGANIZATION, PROJECT)
            user, project = account.user, account.project
            session.add(_dashboard(project.id, user.id))
        else:
            user.password_hash = security.hash_password(password)
            project = session.scalars(
                select(Project)
                .join(Membership, Membership.organization_id == Project.organization_id)
                .where(Membership.user_id == user.id)
                .order_by(Project.id)
            ).first()
            assert project is not None, "the demo user has no project"
        credentials = accounts.owner_credentials(session, user, project, "demo")
        session.commit()
        return {"email": EMAIL, "password": password, **credentials}


def _dashboard(project_id: int, user_id: int) -> Dashboard:
    """The demo project's dashboard, a tile for each of INSIGHTS (docs/DASHBOARDS.md)."""
    bodies = TypeAdapter(QueryBody)
    tiles = [
        DashboardTile(
            position=position,
            insight=Insight(
                project_id=project_id, name=name, query=stored_query(bodies.validate_python(body)), created_by=user_id
            ),
        )
        for position, (name, body) in enumerate(INSIGHTS.items())
    ]
    return Dashboard(project_id=project_id, name=DASHBOARD, tiles=tiles)


_FIELDS = ("email", "password", "organization_id", "project_id", "project_api_key", "personal_api_key")


def _still_valid(session: Any, previous: dict[str, Any]) -> bool:
    if not all(field in previous for field in _FIELDS):
        return False
    key = session.scalar(
        select(PersonalApiKey).where(PersonalApiKey.token_hash == security.hash_key(str(previous["personal_api_key"])))
    )
    return key is not None and key.revoked_at is None
