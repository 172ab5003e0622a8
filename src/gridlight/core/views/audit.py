"""The audit trail search page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core.access import Perm, access
from gridlight.core.audit import readable
from gridlight.core.forms import AuditFilterForm
from gridlight.core.selectors import audit_search, region_by_code
from gridlight.core.views.common import paginate, query_without_page


@access(Perm.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    region = None
    if data.get("region"):
        region = region_by_code(request.user, Perm.AUDIT_VIEW, data["region"])
        if region is None:
            form.add_error("region", _("No region with this code in your scope."))
    tz = timezone.get_current_timezone()
    since = data.get("since")
    until = data.get("until")
    qs = audit_search(
        request.user,
        actor=data.get("actor", ""),
        action=data.get("action", ""),
        obj=data.get("obj", ""),
        region=region,
        since=datetime.combine(since, time.min, tz) if since else None,
        until=datetime.combine(until, time.min, tz) + timedelta(days=1) if until else None,
    )
    if form.errors:
        qs = qs.none()
    page = paginate(request, qs.select_related("actor"))
    return render(
        request,
        "core/audit_list.html",
        {
            "form": form,
            "page": page,
            "events": readable(page),
            "query": query_without_page(request),
        },
    )
