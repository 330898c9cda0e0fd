"""The notification outbox and its dispatcher.

`queue_notification()` writes an outbox row inside the caller's transaction, so the message exists
exactly when the event that caused it does. `dispatch_notifications(now=...)` claims due rows,
sends each with its stable idempotency key, and marks it sent, retries it with back-off, or marks
it failed. It claims small batches (NOTIFICATION_BATCH, 20) one after the other, so a crash strands
few rows, and it starts a row's send only under a compare-and-set on its claim
(`send_started_at`), so a row is sent by at most one dispatcher per claim:

- a claimed row whose send never started (its dispatcher died first) is claimed again by the next
  dispatch run, once its claim is NOTIFICATION_RECLAIM_UNTRIED_AFTER old (30 s), and simply sent;
- a row whose send started and whose dispatcher died before marking it stays in `sending` until
  the claim window (NOTIFICATION_CLAIM_TIMEOUT, 10 min) has passed; then it is resent with the
  same key to a gateway that honours the key (which drops the duplicate) or, for a channel that
  cannot recognise a repeat (e-mail), marked `unknown` for a person to check rather than risk
  sending twice. Only such a row can ever be `unknown`.

What a message says is a key of the message registry and its parameters (`message_key`,
`params`): `render()` turns them into a subject and lines (each optionally a link) in the
reader's language whenever the inbox shows the row or a channel sends it, so an English reader
and a Chinese reader of the same kind of event each read their own language. Apps register their
messages with `@message("app.what")` in their `notification_texts.py` (imported by their
`AppConfig.ready()`). Rows written before keys existed show their stored subject and body.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from portal.formatting import jsonable
from portal.models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Kept for callers that read it: the claim window's default (the setting is read at each run).
CLAIM_TIMEOUT = timedelta(seconds=600)
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1)]
# Channels whose delivery endpoint recognises a repeated idempotency key and drops the repeat.
IDEMPOTENT_CHANNELS = {Notification.Channel.SMS}


class DeliveryError(Exception):
    """The channel could not deliver this time (retried with back-off)."""


# --- Messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a message's body; `link` (a path of the portal) makes it a link."""

    text: str
    link: str = ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    lines: tuple[Line, ...] = ()

    def text(self, *, links=True) -> str:
        """The body as plain text (e-mail, SMS): links as absolute addresses below their line."""
        out = []
        for line in self.lines:
            out.append(line.text)
            if links and line.link:
                out.append(f"  {absolute_url(line.link)}")
        return "\n".join(out)


_MESSAGES: dict[str, Callable] = {}


def message(key: str):
    """Register `func(params) -> subject | (subject, body)` as the text of the message `key`.

    `func` runs with the reader's language active; `body` is a string (lines split on newlines)
    or a list of strings and `(text, link)` pairs. Registration is idempotent by key."""

    def decorator(func):
        _MESSAGES[key] = func
        return func

    return decorator


def _lines(body) -> tuple[Line, ...]:
    if not body:
        return ()
    if isinstance(body, str):
        return tuple(Line(text) for text in body.split("\n"))
    return tuple(Line(item) if isinstance(item, str) else Line(str(item[0]), item[1] or "") for item in body)


def render_message(key: str, params: dict, *, language: str | None = None) -> Rendered:
    """The message `key` with `params` in `language` (default: the active one)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        result = _MESSAGES[key](params or {})
        subject, body = (result, None) if isinstance(result, str) else result
        return Rendered(str(subject), _lines(body))


# A path of the portal inside a legacy body (an escalation digest's "/tickets/12/").
SITE_PATH = re.compile(r"^\s*(/[A-Za-z0-9_\-/]+/(?:\?[A-Za-z0-9_=&;\-]*)?)\s*$")


def render(notification: Notification, *, language: str | None = None) -> Rendered:
    """What `notification` says in `language` (default: the active one)."""
    if notification.message_key in _MESSAGES:
        try:
            return render_message(notification.message_key, notification.params, language=language)
        except (KeyError, TypeError, ValueError) as exc:  # parameters of an older version of the message
            log.warning("Notification %s: cannot render %s: %s", notification.pk, notification.message_key, exc)
    # Legacy rows: the stored text; a line that is only a path becomes the link of the line above.
    lines: list[Line] = []
    for text in (notification.body or "").split("\n") if notification.body else []:
        path = SITE_PATH.match(text)
        if path and lines and not lines[-1].link:
            lines[-1] = Line(lines[-1].text, path.group(1))
        else:
            lines.append(Line(text))
    return Rendered(notification.subject, tuple(lines))


def absolute_url(path: str) -> str:
    """A portal path as an address that works outside the portal (e-mail), when `PORTAL_URL` is set."""
    base = getattr(settings, "PORTAL_URL", "")
    return f"{base.rstrip('/')}{path}" if base and path.startswith("/") else path


def recipient_language(notification: Notification) -> str:
    profile = getattr(notification.recipient, "profile", None) if notification.recipient_id else None
    return (profile.language if profile else "") or settings.LANGUAGE_CODE


# --- Outbox -----------------------------------------------------------------------------------


def _outbox_row(*, channel, subject="", body="", link="", source="", now, message_key="", params=None,
                **recipient) -> Notification:
    if message_key:
        if message_key not in _MESSAGES:
            raise ValueError(f"Unknown notification message {message_key!r}.")
        params = jsonable(params or {})
        if not subject:
            # The stored copy, in the site's language: what search and the admin list show.
            rendered = render_message(message_key, params, language=settings.LANGUAGE_CODE)
            subject, body = rendered.subject, rendered.text(links=False)
    if not subject:
        raise ValueError("A notification needs a message key or a subject.")
    # In-app messages are delivered by being stored: the row is the inbox entry, so it is `sent` at once.
    in_app = channel == Notification.Channel.IN_APP
    return Notification(
        **recipient,
        channel=channel,
        message_key=message_key,
        params=params or {},
        subject=subject[:200],
        body=body,
        link=link,
        source=source,
        status=Notification.Status.SENT if in_app else Notification.Status.PENDING,
        sent_at=now if in_app else None,
        next_attempt_at=now,
        created_at=now,
    )


def queue_notification(*, recipient, channel, message_key="", params=None, subject="", body="", link="", source="",
                       now, to_phone="") -> Notification:
    """Write one outbox row. Call inside the transaction of the event that causes it.

    The text is `message_key` and `params` (rendered in the reader's language when read or sent);
    a fixed `subject`/`body` is for text that needs no translation.
    An SMS may go to someone without an account (a customer): `recipient=None` and `to_phone`."""
    to_phone = (to_phone or "").strip()[:30]
    if recipient is None and not (channel == Notification.Channel.SMS and to_phone):
        raise ValueError("A notification without a recipient must be an SMS with a phone number.")
    row = _outbox_row(recipient=recipient, to_phone=to_phone, channel=channel, subject=subject, body=body, link=link,
                      source=source, now=now, message_key=message_key, params=params)
    row.save()
    return row


def queue_notifications(messages, *, now) -> list[Notification]:
    """Bulk `queue_notification`: one outbox row per message dict (`recipient` or `recipient_id`,
    `channel`, `message_key` and `params` or `subject`, and optionally `body`, `link`, `source`), in one statement whatever their
    number. Call inside the transaction of the event that causes them (e.g. an escalation sweep)."""
    return Notification.objects.bulk_create([_outbox_row(**message, now=now) for message in messages])


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


# --- Channels ---------------------------------------------------------------------------------


def send_email(notification: Notification):
    address = notification.recipient.email
    if not address:
        raise DeliveryError(_("The recipient has no e-mail address."))
    rendered = render(notification, language=recipient_language(notification))
    body = rendered.text()
    if notification.link:
        body = f"{body}\n\n{absolute_url(notification.link)}"
    send_mail(rendered.subject, body, settings.DEFAULT_FROM_EMAIL, [address])


def send_sms(notification: Notification):
    phone = notification.to_phone
    if not phone:
        profile = getattr(notification.recipient, "profile", None)
        phone = profile.phone if profile else ""
    if not phone:
        raise DeliveryError(_("The recipient has no mobile phone number."))
    rendered = render(notification, language=recipient_language(notification))
    body = rendered.text(links=False)
    text = rendered.subject if not body else f"{rendered.subject}\n{body}"
    if notification.link and getattr(settings, "PORTAL_URL", ""):
        # The link opens the page after sign-in; it carries no credentials.
        text = f"{text}\n{absolute_url(notification.link)}"
    if not settings.SMS_GATEWAY_URL:
        log.info("SMS (no gateway configured) to %s [%s]: %s", phone, notification.idempotency_key, text)
        return
    headers = {"Idempotency-Key": str(notification.idempotency_key)}
    if settings.SMS_GATEWAY_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_TOKEN}"
    try:
        response = requests.post(
            settings.SMS_GATEWAY_URL, json={"to": phone, "text": text}, headers=headers,
            timeout=settings.SMS_GATEWAY_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise DeliveryError(str(exc)) from exc
    if response.status_code >= 300:
        raise DeliveryError(f"SMS gateway answered HTTP {response.status_code}: {response.text[:200]}")


SENDERS = {Notification.Channel.EMAIL: send_email, Notification.Channel.SMS: send_sms}


# --- Dispatcher -------------------------------------------------------------------------------


def _mark_sent(notification: Notification, token, now):
    Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status=Notification.Status.SENT, sent_at=now, last_error="", claimed_at=None, send_started_at=None
    )


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT)


def claim_due(*, now, batch: int | None = None) -> tuple[uuid.UUID, list[Notification]]:
    """Claim up to `batch` (NOTIFICATION_BATCH) due rows for this dispatcher; an e-mail whose send
    started under a claim older than the claim window becomes `unknown`."""
    batch = batch or settings.NOTIFICATION_BATCH
    stale_before = now - claim_timeout()
    untried_before = now - timedelta(seconds=settings.NOTIFICATION_RECLAIM_UNTRIED_AFTER)
    # A stale claim whose send began, on a channel that cannot recognise a repeat: it may have gone
    # out. Do not resend. (A row whose send never began is never marked: it is simply claimed again.)
    Notification.objects.filter(
        status=Notification.Status.SENDING, send_started_at__lt=stale_before
    ).exclude(channel__in=IDEMPOTENT_CHANNELS).update(
        status=Notification.Status.UNKNOWN,
        last_error=_("The dispatcher stopped after sending began; delivery is unknown."),
    )
    token = uuid.uuid4()
    due = Notification.objects.claimable(now, stale_before, untried_before).order_by("next_attempt_at", "id")
    ids = list(due.values_list("id", flat=True)[:batch])
    if ids:
        # The same condition again: a concurrent dispatcher that claimed a row first wins it.
        Notification.objects.claimable(now, stale_before, untried_before).filter(id__in=ids).update(
            status=Notification.Status.SENDING, claimed_at=now, claim_token=token, send_started_at=None
        )
    claimed = list(
        Notification.objects.filter(claim_token=token, status=Notification.Status.SENDING)
        .select_related("recipient", "recipient__profile")
        .order_by("id")
    )
    return token, claimed


def _start_send(notification: Notification, token, now) -> bool:
    """Mark the send as begun, only if this dispatcher's claim still holds the row and nobody began
    it: from here on a crash leaves a row that may have gone out."""
    return bool(
        Notification.objects.filter(
            pk=notification.pk, claim_token=token, status=Notification.Status.SENDING, send_started_at__isnull=True
        ).update(send_started_at=now, attempts=notification.attempts + 1)
    )


def dispatch_batch(*, now, batch: int | None = None, mark_sent=_mark_sent) -> dict[str, int]:
    """Claim one small batch and deliver it. Returns counts by outcome (`claimed` included)."""
    token, claimed = claim_due(now=now, batch=batch)
    counts = {"sent": 0, "retry": 0, "failed": 0, "claimed": len(claimed)}
    for notification in claimed:
        attempts = notification.attempts + 1
        if not _start_send(notification, token, now):
            continue  # claimed again meanwhile by another dispatcher, which sends it
        try:
            SENDERS[notification.channel](notification)
        except Exception as exc:  # any channel failure is retried, then recorded on the row
            log.warning("Notification %s failed (attempt %s): %s", notification.pk, attempts, exc)
            if attempts >= MAX_ATTEMPTS:
                status, counts_key, next_at = Notification.Status.FAILED, "failed", notification.next_attempt_at
            else:
                status, counts_key, next_at = Notification.Status.PENDING, "retry", now + backoff(attempts)
            Notification.objects.filter(pk=notification.pk, claim_token=token).update(
                status=status, next_attempt_at=next_at, last_error=str(exc)[:2000], claimed_at=None,
                send_started_at=None,
            )
            counts[counts_key] += 1
            continue
        mark_sent(notification, token, now)
        counts["sent"] += 1
    return counts


def dispatch_notifications(*, now, batch: int | None = None, mark_sent=_mark_sent,
                           max_seconds: float | None = None) -> dict[str, int]:
    """Deliver due outbox rows, one small batch after another, until none is left or `max_seconds`
    (NOTIFICATION_DISPATCH_SECONDS) have passed. Returns counts by outcome."""
    budget = settings.NOTIFICATION_DISPATCH_SECONDS if max_seconds is None else max_seconds
    return run_batches(lambda: dispatch_batch(now=now, batch=batch, mark_sent=mark_sent), budget=budget)


def run_batches(one_batch, *, budget: float) -> dict[str, int]:
    """Call `one_batch()` (returning counts by outcome with `claimed`) until it claims nothing or
    `budget` seconds have passed; the summed sent/retry/failed counts. The outbox and the outbound
    feed both dispatch this way."""
    started = time.monotonic()
    totals = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        counts = one_batch()
        for key in totals:
            totals[key] += counts[key]
        if not counts["claimed"] or time.monotonic() - started >= budget:
            return totals


def mark_read(user, notification_ids, *, now) -> int:
    with transaction.atomic():
        return Notification.objects.unread_inbox(user).filter(pk__in=notification_ids).update(read_at=now)

