"""Caseload records for the shared test world: in the secret street a talent and a key
enterprise served by the in-scope commissioner, with a contact in the service log whose notes
carry the canary; in the open street a talent and a key enterprise of the same commissioner.
They are the shared world's own records (tests/conftest.py ``_talent``), given a contact
history here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from gridlight.talent.models import (
    CommissionerProfile,
    Enterprise,
    EnterpriseTag,
    ServiceLog,
    TagKind,
    Talent,
)

CANARY = "CANARY"


@dataclass
class Caseload:
    commissioner: Any
    secret_talent: Talent
    secret_enterprise: Enterprise
    open_talent: Talent
    secret_log: ServiceLog


def caseload_world(w: Any) -> Caseload:
    commissioner = w.users["talent_commissioner"]
    CommissionerProfile.objects.create(user=commissioner, office_phone="0531-80000001")
    CommissionerProfile.objects.create(user=w.twins["talent_commissioner"], office_phone="")
    today = timezone.localdate()
    # The shared world's own records (tests/conftest.py), with a contact history: the secret
    # talent overdue, the secret enterprise a key one due today, the open talent due later.
    Talent.objects.filter(pk=w.secret_talent.pk).update(
        last_contact_on=today - timedelta(days=40), next_contact_due=today - timedelta(days=10)
    )
    Talent.objects.filter(pk=w.open_talent.pk).update(
        level="D", next_contact_due=today + timedelta(days=30)
    )
    Enterprise.objects.filter(pk=w.secret_enterprise.pk).update(next_contact_due=today)
    Enterprise.objects.filter(pk=w.open_enterprise.pk).update(
        last_contact_on=today - timedelta(days=30), next_contact_due=today + timedelta(days=60)
    )
    for firm in (w.secret_enterprise, w.open_enterprise):
        EnterpriseTag.objects.create(enterprise=firm, kind=TagKind.KEY_INTRODUCED, year=today.year)
    secret = Talent.objects.get(pk=w.secret_talent.pk)
    firm = Enterprise.objects.get(pk=w.secret_enterprise.pk)
    open_talent = Talent.objects.get(pk=w.open_talent.pk)
    w.secret_talent, w.open_talent, w.secret_enterprise = secret, open_talent, firm
    log = ServiceLog.objects.create(
        talent=secret,
        region_path=secret.region_path,
        commissioner=commissioner,
        kind="visit",
        on=today - timedelta(days=40),
        notes=f"{CANARY}走访",
    )
    return Caseload(commissioner, secret, firm, open_talent, log)
