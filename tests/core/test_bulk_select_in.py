"""core/bulk.select_in: rows for many keys, in chunks the database accepts."""

from __future__ import annotations

import pytest

from gridlight.core.bulk import select_in
from tests.factories import GridFactory

pytestmark = pytest.mark.django_db


def test_select_in_finds_the_rows_of_every_key_past_one_chunk() -> None:
    grids = [GridFactory() for _ in range(3)]
    wanted = [g.code for g in grids[:2]]
    # More keys than one statement may carry (30,000 parameters), most of them unknown.
    keys = [*wanted, *(f"none-{k}" for k in range(31_000))]
    rows = select_in(
        "SELECT code, level FROM core_region WHERE code IN ({}) AND level = %s",
        keys,
        (grids[0].level,),
    )
    assert sorted(rows) == sorted((g.code, g.level) for g in grids[:2])
    assert select_in("SELECT id FROM core_region WHERE code IN ({})", []) == []
