"""Paging for every list of the API: ``limit`` and ``offset`` as django-ninja's, with ``offset``
bounded so that a 20-digit offset is a 422 with a reason rather than an overflow in the database."""

from __future__ import annotations

from ninja import Field
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 10_000_000


class Pagination(LimitOffsetPagination):
    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
