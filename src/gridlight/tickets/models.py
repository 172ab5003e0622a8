"""Closed-loop tickets (问题快速闭环): the catalogue with SLA policies, units and their handlers,
tickets with one FSM ``status``, the transition log every KPI is computed from, the per-dispatch
facts folded from that log, attachments and the notification outbox."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, transition

from gridlight.core.models import Region


class SlaPolicy(models.Model):
    """Deadlines in working days. Defaults follow Shandong 12345 practice: handle within 5
    working days, extensions up to 10 in all, return within 2, yellow card 1 working day before
    the deadline, red card after it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    response_days = models.PositiveSmallIntegerField(_("sign within (working days)"), default=1)
    handle_days = models.PositiveSmallIntegerField(_("handle within (working days)"), default=5)
    max_extension_days = models.PositiveSmallIntegerField(
        _("extension at most (working days)"), default=10
    )
    return_days = models.PositiveSmallIntegerField(_("return within (working days)"), default=2)
    yellow_days = models.PositiveSmallIntegerField(
        _("yellow card (working days before deadline)"), default=1
    )
    supervise_days = models.PositiveSmallIntegerField(
        _("supervision (working days after deadline)"), default=2
    )
    verify_on_site = models.BooleanField(_("on-site verification"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    STREET = "street", _("Street office")
    COMMUNITY = "community", _("Community")


class Unit(models.Model):
    """A unit tickets are dispatched to (承办单位): a district department or a street office."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="ticket_units"
    )

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A kind of problem in a two-level tree, with its default unit and SLA policy."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="+")
    default_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Dispatched to the office of the street where the problem is, rather than default_unit.
    to_street = models.BooleanField(_("to the street office"), default=False)
    talent = models.BooleanField(_("talent service"), default=False)
    public = models.BooleanField(_("residents may choose it"), default=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Awaiting dispatch")
    REJECTED = "rejected", _("Rejected")
    DISPATCHED = "dispatched", _("Dispatched")
    SIGNED = "signed", _("Signed for")
    IN_PROGRESS = "in_progress", _("In progress")
    HANDLED = "handled", _("Awaiting verification")
    FOLLOW_UP = "follow_up", _("Awaiting follow-up")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.SIGNED,
    Status.IN_PROGRESS,
    Status.HANDLED,
    Status.FOLLOW_UP,
)
# Statuses in which a unit holds the ticket and its deadline runs.
WITH_UNIT = (Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS)


class _StatusIn(models.Expression):
    """``status IN ('submitted', …)`` with the statuses written into the SQL text.

    The open tickets — a few thousand among a million — have a partial index
    (``ticket_open_path``, condition ``status IN OPEN_STATUSES``). PostgreSQL proves that a query
    implies the condition whatever the query's form, but SQLite uses a partial index only when
    the query's WHERE contains the index's condition term for term, with the same constants: a
    bound parameter does not count. Django binds every value it is given, so open-work queries
    filter with this expression (through :func:`open_work`) instead of ``status__in``."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, statuses: tuple[str, ...]) -> None:
        super().__init__()
        if not all(re.fullmatch(r"[a-z_]+", s) for s in statuses):
            raise ValueError(statuses)  # constants of this module only: nothing to quote
        self.statuses = tuple(str(s) for s in statuses)
        self.column: Any = models.F("status")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.statuses!r})"

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.column)
        values = ", ".join(f"'{s}'" for s in self.statuses)
        return f"{column} IN ({values})", list(params)


def open_work() -> models.Expression:
    """The filter for open tickets that the partial index ``ticket_open_path`` serves on both
    databases: ``Ticket.objects.filter(open_work(), …)``. Counting open work over a district
    reads the few thousand open tickets, not the million closed ones."""
    return _StatusIn(OPEN_STATUSES)


class Source(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    TALENT = "talent", _("Talent")
    GRID = "grid", _("Grid visit")
    HOTLINE = "hotline", _("Hotline")
    OPEN311 = "open311", _("Open311")


class Card(models.TextChoices):
    NONE = "", _("None")
    YELLOW = "yellow", _("Yellow card")
    RED = "red", _("Red card")


class CloseReason(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    EXPLAINED = "explained", _("Explained")
    DUPLICATE = "duplicate", _("Duplicate")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    BACKLOG = "backlog", _("Backlog")
    REJECTED = "rejected", _("Rejected")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Ticket(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    street = models.ForeignKey(Region, null=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # Indexed by ticket_requester (requester, created_at), as unit by ticket_unit_status: a
    # second index of the leading column alone would only cost every insert.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    requester_name = models.CharField(pgettext_lazy("person", "name"), max_length=60, blank=True)
    requester_phone_enc = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    visit = models.ForeignKey(
        "households.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    talent = models.BooleanField(default=False)
    # The submitting client's idempotency key: a retried submission returns the first ticket.
    client_key = models.CharField(max_length=64, blank=True, default="")

    status = FSMField(default=Status.SUBMITTED, choices=Status.choices, protected=False)
    version = models.PositiveIntegerField(default=1)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    round = models.PositiveSmallIntegerField(default=0)  # dispatches so far (返单/重办 add one)

    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sign_due = models.DateTimeField(null=True, blank=True)
    return_due = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    yellow_at = models.DateTimeField(null=True, blank=True)
    supervise_at = models.DateTimeField(null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(default=0)  # approved, all rounds
    extension_requested = models.PositiveSmallIntegerField(default=0)  # pending request
    extension_reason = models.CharField(max_length=200, blank=True)
    card = models.CharField(_("card"), max_length=6, choices=Card.choices, blank=True, default="")
    supervised = models.BooleanField(_("under supervision"), default=False)
    return_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    resolved = models.BooleanField(null=True)  # as the person judged it
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True)
    rated = models.BooleanField(default=False)  # rated in the current round
    close_reason = models.CharField(max_length=12, choices=CloseReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["region_path", "created_at"], name="ticket_path_created"),
            models.Index(fields=["status", "due_at"], name="ticket_status_due"),
            models.Index(fields=["unit", "status"], name="ticket_unit_status"),
            models.Index(fields=["requester", "created_at"], name="ticket_requester"),
            # Open work (consoles, supervision board, home page): a few thousand rows. Queries
            # reach it through open_work(), which SQLite matches to this condition.
            models.Index(
                fields=["status", "region_path"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="ticket_open_path",
            ),
            # Talent problems solved, by the time closed (talent.problems.SOLVED, the "problems
            # solved" KPI): the few talent tickets closed as resolved among all tickets.
            models.Index(
                fields=["closed_at"],
                condition=models.Q(talent=True, status="closed", close_reason="resolved"),
                name="ticket_talent_solved",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_key"],
                condition=~models.Q(client_key=""),
                name="ticket_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def number(self) -> str:
        return f"{timezone.localtime(self.created_at):%Y%m%d}-{self.pk:07d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # --- the lifecycle (django-fsm): state changes only; services set the rest and log them ---

    @transition(field=status, source=Status.SUBMITTED, target=Status.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=status, source=[Status.SUBMITTED, Status.ACCEPTED], target=Status.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=status, source=Status.ACCEPTED, target=Status.DISPATCHED)
    def dispatch(self) -> None:
        pass

    @transition(field=status, source=Status.DISPATCHED, target=Status.SIGNED)
    def sign(self) -> None:
        pass

    @transition(field=status, source=Status.SIGNED, target=Status.IN_PROGRESS)
    def start(self) -> None:
        pass

    @transition(field=status, source=[Status.DISPATCHED, Status.SIGNED], target=Status.ACCEPTED)
    def send_back(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.SIGNED, Status.IN_PROGRESS],
        target=RETURN_VALUE(Status.HANDLED, Status.FOLLOW_UP),
    )
    def handle(self, verify_on_site: bool) -> str:
        return Status.HANDLED if verify_on_site else Status.FOLLOW_UP

    @transition(
        field=status,
        source=Status.HANDLED,
        target=RETURN_VALUE(Status.FOLLOW_UP, Status.IN_PROGRESS),
    )
    def verify(self, passed: bool) -> str:
        return Status.FOLLOW_UP if passed else Status.IN_PROGRESS

    def _not_rated(self) -> bool:
        return not self.rated

    @transition(
        field=status,
        source=Status.FOLLOW_UP,
        target=Status.FOLLOW_UP,
        conditions=[_not_rated],  # type: ignore[list-item]
    )
    def rate(self) -> None:
        pass

    @transition(field=status, source=Status.FOLLOW_UP, target=Status.DISPATCHED)
    def reopen(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.SUBMITTED, Status.ACCEPTED, Status.FOLLOW_UP],
        target=Status.CLOSED,
    )
    def close(self) -> None:
        pass

    @transition(
        field=status,
        source=[
            Status.SUBMITTED,
            Status.ACCEPTED,
            Status.DISPATCHED,
            Status.SIGNED,
            Status.IN_PROGRESS,
        ],
        target=Status.CLOSED,
    )
    def withdraw(self) -> None:
        pass

    @transition(field=status, source=[Status.SIGNED, Status.IN_PROGRESS], target=None)
    def request_extension(self) -> None:
        pass

    @transition(field=status, source=[Status.SIGNED, Status.IN_PROGRESS], target=None)
    def decide_extension(self) -> None:
        pass


class Step(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    ACCEPT = "accept", _("Accepted")
    REJECT = "reject", _("Rejected")
    DISPATCH = "dispatch", _("Dispatched")
    SIGN = "sign", _("Signed for")
    START = "start", _("Work started")
    SEND_BACK = "send_back", _("Returned to the dispatcher")
    HANDLE = "handle", _("Handled")
    VERIFY = "verify", _("Verified")
    RATE = "rate", _("Rated")
    REOPEN = "reopen", _("Reopened")
    CLOSE = "close", _("Closed")
    WITHDRAW = "withdraw", _("Withdrawn")
    REQUEST_EXTENSION = "request_extension", _("Extension requested")
    DECIDE_EXTENSION = "decide_extension", _("Extension decided")
    CARD = "card", _("Card shown")
    SUPERVISE = "supervise", _("Put under supervision")


class Transition(models.Model):
    """One step of a ticket's life; KPIs and the ticket's timeline are read from these rows."""

    # Indexed by transition_ticket_at (ticket, at).
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="transitions", db_index=False
    )
    name = models.CharField(max_length=24, choices=Step.choices)
    source = models.CharField(max_length=12)
    target = models.CharField(max_length=12)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    round = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="transition_ticket_at")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.name}"


class DispatchFact(models.Model):
    """What happened to one dispatch of a ticket to a unit, folded from the transition log
    (see ``kpi.fold``): the unit of every KPI. Kept current by each transition in its own
    transaction and rebuildable from the log (``gridlight rebuild_ticket_facts``)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField()
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    street = models.ForeignKey(Region, null=True, on_delete=models.PROTECT, related_name="+")
    talent = models.BooleanField(default=False)
    month = models.DateField()  # first day of the dispatch's month: the KPI period
    dispatched_at = models.DateTimeField()
    responded = models.BooleanField(default=False)  # signed or returned
    responded_on_time = models.BooleanField(default=False)
    returned = models.BooleanField(default=False)
    handled = models.BooleanField(default=False)
    handled_on_time = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)  # handled late, or still open after the deadline
    rated = models.BooleanField(default=False)
    resolved = models.BooleanField(default=False)
    satisfied = models.BooleanField(default=False)  # satisfied or basically satisfied
    reopened = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "round"], name="fact_ticket_round"),
        ]
        indexes = [
            models.Index(fields=["month", "unit"], name="fact_month_unit"),
            models.Index(fields=["region_path", "month"], name="fact_path_month"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.round}"


class DispatchMonth(models.Model):
    """The dispatch facts summed per month, unit, category, community and talent flag: what the
    KPI pages read instead of a year's facts. Kept by database triggers on ``DispatchFact``
    (migration 0009), so every writer of facts — a transition, the sweeper's set-based update,
    a rebuild, the demo's bulk insert — moves it in the same transaction. ``region_path`` is the
    community's path (the street's, for a ticket placed at a street): a viewer whose scope is a
    grid reads the facts themselves (``tickets.kpi.facts_for``)."""

    month = models.DateField()
    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    category = models.ForeignKey(
        Category, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    street = models.ForeignKey(
        Region, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    region_path = models.CharField(max_length=255)
    talent = models.BooleanField(default=False)
    dispatches = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    responded_on_time = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    handled_on_time = models.IntegerField(default=0)
    timed = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit", "category", "region_path", "talent"],
                name="dispatchmonth_key",
            ),
        ]
        indexes = [models.Index(fields=["region_path", "month"], name="dispatchmonth_path")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_path} {self.unit_id}/{self.category_id}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(models.Model):
    """The outbox. ``key`` names the event (ticket, kind, round, deadline), so a sweep that runs
    again, or is cut off and restarted, cannot queue the same notice twice; the sender marks a
    notice sent in the same transaction that delivers it to the in-app inbox.

    Every notice is written once and updated once (sent), a hundred thousand at a time for a
    policy push, so it keeps few indexes: the key's unique constraint (no pattern index: keys
    are looked up whole), the pending notices in id order (the sender's), and the foreign keys
    only where set (a policy push has no ticket and no unit; the indexes serve the cascades)."""

    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=20)
    ticket = models.ForeignKey(
        Ticket, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    unit = models.ForeignKey(
        Unit, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    text = models.CharField(max_length=300)
    # An SMS to this (encrypted) phone, for notices not about a ticket (a policy push to a
    # talent): the sender texts it with the notice key as the idempotency key.
    phone_enc = models.TextField(blank=True, default="", db_default="")
    status = models.CharField(
        max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key"], name="notice_key")]
        indexes = [
            models.Index(fields=["status", "id"], name="notice_status"),
            models.Index(
                fields=["ticket"], name="notice_ticket", condition=models.Q(ticket__isnull=False)
            ),
            models.Index(
                fields=["unit"], name="notice_unit", condition=models.Q(unit__isnull=False)
            ),
            models.Index(
                fields=["recipient"],
                name="notice_recipient",
                condition=models.Q(recipient__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Message(models.Model):
    """A notice delivered to a user's in-app inbox (one row per notice and recipient)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    ticket = models.ForeignKey(Ticket, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="message_notice_user"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="message_user_read")]

    def __str__(self) -> str:
        return self.text
