"""Paging for every list of the API: ``limit`` and ``offset`` as django-ninja's, with ``offset``
bounded so that a 20-digit offset is a 422 with a reason rather than an overflow in the database.

``count`` is exact up to 10,000; a longer list answers 10,001, meaning "more than 10,000" (the
pages' lists do the same: ``core.views.common.capped_count``). Page on with ``offset`` until a
page comes back shorter than ``limit``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field
from ninja.pagination import LimitOffsetPagination

from gridlight.core.views.common import capped_count

MAX_OFFSET = 10_000_000


class Pagination(LimitOffsetPagination):
    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def _items_count(self, queryset: Any) -> int:
        if isinstance(queryset, QuerySet):
            return capped_count(queryset)
        return len(queryset)
