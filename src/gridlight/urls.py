from typing import Any

from django.urls import include, path
from django.views.i18n import set_language

from gridlight.api.api import api
from gridlight.core.access import ACCESS_ATTR, public


def _api_urls() -> tuple[list[Any], str, str]:
    """The API's routes, exempt from the pages' login redirect: the API answers 401 itself.

    Every operation authenticates through the NinjaAPI ``auth`` list; the docs and the schema
    describe the API without revealing data and stay open.
    """
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        callback: Any = pattern.callback  # type: ignore[union-attr]
        callback.login_required = False
        is_doc = getattr(pattern, "name", "") in {"openapi-json", "openapi-view"}
        setattr(callback, ACCESS_ATTR, "public" if is_doc else "api")
    return patterns, app_name, namespace


urlpatterns = [
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("api/", _api_urls()),
    path("open311/v2/", include("gridlight.api.open311")),
    path("households/", include("gridlight.households.urls")),
    path("tickets/", include("gridlight.tickets.urls")),
    path("policies/", include("gridlight.policies.urls")),
    path("talent/", include("gridlight.talent.urls")),
    path("talent/caseload/", include("gridlight.talent.urls_caseload")),
    path("evaluation/", include("gridlight.evaluation.urls")),
    path("talent/problems/", include("gridlight.talent.urls_problems")),
    path("me/talent/policies/", include("gridlight.policies.urls_apply")),
    path("me/talent/", include("gridlight.talent.urls_portal")),
    path("me/policies/", include("gridlight.policies.urls_portal")),
    path("development/", include("gridlight.development.urls")),
    path("cockpit/", include("gridlight.dashboard.urls")),
    path("", include("gridlight.core.urls")),
]

handler400 = "gridlight.core.views.errors.bad_request"
handler403 = "gridlight.core.views.errors.permission_denied"
handler404 = "gridlight.core.views.errors.page_not_found"
handler500 = "gridlight.core.views.errors.server_error"
