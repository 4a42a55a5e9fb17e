"""The audit log of key and role changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.models import AuditEvent


def record(
    session: Session, actor_user_id: int | None, organization_id: int | None, action: str, target: str, **detail: Any
) -> None:
    """Add an event to the session; it commits with the change it describes."""
    session.add(
        AuditEvent(
            organization_id=organization_id, actor_user_id=actor_user_id, action=action, target=target, detail=detail
        )
    )
