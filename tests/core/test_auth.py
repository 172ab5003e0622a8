"""Sign-in, lockout, password hashing, sessions, CSRF and security headers."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.db import connections
from django.test import Client, override_settings

from gridlight.core.models import AuditEvent, User
from tests.conftest import World
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def test_sign_in_lands_on_home_and_is_audited(world: World) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "street_staff", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert "CANARY街道" in home.content.decode()
    assert AuditEvent.objects.filter(action="auth.login", actor__username="street_staff").exists()


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
def test_repeated_failures_lock_the_account_even_for_the_right_password(world: World) -> None:
    client = Client()
    for _ in range(3):
        assert _login(client, "grid_worker", "wrong-password") == 400
    user = User.objects.get(username="grid_worker")
    assert user.locked_until is not None
    assert _login(client, "grid_worker", PASSWORD) == 429
    assert AuditEvent.objects.filter(action="auth.locked", object_id=str(user.pk)).count() == 1
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 2


@override_settings(LOGIN_MAX_FAILURES=3)
def test_success_resets_the_failure_count(world: World) -> None:
    client = Client()
    assert _login(client, "evaluator", "nope") == 400
    assert _login(client, "evaluator", PASSWORD) == 302
    assert User.objects.get(username="evaluator").failed_login_count == 0


class CountingHasher(MD5PasswordHasher):
    """The tests' hasher, counting the passwords it checks. Each check takes a little while, as
    Argon2's does in production, so attempts that start together overlap."""

    checks: ClassVar[int] = 0
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def verify(self, password: str, encoded: str) -> bool:
        with CountingHasher._lock:
            CountingHasher.checks += 1
        time.sleep(0.05)
        return super().verify(password, encoded)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_wrong_passwords_get_only_the_allowed_checks(settings: Any) -> None:
    """Twenty attempts at once, each on its own connection: only LOGIN_MAX_FAILURES of them
    have their password checked, the rest are refused as locked before any check."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    settings.LOGIN_MAX_FAILURES = 5
    user = UserFactory(username="raced")
    CountingHasher.checks = 0
    barrier = threading.Barrier(20)
    codes: list[int] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait()
            codes.append(_login(Client(), "raced", "wrong-password"))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    assert CountingHasher.checks == 5
    assert sorted(codes) == [400] * 5 + [429] * 15
    events = AuditEvent.objects.filter(object_id=str(user.pk))
    assert events.filter(action="auth.login_failed").count() == 4
    assert events.filter(action="auth.locked").count() == 1
    user.refresh_from_db()
    assert user.locked_until is not None
    assert user.failed_login_count == 0
    # Locked: even the right password is not checked.
    assert _login(Client(), "raced", PASSWORD) == 429
    assert CountingHasher.checks == 5


@override_settings(LOGIN_MAX_FAILURES=3)
def test_a_right_password_releases_its_reserved_attempt(world: World) -> None:
    client = Client()
    for _ in range(2):
        assert _login(client, "evaluator", "nope") == 400
    assert User.objects.get(username="evaluator").failed_login_count == 2
    assert _login(client, "evaluator", PASSWORD) == 302
    user = User.objects.get(username="evaluator")
    assert user.failed_login_count == 0
    assert user.locked_until is None
    # Three more tries are allowed again before the lockout.
    for _ in range(2):
        assert _login(Client(), "evaluator", "nope") == 400
    assert _login(Client(), "evaluator", PASSWORD) == 302


def test_unknown_user_and_wrong_password_get_the_same_message(world: World) -> None:
    a = Client().post("/accounts/login/", {"username": "nobody", "password": "x"})
    b = Client().post("/accounts/login/", {"username": "evaluator", "password": "x"})
    assert a.status_code == b.status_code == 400
    assert a.context["form"].non_field_errors() == b.context["form"].non_field_errors()


def test_open_redirect_after_sign_in_is_refused(world: World) -> None:
    response = Client().post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "evaluator", "password": PASSWORD},
    )
    assert response["Location"] == "/"


def test_production_hasher_is_argon2() -> None:
    from gridlight import settings as project_settings

    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        assert make_password("x" * 12).startswith("argon2$")


def test_logout_needs_post_and_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["evaluator"])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 403  # no CSRF token
    assert client.get("/").status_code == 200


def test_security_headers_and_cookies(world: World) -> None:
    client = Client()
    client.force_login(world.users["evaluator"])
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    login_page = Client().get("/accounts/login/")
    csrf_cookie = login_page.cookies.get("csrftoken")
    assert csrf_cookie is not None
    assert csrf_cookie["httponly"]
