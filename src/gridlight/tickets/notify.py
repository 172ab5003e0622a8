"""Delivering the outbox: each pending notice to its recipients' in-app inbox, and by SMS to a
requester who left a phone number. A notice about a ticket reaches only those of its addressees
(the requester, or the members of a unit) who may see the ticket (``access.readers``).

Exactly once, as far as it can be had (docs/tickets-supervision.md):

* In-app delivery is transactional. One transaction per batch takes pending notices (on
  PostgreSQL ``FOR UPDATE SKIP LOCKED``, so two senders never take the same notice; SQLite's
  IMMEDIATE transactions let one sender write at a time), writes their ``Message`` rows and marks
  them sent. A sender killed mid-way rolls back: the notices are still pending and no message was
  kept. The unique (notice, user) constraint, with ``ignore_conflicts``, backs this up.
* SMS leaves the database, so no transaction covers it. Each SMS carries the notice key as the
  provider's idempotency key: a sender that dies after the provider accepted a message, but
  before its own commit, sends it again with the same key on the next run, and the provider
  drops the repeat. Delivery to the phone is thus exactly once if the provider honours the key
  (the fake gateway below does), at least once otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from gridlight.core.bulk import bulk_insert
from gridlight.core.crypto import DecryptionError, decrypt, mask_phone
from gridlight.core.models import User
from gridlight.tickets.access import readers
from gridlight.tickets.models import Message, Notice, NoticeStatus, Ticket, Unit

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
SMS_OUTBOX = "sms-outbox.jsonl"
# Tests: seconds a batch waits after its SMS left and before it commits, so that a worker can
# be killed in that window (tests/policies/test_push_celery.py).
SEND_PAUSE_ENV = "GRIDLIGHT_SEND_PAUSE_AFTER_SMS"


class Sms(NamedTuple):
    key: str  # the idempotency key: the notice's key
    phone: str
    text: str


class SmsGateway(Protocol):
    def send_many(self, messages: Sequence[Sms]) -> set[str]:
        """Send each message to its phone; a key the provider has already taken is dropped as
        a repeat. Returns the keys of the messages that failed (tried again later, same key);
        raising means that all of them failed."""


class FakeSmsGateway:
    """The default gateway: appends ``{key, phone_masked, text}`` as a JSON line to
    ``DATA_DIR/sms-outbox.jsonl``. Like a real provider it honours the idempotency key: a key it
    has already recorded is accepted again without a second line. One batch is one lock and
    one append, however many messages it holds."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(settings.DATA_DIR) / SMS_OUTBOX
        # The keys read so far and where reading stopped: each batch reads only the lines other
        # senders appended since (a hundred thousand pushes are not a quadratic re-read).
        self._keys: set[str] = set()
        self._offset = 0

    def send_many(self, messages: Sequence[Sms]) -> set[str]:
        if not messages:
            return set()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        masked: dict[str, str] = {}
        with self.path.open("a+b") as f:
            _lock(f)
            f.seek(0, 2)
            if f.tell() < self._offset:  # the file was replaced: read it again
                self._keys.clear()
                self._offset = 0
            f.seek(self._offset)
            for line in f:
                if line.strip():
                    self._keys.add(json.loads(line).get("key"))
            lines = []
            for m in messages:
                if m.key in self._keys:
                    continue
                phone = masked.get(m.phone) or masked.setdefault(m.phone, mask_phone(m.phone))
                record = {"key": m.key, "phone_masked": phone, "text": m.text}
                lines.append(json.dumps(record, ensure_ascii=False) + "\n")
                self._keys.add(m.key)
            f.write("".join(lines).encode())
            f.flush()
            self._offset = f.tell()
        return set()


def _lock(f: Any) -> None:
    """Hold an exclusive lock on the file until it is closed (several senders may run)."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: one sender at a time is assumed
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_EX)


def gateway() -> SmsGateway:
    path = getattr(settings, "GRIDLIGHT_SMS_GATEWAY", "gridlight.tickets.notify.FakeSmsGateway")
    gw: SmsGateway = import_string(path)()
    return gw


def send_pending(batch: int = 500, sms: SmsGateway | None = None) -> int:
    """Deliver pending notices, one transaction per batch, until none is left that no other
    sender holds; returns how many this call delivered.

    Each batch starts after the last notice the previous one took: a notice whose SMS failed
    is tried again on the next call, not in a loop, and the index of pending notices is not
    walked again from its start past the entries of those just sent. A notice committed late
    with a smaller id (its transaction began earlier) is left to the next call."""
    sms = sms or gateway()
    total = 0
    after = 0
    while True:
        with transaction.atomic():
            delivered, taken, after = _send_batch(batch, sms, after)
        total += delivered
        if taken < batch:
            return total


class _Pending(NamedTuple):
    """A pending notice as the sender reads it: a row, not a model instance."""

    id: int
    key: str
    ticket_id: int | None
    unit_id: int | None
    recipient_id: int | None
    text: str
    phone_enc: str
    attempts: int


class _Ticket(NamedTuple):
    requester_id: int | None
    requester_phone_enc: str


MESSAGE_COLUMNS = ["notice_id", "user_id", "text", "ticket_id", "created_at"]


def _send_batch(size: int, sms: SmsGateway, after: int) -> tuple[int, int, int]:
    """Deliver up to ``size`` pending notices with ids above ``after``; returns how many were
    delivered, how many taken, and the last id taken."""
    qs = Notice.objects.filter(status=NoticeStatus.PENDING, pk__gt=after).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    notices = [_Pending(*row) for row in qs.values_list(*_Pending._fields)[:size]]
    if not notices:
        return 0, 0, after
    # Their tickets in one query, when there are any (a batch of policy pushes has none).
    ticket_ids = {n.ticket_id for n in notices if n.ticket_id}
    tickets = {
        pk: _Ticket(requester, phone or "")
        for pk, requester, phone in Ticket.objects.filter(pk__in=ticket_ids).values_list(
            "pk", "requester_id", "requester_phone_enc"
        )
    }
    now = timezone.now()
    members: dict[int, list[int]] = {}
    unit_ids = {n.unit_id for n in notices if n.unit_id and not n.recipient_id}
    for unit_id, user_id in Unit.members.through.objects.filter(unit_id__in=unit_ids).values_list(
        "unit_id", "user_id"
    ):
        members.setdefault(unit_id, []).append(user_id)
    addressed = {
        n.id: [n.recipient_id] if n.recipient_id else members.get(n.unit_id or 0, [])
        for n in notices
    }
    # Only those who may see the ticket are told about it (its title is in the text).
    allowed = readers((u, n.ticket_id) for n in notices if n.ticket_id for u in addressed[n.id])
    db_now = connection.ops.adapt_datetimefield_value(now)
    messages = [
        (n.id, u, n.text, n.ticket_id, db_now)
        for n in notices
        for u in addressed[n.id]
        if not n.ticket_id or (u, n.ticket_id) in allowed
    ]
    bulk_insert(Message._meta.db_table, MESSAGE_COLUMNS, messages, ignore_conflicts=True)
    failed = _texted(notices, tickets, sms)
    pause = float(os.environ.get(SEND_PAUSE_ENV) or 0)
    if pause:  # tests: the SMS are out, the batch not yet committed
        time.sleep(pause)
    sent = [n.id for n in notices if n.id not in failed]
    _mark(
        sent,
        "status = %s, sent_at = %s, attempts = attempts + 1",
        [NoticeStatus.SENT.value, db_now],
    )
    if failed:
        # The in-app messages are kept (a retry adds none: one per notice and user); the SMS is
        # tried again with the same key until MAX_ATTEMPTS.
        _mark(
            sorted(failed),
            "attempts = attempts + 1, status = CASE WHEN attempts + 1 >= %s THEN %s "
            "ELSE status END",
            [MAX_ATTEMPTS, NoticeStatus.FAILED.value],
        )
    return len(sent), len(notices), notices[-1].id


def _texted(notices: Iterable[_Pending], tickets: dict[int, _Ticket], sms: SmsGateway) -> set[int]:
    """Text the batch's notices that have a phone, in one call of the gateway; returns the ids
    of the notices whose SMS failed."""
    phones: dict[str, str | None] = {}  # each token decrypted once (a talent's several pushes)
    outgoing: dict[str, int] = {}
    messages: list[Sms] = []
    for n in notices:
        token = _phone_of(n, tickets)
        if not token:
            continue
        if token not in phones:
            try:
                phones[token] = decrypt(token)
            except DecryptionError:
                phones[token] = None
        phone = phones[token]
        if phone is None:
            log.warning("notice %s: the phone cannot be decrypted; no SMS", n.key)
            continue
        outgoing[n.key] = n.id
        messages.append(Sms(n.key, phone, n.text))
    if not messages:
        return set()
    try:
        failed = sms.send_many(messages)
    except Exception:  # the gateway is the edge of the world: record, retry later
        log.exception("SMS failed for %s notices (first %s)", len(messages), messages[0].key)
        return set(outgoing.values())
    for key in failed:
        log.warning("notice %s: SMS failed", key)
    return {outgoing[key] for key in failed if key in outgoing}


def _phone_of(n: _Pending, tickets: dict[int, _Ticket]) -> str:
    """The requester's phone when the notice is for them and they left one, or the notice's
    own phone (a policy push); "" for no SMS."""
    ticket = tickets.get(n.ticket_id) if n.ticket_id else None
    if ticket is None:
        return n.phone_enc
    if not n.recipient_id or n.recipient_id != ticket.requester_id:
        return ""
    return ticket.requester_phone_enc


def _mark(ids: list[int], assignments: str, params: list[Any]) -> None:
    """One ``UPDATE`` of these notices (``assignments`` is our own SQL, never input)."""
    if not ids:
        return
    if connection.vendor == "postgresql":  # one array parameter, not thousands to parse
        where, args = "id = ANY(%s)", [*params, ids]
    else:
        where, args = f"id IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {Notice._meta.db_table} SET {assignments} WHERE {where}", args)  # noqa: S608


def messages_mark_read(*, user: User, ids: list[int]) -> int:
    """Mark the user's own messages among ``ids`` as read (a list page shows them); returns how
    many were unread. Someone else's message is never touched."""
    if not ids:
        return 0
    return Message.objects.filter(pk__in=ids, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
