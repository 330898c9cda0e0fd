"""Appointment-at-risk alerts and own-vehicle deliveries (dispatches).

The installation scan decides which installation appointments a parcel will miss (installation
reads logistics, never the other way) and hands the candidates to `raise_appointment_alerts`; the
alerts refer to the job by its id. An alert closes itself when the parcel is delivered (with every
other alert of the parcel, `ingest.close_alerts_of_delivered`) or when the installation scan finds
the appointment moved (`close_appointment_alerts`).

A dispatch fetches the parcel from the carrier's outlet with the merchant's own vehicle. Its pick-up
and delivery are tracking events of the parcel with source `merchant_delivery`, written through the
ingest, so the parcel's status, the alerts, and the delivery hooks (installation jobs, refund holds)
follow exactly as for a carrier scan; a later carrier "delivered" scan is recognised as the same
delivery (`ingest.skip_merchant_delivered`).

Every function takes `now` and `actor` and never reads the clock.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.ingest import Ingestor
from logistics.models import (
    Alert,
    AlertEntry,
    AlertKind,
    Dispatch,
    EventSource,
    ShipmentStatus,
    TrackingEvent,
)
from portal.sql import insert_select

MAX_PHOTO_BYTES = getattr(settings, "DISPATCH_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_COST = Decimal("100000")
CLOCK_SKEW = timedelta(minutes=10)
LISTED_IN_MESSAGE = 20


# --- Alerts -----------------------------------------------------------------------------------


def raise_appointment_alerts(candidates, *, cause, now, token) -> int:
    """Open an appointment-at-risk alert per candidate row (one INSERT ... SELECT).

    `candidates` is a queryset of any model annotated with `risk_job_id`, `risk_shipment_id` and
    `risk_window_start`; rows whose job already has an open at-risk alert are skipped by the partial
    unique index. Returns the number opened."""
    return insert_select(
        Alert, candidates,
        {"shipment_id": F("risk_shipment_id"), "installation_job_id": F("risk_job_id"),
         "kind": Value(AlertKind.APPOINTMENT_AT_RISK), "cause": Value(cause), "status": Value(Alert.Status.OPEN),
         "trigger_at": F("risk_window_start"), "opened_at": Value(now), "scan_token": Value(token)},
        ignore_conflicts=True,
    )


def open_appointment_alerts():
    return Alert.objects.filter(kind=AlertKind.APPOINTMENT_AT_RISK, status=Alert.Status.OPEN)


def close_appointment_alerts(alerts, *, now, token) -> int:
    """Close the given open at-risk alerts because their appointment moved (or the job closed):
    one UPDATE and one INSERT ... SELECT of timeline entries."""
    count = Alert.objects.filter(pk__in=alerts.filter(status=Alert.Status.OPEN).values("pk")).update(
        status=Alert.Status.CLOSED, closed_at=now, scan_token=token)
    if count:
        insert_select(AlertEntry, Alert.objects.filter(scan_token=token, status=Alert.Status.CLOSED,
                                                       kind=AlertKind.APPOINTMENT_AT_RISK),
                      {"alert_id": F("pk"), "kind": Value(AlertEntry.Kind.APPOINTMENT_MOVED), "at": Value(now)})
    return count


def announce_appointment_alerts(*, now, token) -> int:
    """Timeline entries for the alerts one scan opened, and one in-app message and one e-mail per
    recipient (the installation and logistics coordinators of the alert's store) listing them.
    A fixed number of queries. Returns the number of outbox rows written."""
    from portal.models import Membership, Notification
    from portal.notifications import queue_notifications
    from portal.roles import Role

    fresh = Alert.objects.filter(scan_token=token, kind=AlertKind.APPOINTMENT_AT_RISK, status=Alert.Status.OPEN)
    insert_select(AlertEntry, fresh, {"alert_id": F("pk"), "kind": Value(AlertEntry.Kind.OPENED), "at": Value(now)})
    rows = list(fresh.order_by("trigger_at", "id").values_list(
        "id", "shipment__store_id", "shipment__waybill_number", "shipment__last_outlet", "trigger_at", "cause"))
    if not rows:
        return 0
    recipients: dict[int, set[int]] = {}
    for user_id, store_id in Membership.objects.filter(
            role__in=[Role.INSTALLATION_COORDINATOR, Role.LOGISTICS_COORDINATOR]).values_list("user_id", "team__stores"):
        if store_id is not None:
            recipients.setdefault(user_id, set()).add(store_id)
    active = set(get_user_model().objects.filter(pk__in=list(recipients), is_active=True).values_list("pk", flat=True))
    messages = []
    for user_id, stores in sorted(recipients.items()):
        mine = [row for row in rows if row[1] in stores]
        if user_id not in active or not mine:
            continue
        params = {"n": len(mine), "listed": [[alert_id, waybill, outlet or "", start, cause]
                                              for alert_id, _store, waybill, outlet, start, cause
                                              in mine[:LISTED_IN_MESSAGE]]}
        link = (reverse("logistics:alert", args=[mine[0][0]]) if len(mine) == 1
                else reverse("logistics:alert_list") + "?kind=" + AlertKind.APPOINTMENT_AT_RISK)
        for channel in (Notification.Channel.IN_APP, Notification.Channel.EMAIL):
            messages.append({"recipient_id": user_id, "channel": channel, "message_key": "logistics.appointments_at_risk",
                             "params": params, "link": link, "source": f"appointment-at-risk:{token}"})
    queue_notifications(messages, now=now)
    return len(messages)


def close_for_moved_appointment(job_id, *, actor, now, start, end, note="") -> list[Alert]:
    """Someone moved job `job_id`'s appointment from its at-risk alert: close the job's open at-risk
    alerts, each with a timeline entry naming who moved it and the new window. Returns them (with
    their parcel); the caller moves the job in the same transaction."""
    alerts = list(open_appointment_alerts().filter(installation_job_id=job_id).select_for_update(of=("self",))
                  .select_related("shipment"))
    for alert in alerts:
        alert.status, alert.closed_at = Alert.Status.CLOSED, now
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, actor
        alert.save(update_fields=["status", "closed_at", "acknowledged_at", "acknowledged_by"])
        _entry(alert, AlertEntry.Kind.APPOINTMENT_MOVED, actor=actor, now=now, note=note,
               start=start.isoformat(), end=end.isoformat())
    return alerts


def record_on_order_tickets(shipment, *, alert=None, actor, now, body, data) -> int:
    """A line on the timeline of the tickets about the parcel's order (the alert's ticket and the
    store's tickets with the order number), through the tickets app. Returns the number of tickets."""
    from django.db.models import Q

    from tickets.models import Ticket
    from tickets.services import record_link

    match = Q(pk=alert.ticket_id) if alert is not None and alert.ticket_id else Q(pk__in=[])
    if shipment.order_number:
        match |= Q(store_id=shipment.store_id, order_no=shipment.order_number)
    tickets = list(Ticket.objects.filter(match, merged_into__isnull=True).order_by("pk"))
    for ticket in tickets:
        record_link(ticket, actor=actor, now=now, body=body, data=data)
    return len(tickets)


# --- Dispatches -------------------------------------------------------------------------------


def _step(dispatch, step, *, actor, now, note):
    """Every step of a dispatch on the job's timeline (through the registry) and the order's tickets."""
    from portal.registry import run_dispatch_hooks

    run_dispatch_hooks(dispatch, step=step, note=note, actor=actor, now=now)
    record_on_order_tickets(dispatch.shipment, alert=dispatch.alert, actor=actor, now=now, body=note,
                            data={"dispatch": dispatch.pk, "step": step, "waybill": dispatch.shipment.waybill_number})


def _entry(alert, kind, *, actor, now, note="", **data):
    if alert is not None:
        AlertEntry.objects.create(alert=alert, kind=kind, at=now, actor=actor, note=note, data=data)


def _cost(value) -> Decimal:
    try:
        cost = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"cost": _("Give the cost in CNY, e.g. 80.00.")}) from None
    if not cost.is_finite() or cost < 0 or cost >= MAX_COST or cost != cost.quantize(Decimal("0.01")):
        raise ValidationError({"cost": _("Give the cost in CNY: not negative, at most two decimals.")})
    return cost


def create_dispatch(alert, *, actor, now, planned_pickup, planned_dropoff, cost, driver=None, driver_name="",
                    driver_phone="", outlet="") -> Dispatch:
    """Dispatch an own delivery for the alert's parcel: a staff driver, or a partner's technician by
    name and phone; planned pick-up before drop-off; the cost for the dispatch ledger."""
    errors = {}
    driver_name, driver_phone = (driver_name or "").strip(), (driver_phone or "").strip()
    if driver is None and not (driver_name and driver_phone):
        errors["driver"] = [_("Choose a staff driver, or give the technician's name and phone.")]
    if planned_pickup is None:
        errors["planned_pickup"] = [_("Give the planned pick-up time.")]
    if planned_dropoff is None:
        errors["planned_dropoff"] = [_("Give the planned drop-off time.")]
    elif planned_pickup is not None and planned_dropoff <= planned_pickup:
        errors["planned_dropoff"] = [_("The drop-off must be after the pick-up.")]
    try:
        cost = _cost(cost)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("shipment").get(pk=alert.pk)
        if not alert.is_open:
            raise ValidationError(_("This alert is %(status)s; it can no longer be worked.")
                                  % {"status": alert.get_status_display().lower()})
        shipment = alert.shipment
        if shipment.status == ShipmentStatus.DELIVERED:
            raise ValidationError(_("The parcel is already delivered."))
        try:
            with transaction.atomic():
                dispatch = Dispatch.objects.create(
                    shipment=shipment, alert=alert, installation_job_id=alert.installation_job_id, driver=driver,
                    driver_name=driver_name if driver is None else "", driver_phone=driver_phone,
                    outlet=(outlet or shipment.last_outlet)[:100], planned_pickup=planned_pickup,
                    planned_dropoff=planned_dropoff, cost=cost, created_by=actor, created_at=now,
                )
        except IntegrityError:
            raise ValidationError(_("An own delivery of this parcel is already under way.")) from None
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, actor
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _entry(alert, AlertEntry.Kind.DISPATCHED, actor=actor, now=now, dispatch=dispatch.pk,
               driver=dispatch.driver_label, outlet=dispatch.outlet, cost=str(cost),
               planned_pickup=planned_pickup.isoformat(), planned_dropoff=planned_dropoff.isoformat())
        dispatch.shipment, dispatch.alert = shipment, alert
        _step(dispatch, "dispatched", actor=actor, now=now, note=_(
            "Own delivery dispatched: %(driver)s fetches parcel %(waybill)s at %(outlet)s, pick-up %(pickup)s, "
            "drop-off %(dropoff)s") % {
                "driver": dispatch.driver_label, "waybill": shipment.waybill_number, "outlet": dispatch.outlet or "—",
                "pickup": timezone.localtime(planned_pickup).strftime("%Y-%m-%d %H:%M"),
                "dropoff": timezone.localtime(planned_dropoff).strftime("%Y-%m-%d %H:%M")})
        if driver is not None and driver.pk != getattr(actor, "pk", None):
            from portal.models import Notification
            from portal.notifications import queue_notification

            queue_notification(
                recipient=driver, channel=Notification.Channel.IN_APP, message_key="logistics.dispatch_fetch",
                params={"waybill": shipment.waybill_number, "outlet": dispatch.outlet, "at": planned_pickup},
                link=reverse("logistics:dispatch", args=[dispatch.pk]), source=f"dispatch:{dispatch.pk}", now=now)
    return dispatch


def _locked(dispatch) -> Dispatch:
    return Dispatch.objects.select_for_update(of=("self",)).select_related("shipment", "shipment__carrier",
                                                                             "alert", "driver").get(pk=dispatch.pk)


def _merchant_event(dispatch, *, status, at, description, actor, now):
    """A tracking event of the dispatch's parcel reported by the merchant, through the ingest."""
    shipment = dispatch.shipment
    raw = {"waybill": shipment.waybill_number, "order_number": shipment.order_number, "time": at,
           "status": status, "description": description[:300], "outlet": dispatch.outlet}  # our own text: cut to fit
    ingestor = MerchantIngestor(shipment.carrier, now=now, actor=actor)
    ingestor.ingest([(0, raw)], strict=True)


class MerchantIngestor(Ingestor):
    """The ingest for the merchant's own scans: the written events get source merchant delivery."""

    skip_repeat_deliveries = False

    def write(self, assigned, stubs):
        result = super().write(assigned, stubs)
        for event, parcel in assigned:
            TrackingEvent.objects.filter(shipment_id=parcel.pk, event_key=event.key).update(
                source=EventSource.MERCHANT_DELIVERY)
        return result


def mark_picked_up(dispatch, *, actor, now, at=None) -> Dispatch:
    """The driver has the parcel (a merchant scan: out for delivery from the outlet)."""
    at = at or now
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if dispatch.status != Dispatch.Status.PLANNED:
            raise ValidationError({"status": _("Only a planned delivery can be picked up; this one is %(status)s.")
                                   % {"status": dispatch.get_status_display().lower()}})
        if at > now + CLOCK_SKEW:
            raise ValidationError({"picked_up_at": _("This time is in the future.")})
        dispatch.status, dispatch.picked_up_at = Dispatch.Status.PICKED_UP, at
        dispatch.save(update_fields=["status", "picked_up_at"])
        if dispatch.shipment.status != ShipmentStatus.DELIVERED:
            _merchant_event(dispatch, status=ShipmentStatus.OUT_FOR_DELIVERY, at=at, actor=actor, now=now,
                            description=_("Picked up at %(outlet)s by the merchant's own vehicle (%(driver)s)")
                            % {"outlet": dispatch.outlet or "—", "driver": dispatch.driver_label})
        _entry(dispatch.alert, AlertEntry.Kind.DISPATCH_PICKED_UP, actor=actor, now=now, dispatch=dispatch.pk)
        _step(dispatch, "picked_up", actor=actor, now=now, note=_(
            "Own delivery: parcel %(waybill)s picked up at %(outlet)s by %(driver)s") % {
                "waybill": dispatch.shipment.waybill_number, "outlet": dispatch.outlet or "—",
                "driver": dispatch.driver_label})
    return dispatch


def check_photo(photo):
    """The proof photo must be a JPEG, PNG or WebP image (checked by its content) within the size limit."""
    from PIL import Image, UnidentifiedImageError

    if photo is None:
        raise ValidationError({"photo": _("Attach the proof-of-delivery photo.")})
    if photo.size > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("The photo is larger than %(mb)s MB.") % {"mb": MAX_PHOTO_BYTES // 2**20}})
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"photo": _("The file is not a JPEG, PNG or WebP image.")}) from None
    finally:
        photo.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ValidationError({"photo": _("The file is not a JPEG, PNG or WebP image.")})
    return PHOTO_FORMATS[kind]


def mark_delivered(dispatch, *, actor, now, photo, recipient, delivered_at=None) -> Dispatch:
    """Delivered to the customer: proof photo and recipient's name. The parcel is delivered by a
    merchant-delivery event at the dispatch's delivered time (unless the carrier delivered it already)."""
    delivered_at = delivered_at or now
    errors = {}
    recipient = (recipient or "").strip()
    if not recipient:
        errors["recipient"] = [_("Name who received the parcel.")]
    try:
        extension = check_photo(photo)
    except ValidationError as error:
        errors.update(error.message_dict)
    if delivered_at > now + CLOCK_SKEW:
        errors["delivered_at"] = [_("This time is in the future.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if dispatch.status != Dispatch.Status.PICKED_UP:
            raise ValidationError({"status": _("Only a picked-up delivery can be delivered; this one is %(status)s.")
                                   % {"status": dispatch.get_status_display().lower()}})
        if dispatch.picked_up_at and delivered_at < dispatch.picked_up_at:
            raise ValidationError({"delivered_at": _("The delivery cannot be before the pick-up (%(at)s).")
                                   % {"at": timezone.localtime(dispatch.picked_up_at).strftime("%Y-%m-%d %H:%M")}})
        dispatch.photo.save(f"dispatch-{dispatch.pk}.{extension}", photo, save=False)
        dispatch.status, dispatch.delivered_at, dispatch.recipient = (
            Dispatch.Status.DELIVERED, delivered_at, recipient[:100])
        dispatch.save(update_fields=["status", "delivered_at", "recipient", "photo"])
        if dispatch.shipment.status != ShipmentStatus.DELIVERED:
            _merchant_event(dispatch, status=ShipmentStatus.DELIVERED, at=delivered_at, actor=actor, now=now,
                            description=_("Delivered by the merchant's own vehicle (%(driver)s), received by "
                                          "%(recipient)s") % {"driver": dispatch.driver_label, "recipient": recipient})
        _entry(dispatch.alert, AlertEntry.Kind.DISPATCH_DELIVERED, actor=actor, now=now, dispatch=dispatch.pk,
               recipient=recipient)
        _step(dispatch, "delivered", actor=actor, now=now, note=_(
            "Own delivery: parcel %(waybill)s delivered by %(driver)s, received by %(recipient)s") % {
                "waybill": dispatch.shipment.waybill_number, "driver": dispatch.driver_label, "recipient": recipient})
    return dispatch


def mark_failed(dispatch, *, actor, now, reason) -> Dispatch:
    """The own delivery did not happen (the parcel stays with the carrier)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if dispatch.status not in (Dispatch.Status.PLANNED, Dispatch.Status.PICKED_UP):
            raise ValidationError({"status": _("This delivery is %(status)s already.")
                                   % {"status": dispatch.get_status_display().lower()}})
        dispatch.status, dispatch.failure_reason = Dispatch.Status.FAILED, reason[:300]
        dispatch.save(update_fields=["status", "failure_reason"])
        _entry(dispatch.alert, AlertEntry.Kind.DISPATCH_FAILED, actor=actor, now=now, note=reason,
               dispatch=dispatch.pk)
        _step(dispatch, "failed", actor=actor, now=now, note=_(
            "Own delivery of parcel %(waybill)s failed: %(reason)s") % {
                "waybill": dispatch.shipment.waybill_number, "reason": reason})
    return dispatch
