"""The attribute catalogue and the service packages: configuration that every household's
light depends on, so only those who manage the rules may change it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridlight.core.access import Perm, SignedInRequest, access
from gridlight.core.errors import DomainError
from gridlight.households import config
from gridlight.households.classify import require_rules_scope
from gridlight.households.forms import AttributeForm, PackageForm
from gridlight.households.models import Attribute, ServicePackage


@access(Perm.HOUSEHOLD_VIEW)
def catalogue(request: SignedInRequest) -> HttpResponse:
    from django.core.exceptions import PermissionDenied

    try:
        require_rules_scope(request.user)
        can_manage = True
    except PermissionDenied:
        can_manage = False
    form = AttributeForm(request.POST or None) if can_manage else None
    status = 200
    if request.method == "POST":
        require_rules_scope(request.user)
        status = 400
        assert form is not None
        if form.is_valid():
            try:
                config.attribute_save(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("households:catalogue")
    return render(
        request,
        "households/catalogue.html",
        {
            "attributes": Attribute.objects.all(),
            "packages": ServicePackage.objects.all(),
            "form": form,
            "can_manage": can_manage,
        },
        status=status,
    )


@access(Perm.RULES_MANAGE)
def package_edit(request: SignedInRequest, light: str) -> HttpResponse:
    require_rules_scope(request.user)
    package = ServicePackage.objects.filter(light=light).first()
    if package is None:
        raise Http404
    form = PackageForm(
        request.POST or None,
        initial={
            "visit_interval_days": package.visit_interval_days,
            "items": "\n".join(package.items),
            "version": package.version,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                config.package_update(actor=request.user, package=package, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Saved. Visits are rescheduled at the next recompute."))
                return redirect("households:catalogue")
    return render(
        request, "households/package_form.html", {"form": form, "package": package}, status=status
    )
