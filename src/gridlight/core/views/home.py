"""Each role's landing page, and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from gridlight.core import widgets
from gridlight.core.access import Perm, SignedInRequest, access, has_perm, is_public_user, public
from gridlight.core.audit import readable
from gridlight.core.selectors import audit_search, region_node_counts, region_scope_roots


@access()
def home(request: SignedInRequest) -> HttpResponse:
    user = request.user
    roots = []
    if has_perm(user, Perm.REGION_VIEW):
        roots = [(r, region_node_counts(r)) for r in region_scope_roots(user)]
    recent = []
    if has_perm(user, Perm.AUDIT_VIEW):
        recent = readable(
            audit_search(user).exclude(action__startswith="auth.").select_related("actor")[:8]
        )
    return render(
        request,
        "core/home.html",
        {
            "roots": roots,
            "recent": recent,
            "public_user": is_public_user(user),
            "widgets": widgets.for_request(request),
        },
    )


@public
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
