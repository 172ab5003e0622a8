"""Sign-in with lockout: repeated failures lock an account for a while; every attempt is audited.

Each attempt on a known account is counted as a failure *before* its password is checked, by one
conditional UPDATE that lets an attempt through only while the account is unlocked and has fewer
than ``LOGIN_MAX_FAILURES`` failures counted. The database decides that in one statement, so
parallel attempts cannot all pass a check made before any of them failed: at most
``LOGIN_MAX_FAILURES`` passwords are ever checked between two lockouts. A right password releases
the reservation (the count goes back to zero); a wrong one leaves it counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F, Q
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
    learns nothing; so is an account whose remaining attempts are all taken by attempts still
    running. The message for an unknown user and a wrong password is the same.
    """
    username = username.strip()
    known = User.objects.filter(username=username).first()
    attempt = 0
    if known is not None:
        attempt = _reserve_attempt(known)
        if not attempt:
            raise _locked(known)
    user = authenticate(request, username=username, password=password)
    if user is None:
        if known is not None:
            _record_failure(known, attempt)
        raise DomainError(_("The user name or password is wrong."))
    assert isinstance(user, User)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        audit.record(actor=user, action="auth.login", obj=user)
    return user


def _reserve_attempt(user: User) -> int:
    """Count one failure for ``user`` unless the account is locked or its failures are used up;
    returns the number this attempt got (1 … LOGIN_MAX_FAILURES), or 0 when it may not try.

    The UPDATE's condition is evaluated on the row it writes (PostgreSQL re-checks it after
    waiting for a concurrent writer's lock; SQLite lets one writer in at a time), and the count
    is read back before the transaction lets go of the row."""
    now = timezone.now()
    with transaction.atomic():
        reserved = (
            User.objects.filter(pk=user.pk, failed_login_count__lt=settings.LOGIN_MAX_FAILURES)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .update(failed_login_count=F("failed_login_count") + 1)
        )
        if not reserved:
            return 0
        count: int = User.objects.values_list("failed_login_count", flat=True).get(pk=user.pk)
    return count


def _locked(user: User) -> LoginLocked:
    now = timezone.now()
    until: datetime | None = (
        User.objects.filter(pk=user.pk).values_list("locked_until", flat=True).first()
    )
    if until is None or until <= now:
        # Refused because attempts still running hold the remaining tries: one of them will
        # lock the account if it fails.
        until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return LoginLocked(
        ngettext(
            "Too many failed sign-ins. The account is locked for %(m)s more minute.",
            "Too many failed sign-ins. The account is locked for %(m)s more minutes.",
            minutes,
        )
        % {"m": minutes}
    )


@transaction.atomic
def _record_failure(user: User, attempt: int) -> None:
    """The attempt numbered ``attempt`` failed: it stays counted; the one that used up the last
    try locks the account (and starts the count afresh for after the lockout)."""
    changes: dict[str, object] = {"failures": attempt}
    if attempt >= settings.LOGIN_MAX_FAILURES:
        until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=until)
        changes["locked_until"] = until.isoformat()
        audit.record(actor=None, action="auth.locked", obj=user, changes=changes)
    else:
        audit.record(actor=None, action="auth.login_failed", obj=user, changes=changes)
