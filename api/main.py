"""The API app: `uvicorn --factory api.main:create_app` (port 8001 in the local stack)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api import errors
from api.project_keys import ProjectKeys
from api.ratelimit import LoginLimiter
from api.routes import auth, organizations, personal_keys, projects, queries
from infra.settings import Settings, get_settings


def _operation_id(route: APIRoute) -> str:
    """`tag-name` ids, so generated clients get readable method names."""
    return f"{route.tags[0]}-{route.name}".replace(" ", "_") if route.tags else route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Clickpath API",
        version="0.1.0",
        description="Organizations, users, projects and keys; trends, funnels and SQL over a project's events.",
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.login_limiter = LoginLimiter(settings)
    app.state.project_keys = ProjectKeys(settings)
    errors.install(app)
    for router in (auth.router, organizations.router, projects.router, personal_keys.router, queries.router):
        app.include_router(router)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
