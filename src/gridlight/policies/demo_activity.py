"""The demo district's policy work (issue 13 item 8), played through the real services:

* **matching and push** — the set-based ``match_all`` for talents and enterprises (stored
  matches with explanations) and ``queue_pushes`` (in-app notices and SMS through the outbox;
  the demo's SMS go to the fake gateway);
* **online applications** — demo applicants (portal users with no password) apply with small
  synthetic PDF materials (checked by ``core/uploads.py``) and the reviewers take them through
  accept / first review / approve, refuse or return for correction; each application's steps
  are then dated on working days of the district calendar over the past months;
* **grants without application (免申即享)** — confirmations of the candidates, 二次确认 (one
  cancelled with a reason), one paid payment batch and one open;
* **the car-purchase voucher programme** (FACTS.md §2): car dealers of the commerce industry
  whose vouchers redeemed are reimbursed by the city's third batch, the district adding 20%
  (``district_car_topup``: a formula over ``benefit.city_car_voucher``). The amounts are the
  matching engine's, on a day of the programme's period; the city's grants fill its budget.

Nothing here is a figure a page reads: the pages sum the records. Idempotent: a district whose
voucher programme has grants is left as it is.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import zip_longest

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from gridlight.core.models import Assignment, Region, RegionLevel, User
from gridlight.core.uploads import Upload
from gridlight.core.workdays import WorkCalendar, district_calendar
from gridlight.policies import applications as apps
from gridlight.policies.grants import (
    create_batch,
    create_grant,
    grant_candidates,
    mark_paid,
    reconfirm,
)
from gridlight.policies.matching import match_all, queue_pushes
from gridlight.policies.models import (
    Application,
    ApplicationStatus,
    ApplicationStep,
    Grant,
    GrantSource,
    GrantStatus,
    Match,
    MatchState,
    MatchStatus,
    Mode,
    Policy,
    PolicyVersion,
    Push,
)
from gridlight.policies.selectors import version_in_force
from gridlight.talent.creditcode import synthetic_code
from gridlight.talent.models import Enterprise, EnterpriseAccount, Talent
from gridlight.talent.subject import gathered as profiles_gathered

SEED = 20230501
CITY_VOUCHER = "city_car_voucher"
DISTRICT_TOPUP = "district_car_topup"
# Car dealers by size: headcount range and how many. At the city's bands (policy file 70:
# 15,000 / 50,000 / 120,000 yuan) their reimbursements add up to the third batch's budget;
# the builder checks that they fill it exactly and stops with an error if the policy changed.
DEALERS: list[tuple[int, int, int]] = [(12, 48, 40), (55, 190, 124), (210, 420, 60)]
_BRANDS = ("一汽大众", "上汽通用", "广汽丰田", "东风日产", "比亚迪", "吉利", "长城", "奇瑞")
_PLACES = ("经十路", "二环西路", "英雄山路", "党杨路", "玉函路", "郎茂山路", "六里山", "七贤")


@dataclass
class Built:
    dealers: int = 0
    grants: int = 0
    applications: int = 0
    pushes: int = 0

    @property
    def total(self) -> int:
        return self.dealers + self.grants + self.applications + self.pushes


def build_activity(
    *,
    district: Region,
    actor: User,
    first_reviewer: User,
    office_reviewer: User | None = None,
    today: date | None = None,
    seed: int = SEED,
    applications: int = 24,
) -> Built:
    """The policy work of ``district`` (idempotent). ``actor`` is the district's administrator
    (re-confirmation, batches, second review); ``first_reviewer`` accepts and first-reviews the
    applications of the subjects in its write scope, ``office_reviewer`` (a handler of the
    department leading the policies, 牵头部门) the others; without one the district accepts
    them and they wait in 复核."""
    out = Built()
    city = Policy.objects.filter(code=CITY_VOUCHER).first()
    if city is None or Grant.objects.filter(policy=city).exists():
        return out
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data
    cal = district_calendar()
    out.dealers, out.grants = _car_vouchers(rng, cal, district, actor, city)
    for subject_type in ("talent", "enterprise"):
        run = match_all(subject_type, today, push=False)
        out.pushes += queue_pushes(subject_type, run=run)
    _date_pushes(rng, cal, today)
    out.grants += _auto_grants(rng, cal, actor, today)
    reviewers = (first_reviewer, office_reviewer)
    out.applications = _applications(rng, cal, district, actor, reviewers, today, applications)
    return out


# --- the car-purchase vouchers -------------------------------------------------------------------


def _car_vouchers(
    rng: random.Random, cal: WorkCalendar, district: Region, actor: User, city: Policy
) -> tuple[int, int]:
    topup = Policy.objects.get(code=DISTRICT_TOPUP)
    streets = list(
        Region.objects.filter(
            level=RegionLevel.STREET, path__startswith=district.path + "."
        ).order_by("path")
    )
    start = city.period_start or date(2023, 5, 1)
    dealers: list[Enterprise] = []
    codes = set(Enterprise.objects.values_list("credit_code", flat=True))
    for low, high, count in DEALERS:
        for _ in range(count):
            n = len(dealers) + 1
            street = rng.choice(streets)
            code = ""
            while not code or code in codes:
                code = synthetic_code(rng, division=district.code[:6])
            codes.add(code)
            headcount = rng.randint(low, high)
            dealers.append(
                Enterprise(
                    name=f"济南{rng.choice(_BRANDS)}{rng.choice(_PLACES)}{n:03d}汽车销售服务有限公司",
                    credit_code=code,
                    industry="commerce",
                    street=street,
                    region_path=street.path,
                    address=f"济南市市中区{street.name}{rng.choice(_PLACES)}{n}号",
                    headcount=headcount,
                    revenue_yuan=headcount * rng.randint(800_000, 3_000_000),
                    revenue_year=start.year - 1,
                )
            )
    with transaction.atomic():
        Enterprise.objects.bulk_create(dealers, batch_size=500)
    ids = [d.pk for d in dealers]
    # The engine computes the amounts on a day of the programme (its versions are in force
    # then, not today): the city's band by headcount, the district's 20% of it.
    match_all("enterprise", start + timedelta(days=45), ids=ids, push=False)
    by_id = {d.pk: d for d in dealers}
    made = 0
    for number, policy in enumerate((city, topup)):
        rows = list(
            Match.objects.filter(
                policy=policy, enterprise_id__in=ids, state=MatchState.MET, amount_fen__gt=0
            )
            .select_related("version")
            .order_by("enterprise_id")
        )
        total = sum(m.amount_fen or 0 for m in rows)
        if policy.budget_fen is not None and total != policy.budget_fen:
            raise ValueError(
                f"{policy.code}: dealers' amounts {total} ≠ budget {policy.budget_fen}"
            )
        days = _days(cal, start + timedelta(days=30 + number * 7), len(rows), span=20)
        made += _grant_and_pay(
            actor,
            policy,
            [(m.version, by_id[m.enterprise_id or 0], m.amount_fen or 0) for m in rows],
            days,
            cal,
            paid=True,
        )
    return len(dealers), made


def _date_pushes(rng: random.Random, cal: WorkCalendar, today: date) -> None:
    """Spread the pushes (queued today by the services) over working days of the past five
    months, and have about half of them opened one to three working days later, so the push
    KPIs show months and reach (the services stamp ``now``)."""
    pushes = list(Push.objects.filter(created_at__date=today).only("pk", "match_id"))
    if not pushes:
        return
    days = _days(cal, today - timedelta(days=150), len(pushes), span=100)
    rng.shuffle(days)
    opened: list[Match] = []
    for push, day in zip(pushes, days, strict=True):
        push.created_at = _moment(day, 10)
        if rng.random() < 0.5:
            seen = _moment(cal.add_workdays(day, rng.randint(1, 3)), 20)
            opened.append(Match(pk=push.match_id, opened_at=seen))
    Push.objects.bulk_update(pushes, ["created_at"], batch_size=1000)
    Match.objects.bulk_update(opened, ["opened_at"], batch_size=1000)


# --- grants without application ---------------------------------------------------------------


def _auto_grants(rng: random.Random, cal: WorkCalendar, actor: User, today: date) -> int:
    """For each 免申即享 policy in force: some candidates confirmed; the older ones re-confirmed
    and paid in a batch, the next ones re-confirmed in an open batch, one cancelled, the newest
    awaiting 二次确认."""
    made = 0
    policies = Policy.objects.filter(mode=Mode.AUTO_GRANT).exclude(
        code__in=(CITY_VOUCHER, DISTRICT_TOPUP)
    )
    for policy in policies.order_by("code"):
        version = version_in_force(policy, today)
        if version is None:
            continue
        cands = list(grant_candidates(version).select_related("talent", "enterprise")[:40])
        if not cands:
            continue
        rng.shuffle(cands)
        room = policy.budget_fen
        chosen = []
        for m in cands:
            if room is not None and (m.amount_fen or 0) > room:
                continue
            room = None if room is None else room - (m.amount_fen or 0)
            chosen.append(m)
        paid, open_, pending = _thirds(chosen)
        first = today - timedelta(days=120)
        for group, is_paid, start in ((paid, True, first), (open_, False, first + timedelta(60))):
            if not group:
                continue
            days = _days(cal, start, len(group), span=30)
            made += _grant_and_pay(
                actor,
                policy,
                [(version, _subject(m), m.amount_fen or 0) for m in group],
                days,
                cal,
                paid=is_paid,
            )
        days = _days(cal, today - timedelta(days=20), len(pending), span=14)
        grants = []
        with transaction.atomic(), profiles_gathered():  # re-matched once, at the end
            for m, day in zip(pending, days, strict=True):
                g = create_grant(
                    actor=None,
                    policy=policy,
                    version=version,
                    obj=_subject(m),
                    amount_fen=m.amount_fen or 0,
                    source=GrantSource.AUTO,
                    status=GrantStatus.PENDING,
                )
                _at(Grant, g.pk, confirmed_at=_moment(day, 9))
                grants.append(g)
        if len(grants) > 1:  # one cancelled at 二次确认: its amount goes back to the budget
            reconfirm(
                actor=actor,
                grant_ids=[grants[0].pk],
                approve=False,
                reason="经核查已在原单位享受同类补贴",
            )
            _at(Grant, grants[0].pk, reconfirmed_at=_moment(days[-1], 15))
        made += len(grants)
    return made


def _thirds(items: Sequence[Match]) -> tuple[list[Match], list[Match], list[Match]]:
    """Paid, in an open batch, awaiting 二次确认 (at least two of these: one is cancelled)."""
    n = len(items)
    waiting = max(2, n // 4) if n >= 4 else n
    paid = (n - waiting + 1) // 2
    return list(items[:paid]), list(items[paid : n - waiting]), list(items[n - waiting :])


def _subject(m: Match) -> Talent | Enterprise:
    obj = m.talent or m.enterprise
    assert obj is not None
    return obj


def _grant_and_pay(
    actor: User,
    policy: Policy,
    rows: list[tuple[PolicyVersion, Talent | Enterprise, int]],
    days: list[date],
    cal: WorkCalendar,
    *,
    paid: bool,
) -> int:
    """Confirmed offers (pending), their 二次确认 and a payment batch, paid or open; each step
    dated on the working days given."""
    with transaction.atomic(), profiles_gathered():  # re-matched once, at the end
        grants = [
            create_grant(
                actor=None,
                policy=policy,
                version=version,
                obj=obj,
                amount_fen=amount,
                source=GrantSource.AUTO,
                status=GrantStatus.PENDING,
            )
            for version, obj, amount in rows
        ]
        reconfirm(actor=actor, grant_ids=[g.pk for g in grants])
        batch = create_batch(actor=actor, policy=policy)
        last = days[-1]
        for g, day in zip(grants, days, strict=True):
            _at(Grant, g.pk, confirmed_at=_moment(day, 9), reconfirmed_at=_moment(last, 16))
        batch_day = cal.add_workdays(last, 2)
        type(batch).objects.filter(pk=batch.pk).update(created_at=_moment(batch_day, 10))
        if paid:
            mark_paid(
                actor=actor,
                batch=batch,
                version=batch.version,
                paid_on=cal.add_workdays(batch_day, 5),
            )
    return len(grants)


# --- online applications -----------------------------------------------------------------------

_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# What happens to each application: the reviewers' steps in order ("" = left where it is).
_PLAYS: list[tuple[str, ...]] = [
    ("accept", "first_review", "approve"),
    ("accept", "first_review", "refuse"),
    ("accept", "return"),  # returned for correction (补正)
    ("accept", "first_review"),  # in second review (复核)
    ("accept",),  # in first review
    (),  # submitted, waiting for 受理
    ("accept", "return", "resubmit", "accept", "first_review", "approve"),
    ("accept", "first_review", "approve"),
]


def _applications(
    rng: random.Random,
    cal: WorkCalendar,
    district: Region,
    actor: User,
    reviewers: tuple[User, User | None],
    today: date,
    count: int,
) -> int:
    first, office = reviewers
    path = (
        Assignment.objects.filter(user=first)
        .exclude(write_region_path="")
        .values_list("write_region_path", flat=True)
        .first()
    ) or district.path
    versions = [
        v
        for p in Policy.objects.filter(mode=Mode.APPLY).order_by("code")
        if (v := version_in_force(p, today)) is not None
    ]
    # Subjects who meet a policy or may (a fact missing: the reviewers decide), in turn.
    queue = [
        list(
            Match.objects.filter(
                policy_id=v.policy_id,  # through ``match_policy``: the version has no index
                version=v,
                status=MatchStatus.CURRENT,
                state__in=(MatchState.MET, MatchState.UNKNOWN),
                applied_at=None,
            )
            .order_by("-state", "subject_id")
            .select_related("policy", "version", "talent", "enterprise")[:count]
        )
        for v in versions
    ]
    # The first reviewer's street first (the district approves them: 四眼); elsewhere the
    # department leading the policy does (or the district, the approval then waiting). In
    # each, the benefits in kind (apartments, school places) first: the first plays approve
    # one of them at 0 fen, so the demo shows in-kind grants beside the money ones.
    ordered = sorted(
        (m for row in zip_longest(*queue) for m in row if m is not None),
        key=lambda m: (not m.region_path.startswith(path), not m.version.in_kind),
    )
    made = 0
    for match in ordered:
        if made >= count:
            break
        policy = match.policy
        user = _applicant(_subject(match), made)
        files = {m: Upload(f"{m}.pdf", _PDF) for m in policy.materials}
        play = _PLAYS[made % len(_PLAYS)]
        reviewer = first if match.region_path.startswith(path) else office or actor
        # A money benefit with no computed amount, or no second reviewer: left in 复核. A
        # benefit in kind (an apartment, a school place) is approved at 0 fen like any other.
        priced = (match.amount_fen or 0) > 0 or match.version.in_kind
        if "approve" in play and (reviewer == actor or not priced):
            play = play[:-1]
        with transaction.atomic():
            app = apps.submit(actor=user, policy=policy, statement="", uploads=files)
            for step in play:
                app = _step(app, step, actor, reviewer, user, files)
        _date_steps(cal, app, today - timedelta(days=rng.randint(15, 110)), rng)
        made += 1
    return made


def _applicant(obj: Talent | Enterprise, i: int) -> User:
    """The subject's portal user, made for the demo when it has none (no password)."""
    if isinstance(obj, Talent):
        if obj.user_id:
            return User.objects.get(pk=obj.user_id)
    else:
        account = EnterpriseAccount.objects.filter(enterprise=obj).select_related("user").first()
        if account is not None:
            return account.user
    user = User(username=f"demo-applicant-{obj.pk}-{i}", display_name=obj.name[:60])
    user.set_unusable_password()
    user.save()
    if isinstance(obj, Talent):
        Talent.objects.filter(pk=obj.pk).update(user=user)
    else:
        EnterpriseAccount.objects.create(user=user, enterprise=obj)
    return user


def _step(
    app: Application, step: str, admin: User, first: User, user: User, files: dict[str, Upload]
) -> Application:
    v = app.edit_version
    if step == "accept":
        return apps.accept(actor=first, application=app, edit_version=v)
    if step == "first_review":
        return apps.first_review(
            actor=first, application=app, edit_version=v, note="材料齐全，符合条件"
        )
    if step == "approve":
        return apps.approve(actor=admin, application=app, edit_version=v)
    if step == "refuse":
        return apps.refuse(
            actor=admin, application=app, edit_version=v, reason="经复核，劳动合同期限不满足要求"
        )
    if step == "return":
        return apps.return_for_correction(
            actor=first, application=app, edit_version=v, reason="请补充盖章版材料"
        )
    assert step == "resubmit"
    return apps.resubmit(actor=user, application=app, edit_version=v, uploads=files)


def _date_steps(cal: WorkCalendar, app: Application, start: date, rng: random.Random) -> None:
    """Date the application's history on working days from ``start`` (the services wrote
    today's date): each step one to three working days after the one before."""
    day = cal.add_workdays(start, 0) if cal.is_workday(start) else cal.add_workdays(start, 1)
    first = day
    steps = list(ApplicationStep.objects.filter(application=app).order_by("pk"))
    for n, s in enumerate(steps):
        if n:
            day = cal.add_workdays(day, rng.randint(1, 3))
        s.at = _moment(day, 9 + n % 7)
    ApplicationStep.objects.bulk_update(steps, ["at"])
    app.refresh_from_db()
    ended = app.status in (ApplicationStatus.APPROVED, ApplicationStatus.REFUSED)
    Application.objects.filter(pk=app.pk).update(
        submitted_on=first,
        created_at=_moment(first, 9),
        decided_on=day if ended else None,
        due_on=apps._due(app.status, day),
    )
    Grant.objects.filter(application=app).update(confirmed_at=_moment(day, 16))


# --- dates ------------------------------------------------------------------------------------


def _days(cal: WorkCalendar, start: date, n: int, *, span: int) -> list[date]:
    """``n`` working days spread over ``span`` working days from ``start``, in order."""
    first = start if cal.is_workday(start) else cal.add_workdays(start, 1)
    return [cal.add_workdays(first, (i * span) // max(n, 1)) for i in range(n)]


def _moment(day: date, hour: int) -> datetime:
    local = datetime.combine(day, time(hour, 0), tzinfo=timezone.get_current_timezone())
    return local.astimezone(UTC)


def _at(model: type[Grant], pk: int, **fields: datetime) -> None:
    model.objects.filter(pk=pk).update(**fields)


def voucher_totals() -> dict[str, int]:
    """The live grants' total (fen) of the voucher programme's two policies."""
    rows = (
        Grant.objects.filter(policy__code__in=(CITY_VOUCHER, DISTRICT_TOPUP))
        .exclude(status=GrantStatus.CANCELLED)
        .values_list("policy__code")
        .annotate(s=Sum("amount_fen"))
    )
    return {code: int(s or 0) for code, s in rows}
