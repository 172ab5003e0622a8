"""Sign-in with lockout: repeated failures lock an account for a while; every attempt is audited."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridlight.core import audit
from gridlight.core.errors import DomainError
from gridlight.core.models import User


class LoginLocked(DomainError):
    status = 429


def login_check(request: HttpRequest, *, username: str, password: str) -> User:
    """The user for these credentials, or a :class:`DomainError` that says why not.

    A locked account is refused before its password is checked, so guessing during the lockout
    learns nothing. The message for an unknown user and a wrong password is the same.
    """
    username = username.strip()
    now = timezone.now()
    known = User.objects.filter(username=username).first()
    if known is not None and known.locked_until is not None and known.locked_until > now:
        minutes = max(1, int((known.locked_until - now).total_seconds() // 60) + 1)
        raise LoginLocked(
            ngettext(
                "Too many failed sign-ins. The account is locked for %(m)s more minute.",
                "Too many failed sign-ins. The account is locked for %(m)s more minutes.",
                minutes,
            )
            % {"m": minutes}
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        if known is not None:
            _record_failure(known)
        raise DomainError(_("The user name or password is wrong."))
    assert isinstance(user, User)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        audit.record(actor=user, action="auth.login", obj=user)
    return user


@transaction.atomic
def _record_failure(user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    user.refresh_from_db(fields=["failed_login_count"])
    changes: dict[str, object] = {"failures": user.failed_login_count}
    if user.failed_login_count >= settings.LOGIN_MAX_FAILURES:
        until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=until)
        changes["locked_until"] = until.isoformat()
        audit.record(actor=None, action="auth.locked", obj=user, changes=changes)
    else:
        audit.record(actor=None, action="auth.login_failed", obj=user, changes=changes)
