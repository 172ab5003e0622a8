"""What the evaluation's pages share: the small forms posted from another page (a milestone
done, an action item added, a judge appointed …) and the one-button steps (plan, close,
compute). Each runs one service; its refusal (a :class:`DomainError`, the form's errors, a stale
version) comes back as a message on the page the form was posted from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from gridlight.core.access import SignedInRequest
from gridlight.core.errors import DomainError
from gridlight.core.forms import Form, date_input
from gridlight.core.views.common import flash_errors, submit


class DoneForm(Form):
    done_on = forms.DateField(label=gettext_lazy("Done on"), widget=date_input())
    version = forms.IntegerField(widget=forms.HiddenInput)


def post_inline(
    request: SignedInRequest,
    form: BaseForm,
    action: Callable[[dict[str, Any]], Any],
    back: str,
    success: str = "",
) -> HttpResponse:
    """Validate ``form`` and run ``action`` on it (:func:`submit`); the form's or the service's
    error as a message, or ``success``; back to the page at ``back``."""
    done, _status = submit(request, form, action)
    if done is None:
        flash_errors(request, form)
    elif success:
        messages.success(request, success)
    return redirect(back)


def version_of(request: SignedInRequest) -> int:
    """The posted ``version`` (-1 when missing or not a number: the service answers 409)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def step(request: SignedInRequest, action: Callable[[], Any], success: str) -> None:
    """Run a one-button step; its refusal or ``success`` as a message."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
