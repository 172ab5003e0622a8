"""The demo district's policies: the YAML files of ``fixtures/``, loaded through the services
(created, drafted, published — each audited, each file's test cases run on publish)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from gridlight.core.models import Region, User
from gridlight.policies.models import Policy
from gridlight.policies.services import EDITABLE, draft_create, draft_update, policy_create, publish

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def policy_files() -> list[Path]:
    """The shipped policy files, in load order (a formula's source before the formula)."""
    return sorted(FIXTURES.glob("*.yaml"))


def read_policy_file(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def load_policies(*, actor: User, region: Region) -> int:
    """Create and publish every shipped policy not in the catalogue yet (by code); returns
    how many were created. Idempotent."""
    created = 0
    for path in policy_files():
        data = read_policy_file(path)
        if Policy.objects.filter(code=data["code"]).exists():
            continue
        meta = {k: data[k] for k in EDITABLE if k in data}
        policy = policy_create(
            actor=actor,
            region=region,
            code=data["code"],
            subject_type=data["subject_type"],
            **meta,
        )
        draft = draft_create(actor=actor, policy=policy)
        draft = draft_update(
            actor=actor,
            draft=draft,
            edit_version=draft.edit_version,
            definition=data["definition"],
            note=path.name,
        )
        end = data.get("effective_to")
        publish(
            actor=actor,
            draft=draft,
            effective_from=date.fromisoformat(data["effective_from"]),
            effective_to=date.fromisoformat(end) if end else None,
        )
        created += 1
    return created


def build_policies() -> int:
    """The demo builder's step: the shipped policies, issued by the demo district and loaded
    as its administrator, then the policy work played on them (``demo_activity``)."""
    from gridlight.core.demo.build import DISTRICT_CODE
    from gridlight.core.models import User
    from gridlight.policies.demo_activity import build_activity

    region = Region.objects.get(code=DISTRICT_CODE)
    actor = User.objects.get(username="admin")
    made = load_policies(actor=actor, region=region)
    first = User.objects.filter(username="street").first() or actor
    office = lead_office(region)
    built = build_activity(
        district=region, actor=actor, first_reviewer=first, office_reviewer=office
    )
    return made + built.total


def lead_office(region: Region) -> User | None:
    """The online-application policies are led (牵头部门) by the district's talent office, the
    demo's department handler among its members (idempotent); returns the handler."""
    from gridlight.policies.models import Mode
    from gridlight.tickets.catalogue import ensure_units

    office = ensure_units(region)["talent_office"]
    Policy.objects.filter(mode=Mode.APPLY, region=region, lead_unit=None).update(lead_unit=office)
    handler = User.objects.filter(username="handler").first()
    if handler is not None:
        office.members.add(handler)
    return handler
