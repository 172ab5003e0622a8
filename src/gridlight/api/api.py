"""The JSON API under /api/v1/, with OpenAPI docs at /api/docs.

Bearer personal access tokens or the pages' own session (with CSRF) authenticate; every operation
then reads and writes through the same access layer, selectors and services as the pages. Errors
are JSON ``{"detail": "..."}`` with a 4xx status.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from gridlight.api.routers import core as core_router
from gridlight.api.routers import dashboard as dashboard_router
from gridlight.api.routers import development as development_router
from gridlight.api.routers import evaluation as evaluation_router
from gridlight.api.routers import households as households_router
from gridlight.api.routers import policies as policies_router
from gridlight.api.routers import policy_matches as policy_matches_router
from gridlight.api.routers import policy_work as policy_work_router
from gridlight.api.routers import talent as talent_router
from gridlight.api.routers import talent_caseload as talent_caseload_router
from gridlight.api.routers import talent_portal as talent_portal_router
from gridlight.api.routers import tickets as tickets_router
from gridlight.core.errors import DomainError, value_refused
from gridlight.core.models import User
from gridlight.core.services import token_authenticate


class BearerToken(HttpBearer):
    """``Authorization: Bearer glt_…`` with a personal access token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Gridlight API",
    version="1",
    description="网格信号灯 Gridlight: region tree, service positions and more. "
    "Authenticate with `Authorization: Bearer <personal access token>`.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[BearerToken(), django_auth],
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("You do not have permission for this.")}, status=403
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Not found, or outside your scope.")}, status=404
    )


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": value_refused(request.path, exc)}, status=400)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Sign in, or send a valid personal access token.")}, status=401
    )


api.add_router("/v1", core_router.router)
api.add_router("/v1", households_router.router)
api.add_router("/v1", tickets_router.router)
api.add_router("/v1", policies_router.router)
api.add_router("/v1", policy_work_router.router)
api.add_router("/v1", policy_matches_router.router)
api.add_router("/v1", talent_router.router)
api.add_router("/v1", talent_caseload_router.router)
api.add_router("/v1", evaluation_router.router)
api.add_router("/v1", talent_portal_router.router)
api.add_router("/v1", development_router.router)
api.add_router("/v1", dashboard_router.router)
