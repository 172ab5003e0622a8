"""The audit trail search page and its export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, Viewer, access
from gridlight.core.audit import readable
from gridlight.core.forms import AuditFilterForm
from gridlight.core.models import AuditEvent, User
from gridlight.core.selectors import audit_search, region_by_code
from gridlight.core.spreadsheets import Column
from gridlight.core.views.common import paginate, query_without_page


def _filtered(user: Viewer, params: QueryDict) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    form = AuditFilterForm(params or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    region = None
    if data.get("region"):
        region = region_by_code(user, Perm.AUDIT_VIEW, data["region"])
        if region is None:
            form.add_error("region", _("No region with this code in your scope."))
    tz = timezone.get_current_timezone()
    since = data.get("since")
    until = data.get("until")
    qs = audit_search(
        user,
        actor=data.get("actor", ""),
        action=data.get("action", ""),
        obj=data.get("obj", ""),
        region=region,
        since=datetime.combine(since, time.min, tz) if since else None,
        until=datetime.combine(until, time.min, tz) + timedelta(days=1) if until else None,
    )
    if form.errors:
        qs = qs.none()
    return form, qs


@access(Perm.AUDIT_VIEW)
def audit_list(request: SignedInRequest) -> HttpResponse:
    form, qs = _filtered(request.user, request.GET)
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


@access(Perm.AUDIT_VIEW)
def audit_export(request: SignedInRequest) -> HttpResponse:
    """The events found, as .xlsx; a large trail is prepared by a background job."""
    return exports.respond(request, "audit")


EXPORT_COLUMNS = [
    Column("at", "时间", "Time"),
    Column("actor", "操作人", "Actor"),
    Column("action", "操作", "Action"),
    Column("object_type", "对象类型", "Object type"),
    Column("object_id", "对象编号", "Object id"),
    Column("object", "对象", "Object"),
    Column("changes", "变更", "Changes"),
    Column("ip", "IP", "IP"),
]


@exports.register("audit")
def _export(user: User, params: QueryDict) -> exports.Export:
    _form, qs = _filtered(user, params)
    count = qs.count()

    def rows() -> Iterator[list[Any]]:
        fields = ("at", "actor_label", "action", "object_type", "object_id", "object_label")
        for e in qs.values(*fields, "changes", "ip").iterator(chunk_size=5000):
            at = f"{timezone.localtime(e['at']):%Y-%m-%d %H:%M:%S}"
            changes = json.dumps(e["changes"], ensure_ascii=False) if e["changes"] else ""
            yield [at, *(e[f] for f in fields[1:]), changes, e["ip"] or ""]

    return exports.Export(
        sheet=_("Audit trail"),
        columns=EXPORT_COLUMNS,
        rows=rows(),
        count=count,
        filename=f"audit-{timezone.localdate():%Y%m%d}.xlsx",
    )
