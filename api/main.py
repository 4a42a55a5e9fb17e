"""The API app: `uvicorn --factory api.main:create_app` (port 8001 in the local stack)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from api import errors
from api.project_keys import ProjectKeys
from api.ratelimit import LoginLimiter
from api.routes import auth, dashboards, insights, organizations, personal_keys, projects, queries
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
    # the React dashboard calls the API from its own origin (port 3000 locally) with a bearer token, no cookies
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.effective_cors_origins,
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    for module in (auth, organizations, projects, personal_keys, queries, insights, dashboards):
        app.include_router(module.router)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
