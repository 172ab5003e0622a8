"""Grants (免申即享 and approved applications), the policy budget, re-confirmation and payment.

A policy in the grant-without-application mode offers its met, offered matches with a known
amount (``grant_candidates``, from the stored ``Match`` rows) to their subjects: one click
(:func:`confirm`) creates the grant with the computed amount. The lead department re-confirms
(二次确认) the pending grants in a batch (:func:`reconfirm`); confirmed grants form a payment
batch (:func:`create_batch`) exported to Excel for the finance office, marked paid by hand
(:func:`mark_paid`) or from the returned sheet (:func:`import_paid`, all-or-nothing).

Two guarantees are the database's, not a query's:

* **Budget.** :func:`charge` adds a grant's amount to ``PolicyBudget.committed_fen`` by one
  conditional UPDATE (``WHERE committed_fen <= budget - amount``). On PostgreSQL concurrent
  updates of the row queue on its lock and each re-checks the condition on the row as the one
  before left it; on SQLite writers are serialised. However many confirmations arrive at once,
  their sum never exceeds the budget (tests/policies/test_grants_pg.py: 50 threads, room for
  10, exactly 10 grants). A cancelled grant gives its amount back.
* **Once per period.** ``Grant`` is unique on (policy, subject, period) among grants not
  cancelled; a second confirmation or approval in the period is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Viewer
from gridlight.core.bulk import in_list
from gridlight.core.errors import ConflictError, DomainError, ImportRejected, RowError
from gridlight.core.models import User
from gridlight.core.spreadsheets import Column, read_sheet
from gridlight.policies.access import batches_visible, grants_workable, subject_key, subject_q
from gridlight.policies.models import (
    Application,
    Grant,
    GrantSource,
    GrantStatus,
    Match,
    MatchState,
    MatchStatus,
    Mode,
    PaymentBatch,
    Policy,
    PolicyBudget,
    PolicyVersion,
    VersionStatus,
)
from gridlight.policies.templatetags.policies import yuan
from gridlight.talent.models import Enterprise, Talent
from gridlight.talent.subject import changed as profiles_changed
from gridlight.talent.subject import gathered as profiles_gathered

audit.register_actions(
    "grant",
    gettext_lazy("Grant"),
    {
        "create": gettext_lazy("granted"),
        "confirm": gettext_lazy("confirmed by the recipient"),
        "reconfirm": gettext_lazy("re-confirmed"),
        "cancel": gettext_lazy("cancelled"),
        "batch": gettext_lazy("payment batch made"),
        "paid": gettext_lazy("marked paid"),
    },
)

LIVE = (GrantStatus.PENDING, GrantStatus.CONFIRMED, GrantStatus.BATCHED, GrantStatus.PAID)
MAX_BATCH = 5_000


def period_of(policy: Policy, day: date) -> str:
    """The period a grant counts in: the policy's own period when it has one, else the
    calendar year of ``day`` (a yearly benefit)."""
    if policy.period_start or policy.period_end:
        start = policy.period_start.isoformat() if policy.period_start else ""
        end = policy.period_end.isoformat() if policy.period_end else ""
        return f"{start}~{end}"[:24]
    return str(day.year)


def receiving(
    subject_type: str, ids: Sequence[int] | None = None, day: date | None = None
) -> dict[int, set[str]]:
    """What subjects already receive, set-based: ``{subject id: {policy codes}}`` for the
    subjects of ``subject_type`` in ``ids`` (all of them when None) with a live grant (pending
    re-confirmation, confirmed, in a batch or paid) in the policy's current period
    (:func:`period_of` on ``day``). An approved application counts through its grant, made
    in the same transaction as the approval with the period of that day. One query,
    whatever the number of subjects; the matching run's ``receiving_sources`` (registered in
    ``PoliciesConfig.ready``): a received policy is stored as not offered, and never pushed."""
    fk = {"talent": "talent_id", "enterprise": "enterprise_id"}.get(subject_type)
    if fk is None or (ids is not None and not ids):
        return {}
    day = day or timezone.localdate()
    g, p = Grant._meta.db_table, Policy._meta.db_table
    sql = (
        f"SELECT g.{fk}, g.policy_id, g.period, p.code, p.period_start, p.period_end "  # noqa: S608
        f"FROM {g} g JOIN {p} p ON p.id = g.policy_id "
        f"WHERE g.subject_type = %s AND g.status IN ({', '.join(['%s'] * len(LIVE))})"
    )
    params: list[Any] = [subject_type, *LIVE]
    if ids is not None:
        cond, ps = in_list(f"g.{fk}", ids) if len(ids) > 1 else (f"g.{fk} = %s", [ids[0]])
        sql, params = f"{sql} AND {cond}", [*params, *ps]
    current: dict[int, str] = {}
    out: dict[int, set[str]] = {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for sid, policy_id, period, code, start, end in cur.fetchall():
            now = current.get(policy_id)
            if now is None:
                shape = Policy(period_start=_as_date(start), period_end=_as_date(end))
                now = current[policy_id] = period_of(shape, day)
            if period == now:
                out.setdefault(sid, set()).add(code)
    return out


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def receiving_codes(key: str) -> set[str]:
    """The codes of the policies one subject (``talent:12``) already receives: not offered
    again (:func:`receiving`)."""
    subject_type, _sep, pk = key.partition(":")
    return receiving(subject_type, [int(pk)]).get(int(pk), set())


# --- the budget ---------------------------------------------------------------------------------


def charge(policy: Policy, amount_fen: int) -> None:
    """Commit ``amount_fen`` of the policy's budget, or refuse (400) if it does not fit. One
    conditional UPDATE on the budget row: safe under any number of concurrent callers."""
    PolicyBudget.objects.bulk_create([PolicyBudget(policy=policy)], ignore_conflicts=True)
    rows = PolicyBudget.objects.filter(policy_id=policy.pk)
    budget = Policy.objects.filter(pk=policy.pk).values_list("budget_fen", flat=True).get()
    if budget is not None:
        rows = rows.filter(committed_fen__lte=budget - amount_fen)
    if not rows.update(committed_fen=F("committed_fen") + amount_fen):
        raise DomainError(
            _("The policy's budget has no room left for %(y)s yuan.") % {"y": yuan(amount_fen)}
        )


def release(policy: Policy, amount_fen: int) -> None:
    PolicyBudget.objects.filter(policy_id=policy.pk).update(
        committed_fen=F("committed_fen") - amount_fen
    )


# --- creating grants ----------------------------------------------------------------------------


def create_grant(
    *,
    actor: User | None,
    policy: Policy,
    version: PolicyVersion,
    obj: Talent | Enterprise,
    amount_fen: int,
    source: str,
    application: Application | None = None,
    status: str = GrantStatus.CONFIRMED,
) -> Grant:
    """A grant for ``obj``, charged to the budget; refused (400) over budget or when the
    subject has a grant of the policy in the period already. A grant of 0 fen is a benefit in
    kind (or a money benefit an approval decided at 0, with its reason): nothing is charged
    and it is never paid in a batch. Call inside a transaction."""
    if amount_fen < 0 or (amount_fen == 0 and application is None and not version.in_kind):
        raise DomainError(_("A grant of money is more than 0 fen."))
    key = subject_key(obj)
    day = timezone.localdate()
    period = period_of(policy, day)
    if Grant.objects.filter(
        policy=policy, subject_key=key, period=period, status__in=LIVE
    ).exists():
        raise DomainError(_("A grant of this policy was made already in this period."))
    if amount_fen:
        charge(policy, amount_fen)
    grant = Grant(
        policy=policy,
        policy_version=version,
        subject_type=policy.subject_type,
        talent=obj if isinstance(obj, Talent) else None,
        enterprise=obj if isinstance(obj, Enterprise) else None,
        subject_key=key,
        subject_name=obj.name,
        street_id=obj.street_id,
        region_path=obj.region_path,
        period=period,
        amount_fen=amount_fen,
        source=source,
        application=application,
        status=status,
        confirmed_by=actor if getattr(actor, "is_authenticated", False) else None,
        confirmed_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            grant.save()
    except IntegrityError as exc:  # the same subject confirming twice at the same moment
        raise DomainError(_("A grant of this policy was made already in this period.")) from exc
    # The subject receives the policy now: re-matched in this transaction (as after a profile
    # change), its match kept as not offered, and not pushed again.
    profiles_changed(policy.subject_type, [obj.pk])
    audit.record(
        actor=actor,
        action="grant.create" if source == GrantSource.APPLICATION else "grant.confirm",
        obj=grant,
        object_label=f"{policy.title} · {grant.subject_name}",
        region_path=grant.region_path,
        changes={"amount_fen": amount_fen, "period": period, "source": source},
    )
    return grant


def confirmation_text(title: str, code: str, amount_fen: int | None) -> str:
    """The push of a grant-without-application offer (``matching.push_text`` for a policy in
    that mode): the computed amount (0: a benefit in kind) and the link to the one-click
    confirmation in the portal (``policies/portal/mine.html``, the offer's anchor). Only a met
    match with a known amount is pushed in this mode (``matching.queue_pushes``): a subject
    with facts missing sees "possibly for you, add …" on its page and gets no push."""
    from django.urls import reverse

    title = title if len(title) <= 60 else title[:59] + "…"
    link = f"{reverse('policy_portal:mine')}#offer-{code}"
    if amount_fen:
        return _(
            "Granted without application: %(t)s, %(y)s yuan for you. "
            "Confirm with one click: %(link)s"
        ) % {"t": title, "y": yuan(amount_fen), "link": link}
    return _("Granted without application: %(t)s for you. Confirm with one click: %(link)s") % {
        "t": title,
        "link": link,
    }


def grant_candidates(version: PolicyVersion) -> QuerySet[Match]:
    """The subjects a grant-without-application version may be confirmed by: current, met and
    offered stored matches with a known amount above 0 (0 for a benefit in kind), whose subject
    has no live grant of the policy in the current period."""
    period = period_of(version.policy, timezone.localdate())
    granted = Grant.objects.filter(
        policy_id=version.policy_id, period=period, status__in=LIVE
    ).values("subject_key")
    return (
        Match.objects.filter(
            policy_id=version.policy_id,  # through ``match_policy``: the version has no index
            version=version,
            status=MatchStatus.CURRENT,
            state=MatchState.MET,
            offered=True,
            **({"amount_fen": 0} if version.in_kind else {"amount_fen__gt": 0}),
        )
        .exclude(_key_in(granted))
        .order_by("region_path", "subject_id")
    )


def in_kind_versions() -> QuerySet[PolicyVersion, Any]:
    """The published versions whose benefit is not money (``PolicyVersion.in_kind`` in SQL: no
    ``benefit`` in the definition, or an empty one)."""
    return PolicyVersion.objects.filter(
        Q(definition__benefit__isnull=True)
        | Q(definition__benefit=None)
        | Q(definition__benefit={}),
        status=VersionStatus.PUBLISHED,
    ).values("pk")


def _key_in(keys: QuerySet[Any]) -> Q:
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    return Q(
        pk__in=Match.objects.annotate(
            key=Concat(F("subject_type"), Value(":"), Cast("subject_id", CharField()))
        )
        .filter(key__in=keys)
        .values("pk")
    )


def offers_for(user: Viewer) -> QuerySet[Match]:
    """The grant-without-application offers the signed-in talent or enterprise may confirm."""
    from gridlight.talent.access import own_enterprise, own_talent

    talent = own_talent(user)
    enterprise = None if talent else own_enterprise(user)
    if talent is None and enterprise is None:
        return Match.objects.none()
    subject_type, pk = ("talent", talent.pk) if talent else ("enterprise", enterprise.pk)  # type: ignore[union-attr]
    key = f"{subject_type}:{pk}"
    mine = (
        Match.objects.filter(
            # Through ``match_subject_version`` (subject first): the subject keys have no index.
            subject_type=subject_type,
            subject_id=pk,
            policy__mode=Mode.AUTO_GRANT,
            status=MatchStatus.CURRENT,
            state=MatchState.MET,
            offered=True,
        )
        .filter(Q(amount_fen__gt=0) | Q(amount_fen=0, version__in=in_kind_versions()))
        .exclude(policy__in=Grant.objects.filter(subject_key=key, status__in=LIVE).values("policy"))
        .select_related("policy", "version")
    )
    return mine


@transaction.atomic
def confirm(*, actor: User, match_id: int) -> Grant:
    """The subject's one-click confirmation of a grant-without-application offer: the match
    must be its own, current, met and offered, with a known amount; the grant is created with
    that amount, charged to the budget, and waits for the lead department's re-confirmation."""
    match = (
        Match.objects.select_related("policy", "version", "talent", "enterprise")
        .filter(subject_q(actor), pk=match_id)
        .first()
    )
    if match is None:
        raise Http404
    if match.policy.mode != Mode.AUTO_GRANT:
        raise DomainError(_("This policy is applied for online, not confirmed."))
    if match.status != MatchStatus.CURRENT:
        raise DomainError(
            _("This offer was withdrawn: your data or the policy changed since it was made.")
        )
    amount = match.amount_fen  # 0 only for a benefit in kind
    unknown = amount is None or (amount == 0 and not match.version.in_kind)
    if match.state != MatchState.MET or not match.offered or amount is None or unknown:
        raise DomainError(_("This policy is not offered to you with a known amount."))
    obj = match.talent or match.enterprise
    assert obj is not None
    return create_grant(
        actor=actor,
        policy=match.policy,
        version=match.version,
        obj=obj,
        amount_fen=amount,
        source=GrantSource.AUTO,
        status=GrantStatus.PENDING,
    )


# --- re-confirmation, batches, payment ----------------------------------------------------------


@transaction.atomic
def reconfirm(*, actor: User, grant_ids: list[int], approve: bool = True, reason: str = "") -> int:
    """二次确认 of pending grants in the actor's scope, all or none: each is confirmed, or
    cancelled with a reason (its amount back in the budget). Returns how many."""
    reason = (reason or "").strip()[:300]
    if not approve and not reason:
        raise DomainError(_("Give a reason."))
    ids = sorted(set(grant_ids))
    if not ids:
        raise DomainError(_("Choose at least one grant."))
    rows = list(
        grants_workable(actor)
        .select_for_update()
        .filter(pk__in=ids, status=GrantStatus.PENDING)
        .select_related("policy")
    )
    if len(rows) != len(ids):
        raise ConflictError(
            _("Some of these grants are not awaiting re-confirmation any more. Reload the list.")
        )
    now = timezone.now()
    status = GrantStatus.CONFIRMED if approve else GrantStatus.CANCELLED
    Grant.objects.filter(pk__in=ids, status=GrantStatus.PENDING).update(
        status=status,
        reconfirmed_by=actor,
        reconfirmed_at=now,
        cancel_reason="" if approve else reason,
        version=F("version") + 1,
    )
    with profiles_gathered():  # the cancelled subjects re-matched together, at the end
        for g in rows:
            if not approve:
                release(g.policy, g.amount_fen)
                # No longer received: offered again by the re-match.
                profiles_changed(g.subject_type, [g.talent_id or g.enterprise_id or 0])
            audit.record(
                actor=actor,
                action="grant.reconfirm" if approve else "grant.cancel",
                obj=g,
                object_label=f"{g.policy.title} · {g.subject_name}",
                region_path=g.region_path,
                changes={"reason": reason} if reason else {},
            )
    return len(rows)


@transaction.atomic
def create_batch(*, actor: User, policy: Policy) -> PaymentBatch:
    """A payment batch of the policy's confirmed grants of money in the actor's scope (a
    benefit in kind, at 0 fen, is not paid)."""
    grants = (
        grants_workable(actor)
        .select_for_update()
        .filter(policy=policy, status=GrantStatus.CONFIRMED, amount_fen__gt=0)
    )
    ids = list(grants.order_by("pk").values_list("pk", flat=True)[: MAX_BATCH + 1])
    if not ids:
        raise DomainError(_("No confirmed grant of this policy is waiting for payment."))
    if len(ids) > MAX_BATCH:
        ids = ids[:MAX_BATCH]
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    number = (PaymentBatch.objects.filter(policy=locked).count() or 0) + 1
    total = Grant.objects.filter(pk__in=ids).aggregate(s=Sum("amount_fen"))["s"] or 0
    batch = PaymentBatch.objects.create(
        policy=locked,
        number=number,
        region_path=locked.region_path,
        total_fen=total,
        count=len(ids),
        created_by=actor,
    )
    Grant.objects.filter(pk__in=ids, status=GrantStatus.CONFIRMED).update(
        status=GrantStatus.BATCHED, batch=batch, version=F("version") + 1
    )
    audit.record(
        actor=actor,
        action="grant.batch",
        obj=batch,
        object_label=f"{locked.title} #{number}",
        region_path=locked.region_path,
        changes={"count": len(ids), "total_fen": total},
    )
    return batch


def _get_batch(actor: User, batch: PaymentBatch) -> PaymentBatch:
    if not batches_visible(actor).filter(pk=batch.pk).exists():
        raise Http404
    return batch


@transaction.atomic
def mark_paid(
    *, actor: User, batch: PaymentBatch, version: int, paid_on: date | None = None
) -> PaymentBatch:
    """The finance office paid the whole batch: the batch and each of its grants are paid."""
    _get_batch(actor, batch)
    day = paid_on or timezone.localdate()
    updated = PaymentBatch.objects.filter(pk=batch.pk, version=version, paid=False).update(
        paid=True, paid_on=day, version=F("version") + 1
    )
    if not updated:
        raise ConflictError(_("This batch was changed or paid already. Reload it."))
    Grant.objects.filter(batch=batch, status=GrantStatus.BATCHED).update(
        status=GrantStatus.PAID, paid_on=day, version=F("version") + 1
    )
    batch.refresh_from_db()
    audit.record(
        actor=actor,
        action="grant.paid",
        obj=batch,
        object_label=f"{batch.policy.title} #{batch.number}",
        region_path=batch.region_path,
        changes={"paid_on": day.isoformat(), "count": batch.count},
    )
    return batch


# The payment sheet: exported per batch; the finance office returns it with 已支付 filled in.
PAY_SHEET = "payment"
PAY_COLUMNS = [
    Column("grant_id", "授予编号", "grant id", required=True),
    Column("recipient", "领取对象", "recipient"),
    Column("street", "街道", "street"),
    Column("period", "期间", "period"),
    Column("amount_fen", "金额(分)", "amount (fen)", required=True),
    Column("amount_yuan", "金额(元)", "amount (yuan)"),
    Column("paid", "已支付", "paid", required=True, note="是 / 否"),
]
PAID_YES = {"是", "已支付", "yes", "y", "paid", "1", "true"}


def import_paid(*, actor: User, batch: PaymentBatch, version: int, data: bytes) -> PaymentBatch:
    """Read the finance office's returned sheet: every grant of the batch listed once, with
    its amount unchanged and 已支付 = 是. Any other row is a row-level error and nothing is
    written (all-or-nothing); then the batch is marked paid."""
    import io

    _get_batch(actor, batch)
    if batch.paid:
        raise DomainError(_("This batch was paid already."))
    expected = dict(Grant.objects.filter(batch=batch).values_list("pk", "amount_fen"))
    errors: list[RowError] = []
    seen: set[int] = set()
    for number, row in read_sheet(io.BytesIO(data), PAY_COLUMNS, sheet=PAY_SHEET).rows:
        gid, amount, paid = row.get("grant_id"), row.get("amount_fen"), row.get("paid")
        if not isinstance(gid, int) or gid not in expected:
            errors.append(RowError(number, "grant_id", _("Not a grant of this batch.")))
            continue
        if gid in seen:
            errors.append(RowError(number, "grant_id", _("Listed twice.")))
        seen.add(gid)
        if amount != expected[gid]:
            errors.append(RowError(number, "amount_fen", _("The amount was changed.")))
        if str(paid if paid is not None else "").strip().lower() not in PAID_YES:
            errors.append(RowError(number, "paid", _("Not marked paid (是).")))
    for gid in sorted(set(expected) - seen):
        errors.append(
            RowError(0, "grant_id", _("Grant %(id)s of the batch is missing.") % {"id": gid})
        )
    if errors:
        raise ImportRejected(errors)
    return mark_paid(actor=actor, batch=batch, version=version)
