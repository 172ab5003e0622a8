"""Online application: submission with checked materials, the review steps in scope, return
for correction, optimistic concurrency, the approval's grant and budget."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.http import Http404

from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent
from gridlight.core.uploads import Upload
from gridlight.policies import applications as apps
from gridlight.policies.access import applications_reviewable
from gridlight.policies.models import (
    Application,
    ApplicationMaterial,
    ApplicationStep,
    Grant,
    PolicyBudget,
)
from tests.policies.grant_world import MATERIALS, PDF, make_policy, uploads


@pytest.fixture
def applying(world: Any) -> Any:
    policy, _v = make_policy(world, "apply_test", "apply", budget_fen=800000)
    return policy


def test_submit_refuses_missing_material_and_lying_upload(world: Any, applying: Any) -> None:
    talent = world.users["talent"]
    with pytest.raises(DomainError, match=MATERIALS[1]):
        apps.submit(actor=talent, policy=applying, uploads={MATERIALS[0]: Upload("a.pdf", PDF)})
    lying = {
        MATERIALS[0]: Upload("a.pdf", b"MZ\x90\x00 not a pdf"),
        MATERIALS[1]: uploads()[MATERIALS[1]],
    }
    with pytest.raises(DomainError, match=r"a\.pdf"):
        apps.submit(actor=talent, policy=applying, uploads=lying)
    renamed = {**uploads(), MATERIALS[0]: Upload("a.png", PDF)}
    with pytest.raises(DomainError, match=r"a\.png"):
        apps.submit(actor=talent, policy=applying, uploads=renamed)
    with pytest.raises(DomainError):
        apps.submit(actor=world.users["street_staff"], policy=applying, uploads=uploads())
    assert not Application.objects.exists()
    assert not ApplicationMaterial.objects.exists()


def test_the_whole_review_with_correction(world: Any, applying: Any) -> None:
    talent, staff, admin = (
        world.users["talent"],
        world.users["street_staff"],
        world.users["district_admin"],
    )
    app = apps.submit(actor=talent, policy=applying, statement="申请", uploads=uploads())
    assert app.status == "submitted"
    assert app.computed_fen == 500000
    assert app.due_on
    assert app.facts["level"] == world.secret_talent.level
    with pytest.raises(DomainError):  # one live application per policy
        apps.submit(actor=talent, policy=applying, uploads=uploads())
    # Out of scope: the twin street office and a department that does not lead the policy.
    for outsider in (world.twins["street_staff"], world.users["department_handler"]):
        with pytest.raises(Http404):
            apps.accept(actor=outsider, application=app, edit_version=app.edit_version)
    app = apps.accept(actor=staff, application=app, edit_version=1)
    with pytest.raises(ConflictError):  # a second reviewer who read the old version
        apps.return_for_correction(actor=admin, application=app, edit_version=1, reason="x")
    with pytest.raises(DomainError):
        apps.return_for_correction(actor=admin, application=app, edit_version=2, reason=" ")
    app = apps.return_for_correction(
        actor=admin, application=app, edit_version=2, reason="学历证书不清晰"
    )
    assert app.status == "returned"
    with pytest.raises(Http404):  # someone else's application
        apps.resubmit(actor=world.twins["talent"], application=app, edit_version=3)
    app = apps.resubmit(
        actor=talent,
        application=app,
        edit_version=3,
        uploads={MATERIALS[1]: Upload("degree2.pdf", PDF)},
    )
    assert apps.current_materials(app)[MATERIALS[1]].name == "degree2.pdf"
    app = apps.accept(actor=staff, application=app, edit_version=4)
    app = apps.first_review(actor=staff, application=app, edit_version=5)
    with pytest.raises(DomainError):  # the second review is someone else's
        apps.approve(actor=staff, application=app, edit_version=6)
    with pytest.raises(DomainError):  # another amount needs a reason
        apps.approve(actor=admin, application=app, edit_version=6, amount_fen=400000)
    app = apps.approve(
        actor=admin, application=app, edit_version=6, amount_fen=400000, reason="按实际核减"
    )
    assert app.status == "approved"
    assert app.amount_fen == 400000
    assert app.decided_on
    grant = Grant.objects.get(application=app)
    assert grant.amount_fen == 400000
    assert grant.status == "confirmed"
    assert PolicyBudget.objects.get(policy=applying).committed_fen == 400000
    steps = list(ApplicationStep.objects.filter(application=app).values_list("step", flat=True))
    assert steps == ["submit", "accept", "return", "resubmit", "accept", "first_review", "approve"]
    assert AuditEvent.objects.filter(action__startswith="application.").count() == 7
    assert AuditEvent.objects.filter(action="grant.create").count() == 1


def test_deadlines_are_working_days_of_the_calendar(world: Any, applying: Any, clock: Any) -> None:
    """Submitted on Thursday 31 December 2026: New Year's Day (Friday, a statutory holiday of
    the work calendar) and the weekend are skipped, so the two working days to accept end on
    Tuesday 5 January 2027 — not on 2 January (calendar days) nor on Monday 4 January (weekends
    only). Accepted that Tuesday, the first review's five working days skip the next weekend."""
    staff = world.users["street_staff"]
    clock(date(2026, 12, 31))
    app = apps.submit(actor=world.users["talent"], policy=applying, uploads=uploads())
    assert app.due_on == date(2027, 1, 5)
    clock(date(2027, 1, 5))
    app = apps.accept(actor=staff, application=app, edit_version=1)
    assert app.due_on == date(2027, 1, 12)  # 6, 7, 8, (9, 10), 11, 12
    clock(date(2027, 1, 8))  # a Friday: 11, 12, 13, 14, 15
    app = apps.first_review(actor=staff, application=app, edit_version=2)
    assert app.due_on == date(2027, 1, 15)


def test_approval_over_budget_writes_nothing(world: Any) -> None:
    policy, _v = make_policy(world, "small_budget", "apply", budget_fen=100000)
    admin, staff = world.users["district_admin"], world.users["street_staff"]
    app = apps.submit(actor=world.users["talent"], policy=policy, uploads=uploads())
    app = apps.accept(actor=staff, application=app, edit_version=1)
    app = apps.first_review(actor=staff, application=app, edit_version=2)
    with pytest.raises(DomainError, match=r"预算|budget"):
        apps.approve(actor=admin, application=app, edit_version=3)
    app.refresh_from_db()
    assert app.status == "first_passed"
    assert not Grant.objects.exists()
    # A smaller amount, with its reason, fits.
    apps.approve(actor=admin, application=app, edit_version=3, amount_fen=100000, reason="预算")
    assert PolicyBudget.objects.get(policy=policy).committed_fen == 100000


def test_department_reviews_the_policies_it_leads(world: Any, applying: Any) -> None:
    app = apps.submit(actor=world.users["talent"], policy=applying, uploads=uploads())
    handler = world.users["department_handler"]
    assert not applications_reviewable(handler).exists()
    applying.lead_unit = world.units["education"]
    applying.save()
    assert list(applications_reviewable(handler)) == [app]
    assert not applications_reviewable(world.twins["department_handler"]).exists()
    apps.accept(actor=handler, application=app, edit_version=1)


def test_refused_application_leaves_room_to_apply_again(world: Any, applying: Any) -> None:
    talent = world.users["talent"]
    app = apps.submit(actor=talent, policy=applying, uploads=uploads())
    apps.refuse(actor=world.users["street_staff"], application=app, edit_version=1, reason="不符")
    again = apps.submit(actor=talent, policy=applying, uploads=uploads())
    assert again.pk != app.pk
    apps.withdraw(actor=talent, application=again, edit_version=1)
    assert Application.objects.get(pk=again.pk).status == "withdrawn"


def test_kpis_count_applications_rate_working_days_and_amounts(world: Any, applying: Any) -> None:
    from datetime import date

    from gridlight.core.workdays import district_calendar
    from gridlight.policies import kpi
    from tests.policies.grant_world import make_match

    staff, admin = world.users["street_staff"], world.users["district_admin"]
    app = apps.submit(actor=world.users["talent"], policy=applying, uploads=uploads())
    make_match(app.policy_version, world.secret_talent)
    make_match(app.policy_version, world.open_talent)
    app = apps.accept(actor=staff, application=app, edit_version=1)
    app = apps.first_review(actor=staff, application=app, edit_version=2)
    # Submitted on a Friday before a holiday week, decided the day it is approved.
    submitted = date(2026, 9, 25)
    Application.objects.filter(pk=app.pk).update(submitted_on=submitted)
    app.refresh_from_db()
    app = apps.approve(actor=admin, application=app, edit_version=3)
    day = app.decided_on
    assert day is not None
    rep = kpi.report(admin, by="policy", start=date(2026, 1, 1), end=day)
    (row,) = rep.rows
    assert row.label == applying.title
    assert (row.applications, row.matched, row.rate) == (1, 2, 50.0)
    assert row.decided == row.approved == 1
    assert row.approval_days == district_calendar().workdays_between(submitted, day)
    assert (row.grants, row.granted_fen) == (1, 500000)
    # Out of scope: the twin district's administrator counts nothing of it.
    assert (
        kpi.report(world.twins["district_admin"], by="street", start=submitted, end=day).rows == []
    )
