"""What pages and the API show of a member's personal data, in one place.

The ID number is masked (``core.crypto.mask_id``: its first four characters) and shown with the
holder's age and sex, never the birth date: a birth date beside a mask gives the number back
(docs/traffic-light.md, "Personal data on screen"). The full number, and with it the birth date,
comes only through ``services.reveal`` (the ``personal.reveal`` permission, audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gridlight.core.crypto import decrypt, mask_id, mask_phone
from gridlight.households.models import Resident
from gridlight.rules.conditions import age_on


@dataclass(frozen=True, slots=True)
class ShownMember:
    id_masked: str
    phone_masked: str
    age: int | None
    sex: str  # "M", "F" or "" (derived from the ID number)


def shown(resident: Resident, today: date) -> ShownMember:
    """The member as anyone who may view the household sees them."""
    number = decrypt(resident.id_number_enc) if resident.id_number_enc else ""
    phone = decrypt(resident.phone_enc) if resident.phone_enc else ""
    born = resident.birth_date
    return ShownMember(
        id_masked=mask_id(number) if number else "",
        phone_masked=mask_phone(phone) if phone else "",
        age=age_on(born, today) if born is not None and born <= today else None,
        sex=resident.sex,
    )
