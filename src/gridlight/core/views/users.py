"""Managing accounts and their roles: a district or street office appoints its own staff."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core import services
from gridlight.core.access import (
    PUBLIC_ROLES,
    Perm,
    SignedInRequest,
    access,
    get_scoped,
    scope_for,
    scoped,
)
from gridlight.core.errors import DomainError
from gridlight.core.forms import AssignmentForm, UserCreateForm, UserFilterForm
from gridlight.core.models import Assignment, Region, Role
from gridlight.core.selectors import users_list
from gridlight.core.services import ROLE_LEVEL
from gridlight.core.views.common import paginate, query_without_page


def _manageable_regions(request: HttpRequest) -> QuerySet[Region]:
    return scoped(Region.objects.all(), request.user, Perm.USER_MANAGE, "path")


def _grantable_roles(request: HttpRequest) -> list[tuple[str, str]]:
    """The roles this manager can hand out: those held at a level inside the manager's scope."""
    top = min((p.count(".") for p in scope_for(request.user, Perm.USER_MANAGE).paths), default=9)
    roles = []
    for role in Role:
        if role in PUBLIC_ROLES:
            allowed = top == 0
        else:
            level = ROLE_LEVEL[role]
            allowed = level is None or level >= top
        if allowed:
            roles.append((role.value, str(role.label)))
    return roles


@access(Perm.USER_VIEW)
def user_list(request: SignedInRequest) -> HttpResponse:
    form = UserFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    qs = users_list(request.user, q=data.get("q", ""), role=data.get("role", ""))
    return render(
        request,
        "core/user_list.html",
        {
            "form": form,
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "can_manage": not scope_for(request.user, Perm.USER_MANAGE).empty,
        },
    )


@access(Perm.USER_MANAGE)
def user_create(request: SignedInRequest) -> HttpResponse:
    form = UserCreateForm(
        request.POST or None, regions=_manageable_regions(request), roles=_grantable_roles(request)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                user = services.user_create(
                    actor=request.user,
                    username=d["username"],
                    display_name=d["display_name"],
                    password=d["password"],
                    role=d["role"],
                    region=d["region"],
                    write_region=form.write_scope(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Created %(name)s.") % {"name": user})
                return redirect("core:user_detail", pk=user.pk)
    return render(request, "core/user_form.html", {"form": form}, status=status)


@access(Perm.USER_VIEW)
def user_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    account = users_list(request.user).filter(pk=pk).first()
    if account is None:
        raise Http404
    form = AssignmentForm(
        request.POST or None, regions=_manageable_regions(request), roles=_grantable_roles(request)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.assignment_grant(
                    actor=request.user,
                    user=account,
                    role=d["role"],
                    region=d["region"],
                    write_region=form.write_scope(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Role granted."))
                return redirect("core:user_detail", pk=account.pk)
    manage = scope_for(request.user, Perm.USER_MANAGE)
    rows = [
        (a, manage.contains(a.region_path) if a.region_path else False)
        for a in account.assignments.select_related("region", "write_region").order_by("id")
    ]
    return render(
        request,
        "core/user_detail.html",
        {
            "account": account,
            "rows": rows,
            "form": form,
            "can_manage": not manage.empty,
        },
        status=status,
    )


@require_POST
@access(Perm.USER_MANAGE)
def assignment_revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    assignment = get_scoped(
        Assignment.objects.select_related("user", "region"), request.user, Perm.USER_MANAGE, pk=pk
    )
    services.assignment_revoke(actor=request.user, assignment=assignment)
    messages.success(request, _("Role removed."))
    return redirect("core:user_detail", pk=assignment.user_id)
