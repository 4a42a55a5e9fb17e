"""Sign-up, log-in, token refresh and the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api import accounts, security
from api.access import Scope
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES, APIError
from api.models import User
from api.routes.projects import public_project
from api.schemas import LogIn, Me, Refresh, SignedUp, SignUp, Tokens

router = APIRouter(prefix="/api", tags=["auth"], responses=ERROR_RESPONSES)


def _tokens(settings: SettingsDep, user_id: int) -> Tokens:
    return Tokens(
        access_token=security.issue_token(settings, user_id, "access"),
        refresh_token=security.issue_token(settings, user_id, "refresh"),
    )


@router.post("/auth/signup", status_code=201)
def sign_up(body: SignUp, session: SessionDep, settings: SettingsDep) -> SignedUp:
    """Create an account: a user who owns a new organization with a first project."""
    account = accounts.create_account(
        session, str(body.email), body.password, body.name, body.organization_name, body.project_name
    )
    session.commit()
    project = public_project(session, account.project)
    return SignedUp.model_validate(
        {
            "user": account.user,
            "organization": account.organization,
            "project": project,
            "tokens": _tokens(settings, account.user.id),
        },
        from_attributes=True,
    )


@router.post("/auth/login")
def log_in(body: LogIn, request: Request, session: SessionDep, settings: SettingsDep) -> Tokens:
    """Exchange e-mail and password for an access token and a refresh token."""
    request.app.state.login_limiter.hit(str(body.email), request.client.host if request.client else "unknown")
    user = accounts.find_user(session, str(body.email))
    # verify against a dummy hash when there is no such user, so timing does not tell who has an account
    valid = security.verify_password(body.password, user.password_hash if user else security.DUMMY_PASSWORD_HASH)
    if user is None or not valid:
        raise APIError(401, "wrong e-mail or password")
    return _tokens(settings, user.id)


@router.post("/auth/refresh")
def refresh(body: Refresh, session: SessionDep, settings: SettingsDep) -> Tokens:
    """A new access token for a valid refresh token."""
    user_id = security.read_token(settings, body.refresh_token, "refresh")
    if user_id is None or session.get(User, user_id) is None:
        raise APIError(401, "invalid or expired refresh token", field="refresh_token")
    return Tokens(access_token=security.issue_token(settings, user_id, "access"))


@router.get("/users/me")
def me(principal: PrincipalDep) -> Me:
    """The caller, with the organizations they belong to and their role in each."""
    principal.require_scope(Scope.READ)
    return Me.model_validate(principal.user)
