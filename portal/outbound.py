"""The outbound feed: what the portal sends back to the marketplace (replies to buyers, refund
decisions). A domain function calls `publish()` inside its transaction; the message then reaches
the integration by the store's webhook (the dispatcher) or by polling the topic's feed
(`feed()`, behind `GET /api/v1/<app>/outbound/?since=<cursor>`)."""

from datetime import datetime

from django.db.models import QuerySet

from portal.models import OutboundMessage, Store

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
    if not isinstance(value, str) or not value.isdigit() or len(value) > 18:
        raise ValueError(value)
    return int(value)


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
