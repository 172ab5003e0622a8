"""Personal data of any person the platform holds (residents, talents …), in one place: the
ID-card and phone numbers validated, encrypted and blind-indexed for storage, shown masked, and
revealed in full only with a permission and an audit row.

A holder is any record with ``id_number_enc``, ``phone_enc``, ``birth_date`` and ``sex``. The ID
number is masked (``core.crypto.mask_id``: its first four characters) and shown with the
holder's age and sex, never the birth date: a birth date beside a mask gives the number back
(docs/traffic-light.md, "Personal data on screen"). The full number, and with it the birth
date, comes only through :func:`reveal`, which each app calls with its own permission and the
region that scopes the holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from django.db.models import Model
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.access import Perm, require_path
from gridlight.core.crypto import blind_index, decrypt, encrypt, mask_id, mask_phone, parse_phone
from gridlight.core.errors import DomainError
from gridlight.core.idcard import age_on, parse_id
from gridlight.core.models import User

REVEALABLE = ("id_number", "phone")


class Holder(Protocol):
    pk: Any
    id_number_enc: str
    phone_enc: str
    birth_date: date | None
    sex: str


@dataclass(frozen=True, slots=True)
class Shown:
    id_masked: str
    phone_masked: str
    age: int | None
    sex: str  # "M", "F" or "" (derived from the ID number)


def shown(holder: Holder, today: date) -> Shown:
    """The person as anyone who may view the record sees them."""
    number = decrypt(holder.id_number_enc) if holder.id_number_enc else ""
    phone = decrypt(holder.phone_enc) if holder.phone_enc else ""
    born = holder.birth_date
    return Shown(
        id_masked=mask_id(number) if number else "",
        phone_masked=mask_phone(phone) if phone else "",
        age=age_on(born, today) if born is not None and born <= today else None,
        sex=holder.sex,
    )


def id_index(number: str) -> str:
    return blind_index(number, purpose="id_number")


def phone_index(phone: str) -> str:
    return blind_index(phone, purpose="phone")


def stored_numbers(*, id_number: str, phone: str, today: date | None = None) -> dict[str, Any]:
    """The model fields that hold ``id_number`` and ``phone`` (either may be blank): encrypted,
    blind-indexed, with birth date and sex from the ID number. Raises
    :class:`~gridlight.core.idcard.InvalidIdNumber` or :class:`~gridlight.core.crypto.InvalidPhone`
    for a bad number (callers say whose it is). ``today`` bounds the birth date (default: today),
    given once by callers storing many."""
    values: dict[str, Any]
    if id_number.strip():
        info = parse_id(id_number, today=today)
        values = {
            "id_number_enc": encrypt(info.number),
            "id_number_index": id_index(info.number),
            "birth_date": info.birth_date,
            "sex": info.sex,
        }
    else:
        values = {"id_number_enc": "", "id_number_index": None}
    if phone.strip():
        number = parse_phone(phone)
        values.update(phone_enc=encrypt(number), phone_index=phone_index(number))
    else:
        values.update(phone_enc="", phone_index="")
    return values


def reveal(
    *, actor: User, holder: Holder, what: str, perm: Perm, path: str, label: str = ""
) -> str:
    """The full ID or phone number of ``holder``, for a user who holds ``perm`` over ``path``
    (the region that scopes the holder); every reveal is audited (``reveal.<what>``)."""
    require_path(actor, perm, path)
    token = {"id_number": holder.id_number_enc, "phone": holder.phone_enc}.get(what)
    if token is None:
        raise DomainError(_("Nothing to reveal."))
    audit.record(
        actor=actor,
        action=f"reveal.{what}",
        obj=holder if isinstance(holder, Model) else None,
        object_label=label,
        region_path=path,
    )
    return decrypt(token) if token else ""
