"""Alert work: acknowledge, contact the carrier outlet, call the customer, compensate, resolve.

Every function is one transaction that checks the alert is still open, writes its record and the
alert's timeline entry, and queues the notifications it causes. Views and the API call these; the
caller has already checked the user may work the alert (restrict(..., "work")).
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.compensation import APPROVAL_LIMITS, committed, refusal, within_limit
from logistics.models import Alert, AlertEntry, CarrierContact, Compensation, CustomerContact
from portal.models import Membership, Notification
from portal.notifications import queue_notification
from portal.permissions import restrict

# Clock skew allowed for "when did you call" times typed by people.
FUTURE_SLACK = timedelta(minutes=5)
MAX_COMPENSATION = Decimal("100000")


def _open_alert(alert) -> Alert:
    locked = Alert.objects.select_for_update(of=("self",)).select_related("shipment").get(pk=alert.pk)
    if not locked.is_open:
        raise ValidationError(_("This alert is %(status)s; it can no longer be worked.")
                              % {"status": locked.get_status_display().lower()})
    return locked


def _entry(alert, kind, *, actor, now, note="", **data) -> AlertEntry:
    return AlertEntry.objects.create(alert=alert, kind=kind, at=now, actor=actor, note=note, data=data)


def _touch(alert, *, actor, now):
    """Working an alert acknowledges it."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = actor


def _not_in_future(value, name, now):
    if value > now + FUTURE_SLACK:
        raise ValidationError({name: _("This time is in the future.")})


def acknowledge_alert(alert, *, actor, now, note="") -> Alert:
    """Someone has taken the alert in hand."""
    with transaction.atomic():
        alert = _open_alert(alert)
        if alert.acknowledged_at is not None:
            raise ValidationError(_("This alert was already acknowledged."))
        _touch(alert, actor=actor, now=now)
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _entry(alert, AlertEntry.Kind.ACKNOWLEDGED, actor=actor, now=now, note=note)
    return alert


def record_carrier_contact(alert, *, actor, now, contact_name, contacted_at, promise, outlet="",
                           follow_up_at=None) -> CarrierContact:
    """The carrier outlet was contacted: who, when, what they promised; a follow-up time re-checks the parcel."""
    _not_in_future(contacted_at, "contacted_at", now)
    if follow_up_at is not None and follow_up_at <= now:
        raise ValidationError({"follow_up_at": _("The follow-up time must be in the future.")})
    with transaction.atomic():
        alert = _open_alert(alert)
        contact = CarrierContact.objects.create(
            alert=alert, outlet=outlet, contact_name=contact_name, contacted_at=contacted_at, promise=promise,
            follow_up_at=follow_up_at, recorded_by=actor, recorded_at=now,
        )
        _touch(alert, actor=actor, now=now)
        if follow_up_at is not None:
            alert.follow_up_at = follow_up_at
            alert.follow_up_due_notified = False
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "follow_up_at", "follow_up_due_notified"])
        _entry(alert, AlertEntry.Kind.CARRIER_CONTACTED, actor=actor, now=now, note=promise,
               outlet=outlet, contact_name=contact_name, contacted_at=contacted_at.isoformat(),
               follow_up_at=follow_up_at.isoformat() if follow_up_at else None)
    return contact


def record_customer_contact(alert, *, actor, now, called_at, outcome, note="") -> CustomerContact:
    """The customer was called; the outcome is recorded."""
    _not_in_future(called_at, "called_at", now)
    if outcome not in CustomerContact.Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    with transaction.atomic():
        alert = _open_alert(alert)
        contact = CustomerContact.objects.create(
            alert=alert, called_at=called_at, outcome=outcome, note=note, recorded_by=actor, recorded_at=now,
        )
        _touch(alert, actor=actor, now=now)
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _entry(alert, AlertEntry.Kind.CUSTOMER_CONTACTED, actor=actor, now=now, note=note, outcome=outcome,
               called_at=called_at.isoformat())
    return contact


def _approvers(alert, amount):
    """Users who may approve `amount` on this alert (their role's limit covers it, the store is in scope)."""
    roles = [role for role, limit in APPROVAL_LIMITS.items() if limit is None or amount <= limit]
    user_ids = set(Membership.objects.filter(role__in=roles).values_list("user_id", flat=True))
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk")
    return [
        user for user in users
        if within_limit(user, amount) and restrict(Alert.objects.filter(pk=alert.pk), user, "approve").exists()
    ]


def offer_compensation(alert, *, actor, now, kind, amount, note="") -> Compensation:
    """Offer compensation. Approved at once when the offerer's limit covers the running totals on the
    alert and on the order (waiting and approved, with this one) and their own day's total
    (logistics/compensation.py); otherwise it waits for an approver (manager, then director), who is
    notified."""
    amount = Decimal(amount)
    if kind not in Compensation.Kind.values:
        raise ValidationError({"kind": _("Choose coupon, cash or gift.")})
    if amount <= 0 or amount >= MAX_COMPENSATION or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Give a positive amount in CNY with at most two decimals.")})
    with transaction.atomic():
        alert = _open_alert(alert)
        # One offer at a time per offerer: their day's total is read and written in one step.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        approved = refusal(actor, alert, amount, now=now, pending_counts=True) is None
        compensation = Compensation.objects.create(
            alert=alert, kind=kind, amount=amount, note=note, offered_by=actor, offered_at=now,
            status=Compensation.Status.APPROVED if approved else Compensation.Status.PENDING_APPROVAL,
            decided_by=actor if approved else None, decided_at=now if approved else None,
        )
        _touch(alert, actor=actor, now=now)
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        data = {"compensation": compensation.pk, "type": kind, "amount": str(amount)}
        _entry(alert, AlertEntry.Kind.COMPENSATION_OFFERED, actor=actor, now=now, note=note, **data)
        if approved:
            _entry(alert, AlertEntry.Kind.COMPENSATION_APPROVED, actor=actor, now=now,
                   note=_("Within the offerer's approval limit."), **data)
        else:
            link = reverse("approvals")  # the approvals inbox: approve or reject in place
            on_alert, on_order = committed(alert, statuses=[Compensation.Status.APPROVED])
            for user in _approvers(alert, max(on_alert, on_order) + amount):
                if user.pk == getattr(actor, "pk", None):
                    continue
                queue_notification(
                    recipient=user, channel=Notification.Channel.IN_APP, message_key="logistics.compensation_pending",
                    params={"amount": amount, "kind": kind, "waybill": alert.shipment.waybill_number, "note": note},
                    link=link, source=f"logistics-compensation:{compensation.pk}", now=now,
                )
    return compensation


def decide_compensation(compensation, *, actor, now, approve: bool, note="") -> Compensation:
    """Approve or reject a compensation waiting for approval; the approver's limit must cover it."""
    with transaction.atomic():
        compensation = Compensation.objects.select_for_update().get(pk=compensation.pk)
        alert = _open_alert(compensation.alert)
        if compensation.status != Compensation.Status.PENDING_APPROVAL:
            raise ValidationError({"compensation": _("This compensation is not waiting for approval.")})
        if approve:
            get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
            why = refusal(actor, alert, compensation.amount, now=now, pending_counts=False, exclude=compensation)
            if why:
                raise ValidationError({"compensation": why + " " + _("Someone with a higher limit must approve it.")})
        compensation.status = Compensation.Status.APPROVED if approve else Compensation.Status.REJECTED
        compensation.decided_by = actor
        compensation.decided_at = now
        compensation.save(update_fields=["status", "decided_by", "decided_at"])
        kind = AlertEntry.Kind.COMPENSATION_APPROVED if approve else AlertEntry.Kind.COMPENSATION_REJECTED
        _entry(alert, kind, actor=actor, now=now, note=note, compensation=compensation.pk,
               type=compensation.kind, amount=str(compensation.amount))
        if compensation.offered_by_id and compensation.offered_by_id != getattr(actor, "pk", None):
            queue_notification(
                recipient=compensation.offered_by, channel=Notification.Channel.IN_APP,
                message_key="logistics.compensation_decided",
                params={"approved": approve, "waybill": alert.shipment.waybill_number, "note": note},
                link=reverse("logistics:alert", args=[alert.pk]),
                source=f"logistics-compensation:{compensation.pk}", now=now,
            )
    return compensation


def resolve_alert(alert, *, actor, now, resolution) -> Alert:
    """Done: the parcel is moving again or the customer is taken care of."""
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say how the alert was resolved.")})
    with transaction.atomic():
        alert = _open_alert(alert)
        if alert.compensations.filter(status=Compensation.Status.PENDING_APPROVAL).exists():
            raise ValidationError(_("A compensation is still waiting for approval."))
        _touch(alert, actor=actor, now=now)
        alert.status = Alert.Status.RESOLVED
        alert.resolved_at = now
        alert.resolved_by = actor
        alert.resolution = resolution
        alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution", "acknowledged_at",
                                  "acknowledged_by"])
        _entry(alert, AlertEntry.Kind.RESOLVED, actor=actor, now=now, note=resolution)
    return alert


def open_linked_ticket(alert, *, actor, now, note=""):
    """Open a proactive logistics ticket about the alert's parcel in one click, linked both ways:
    the alert keeps the ticket's id, the ticket's creation entry names the alert and the parcel.

    The ticket goes where the tickets app's routing puts it (the store's default queue unless a
    rule says otherwise); the customer's contact details come from the shipment."""
    from tickets import routing
    from tickets.models import Ticket
    from tickets.services import create_ticket

    with transaction.atomic():
        alert = _open_alert(alert)
        if alert.ticket_id:
            raise ValidationError(_("Ticket #%(id)s is already linked to this alert.") % {"id": alert.ticket_id})
        shipment = alert.shipment
        since = timezone.localtime(alert.trigger_at).strftime("%Y-%m-%d %H:%M")
        subject = _("%(kind)s: parcel %(carrier)s %(waybill)s") % {
            "kind": alert.get_kind_display(), "carrier": shipment.carrier.code, "waybill": shipment.waybill_number}
        lines = [
            subject,
            _("%(cause)s since %(since)s; parcel status: %(status)s; last event: %(event)s")
            % {"cause": alert.get_cause_display(), "since": since, "status": shipment.get_status_display(),
               "event": shipment.last_description or "—"},
        ]
        if note:
            lines.append(note)
        if routing.route(store=shipment.store, text="\n".join(lines), has_order=bool(shipment.order_number)).queue is None:
            raise ValidationError({"queue": _("No ticket queue serves store %(store)s; an administrator adds a default "
                                              "queue.") % {"store": shipment.store.name}})
        ticket = create_ticket(
            store=shipment.store, actor=actor, now=now, channel=Ticket.Channel.PROACTIVE,
            category=Ticket.Category.LOGISTICS, order_no=shipment.order_number,
            customer_phone=shipment.consignee_phone, customer_address=shipment.consignee_address,
            subject=subject, description="\n".join(lines),
            created_data={"logistics_alert": alert.pk, "shipment": shipment.pk, "waybill": shipment.waybill_number},
        )
        _touch(alert, actor=actor, now=now)
        alert.ticket_id = ticket.pk
        alert.save(update_fields=["ticket_id", "acknowledged_at", "acknowledged_by"])
        _entry(alert, AlertEntry.Kind.TICKET_OPENED, actor=actor, now=now, note=note, ticket=ticket.pk)
    return ticket
