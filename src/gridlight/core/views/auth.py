"""Sign-in and sign-out."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gridlight.core import audit
from gridlight.core.access import SignedInRequest, access, public
from gridlight.core.auth import login_check
from gridlight.core.errors import DomainError
from gridlight.core.forms import LoginForm


@public
@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = ""
            return redirect(target or "core:home")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "core/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
@access()
def logout_view(request: SignedInRequest) -> HttpResponse:
    audit.record(actor=request.user, action="auth.logout", obj=request.user)
    logout(request)
    return redirect("core:login")
