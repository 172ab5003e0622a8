"""What pages and the API show of a member's personal data: the one machinery of
:mod:`gridlight.core.personal`, which talents share (masked ID number with age and sex, never
the birth date; the full number only through ``services.reveal``, audited)."""

from __future__ import annotations

from gridlight.core.personal import Shown as ShownMember
from gridlight.core.personal import shown

__all__ = ["ShownMember", "shown"]
