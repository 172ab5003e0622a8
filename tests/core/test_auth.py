"""Sign-in, lockout, password hashing, sessions, CSRF and security headers."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings

from gridlight.core.models import AuditEvent, User
from tests.conftest import World
from tests.factories import PASSWORD

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
