"""The outbound feed: what the portal sends back to the marketplace (replies to buyers, refund
decisions). A domain function calls `publish()` inside its transaction; the message then reaches
the integration by the store's webhook (the dispatcher) or by polling the topic's feed
(`feed()`, behind `GET /api/v1/<app>/outbound/?since=<cursor>`)."""

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from portal.inputs import whole_number
from portal.models import OutboundMessage, Store
from portal.notifications import run_batches

log = logging.getLogger(__name__)

FEED_PAGE_SIZE = 100
FEED_MAX_PAGE_SIZE = 500


def publish(*, store: Store, topic: str, payload: dict, source: str, now: datetime) -> OutboundMessage:
    """Queue `payload` (the exact JSON body the integration receives) for `store`'s marketplace.

    Call it inside the transaction of the event it reports, so the message exists exactly when the
    event does."""
    return OutboundMessage.objects.create(
        store=store, topic=topic, payload=payload, source=source, next_attempt_at=now, created_at=now,
    )


def parse_cursor(value) -> int:
    """A feed cursor (the last row id the caller has seen) from a query parameter; "" means the start.

    Raises ValueError for anything that is not a non-negative integer."""
    if value in (None, ""):
        return 0
    cursor = whole_number(value)
    if cursor is None:
        raise ValueError(value)
    return cursor


def feed(queryset: QuerySet, *, topic: str, since: int, limit: int = FEED_PAGE_SIZE) -> tuple[list[OutboundMessage], int, bool]:
    """The next `limit` messages of `topic` after cursor `since` in `queryset` (already restricted to
    the caller's stores). Returns (messages, next cursor, whether more follow)."""
    rows = list(queryset.filter(topic=topic, id__gt=since).select_related("store").order_by("id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if rows else since), more


def feed_item(message: OutboundMessage) -> dict:
    """One message as the feed lists it: its cursor and key, and the webhook's body unchanged."""
    return {
        "cursor": str(message.id),
        "idempotency_key": str(message.idempotency_key),
        "topic": message.topic,
        "store": message.store.code,
        "created_at": message.created_at.isoformat(),
        "payload": message.payload,
    }


# --- The webhook dispatcher ---------------------------------------------------------------------

MAX_ATTEMPTS = 6
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=6)]
DISPATCH_BATCH = 20  # small claims: a slow webhook holds few rows; the next batch takes the rest
SIGNATURE_HEADER = "X-Portal-Signature"


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1` (1 min, 5 min, 15 min, 1 h, then 6 h)."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def body_bytes(message: OutboundMessage) -> bytes:
    """The exact bytes POSTed (and signed): the payload as compact UTF-8 JSON."""
    return json.dumps(message.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body with the store's secret>`: the receiver recomputes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def claim_timeout() -> timedelta:
    """How long a claim holds before another dispatcher may take the row again (OUTBOUND_CLAIM_TIMEOUT)."""
    return timedelta(seconds=settings.OUTBOUND_CLAIM_TIMEOUT)


def _claimable(now):
    return OutboundMessage.objects.filter(
        Q(status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now)
        | Q(status=OutboundMessage.Status.SENDING, claimed_at__lt=now - claim_timeout()),
    ).exclude(store__outbound_webhook_url="")


def claim_due(*, now, batch: int = DISPATCH_BATCH) -> list[OutboundMessage]:
    """Claim up to `batch` due messages of stores with a webhook (oldest first). A claim left by a
    dispatcher that died is taken again once stale (the receiver drops a repeat by its key)."""
    ids = list(_claimable(now).order_by("next_attempt_at", "id").values_list("id", flat=True)[:batch])
    if not ids:
        return []
    # The same condition again: a concurrent dispatcher that claimed a row first wins it.
    _claimable(now).filter(id__in=ids).update(status=OutboundMessage.Status.SENDING, claimed_at=now)
    return list(OutboundMessage.objects.filter(id__in=ids, status=OutboundMessage.Status.SENDING, claimed_at=now)
                .select_related("store").order_by("id"))


def deliver(message: OutboundMessage) -> None:
    """POST one message to its store's webhook; raise DeliveryError unless it answers 2xx."""
    store = message.store
    body = body_bytes(message)
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": str(message.idempotency_key),
               "X-Portal-Topic": message.topic}
    if store.outbound_webhook_secret:
        headers[SIGNATURE_HEADER] = signature(store.outbound_webhook_secret, body)
    try:
        response = requests.post(store.outbound_webhook_url, data=body, headers=headers,
                                 timeout=settings.OUTBOUND_WEBHOOK_TIMEOUT)
    except requests.RequestException as exc:
        raise DeliveryError(str(exc)) from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")


class DeliveryError(Exception):
    """The webhook did not take the message this time (retried with back-off)."""


def dispatch_batch(*, now, batch: int = DISPATCH_BATCH) -> dict[str, int]:
    """Claim one small batch and deliver it. Returns counts by outcome (`claimed` included)."""
    claimed = claim_due(now=now, batch=batch)
    counts = {"sent": 0, "retry": 0, "failed": 0, "claimed": len(claimed)}
    for message in claimed:
        attempts = message.attempts + 1
        mine = OutboundMessage.objects.filter(pk=message.pk, status=OutboundMessage.Status.SENDING, claimed_at=now)
        try:
            deliver(message)
        except Exception as exc:  # any failure is retried, then recorded on the row
            log.warning("Outbound message %s failed (attempt %s): %s", message.pk, attempts, exc)
            if attempts >= MAX_ATTEMPTS:
                mine.update(status=OutboundMessage.Status.FAILED, attempts=attempts, last_error=str(exc)[:2000],
                            claimed_at=None)
                counts["failed"] += 1
            else:
                mine.update(status=OutboundMessage.Status.QUEUED, attempts=attempts, last_error=str(exc)[:2000],
                            next_attempt_at=now + backoff(attempts), claimed_at=None)
                counts["retry"] += 1
            continue
        mine.update(status=OutboundMessage.Status.SENT, attempts=attempts, sent_at=now, last_error="",
                    claimed_at=None)
        counts["sent"] += 1
    return counts


def dispatch_outbound(*, now, batch: int = DISPATCH_BATCH, max_seconds: float | None = None) -> dict[str, int]:
    """Deliver due outbound messages to their stores' webhooks, one small batch after another until
    none is due or `max_seconds` (OUTBOUND_DISPATCH_SECONDS) have passed: sent, retried later with
    back-off, or failed after MAX_ATTEMPTS (a person retries it from the ticket). A message retried
    in this run is due again only after its back-off, so the run ends. Returns counts by outcome."""
    budget = settings.OUTBOUND_DISPATCH_SECONDS if max_seconds is None else max_seconds
    return run_batches(lambda: dispatch_batch(now=now, batch=batch), budget=budget)


def retry(message: OutboundMessage, *, now) -> OutboundMessage:
    """Queue a failed message again, from a fresh count of attempts (the "retry" button)."""
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(pk=message.pk, status=OutboundMessage.Status.FAILED).update(
            status=OutboundMessage.Status.QUEUED, attempts=0, next_attempt_at=now, claimed_at=None)
        if not updated:
            raise ValidationError(_("Only a message that failed can be sent again."))
    message.refresh_from_db()
    return message


def mark_polled(messages, *, now) -> int:
    """Messages of stores without a webhook count as delivered once an integration fetched them."""
    ids = [m.pk for m in messages if m.status == OutboundMessage.Status.QUEUED and not m.store.outbound_webhook_url]
    if not ids:
        return 0
    return OutboundMessage.objects.filter(pk__in=ids, status=OutboundMessage.Status.QUEUED).update(
        status=OutboundMessage.Status.SENT, sent_at=now, attempts=1)
