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
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from gridlight.core.crypto import DecryptionError, decrypt, mask_phone
from gridlight.core.models import User
from gridlight.tickets.access import readers
from gridlight.tickets.models import Message, Notice, NoticeStatus, Ticket, Unit

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
SMS_OUTBOX = "sms-outbox.jsonl"


class SmsGateway(Protocol):
    def send(self, *, key: str, phone: str, text: str) -> None:
        """Send ``text`` to ``phone``; ``key`` is the idempotency key (a repeat is dropped).
        Raise on failure; the notice stays pending and is tried again."""


class FakeSmsGateway:
    """The default gateway: appends ``{key, phone_masked, text}`` as a JSON line to
    ``DATA_DIR/sms-outbox.jsonl``. Like a real provider it honours the idempotency key: a key it
    has already recorded is accepted again without a second line."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(settings.DATA_DIR) / SMS_OUTBOX
        # The keys read so far and where reading stopped: each send reads only the lines other
        # senders appended since (a hundred thousand pushes are not a quadratic re-read).
        self._keys: set[str] = set()
        self._offset = 0

    def send(self, *, key: str, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
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
            if key in self._keys:
                self._offset = f.tell()
                return
            record = {"key": key, "phone_masked": mask_phone(phone), "text": text}
            f.write((json.dumps(record, ensure_ascii=False) + "\n").encode())
            f.flush()
            self._offset = f.tell()
            self._keys.add(key)


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
    sender holds; returns how many this call delivered."""
    sms = sms or gateway()
    total = 0
    failed: set[int] = set()  # SMS failed in this call: tried again next call, not in a loop
    while True:
        with transaction.atomic():
            delivered, taken = _send_batch(batch, sms, failed)
        total += delivered
        if taken < batch:
            return total


def _send_batch(size: int, sms: SmsGateway, skip: set[int]) -> tuple[int, int]:
    qs = Notice.objects.filter(status=NoticeStatus.PENDING).order_by("id")
    if skip:
        qs = qs.exclude(pk__in=skip)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    notices = list(qs[:size])
    if not notices:
        return 0, 0
    # Their tickets in one query, when there are any (a batch of policy pushes has none: a
    # join would read and convert a ticket's empty columns for every notice).
    ticket_ids = {n.ticket_id for n in notices if n.ticket_id}
    if ticket_ids:
        tickets = Ticket.objects.in_bulk(ticket_ids)
        for n in notices:
            if n.ticket_id:
                n.ticket = tickets[n.ticket_id]
    now = timezone.now()
    members: dict[int, list[int]] = {}
    unit_ids = {n.unit_id for n in notices if n.unit_id and not n.recipient_id}
    for unit_id, user_id in Unit.members.through.objects.filter(unit_id__in=unit_ids).values_list(
        "unit_id", "user_id"
    ):
        members.setdefault(unit_id, []).append(user_id)
    addressed = {
        n.pk: [n.recipient_id] if n.recipient_id else members.get(n.unit_id or 0, [])
        for n in notices
    }
    # Only those who may see the ticket are told about it (its title is in the text).
    allowed = readers((u, n.ticket_id) for n in notices if n.ticket_id for u in addressed[n.pk])
    messages: list[Message] = []
    sent: list[int] = []
    failed: list[int] = []
    for n in notices:
        users = [u for u in addressed[n.pk] if not n.ticket_id or (u, n.ticket_id) in allowed]
        messages += [
            Message(notice=n, user_id=u, text=n.text, ticket_id=n.ticket_id, created_at=now)
            for u in users
        ]
        if _sms(n, sms):
            sent.append(n.pk)
        else:
            failed.append(n.pk)
    Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
    Notice.objects.filter(pk__in=sent).update(
        status=NoticeStatus.SENT, sent_at=now, attempts=F("attempts") + 1
    )
    if failed:
        # The in-app messages are kept (a retry adds none: one per notice and user); the SMS is
        # tried again with the same key until MAX_ATTEMPTS.
        Notice.objects.filter(pk__in=failed).update(attempts=F("attempts") + 1)
        Notice.objects.filter(pk__in=failed, attempts__gte=MAX_ATTEMPTS).update(
            status=NoticeStatus.FAILED
        )
        skip.update(failed)
    return len(sent), len(notices)


def _sms(n: Notice, sms: SmsGateway) -> bool:
    """Text the requester when the notice is for them and they left a phone number, or the
    notice's own phone (a policy push); False when the gateway failed."""
    ticket = n.ticket
    if ticket is None and n.phone_enc:
        return _sms_to(n, n.phone_enc, sms)
    if (
        ticket is None
        or not n.recipient_id
        or n.recipient_id != ticket.requester_id
        or not ticket.requester_phone_enc
    ):
        return True
    return _sms_to(n, ticket.requester_phone_enc, sms)


def _sms_to(n: Notice, phone_enc: str, sms: SmsGateway) -> bool:
    try:
        phone = decrypt(phone_enc)
    except DecryptionError:
        log.warning("notice %s: the phone cannot be decrypted; no SMS", n.key)
        return True
    try:
        sms.send(key=n.key, phone=phone, text=n.text)
    except Exception:  # the gateway is the edge of the world: record, retry later
        log.exception("notice %s: SMS failed (attempt %s)", n.key, n.attempts + 1)
        return False
    return True


def messages_mark_read(*, user: User, ids: list[int]) -> int:
    """Mark the user's own messages among ``ids`` as read (a list page shows them); returns how
    many were unread. Someone else's message is never touched."""
    if not ids:
        return 0
    return Message.objects.filter(pk__in=ids, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
