"""Personal access tokens for the API: create (shown once) and revoke."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core import services
from gridlight.core.access import SignedInRequest, access
from gridlight.core.errors import DomainError
from gridlight.core.forms import TokenForm
from gridlight.core.models import ApiToken, User


@access()
def token_list(request: SignedInRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = TokenForm(request.POST or None)
    secret = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            days = form.cleaned_data["days"]
            expires = timezone.now() + timedelta(days=days) if days else None
            try:
                _token, secret = services.token_create(
                    actor=user, name=form.cleaned_data["name"], expires_at=expires
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                status = 201
                form = TokenForm()
    tokens = ApiToken.objects.filter(user=user)
    return render(
        request,
        "core/token_list.html",
        {"form": form, "tokens": tokens, "secret": secret},
        status=status,
    )


@require_POST
@access()
def token_revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()  # type: ignore[misc]
    if token is None:
        raise Http404
    assert isinstance(request.user, User)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("core:token_list")
