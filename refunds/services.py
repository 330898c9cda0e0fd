"""Domain operations of the refund desk: every write goes through here.

Each function runs in one transaction, writes the request's timeline (`RefundEvent`, actor and
time), links or updates the ticket through the tickets app's services, queues notifications
through the outbox and the marketplace's answer through the outbound feed. They take keyword-only
`actor=` and `now=` and never read the clock. Access checks (may this user act on this request?)
belong to the caller (`restrict`); domain rules are enforced here with ValidationError (a 400 in
the API, a message at the field in a form).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.models import Carrier, Shipment, ShipmentStatus
from portal import outbound
from portal.inputs import in_year_range, year_range_message
from portal.models import Membership, Notification, OutboundMessage, Team
from portal.notifications import queue_notification, queue_notifications
from portal.roles import Role
from refunds.models import (
    EvidenceFile,
    RefundDecision,
    RefundDeskSettings,
    RefundEvent,
    RefundRequest,
    ResponsibilityRule,
    ReturnPolicy,
    RuleOutcome,
)
from tickets import services as ticket_services
from tickets.models import Category, Queue, Ticket

Status = RefundRequest.Status
Kind = RefundRequest.Kind
Decision = RefundRequest.Decision
EventKind = RefundEvent.Kind
CENT = Decimal("0.01")
# Fields a repeated post may change while the request is undecided.
CHANGEABLE = ("amount", "kind", "return_waybill", "return_carrier", "buyer_statement")
REFUND_CATEGORIES = [Category.REFUND, Category.RETURN, Category.DISPUTE]


class Conflict(Exception):
    """A repeated post that would change a decided (or cancelled) request: HTTP 409."""


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def request_link(request: RefundRequest) -> str:
    return reverse("refunds:request", args=[request.pk])


def _event(request, kind, *, actor, now, note="", data=None) -> RefundEvent:
    return RefundEvent.objects.create(request=request, kind=kind, actor=actor, at=now, note=note, data=data or {})


def _lock(request: RefundRequest) -> RefundRequest:
    RefundRequest.objects.select_for_update().filter(pk=request.pk).values_list("pk", flat=True).first()
    request.refresh_from_db()
    return request


def _save(request, now, fields=None):
    request.updated_at = now
    if fields is None:
        request.save()
    else:
        request.save(update_fields=[*fields, "updated_at"])


# --- Configuration ------------------------------------------------------------------------------


def desk_settings(store) -> RefundDeskSettings:
    """The store's refund desk settings (the defaults, unsaved, for a store without any)."""
    return RefundDeskSettings.objects.filter(store=store).first() or RefundDeskSettings(store=store)


def desk_queue(store, settings: RefundDeskSettings | None = None) -> Queue | None:
    """The store's refund desk queue: the configured one, else the default queue of a refund desk
    team serving the store (else of any refund desk team)."""
    settings = settings or desk_settings(store)
    if settings.queue_id:
        return settings.queue
    teams = Team.objects.filter(kind=Team.Kind.REFUND_DESK)
    for team_filter in (Q(stores=store), Q()):
        queue = (Queue.objects.filter(team__in=teams.filter(team_filter))
                 .order_by("-is_default", "id").first())
        if queue is not None:
            return queue
    return None


def default_respond_by(kind, requested_at, settings: RefundDeskSettings):
    hours = settings.refund_only_hours if kind == Kind.REFUND_ONLY else settings.return_hours
    return requested_at + timedelta(hours=hours)


def needs_return(kind, goods_shipped) -> bool:
    """"See goods, then refund": every return-and-refund request, and a refund-only request for
    goods that were shipped, waits for the goods to come back."""
    return kind == Kind.RETURN_AND_REFUND or (kind == Kind.REFUND_ONLY and bool(goods_shipped))


# --- Eligibility and the rulebook ---------------------------------------------------------------


@dataclass
class Eligibility:
    eligible: bool
    policy: ReturnPolicy | None
    window_ends: object  # date | None
    reason: str
    delivered_at: object  # datetime | None


def product_line_of(store, sku):
    """The product line of a store's SKU (installation's product catalogue), or None."""
    if not sku:
        return None
    from installation.models import Product

    product = Product.objects.filter(store=store, sku=sku).select_related("product_line").first()
    return product.product_line if product else None


def delivery_of(store, order_no):
    """When the order's (outbound) parcel was delivered, from the logistics tracking; None if unknown."""
    if not order_no:
        return None
    return (Shipment.objects.filter(store=store, order_number=order_no, direction=Shipment.Direction.OUTBOUND,
                                    delivered_at__isnull=False)
            .order_by("delivered_at").values_list("delivered_at", flat=True).first())


def matching_policy(store, product_line, on_date) -> ReturnPolicy | None:
    """The store's active return policy on `on_date` for the product line: one narrowed to the line
    first, else a store-wide one (newest start first)."""
    policies = (ReturnPolicy.objects.filter(store=store, is_active=True, active_from__lte=on_date)
                .filter(Q(active_to__isnull=True) | Q(active_to__gte=on_date))
                .prefetch_related("excluded_product_lines").order_by("-active_from", "id"))
    candidates = [p for p in policies if p.product_line_id is None or p.product_line_id == getattr(product_line, "pk", None)]
    candidates.sort(key=lambda p: p.product_line_id is None)
    return candidates[0] if candidates else None


def compute_eligibility(*, store, product_line, order_no, requested_at, flags) -> Eligibility:
    """Whether the request falls under the store's return policy, and why (pure reading)."""
    from refunds.models import ExclusionFlag

    delivered_at = delivery_of(store, order_no)
    requested_on = timezone.localdate(requested_at)
    policy = matching_policy(store, product_line, requested_on)
    if policy is None:
        return Eligibility(False, None, None, _("No return policy of the store covers this product."), delivered_at)
    if product_line is not None and any(line.pk == product_line.pk for line in policy.excluded_product_lines.all()):
        return Eligibility(False, policy, None, _("The policy excludes this product line (%(line)s).")
                           % {"line": product_line.name}, delivered_at)
    excluded = [flag for flag in flags or [] if flag in (policy.excluded_flags or [])]
    if excluded:
        labels = ", ".join(str(ExclusionFlag(flag).label) for flag in excluded if flag in ExclusionFlag.values)
        return Eligibility(False, policy, None, _("Excluded by the policy: %(conditions)s.") % {"conditions": labels},
                           delivered_at)
    if delivered_at is None:
        return Eligibility(True, policy, None, _(
            "Delivery date unknown: no delivered event for the order's parcel, so the %(days)s-day window has "
            "not started.") % {"days": policy.window_days}, delivered_at)
    window_ends = timezone.localdate(delivered_at) + timedelta(days=policy.window_days)
    if requested_on <= window_ends:
        reason = _("Within the %(days)s-day window: delivered %(delivered)s, window ends %(ends)s.")
        return Eligibility(True, policy, window_ends, reason % {
            "days": policy.window_days, "delivered": timezone.localdate(delivered_at), "ends": window_ends},
            delivered_at)
    reason = _("Outside the %(days)s-day window: delivered %(delivered)s, window ended %(ends)s.")
    return Eligibility(False, policy, window_ends, reason % {
        "days": policy.window_days, "delivered": timezone.localdate(delivered_at), "ends": window_ends}, delivered_at)


def suggest_rule(request: RefundRequest, rules=None) -> ResponsibilityRule | None:
    """The rulebook line that matches the request's product line and reason (and, for rules bound to
    days after delivery, its timing): the most specific first."""
    if rules is None:
        rules = list(ResponsibilityRule.objects.filter(is_active=True).prefetch_related("reasons"))
    days = None
    if request.delivered_at is not None:
        days = (request.requested_at - request.delivered_at).total_seconds() / 86400
    matches = []
    for rule in rules:
        if not rule.is_active:
            continue
        reason_ids = {reason.pk for reason in rule.reasons.all()}
        if reason_ids and request.reason_id not in reason_ids:
            continue
        if rule.product_line_id and rule.product_line_id != request.product_line_id:
            continue
        if rule.within_days_of_delivery is not None and (days is None or days > rule.within_days_of_delivery):
            continue
        matches.append(((rule.product_line_id is not None) + bool(reason_ids), -rule.pk, rule))
    if not matches:
        return None
    return max(matches, key=lambda item: item[:2])[2]


def rule_amount(request: RefundRequest, rule: ResponsibilityRule | None) -> tuple[Decimal, str]:
    """The refund the rule's outcome gives for this request, and the calculation as text."""
    amount = money(request.amount)
    if rule is None or rule.outcome == RuleOutcome.FULL_REFUND:
        return amount, _("Full refund: %(amount)s") % {"amount": amount}
    if rule.outcome in (RuleOutcome.REJECT, RuleOutcome.REPAIR):
        return Decimal("0.00"), _("%(outcome)s: no refund") % {"outcome": rule.get_outcome_display()}
    percent = rule.depreciation_percent or Decimal("0")
    fee = rule.fixed_fee or Decimal("0")
    result = max(Decimal("0.00"), money(amount * (Decimal("100") - percent) / Decimal("100") - fee))
    text = _("%(amount)s − %(percent)s %% depreciation − %(fee)s fee = %(result)s") % {
        "amount": amount, "percent": percent.normalize(), "fee": money(fee), "result": result}
    return result, text


# --- Receiving requests from the marketplace ------------------------------------------------------


def _return_shipment(store, order_no, waybill, carrier_code, *, now):
    """The return parcel the logistics ingest tracks for this waybill: found, or created with
    direction `return` (so a later carrier report joins it)."""
    if not waybill:
        return None
    carrier = Carrier.objects.filter(code=carrier_code).first() if carrier_code else None
    found = Shipment.objects.filter(waybill_number=waybill, store=store)
    if carrier is not None:
        found = found.filter(carrier=carrier)
    shipment = found.filter(order_number=order_no).first() or found.filter(order_number="").first()
    if shipment is not None:
        if shipment.direction != Shipment.Direction.RETURN:
            Shipment.objects.filter(pk=shipment.pk).update(direction=Shipment.Direction.RETURN)
            shipment.direction = Shipment.Direction.RETURN
        return shipment
    if carrier is None:
        return None
    return Shipment.objects.create(store=store, carrier=carrier, waybill_number=waybill, order_number=order_no,
                                   direction=Shipment.Direction.RETURN, created_at=now)


def _ticket_for(request: RefundRequest, *, actor, now) -> Ticket:
    """An open refund ticket of the same order, linked; else a new one in the store's refund desk queue."""
    existing = (Ticket.objects.filter(store=request.store, order_no=request.order_no, category__in=REFUND_CATEGORIES,
                                      merged_into__isnull=True).open().order_by("created_at").first())
    note = _("Refund request %(platform_id)s (%(kind)s, %(amount)s CNY)") % {
        "platform_id": request.platform_request_id, "kind": request.get_kind_display(), "amount": request.amount}
    if existing is not None:
        ticket_services.fix_resolution_deadline(existing, at=request.respond_by, actor=actor, now=now)
        ticket_services.record_link(existing, actor=actor, now=now, body=note, data={"refund_request": request.pk})
        return existing
    queue = desk_queue(request.store)
    if queue is None:
        raise ValidationError({"store": _("The store has no refund desk queue; add one to its refund desk team.")})
    ticket = ticket_services.create_ticket(
        store=request.store, actor=actor, now=now, channel=Ticket.Channel.PROACTIVE, queue=queue,
        category=Category.REFUND if request.kind == Kind.REFUND_ONLY else Category.RETURN,
        order_no=request.order_no, subject=note[:200], description=request.buyer_statement or note,
        resolution_due_fixed_at=request.respond_by, created_data={"refund_request": request.pk},
    )
    ticket_services.record_link(ticket, actor=actor, now=now, body=note, data={"refund_request": request.pk})
    return ticket


def _apply_eligibility(request: RefundRequest):
    result = compute_eligibility(store=request.store, product_line=request.product_line, order_no=request.order_no,
                                 requested_at=request.requested_at, flags=request.flags)
    request.eligible, request.policy, request.window_ends = result.eligible, result.policy, result.window_ends
    request.eligibility_reason = result.reason[:300]
    request.delivered_at = result.delivered_at
    return result


def _hold_or_release(request: RefundRequest, *, actor, now):
    """Put the request on hold for the return, or keep it open; a return parcel already delivered
    releases it at once."""
    if request.status not in (Status.OPEN, Status.AWAITING_RETURN):
        return
    if not needs_return(request.kind, request.goods_shipped) or request.goods_received_at is not None:
        request.status = Status.OPEN
        return
    request.status = Status.AWAITING_RETURN
    shipment = request.return_shipment
    if shipment is not None and shipment.status == ShipmentStatus.DELIVERED and shipment.delivered_at:
        _mark_received(request, at=shipment.delivered_at, via=RefundRequest.ReceivedVia.PARCEL, actor=None, now=now)


def _mark_received(request, *, at, via, actor, now):
    settings = desk_settings(request.store)
    request.status = Status.OPEN
    request.goods_received_at = at
    request.goods_received_via = via
    request.goods_received_by = actor
    request.refund_due_at = at + timedelta(hours=settings.refund_after_receipt_hours)
    _event(request, EventKind.RECEIVED, actor=actor, now=now, data={"via": via, "at": at.isoformat()},
           note=_("Goods back; refund within %(hours)s hours of receipt (by %(due)s).") % {
               "hours": settings.refund_after_receipt_hours,
               "due": timezone.localtime(request.refund_due_at).strftime("%Y-%m-%d %H:%M")})


def receive_request(*, store, data: dict, actor, now) -> tuple[RefundRequest, bool]:
    """The marketplace's refund request (validated input of `POST /api/v1/refunds/`), idempotent on
    (store, platform request id). Returns (request, created). A repeat may change the amount, kind,
    return waybill or buyer statement, or cancel, while the request is undecided (each change on the
    timeline); once decided or cancelled, a repeat that changes anything raises `Conflict`."""
    try:
        with transaction.atomic():
            existing = (RefundRequest.objects.select_for_update()
                        .filter(store=store, platform_request_id=data["platform_request_id"]).first())
            if existing is not None:
                return _repeat(existing, data, actor=actor, now=now), False
            return _create(store, data, actor=actor, now=now), True
    except IntegrityError:
        # A concurrent first post won the unique key: this one is its repeat.
        with transaction.atomic():
            existing = (RefundRequest.objects.select_for_update()
                        .get(store=store, platform_request_id=data["platform_request_id"]))
            return _repeat(existing, data, actor=actor, now=now), False


def _check_amounts(amount, order_amount):
    if amount is not None and amount <= 0:
        raise ValidationError({"amount": _("The amount must be above zero.")})
    if order_amount is not None and amount is not None and amount > order_amount:
        raise ValidationError({"amount": _("The amount is above the order amount (%(order)s).") % {
            "order": order_amount}})


def _create(store, data, *, actor, now) -> RefundRequest:
    _check_amounts(data["amount"], data.get("order_amount"))
    if data.get("cancelled"):
        raise ValidationError({"cancelled": _("A request cannot be cancelled before it exists.")})
    settings = desk_settings(store)
    respond_by = data.get("respond_by")
    request = RefundRequest(
        store=store, platform_request_id=data["platform_request_id"], order_no=data["order_no"], kind=data["kind"],
        amount=data["amount"], order_amount=data.get("order_amount"), reason=data["reason"],
        buyer_statement=data.get("buyer_statement", ""), requested_at=data["requested_at"],
        respond_by=respond_by or default_respond_by(data["kind"], data["requested_at"], settings),
        respond_by_from_platform=respond_by is not None, goods_shipped=data["goods_shipped"],
        return_waybill=data.get("return_waybill", ""), return_carrier=data.get("return_carrier", ""),
        product_sku=data.get("product_sku", ""), product_line=product_line_of(store, data.get("product_sku")),
        status=Status.OPEN, created_at=now, updated_at=now,
    )
    request.return_shipment = _return_shipment(store, request.order_no, request.return_waybill,
                                               request.return_carrier, now=now)
    _apply_eligibility(request)
    request.suggested_rule = suggest_rule(request)
    request.save()
    _event(request, EventKind.CREATED, actor=actor, now=now, data={
        "kind": request.kind, "amount": str(request.amount), "respond_by": request.respond_by.isoformat(),
        "respond_by_from_platform": request.respond_by_from_platform})
    _event(request, EventKind.ELIGIBILITY, actor=None, now=now, note=request.eligibility_reason,
           data={"eligible": request.eligible, "policy": request.policy.code if request.policy else None})
    _hold_or_release(request, actor=actor, now=now)
    if request.status == Status.AWAITING_RETURN:
        _event(request, EventKind.HOLD, actor=None, now=now, note=_hold_note(request))
    request.ticket = _ticket_for(request, actor=actor, now=now)
    _save(request, now)
    return request


def _hold_note(request) -> str:
    if request.return_waybill:
        return _("Held until the return parcel %(waybill)s is delivered back to the store.") % {
            "waybill": request.return_waybill}
    return _("Held until the goods are back (no return waybill yet).")


def _repeat(request: RefundRequest, data, *, actor, now) -> RefundRequest:
    changes = {}
    for field in CHANGEABLE:
        if field not in data:
            continue
        old, value = getattr(request, field), data[field]
        if (money(old) != money(value)) if field == "amount" else old != value:
            changes[field] = (old, value)
    cancel = bool(data.get("cancelled")) and request.status != Status.CANCELLED
    if data.get("order_no") and data["order_no"] != request.order_no:
        raise Conflict(_("The order number of a request cannot change."))
    if not changes and not cancel:
        return request
    if not request.is_undecided:
        raise Conflict(_("The request is %(status)s; it can no longer change.") % {
            "status": request.get_status_display()})
    if "amount" in changes:
        _check_amounts(data["amount"], data.get("order_amount") or request.order_amount)
    if cancel:
        return _cancel(request, actor=actor, now=now)
    for field, (_old, value) in changes.items():
        setattr(request, field, value)
    if {"return_waybill", "return_carrier"} & set(changes):
        request.return_shipment = _return_shipment(request.store, request.order_no, request.return_waybill,
                                                   request.return_carrier, now=now)
    _event(request, EventKind.CHANGED, actor=actor, now=now,
           data={field: [str(old), str(value)] for field, (old, value) in changes.items()},
           note=", ".join(str(RefundRequest._meta.get_field(field).verbose_name) for field in changes))
    if request.status != Status.AWAITING_APPROVAL:
        before = request.status
        _hold_or_release(request, actor=actor, now=now)
        if request.status == Status.AWAITING_RETURN and before != Status.AWAITING_RETURN:
            _event(request, EventKind.HOLD, actor=None, now=now, note=_hold_note(request))
    _save(request, now)
    return request


def _cancel(request, *, actor, now) -> RefundRequest:
    RefundDecision.objects.filter(request=request, status=RefundDecision.Status.AWAITING_APPROVAL).update(
        status=RefundDecision.Status.DECLINED)
    request.status = Status.CANCELLED
    request.cancelled_at = now
    _event(request, EventKind.CANCELLED, actor=actor, now=now, note=_("The buyer cancelled the request."))
    _save(request, now)
    _resolve_ticket(request, actor=actor, now=now, note=_("Refund request cancelled by the buyer."))
    return request


def _resolve_ticket(request, *, actor, now, note):
    if request.ticket_id is None:
        return
    ticket = Ticket.objects.get(pk=request.ticket_id)
    others_open = (RefundRequest.objects.filter(ticket_id=ticket.pk, status__in=RefundRequest.UNDECIDED)
                   .exclude(pk=request.pk).exists())
    if ticket.is_open and not others_open:
        ticket_services.resolve(ticket, actor=actor, now=now, note=note)


# --- Goods received -------------------------------------------------------------------------------


def record_goods_received(request: RefundRequest, *, actor, now, at=None) -> RefundRequest:
    """A person records the returned goods as received (who and when), releasing the hold."""
    with transaction.atomic():
        _lock(request)
        if request.status != Status.AWAITING_RETURN:
            raise ValidationError({"received_at": _("The request is not waiting for returned goods.")})
        if at is not None and not in_year_range(at):  # a year-1 time cannot even be compared with now
            raise ValidationError({"received_at": year_range_message()})
        at = at or now
        if at > now:
            raise ValidationError({"received_at": _("The time of receipt cannot be in the future.")})
        _mark_received(request, at=at, via=RefundRequest.ReceivedVia.MANUAL, actor=actor, now=now)
        _save(request, now)
        _notify_desk(request, _("Goods received for refund request #%(id)s") % {"id": request.pk}, now=now)
    return request


def release_holds(deliveries, *, now) -> int:
    """The delivery hook (`portal.registry`): return parcels one ingest batch marked delivered release
    the requests held for them. Set-based: a fixed number of statements per chunk of 5,000 parcels
    (UPDATEs with the receipt time read from the parcel, one INSERT ... SELECT of the timeline
    entries, one message per person told), whatever the count; replay-safe (a request no longer on
    hold is not touched again)."""
    from django.db.models import F, OuterRef, Subquery, Value

    from portal.sql import insert_select

    ids = list(dict.fromkeys(shipment_id for shipment_id, _at in deliveries))
    if not ids:
        return 0
    released = 0
    hours_by_store = dict(RefundDeskSettings.objects.values_list("store_id", "refund_after_receipt_hours"))
    default_hours = RefundDeskSettings._meta.get_field("refund_after_receipt_hours").default
    with transaction.atomic():
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            rows = list(RefundRequest.objects.filter(return_shipment_id__in=chunk, status=Status.AWAITING_RETURN)
                        .values_list("pk", "store_id", "ticket__assignee_id"))
            if not rows:
                continue
            pks = [pk for pk, _store, _assignee in rows]
            held = RefundRequest.objects.filter(pk__in=pks)
            delivered_at = Subquery(Shipment.objects.filter(pk=OuterRef("return_shipment_id"))
                                    .values("delivered_at")[:1])
            held.update(status=Status.OPEN, goods_received_at=delivered_at,
                        goods_received_via=RefundRequest.ReceivedVia.PARCEL, updated_at=now)
            by_hours: dict[int, set[int]] = {}
            for _pk, store_id, _assignee in rows:
                by_hours.setdefault(hours_by_store.get(store_id, default_hours), set()).add(store_id)
            for hours, store_ids in by_hours.items():
                held.filter(store_id__in=store_ids).update(refund_due_at=F("goods_received_at") + timedelta(hours=hours))
            insert_select(RefundEvent, held, {
                "request_id": F("pk"), "kind": Value(EventKind.RECEIVED), "at": Value(now),
                "note": Value(_("Return parcel delivered back to the store; the refund-after-receipt clock started.")),
            })
            queue_notifications(_release_messages(rows), now=now)
            released += len(rows)
    return released


def _desk_specialists(store_ids) -> dict[int, list[int]]:
    """Refund specialists of the refund desk teams serving each store (one query)."""
    result: dict[int, list[int]] = {}
    for store_id, user_id in (Membership.objects.filter(
            team__kind=Team.Kind.REFUND_DESK, team__stores__in=store_ids, role=Role.REFUND_SPECIALIST,
            user__is_active=True).values_list("team__stores", "user_id").distinct()):
        result.setdefault(store_id, []).append(user_id)
    return result


def _release_messages(rows, *, one=None, several=None) -> list[dict]:
    """Who hears that returned goods are back (or another news of these requests): the assignee of
    each request's ticket, else the refund specialists of its store; one message per person (a
    summary when several arrive at once)."""
    unassigned = {store_id for _pk, store_id, assignee in rows if not assignee}
    people = _desk_specialists(unassigned) if unassigned else {}
    by_user: dict[int, list[int]] = {}
    for pk, store_id, assignee in rows:
        for user_id in ([assignee] if assignee else people.get(store_id, [])):
            by_user.setdefault(user_id, []).append(pk)
    messages = []
    for user_id, pks in by_user.items():
        if len(pks) == 1:
            subject = (one or _("Returned goods received for refund request #%(id)s")) % {"id": pks[0]}
            link = reverse("refunds:request", args=[pks[0]])
        else:
            subject = (several or _("Returned goods received for %(count)s refund requests")) % {"count": len(pks)}
            link = reverse("refunds:request_list")
        messages.append({"recipient_id": user_id, "channel": Notification.Channel.IN_APP, "subject": subject,
                         "link": link, "source": "refunds:release"})
    return messages


def _notify_desk(request, subject, *, now):
    ticket = Ticket.objects.filter(pk=request.ticket_id).only("assignee_id").first() if request.ticket_id else None
    if ticket is not None and ticket.assignee_id:
        recipients = [ticket.assignee_id]
    else:
        recipients = _desk_specialists({request.store_id}).get(request.store_id, [])
    queue_notifications([{"recipient_id": user_id, "channel": Notification.Channel.IN_APP, "subject": subject,
                          "link": request_link(request), "source": f"refund:{request.pk}"}
                         for user_id in recipients], now=now)


def remind_overdue_refunds(*, now) -> int:
    """The refund-after-receipt clock: requests whose goods are back but that are still undecided
    after `refund_due_at` are put in front of the desk once (a timeline entry, one message per
    person). Set-based: a fixed number of statements whatever the count."""
    from django.db.models import F, Value

    from portal.sql import insert_select

    with transaction.atomic():
        due = RefundRequest.objects.filter(status=Status.OPEN, refund_due_at__lte=now,
                                           refund_due_reminded_at__isnull=True)
        rows = list(due.values_list("pk", "store_id", "ticket__assignee_id")[:5000])
        if not rows:
            return 0
        marked = RefundRequest.objects.filter(pk__in=[pk for pk, _s, _a in rows])
        marked.update(refund_due_reminded_at=now)
        insert_select(RefundEvent, marked, {
            "request_id": F("pk"), "kind": Value(EventKind.REFUND_OVERDUE), "at": Value(now),
            "note": Value(_("The goods are back and the refund-after-receipt time has passed.")),
        })
        queue_notifications(_release_messages(
            rows, one=_("Refund after receipt overdue: refund request #%(id)s"),
            several=_("Refund after receipt overdue: %(count)s refund requests")), now=now)
    return len(rows)


# --- Conditions of the goods (eligibility again) ------------------------------------------------


def set_flags(request: RefundRequest, *, flags, actor, now) -> RefundRequest:
    """The agent ticks the condition of the goods (e.g. an activated e-bike); eligibility follows."""
    from refunds.models import ExclusionFlag

    unknown = [flag for flag in flags if flag not in ExclusionFlag.values]
    if unknown:
        raise ValidationError({"flags": _("Unknown condition: %(flags)s.") % {"flags": ", ".join(unknown)}})
    with transaction.atomic():
        _lock(request)
        if sorted(flags) == sorted(request.flags or []):
            return request
        request.flags = sorted(set(flags))
        _apply_eligibility(request)
        _event(request, EventKind.ELIGIBILITY, actor=actor, now=now, note=request.eligibility_reason,
               data={"eligible": request.eligible, "flags": request.flags})
        _save(request, now)
    return request


# --- Decisions ------------------------------------------------------------------------------------


def approval_limit(user, store) -> Decimal | None:
    """How much `user` may refund on one decision for `store`: None means no limit (approvers)."""
    from refunds.permissions import can_approve

    if can_approve(user):
        return None
    return desk_settings(store).specialist_limit


def missing_evidence(request: RefundRequest, rule: ResponsibilityRule | None) -> list[str]:
    """The evidence kinds the rule requires to contest that the request has no file of."""
    if rule is None:
        return []
    have = set(EvidenceFile.objects.filter(request=request).values_list("kind", flat=True))
    return [kind for kind in rule.required_evidence or [] if kind not in have]


def decide(request: RefundRequest, *, decision, actor, now, amount=None, rule=None, note="") -> RefundDecision:
    """Decide a request: approve (full), partial (amount from the rule, editable), reject (contest:
    the rule's evidence must be on file) or exchange. Above the decider's limit the decision waits
    for an approver (status `awaiting_approval`, approvers notified); else it is in force at once:
    the ticket is resolved and the marketplace told through the outbound feed."""
    with transaction.atomic():
        _lock(request)
        if request.status == Status.AWAITING_APPROVAL:
            raise ValidationError({"decision": _("A decision on this request already waits for approval.")})
        if not request.is_undecided:
            raise ValidationError({"decision": _("The request is already %(status)s.") % {
                "status": request.get_status_display()}})
        if decision not in Decision.values:
            raise ValidationError({"decision": _("Unknown decision.")})
        if request.status == Status.AWAITING_RETURN and decision != Decision.REJECT:
            raise ValidationError({"decision": _(
                "The goods are not back yet: record them as received or wait for the return parcel.")})
        rule = rule or request.suggested_rule
        calculation = ""
        if decision == Decision.APPROVE:
            refund = money(request.amount)
            calculation = _("Full refund: %(amount)s") % {"amount": refund}
        elif decision == Decision.PARTIAL:
            computed, calculation = rule_amount(request, rule)
            if amount is None:
                if rule is None or rule.outcome != RuleOutcome.PARTIAL_REFUND:
                    raise ValidationError({"amount": _("Give the amount of the partial refund.")})
                refund = computed
            else:
                refund = money(amount)
                if refund != computed:
                    calculation = _("%(calculation)s; set by hand to %(amount)s") % {
                        "calculation": calculation, "amount": refund}
            if refund <= 0:
                raise ValidationError({"amount": _("A partial refund must be above zero.")})
            if refund > money(request.amount):
                raise ValidationError({"amount": _("The amount is above the amount requested (%(amount)s).") % {
                    "amount": request.amount}})
        elif decision == Decision.REJECT:
            if rule is None:
                raise ValidationError({"rule": _("Name the rule that makes the buyer (or another party) "
                                                 "responsible; contesting needs its evidence.")})
            missing = missing_evidence(request, rule)
            if missing:
                from refunds.models import EvidenceKind

                raise ValidationError({"decision": _("Contesting under rule %(rule)s needs evidence of these kinds: "
                                                     "%(kinds)s.") % {
                    "rule": rule.code, "kinds": ", ".join(str(EvidenceKind(k).label) for k in missing)}})
            refund = Decimal("0.00")
            calculation = _("Rejected: no refund")
        else:  # exchange
            refund = Decimal("0.00")
            calculation = _("Exchange: no refund")
        if amount is not None and decision != Decision.PARTIAL and money(amount) != refund:
            raise ValidationError({"amount": _("An amount is given only with a partial refund.")})
        limit = approval_limit(actor, request.store)
        row = RefundDecision(request=request, decision=decision, amount=refund, rule=rule,
                             calculation=calculation[:300], note=note or "", decided_by=actor, decided_at=now)
        if limit is not None and refund > limit:
            row.status = RefundDecision.Status.AWAITING_APPROVAL
            row.save()
            request.status = Status.AWAITING_APPROVAL
            _event(request, EventKind.PROPOSED, actor=actor, now=now, note=note, data={
                "decision": decision, "amount": str(refund), "limit": str(limit),
                "rule": rule.code if rule else None})
            _save(request, now)
            _notify_approvers(request, row, now=now)
            return row
        row.status = RefundDecision.Status.IN_FORCE
        row.save()
        _put_in_force(request, row, actor=actor, now=now)
    return row


def _put_in_force(request, row: RefundDecision, *, actor, now):
    request.status = Status.DECIDED
    request.decision = row.decision
    request.refund_amount = row.amount
    request.rule = row.rule
    request.decided_at = now
    request.decided_by = row.decided_by
    request.decision_seconds = max(0, int((now - request.requested_at).total_seconds()))
    _event(request, EventKind.DECIDED, actor=actor, now=now, note=row.note, data={
        "decision": row.decision, "amount": str(row.amount), "calculation": row.calculation,
        "rule": row.rule.code if row.rule else None,
        "approved_by": row.approved_by_id})
    _save(request, now)
    outbound.publish(store=request.store, topic=OutboundMessage.Topic.REFUND_DECISION, payload=decision_payload(request, row),
                     source=f"refund:{request.pk}", now=now)
    _resolve_ticket(request, actor=actor, now=now, note=_("Refund request decided: %(decision)s, %(amount)s CNY.") % {
        "decision": row.get_decision_display(), "amount": row.amount})


def decision_payload(request: RefundRequest, row: RefundDecision) -> dict:
    """The body the marketplace receives for a decision (the outbound feed / webhook)."""
    return {
        "platform_request_id": request.platform_request_id,
        "order_no": request.order_no,
        "request_id": request.pk,
        "decision": row.decision,
        "refund_amount": str(row.amount),
        "rule": row.rule.code if row.rule else None,
        "responsible_party": row.rule.responsible_party if row.rule else None,
        "claim_against_carrier": bool(row.rule and row.rule.claim_against_carrier),
        "note": row.note,
        "decided_at": request.decided_at.isoformat(),
    }


def _approvers(store_id) -> list[int]:
    """Managers and directors holding the approve permission (one query) who may see the store's
    requests (approvers are few: their scope is checked one by one, through the same rule as every
    page)."""
    from django.contrib.auth import get_user_model

    from portal.permissions import is_org_wide, visible_store_ids

    holders = get_user_model().objects.with_perm("refunds.approve_refundrequest", is_active=True,
                                                 backend="django.contrib.auth.backends.ModelBackend")
    candidates = holders.filter(memberships__role__in=[Role.MANAGER, Role.DIRECTOR]).distinct().order_by("pk")
    return [user.pk for user in candidates if is_org_wide(user) or store_id in visible_store_ids(user)]


def _notify_approvers(request, row, *, now):
    subject = _("Refund decision of %(amount)s CNY waits for your approval (request #%(id)s)") % {
        "amount": row.amount, "id": request.pk}
    queue_notifications([{"recipient_id": user_id, "channel": Notification.Channel.IN_APP, "subject": subject,
                          "link": request_link(request), "source": f"refund:{request.pk}"}
                         for user_id in _approvers(request.store_id)], now=now)


def pending_decision(request: RefundRequest) -> RefundDecision | None:
    return request.decisions.filter(status=RefundDecision.Status.AWAITING_APPROVAL).select_related("rule").first()


def _decision_for_approver(request: RefundRequest, actor) -> RefundDecision:
    """The decision waiting for approval on the (locked) request, if `actor` may approve it."""
    from refunds.permissions import can_approve

    row = pending_decision(request)
    if row is None or request.status != Status.AWAITING_APPROVAL:
        raise ValidationError({"decision": _("No decision on this request waits for approval.")})
    if not can_approve(actor):
        raise ValidationError({"decision": _("Your role cannot approve refund decisions.")})
    return row


def approve_decision(request: RefundRequest, *, actor, now, note="") -> RefundDecision:
    """An approver puts a decision that waits for approval in force."""
    with transaction.atomic():
        _lock(request)
        row = _decision_for_approver(request, actor)
        row.status = RefundDecision.Status.IN_FORCE
        row.approved_by, row.approved_at = actor, now
        if note:
            row.note = f"{row.note}\n{note}".strip()
        row.save()
        _put_in_force(request, row, actor=actor, now=now)
        if row.decided_by_id and row.decided_by_id != getattr(actor, "pk", None):
            queue_notification(recipient=row.decided_by, channel=Notification.Channel.IN_APP,
                               subject=_("Your refund decision on request #%(id)s was approved") % {"id": request.pk},
                               link=request_link(request), source=f"refund:{request.pk}", now=now)
    return row


def decline_decision(request: RefundRequest, *, actor, now, note="") -> RefundDecision:
    """An approver declines a decision that waits for approval: the request is open again."""
    with transaction.atomic():
        _lock(request)
        row = _decision_for_approver(request, actor)
        row.status = RefundDecision.Status.DECLINED
        row.approved_by, row.approved_at = actor, now
        row.save()
        request.status = Status.OPEN
        _event(request, EventKind.DECLINED, actor=actor, now=now, note=note,
               data={"decision": row.decision, "amount": str(row.amount)})
        _save(request, now)
        if row.decided_by_id and row.decided_by_id != getattr(actor, "pk", None):
            queue_notification(recipient=row.decided_by, channel=Notification.Channel.IN_APP,
                               subject=_("Your refund decision on request #%(id)s was declined") % {"id": request.pk},
                               body=note, link=request_link(request), source=f"refund:{request.pk}", now=now)
    return row


# --- Disputes -----------------------------------------------------------------------------------


CONTESTED = [Decision.REJECT, Decision.PARTIAL]


def _check_submitted_on(submitted_on, *, now):
    """The day the dispute went to the platform: within the portal's years, not in the future."""
    if not in_year_range(submitted_on):
        raise ValidationError({"submitted_on": year_range_message(dates=True)})
    if submitted_on > timezone.localdate(now):
        raise ValidationError({"submitted_on": _("The date cannot be in the future.")})


def submit_dispute(request: RefundRequest, *, submitted_on, actor, now, note="") -> RefundRequest:
    """The contested decision went to the platform's arbitration (with the evidence pack) on a date."""
    with transaction.atomic():
        _lock(request)
        if request.status != Status.DECIDED or request.decision not in CONTESTED:
            raise ValidationError({"submitted_on": _("Only a rejected or partial refund decision can be disputed.")})
        _check_submitted_on(submitted_on, now=now)
        request.status = Status.DISPUTED
        request.dispute_submitted_on = submitted_on
        _event(request, EventKind.DISPUTE, actor=actor, now=now, note=note,
               data={"submitted_on": submitted_on.isoformat()})
        _save(request, now)
    return request


def record_ruling(request: RefundRequest, *, ruling, actor, now, amount=None, note="",
                  submitted_on=None) -> RefundRequest:
    """The platform's ruling on a dispute: for the merchant (the decision stands), for the buyer
    (full refund) or split (an amount). Closes the request. A contested decision not yet recorded as
    disputed is recorded as submitted on `submitted_on` (default today)."""
    with transaction.atomic():
        _lock(request)
        if submitted_on is not None:  # checked in every state (a disputed request's was ignored unchecked)
            _check_submitted_on(submitted_on, now=now)
        if request.status == Status.DECIDED and request.decision in CONTESTED:
            request.dispute_submitted_on = submitted_on or timezone.localdate(now)
            _event(request, EventKind.DISPUTE, actor=actor, now=now,
                   data={"submitted_on": request.dispute_submitted_on.isoformat()})
        elif request.status != Status.DISPUTED:
            raise ValidationError({"ruling": _("Only a disputed (or contested) request gets a platform ruling.")})
        if ruling not in RefundRequest.Ruling.values:
            raise ValidationError({"ruling": _("Unknown ruling.")})
        if ruling == RefundRequest.Ruling.MERCHANT:
            refund = money(request.refund_amount or 0)
        elif ruling == RefundRequest.Ruling.BUYER:
            refund = money(request.amount)
        else:
            if amount is None:
                raise ValidationError({"amount": _("Give the refund the split ruling grants.")})
            refund = money(amount)
        if amount is not None and ruling != RefundRequest.Ruling.SPLIT and money(amount) != refund:
            raise ValidationError({"amount": _("An amount is given only with a split ruling.")})
        if refund < 0 or refund > money(request.amount):
            raise ValidationError({"amount": _("The amount must be between 0 and the amount requested (%(amount)s).")
                                   % {"amount": request.amount}})
        request.ruling, request.ruling_amount, request.ruling_note = ruling, refund, note or ""
        request.ruled_at = now
        request.status = Status.CLOSED
        request.closed_at = now
        _event(request, EventKind.RULING, actor=actor, now=now, note=note,
               data={"ruling": ruling, "amount": str(refund)})
        _save(request, now)
    return request


def close_request(request: RefundRequest, *, actor, now, note="") -> RefundRequest:
    """Close a decided request that will not be disputed (the refund went through)."""
    with transaction.atomic():
        _lock(request)
        if request.status != Status.DECIDED:
            raise ValidationError({"status": _("Only a decided request can be closed.")})
        request.status = Status.CLOSED
        request.closed_at = now
        _event(request, EventKind.CLOSED, actor=actor, now=now, note=note)
        _save(request, now)
    return request


# --- Evidence -------------------------------------------------------------------------------------


def add_evidence(request: RefundRequest, *, upload, kind, actor, now, note="") -> EvidenceFile:
    """Store an evidence file after checking its type by content and its size against the store's
    limits; images get a thumbnail. Raises ValidationError({"file": why}) for a refused upload."""
    from refunds import evidence
    from refunds.models import EvidenceKind

    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": _("Unknown kind of evidence.")})
    settings = desk_settings(request.store)
    checked = evidence.check_upload(upload, max_bytes=settings.max_file_bytes)
    row = EvidenceFile(request=request, kind=kind, original_name=checked.name, content_type=checked.content_type,
                       size=checked.size, sha256=hashlib.sha256(checked.data).hexdigest(), note=note or "",
                       uploaded_by=actor, uploaded_at=now)
    try:
        with transaction.atomic():
            _lock(request)
            if request.status in (Status.CANCELLED, Status.CLOSED):
                raise ValidationError({"file": _("The request is %(status)s.") % {
                    "status": request.get_status_display()}})
            used = sum(EvidenceFile.objects.filter(request=request).values_list("size", flat=True))
            if used + checked.size > settings.max_request_bytes:
                raise ValidationError({"file": _("The request's evidence would exceed %(limit)s MB.") % {
                    "limit": settings.max_request_bytes // (1024 * 1024)}})
            row.file.save(f"{checked.stem}{checked.extension}", evidence.content_file(checked.data), save=False)
            if checked.thumbnail is not None:
                row.thumbnail.save(f"{checked.stem}-thumb.jpg", evidence.content_file(checked.thumbnail), save=False)
            row.save()
            _event(request, EventKind.EVIDENCE, actor=actor, now=now, note=checked.name,
                   data={"file": row.pk, "kind": kind, "type": checked.content_type, "size": checked.size})
            _save(request, now, [])
    except Exception:
        # The files of a write that did not happen are removed again.
        for name in (row.file.name, row.thumbnail.name):
            if name:
                row.file.storage.delete(name)
        raise
    return row
