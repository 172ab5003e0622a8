"""Caseload records for the shared test world: in the secret street a talent and a key
enterprise served by the in-scope commissioner, with a contact in the service log whose notes
carry the canary; in the open street a talent of the same commissioner."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from gridlight.talent.creditcode import synthetic_code
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
    rng = random.Random(5)
    secret = Talent.objects.create(
        name=f"{CANARY}人才",
        street=w.secret_street,
        region_path=w.secret_street.path,
        level="B",
        commissioner=commissioner,
        last_contact_on=today - timedelta(days=40),
        next_contact_due=today - timedelta(days=10),
    )
    firm = Enterprise.objects.create(
        name=f"{CANARY}企业",
        credit_code=synthetic_code(rng),
        industry="digital",
        street=w.secret_street,
        region_path=w.secret_street.path,
        commissioner=commissioner,
        next_contact_due=today,
    )
    EnterpriseTag.objects.create(enterprise=firm, kind=TagKind.KEY_INTRODUCED, year=today.year)
    open_talent = Talent.objects.create(
        name="公开人才",
        street=w.open_street,
        region_path=w.open_street.path,
        level="D",
        commissioner=commissioner,
        next_contact_due=today + timedelta(days=30),
    )
    log = ServiceLog.objects.create(
        talent=secret,
        region_path=secret.region_path,
        commissioner=commissioner,
        kind="visit",
        on=today - timedelta(days=40),
        notes=f"{CANARY}走访",
    )
    return Caseload(commissioner, secret, firm, open_talent, log)
