"""Synthetic households and residents for the demo district, at the real district's size.

Everything is made up: names from common surnames and given-name characters, ID numbers that
pass the GB 11643 check but belong to nobody, phone numbers in a reserved-looking range.
Prevalences are set so that the lights come out near what communities report (a few per cent
red, under a fifth yellow). Rows go in with bulk inserts; personal numbers are encrypted first.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridlight.core.crypto import blind_index, encrypt
from gridlight.core.demo.people import person_name
from gridlight.core.idcard import synthetic_id
from gridlight.core.models import Region, RegionLevel
from gridlight.households.models import (
    AttributeValue,
    Household,
    Relation,
    Resident,
    Visit,
    VisitMethod,
)

ROADS = (
    "经一路",
    "经二路",
    "纬五路",
    "英雄山路",
    "舜耕路",
    "玉函路",
    "二七新村南路",
    "建设路",
    "六里山路",
    "七里山路",
    "郎茂山路",
    "阳光新路",
    "党杨路",
    "兴隆路",
    "十六里河路",
)
SIZES = (1, 2, 3, 4, 5)
SIZE_WEIGHTS = (22, 36, 26, 11, 5)  # mean ≈ 2.4 members, as 720,000 residents / 300,000 homes

Progress = Callable[[int, str], None]
# An unassigned county code under Jinan (3701xx): the numbers look local, but no real person's
# number can be among them.
SYNTHETIC_REGION = "370190"


def _birth(rng: random.Random, today: date, low: int, high: int) -> date:
    # Fewer people at the old end of a band, as in a real population.
    age = rng.triangular(low, high + 1, low)
    return today - timedelta(days=int(age * 365.25))


def _members(rng: random.Random, size: int, today: date) -> list[tuple[date, str, str]]:
    """(birth date, sex, relation) for each member of a household of ``size``."""
    r = rng.random()
    if size == 1:
        band = (60, 98) if r < 0.35 else (22, 59)
        return [(_birth(rng, today, *band), rng.choice("MF"), Relation.HEAD)]
    head_band = (60, 95) if r < 0.22 else (26, 59)
    head = _birth(rng, today, *head_band)
    head_sex = rng.choice("MF")
    people: list[tuple[date, str, str]] = [(head, head_sex, Relation.HEAD)]
    head_age = (today - head).days // 365
    people.append(
        (
            head + timedelta(days=rng.randint(-1500, 1500)),
            "F" if head_sex == "M" else "M",
            Relation.SPOUSE,
        )
    )
    for _ in range(size - 2):
        if head_age >= 60 and rng.random() < 0.5:
            people.append((_birth(rng, today, 1, 17), rng.choice("MF"), Relation.GRANDCHILD))
        elif head_age < 50 and rng.random() < 0.25:
            people.append((_birth(rng, today, 62, 90), rng.choice("MF"), Relation.PARENT))
        else:
            child_max = max(1, min(head_age - 20, 40))
            people.append((_birth(rng, today, 0, child_max), rng.choice("MF"), Relation.CHILD))
    return people


def _person_attributes(rng: random.Random, age: int) -> dict[str, int | None]:
    a: dict[str, int | None] = {}
    if rng.random() < 0.03:
        a["disability"] = rng.choices((1, 2, 3, 4), (6, 14, 30, 50))[0]
    if age >= 65 and rng.random() < 0.012:
        a["dementia"] = None
    if age >= 75 and rng.random() < 0.01:
        a["bedridden"] = None
    if rng.random() < 0.004:
        a["severe_mental_disorder"] = None
    if rng.random() < 0.012:
        a["serious_illness"] = None
    if age >= 45 and rng.random() < 0.035:
        a["chronic_illness"] = None
    if age < 18 and rng.random() < 0.003:
        a["children_in_difficulty"] = None
    if age < 16 and rng.random() < 0.004:
        a["left_behind_child"] = None
    if rng.random() < 0.004:
        a["special_care"] = None
    if 18 <= age < 60 and rng.random() < 0.03:
        a["unemployed"] = None
    return a


def build_households(
    total: int = 300_000, *, seed: int = 20230715, progress: Progress | None = None
) -> int:
    """Add synthetic households until the demo district has ``total``; returns how many were
    added (0 when it already has them, so running it again changes nothing)."""
    say = progress or (lambda _p, _m: None)
    existing = Household.objects.count()
    if existing >= total:
        return 0
    rng = random.Random(seed + existing)  # noqa: S311 - synthetic demo data, not secrets
    today = timezone.localdate()
    grids = list(
        Region.objects.filter(level=RegionLevel.GRID, path__startswith="0001.")
        .select_related("parent__parent")
        .order_by("path")
    )
    # Grids differ in size; share the households out in proportion, largest remainders first.
    weights = [max(0.2, rng.gauss(1, 0.3)) for _ in grids]
    wanted = [(total - existing) * w / sum(weights) for w in weights]
    counts = [int(x) for x in wanted]
    by_remainder = sorted(range(len(grids)), key=lambda i: wanted[i] - counts[i], reverse=True)
    for i in by_remainder[: (total - existing) - sum(counts)]:
        counts[i] += 1
    made = 0
    # ID numbers already used: by this run, and (when topping up) those in the database.
    used: set[str] = set()
    if existing:
        from gridlight.core.crypto import decrypt

        used = {
            decrypt(t)
            for t in Resident.objects.exclude(id_number_enc="")
            .values_list("id_number_enc", flat=True)
            .iterator()
        }
    batch_h: list[Household] = []
    pending: list[tuple[Household, list[tuple[date, str, str]], dict[str, None]]] = []
    for grid, count in zip(grids, counts, strict=True):
        if not count:
            continue
        street = grid.parent.parent.name if grid.parent and grid.parent.parent else ""
        community = grid.parent.name if grid.parent else ""
        start = Household.objects.filter(grid=grid).count()
        for i in range(start + 1, start + count + 1):
            size = rng.choices(SIZES, SIZE_WEIGHTS)[0]
            people = _members(rng, size, today)
            h_attrs: dict[str, None] = {}
            ages = [(today - b).days // 365 for b, _s, _r in people]
            if size == 1:
                h_attrs["living_alone"] = None
            elif size == 2 and min(ages) >= 60:
                h_attrs["empty_nest"] = None
            if rng.random() < 0.015:
                h_attrs["subsistence_allowance"] = None
            if rng.random() < 0.005:
                h_attrs["family_dispute"] = None
            last = today - timedelta(days=rng.randint(0, 120)) if rng.random() < 0.9 else None
            h = Household(
                code=f"{grid.code}-{i:04d}",
                grid=grid,
                region_path=grid.path,
                address=f"济南市市中区{street}{community}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
                f"{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 28)}"
                f"{rng.randint(1, 4):02d}室",
                registered_on=today - timedelta(days=rng.randint(200, 3000)),
                last_visit_on=last,
            )
            batch_h.append(h)
            pending.append((h, people, h_attrs))
            if len(batch_h) >= 5000:
                made += _flush(rng, batch_h, pending, today, used)
                batch_h, pending = [], []
                say(int(made * 90 / (total - existing)), f"{made} households")
    if batch_h:
        made += _flush(rng, batch_h, pending, today, used)
    say(95, f"{made} households")
    return made


@transaction.atomic
def _flush(
    rng: random.Random,
    households: list[Household],
    pending: list[tuple[Household, list[tuple[date, str, str]], dict[str, None]]],
    today: date,
    used: set[str],
) -> int:
    Household.objects.bulk_create(households, batch_size=2000)
    residents: list[Resident] = []
    person_attrs: list[dict[str, int | None]] = []
    values: list[AttributeValue] = []
    visits: list[Visit] = []
    for h, people, h_attrs in pending:
        for code in h_attrs:
            values.append(AttributeValue(household=h, attribute_id=code))
        any_serious = False
        for birth, sex, relation in people:
            number = synthetic_id(rng, region_code=SYNTHETIC_REGION, birth_date=birth, sex=sex)
            while number in used:  # 500 sequence numbers per day and sex: collisions happen
                number = synthetic_id(rng, region_code=SYNTHETIC_REGION, birth_date=birth, sex=sex)
            used.add(number)
            phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
            residents.append(
                Resident(
                    household=h,
                    region_path=h.region_path,
                    name=person_name(rng),
                    id_number_enc=encrypt(number),
                    id_number_index=blind_index(number, purpose="id_number"),
                    birth_date=birth,
                    sex=sex,
                    phone_enc=encrypt(phone),
                    phone_index=blind_index(phone, purpose="phone"),
                    relation=relation,
                )
            )
            attrs = _person_attributes(rng, (today - birth).days // 365)
            any_serious = any_serious or "serious_illness" in attrs
            person_attrs.append(attrs)
        if any_serious and rng.random() < 0.3:
            values.append(AttributeValue(household=h, attribute_id="no_carer"))
        if h.last_visit_on is not None:
            visits.append(
                Visit(
                    household=h,
                    region_path=h.region_path,
                    visited_on=h.last_visit_on,
                    method=rng.choice(VisitMethod.values),
                    notes="例行走访",
                )
            )
    Resident.objects.bulk_create(residents, batch_size=2000)
    for r, attrs in zip(residents, person_attrs, strict=True):
        for code, grade in attrs.items():
            values.append(
                AttributeValue(
                    household_id=r.household_id, resident=r, attribute_id=code, grade=grade
                )
            )
    AttributeValue.objects.bulk_create(values, batch_size=5000)
    Visit.objects.bulk_create(visits, batch_size=5000)
    return len(households)


# One demo household in OVERDUE_ONE_IN is overdue, by a few days up to half its interval (at
# most LATEST_DAYS): what a district whose grid workers keep up mostly looks like.
OVERDUE_ONE_IN = 8
LATEST_DAYS = 21


def spread_visits(today: date | None = None) -> None:
    """Give the classified demo households a visit history that follows their cadence: each
    household was last visited within its interval, except one in eight, which is overdue by
    1 to min(interval / 2, 21) days (set-based). Households that had no visit get one, so no
    demo visit is years overdue."""
    from django.db import connection
    from django.db.models import Case, F, Value, When

    from gridlight.households.classify import intervals

    day = today or timezone.localdate()
    h = Household._meta.db_table
    v = Visit._meta.db_table
    gaps = intervals()
    with connection.cursor() as cur:
        for light, gap in gaps.items():
            late = max(2, min(gap // 2, LATEST_DAYS))
            age = (
                f"CASE WHEN id %% {OVERDUE_ONE_IN} = 0 "
                f"THEN {gap} + 1 + (id * 104729) %% {late} "
                f"ELSE (id * 7919) %% {max(gap, 1)} END"
            )
            if connection.vendor == "sqlite":
                expr = f"date(%s, '-' || ({age}) || ' days')"
            else:
                expr = f"CAST(%s AS date) - CAST(({age}) AS integer)"
            cur.execute(
                f"UPDATE {h} SET last_visit_on = {expr} WHERE light = %s",  # noqa: S608
                [day, light],
            )
        cur.execute(
            f"UPDATE {v} SET visited_on = (SELECT last_visit_on FROM {h} "  # noqa: S608
            f"WHERE {h}.id = {v}.household_id)"
        )
        cur.execute(
            f"INSERT INTO {v} (household_id, region_path, visited_on, method, notes, "  # noqa: S608
            f"problems, light_at_visit, created_at) "
            f"SELECT id, region_path, last_visit_on, %s, %s, '', light, %s FROM {h} "
            f"WHERE last_visit_on IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {v} WHERE {v}.household_id = {h}.id)",
            [VisitMethod.HOME, "例行走访", timezone.now()],
        )
    Household.objects.exclude(last_visit_on=None).update(
        next_visit_due=Case(
            *[
                When(light=light, then=F("last_visit_on") + Value(timedelta(days=d)))
                for light, d in gaps.items()
            ]
        )
    )
    spread_light_history(day)


# Of the households now in each light, the share (per thousand) that came to it in the last
# HISTORY_WEEKS weeks, and the light they came from: red and yellow households come and go
# (an illness, a death in the family, a new allowance), green ones mostly stay.
HISTORY_WEEKS = 26
ARRIVED_PER_MILLE = {"red": 250, "yellow": 100, "green": 20}
CAME_FROM = {"red": ("yellow", "green"), "yellow": ("green", "red"), "green": ("yellow", "red")}
# What the earlier light was given for (the demo's residents no longer show it).
EARLIER_REASONS = {"red": "serious_illness_no_carer,", "yellow": "chronic_or_serious_illness,"}


def spread_light_history(today: date | None = None) -> int:
    """Give freshly classified demo households a past: each first light is dated on the day the
    household registered, and a share of households (``ARRIVED_PER_MILLE`` of each light) came
    to the light they have now from another one at some hour of the last ``HISTORY_WEEKS``
    weeks. Every household's history still ends in the light it has. Set-based; returns how
    many changes were added (none when the history already holds changes, so it runs once)."""
    from django.db import connection

    from gridlight.households.models import LightChange

    if LightChange.objects.filter(from_light__gt="").exists():
        return 0
    day = today or timezone.localdate()
    now = timezone.now()
    # A first light at 09:00 local time on the day of registration, written in UTC.
    nine = timezone.make_aware(datetime.combine(day, time(9))).astimezone(UTC)
    offset = nine - datetime.combine(day, time(0), tzinfo=UTC)
    h = Household._meta.db_table
    hist = LightChange._meta.db_table
    hours = HISTORY_WEEKS * 7 * 24
    # Only households registered before the period can have changed within it.
    cutoff = (day - timedelta(weeks=HISTORY_WEEKS)).isoformat()
    chosen = (
        f"h.registered_on < '{cutoff}' AND ("
        + " OR ".join(
            f"(h.light = '{light}' AND (h.id * 7919) %% 1000 < {share})"
            for light, share in ARRIVED_PER_MILLE.items()
        )
        + ")"
    )
    earlier = (
        "CASE "
        + " ".join(
            f"WHEN h.light = '{light}' THEN "
            f"CASE WHEN h.id %% 4 = 0 THEN '{rare}' ELSE '{usual}' END"
            for light, (usual, rare) in CAME_FROM.items()
        )
        + " END"
    )
    reasons = (
        "CASE "
        + " ".join(
            f"WHEN {earlier} = '{light}' THEN '{why}'" for light, why in EARLIER_REASONS.items()
        )
        + " ELSE '' END"
    )
    shift = f"{int(offset.total_seconds()):+d} seconds"
    if connection.vendor == "sqlite":
        first_at = f"datetime(h.registered_on, '{shift}')"
        moved_at = f"datetime(%s, '-' || ((h.id * 104729) %% {hours}) || ' hours')"
        stamp: Any = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    else:
        first_at = f"h.registered_on + interval '{shift}'"
        moved_at = f"CAST(%s AS timestamptz) - ((h.id * 104729) %% {hours}) * interval '1 hour'"
        stamp = now
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"UPDATE {hist} SET at = {first_at}, "  # noqa: S608
            f"to_light = CASE WHEN {chosen} THEN {earlier} ELSE h.light END, "
            f"reasons = CASE WHEN {chosen} THEN {reasons} ELSE h.light_reasons END "
            f"FROM {h} h WHERE h.id = {hist}.household_id AND {hist}.from_light = ''",
            [],
        )
        cur.execute(
            f"INSERT INTO {hist} (household_id, region_path, at, from_light, to_light, "  # noqa: S608
            f"reasons, rule_version_id, actor_id, cause, note) "
            f"SELECT h.id, h.region_path, {moved_at}, {earlier}, h.light, h.light_reasons, "
            f"h.light_version_id, NULL, 'data-change', '' FROM {h} h "
            f"WHERE h.light_at IS NOT NULL AND ({chosen})",
            [stamp],
        )
        return int(cur.rowcount)


def household_demo_summary() -> dict[str, Any]:
    return {"households": Household.objects.count(), "residents": Resident.objects.count()}
