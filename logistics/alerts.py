"""The logistics alert scan: set-based, a constant number of SQL queries per rule.

Rules (thresholds per carrier, defaults in brackets):
- stalled: no new event for [48] h while picked up, not delivered and not returning;
- transit anomaly: an event the status map marks anomalous;
- last-mile delay: at the delivering outlet or out for delivery for [24] h without delivery, or
  past the promised delivery time;
- pickup overdue: created but not picked up for [24] h.

Each rule is one INSERT ... SELECT over the shipments: at most one open alert per parcel and kind
(a partial unique index backs this), and an alert is not raised again for the same trigger after
someone resolved it. Open alerts of delivered parcels close themselves. The logistics team gets
one in-app message per recipient per scan listing the new alerts.
"""

import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from logistics.ingest import close_alerts_of_delivered
from logistics.models import (
    FINISHED_STATUSES,
    NOT_PICKED_UP_STATUSES,
    Alert,
    AlertEntry,
    AlertKind,
    Carrier,
    Shipment,
    ShipmentStatus,
)
from portal.models import Membership, Notification, Team
from portal.notifications import queue_notification
from portal.sql import insert_select

# How many new alerts a notification lists by waybill; the rest are counted.
LISTED_IN_MESSAGE = 20


def _per_carrier(carriers, enabled, build):
    """OR of one condition per carrier with the rule enabled (thresholds differ per carrier); None if none."""
    condition = None
    for carrier in carriers:
        if getattr(carrier, enabled):
            one = Q(carrier_id=carrier.pk) & build(carrier)
            condition = one if condition is None else condition | one
    return condition


def _rules(carriers, now):
    """(kind, cause, trigger field, shipment condition) for each rule enabled for some carrier."""
    hours = lambda n: timedelta(hours=n)  # noqa: E731
    rules = [
        (
            AlertKind.STALLED, Alert.Cause.NO_SCAN, "last_event_at",
            # Not yet picked up is the pickup-overdue rule's business, not a stall in the network.
            ~Q(status__in=FINISHED_STATUSES | NOT_PICKED_UP_STATUSES),
            _per_carrier(carriers, "detect_stalled", lambda c: Q(last_event_at__lt=now - hours(c.stall_hours))),
        ),
        (
            AlertKind.TRANSIT_ANOMALY, Alert.Cause.ANOMALOUS_EVENT, "anomaly_at",
            ~Q(status__in=[ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED]),
            _per_carrier(carriers, "detect_transit_anomaly", lambda c: Q(anomaly_at__isnull=False)),
        ),
        (
            AlertKind.LAST_MILE_DELAY, Alert.Cause.LAST_MILE_DWELL, "last_mile_at",
            ~Q(status__in=FINISHED_STATUSES),
            _per_carrier(carriers, "detect_last_mile_delay",
                         lambda c: Q(last_mile_at__lt=now - hours(c.last_mile_hours), delivered_at__isnull=True)),
        ),
        (
            AlertKind.LAST_MILE_DELAY, Alert.Cause.PROMISE_MISSED, "promised_by",
            ~Q(status__in=FINISHED_STATUSES),
            _per_carrier(carriers, "detect_last_mile_delay",
                         lambda c: Q(promised_by__lt=now, delivered_at__isnull=True)),
        ),
        (
            AlertKind.PICKUP_OVERDUE, Alert.Cause.NOT_PICKED_UP, "shipped_or_created",
            Q(picked_up_at__isnull=True) & ~Q(status__in=FINISHED_STATUSES),
            _per_carrier(carriers, "detect_pickup_overdue",
                         lambda c: Q(shipped_or_created__lt=now - hours(c.pickup_hours))),
        ),
    ]
    return [(kind, cause, trigger, status_condition & carrier_condition)
            for kind, cause, trigger, status_condition, carrier_condition in rules if carrier_condition is not None]


def open_alerts(*, carriers, now, token) -> int:
    """Run every rule: one INSERT ... SELECT each. Returns the number of alerts opened."""
    opened = 0
    for kind, cause, trigger, condition in _rules(carriers, now):
        shipments = Shipment.objects.all()
        if trigger == "shipped_or_created":
            shipments = shipments.annotate(shipped_or_created=Coalesce("shipped_at", "created_at"))
        already = Alert.objects.filter(shipment_id=OuterRef("pk"), kind=kind).filter(
            Q(status=Alert.Status.OPEN) | Q(trigger_at__gte=OuterRef(trigger))
        )
        due = shipments.filter(condition).filter(~Exists(already))
        opened += insert_select(
            Alert,
            due,
            {
                "shipment_id": F("pk"), "kind": Value(kind), "cause": Value(cause), "status": Value(Alert.Status.OPEN),
                "trigger_at": F(trigger), "opened_at": Value(now), "scan_token": Value(token),
            },
            ignore_conflicts=True,  # a concurrent scan opened it first: the partial unique index decides
        )
    if opened:
        insert_select(
            AlertEntry,
            Alert.objects.filter(scan_token=token, status=Alert.Status.OPEN, follow_up_due_notified=False),
            {"alert_id": F("pk"), "kind": Value(AlertEntry.Kind.OPENED), "at": Value(now)},
        )
    return opened


def mark_follow_ups_due(*, now, token) -> int:
    """Open alerts whose carrier follow-up time has come: a timeline entry, and they are listed again."""
    due = Alert.objects.filter(status=Alert.Status.OPEN, follow_up_at__lte=now, follow_up_due_notified=False)
    count = Alert.objects.filter(pk__in=due.values("pk")).update(follow_up_due_notified=True, scan_token=token)
    if count:
        insert_select(
            AlertEntry,
            Alert.objects.filter(scan_token=token, follow_up_due_notified=True, status=Alert.Status.OPEN),
            {"alert_id": F("pk"), "kind": Value(AlertEntry.Kind.FOLLOW_UP_DUE), "at": Value(now),
             "note": Value(_("The carrier's promised follow-up time has come: check the parcel again."))},
        )
    return count


def notify_logistics_team(*, now, token) -> int:
    """One in-app message per logistics-team member listing this scan's new alerts and due follow-ups
    in their stores. Returns the number of messages queued."""
    fresh = Alert.objects.filter(scan_token=token, status=Alert.Status.OPEN)
    counts = list(fresh.values("shipment__store_id", "kind", "follow_up_due_notified").annotate(n=Count("id")))
    if not counts:
        return 0
    listed = list(
        fresh.order_by("id").values_list("id", "kind", "follow_up_due_notified", "shipment__waybill_number",
                                          "shipment__store_id")[: LISTED_IN_MESSAGE * 10]
    )
    recipients: dict[int, set[int]] = {}
    for user_id, store_id in Membership.objects.filter(team__kind=Team.Kind.LOGISTICS).values_list(
        "user_id", "team__stores"
    ):
        stores = recipients.setdefault(user_id, set())
        if store_id is not None:
            stores.add(store_id)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(list(recipients))
    link = reverse("logistics:alert_list")
    sent = 0
    for user_id, stores in sorted(recipients.items()):
        new = {}
        follow_ups = 0
        for row in counts:
            if row["shipment__store_id"] in stores:
                if row["follow_up_due_notified"]:
                    follow_ups += row["n"]
                else:
                    new[row["kind"]] = new.get(row["kind"], 0) + row["n"]
        total = sum(new.values())
        if not total and not follow_ups or user_id not in users:
            continue
        mine = [row for row in listed if row[4] in stores][:LISTED_IN_MESSAGE]
        queue_notification(
            recipient=users[user_id], channel=Notification.Channel.IN_APP, message_key="logistics.scan",
            params={"new": new, "follow_ups": follow_ups, "total": total,
                    "listed": [[alert_id, kind, bool(follow_up), waybill]
                               for alert_id, kind, follow_up, waybill, _store in mine]},
            link=link, source=f"logistics-scan:{token}", now=now,
        )
        sent += 1
    return sent


def scan_logistics(*, now) -> dict:
    """Close alerts of delivered parcels, flag due follow-ups, open new alerts, notify. One transaction."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        carriers = list(Carrier.objects.all())
        closed = close_alerts_of_delivered(now=now, token=token)
        follow_ups = mark_follow_ups_due(now=now, token=token)
        opened = open_alerts(carriers=carriers, now=now, token=token)
        messages = notify_logistics_team(now=now, token=token) if opened or follow_ups else 0
    return {"opened": opened, "closed": closed, "follow_ups_due": follow_ups, "messages": messages}
