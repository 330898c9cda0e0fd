"""Installation jobs: creation (by hand and on delivery), the node state machine, the SLA scan and
the one-click transfer of a ticket to the installation department.

Nodes and the moves allowed between them (`TRANSITIONS`):

    requested ─► scheduled ─► dispatched ─► on site ─► completed
         │           │  ▲          │            │
         │           ▼  │          ▼            ▼
         │       rescheduled ◄── failed ◄───────┘
         └──────────► cancelled (from any open node but on site)

- scheduled / rescheduled need an appointment window; dispatched needs a technician;
  completed needs proof (photos or the customer's confirmation); failed needs a reason.
- SLA: the first appointment must be booked within the product's booking hours after delivery (or
  after the request, for jobs created by hand); the technician must be on site by the end of the
  window; the job must be completed within the product's completion hours after the appointment
  starts (moved by a reschedule).

Every function here takes `now` and never reads the clock.
"""

import uuid
from datetime import timedelta
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.urls import reverse
from django.utils.translation import gettext as _

from installation import appointments
from installation.models import (
    InstallationAlert,
    InstallationAlertKind,
    InstallationEvent,
    InstallationJob,
    InstallationNode,
    InstallationPartner,
    InstallationTicketLink,
    Product,
)
from installation.photos import check_uploads, save_uploads
from portal.formatting import local_datetime
from portal.inputs import in_year_range, year_range_message

Node = InstallationNode
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Node.REQUESTED: (Node.SCHEDULED, Node.CANCELLED),
    Node.SCHEDULED: (Node.DISPATCHED, Node.RESCHEDULED, Node.CANCELLED),
    Node.RESCHEDULED: (Node.DISPATCHED, Node.RESCHEDULED, Node.CANCELLED),
    Node.DISPATCHED: (Node.ON_SITE, Node.RESCHEDULED, Node.FAILED, Node.CANCELLED),
    Node.ON_SITE: (Node.COMPLETED, Node.FAILED),
    Node.FAILED: (Node.RESCHEDULED, Node.CANCELLED),
    Node.COMPLETED: (),
    Node.CANCELLED: (),
}
# The main path drawn by the stepper; failed/rescheduled/cancelled show as the current state.
MAIN_PATH = [Node.REQUESTED, Node.SCHEDULED, Node.DISPATCHED, Node.ON_SITE, Node.COMPLETED]
WAITING_FOR_TECHNICIAN = [Node.SCHEDULED, Node.RESCHEDULED, Node.DISPATCHED]
CLOSED_NODES = [Node.COMPLETED, Node.CANCELLED]
DEFAULT_BOOKING_HOURS = 48
DEFAULT_COMPLETION_HOURS = 24
MAX_PHOTOS = 20
# A reported event time may run slightly ahead of our clock; beyond this it is refused.
CLOCK_SKEW = timedelta(minutes=10)
LISTED_IN_MESSAGE = 20


def _booking_hours(product):
    return product.booking_sla_hours if product else DEFAULT_BOOKING_HOURS


def _completion_hours(product):
    return product.completion_sla_hours if product else DEFAULT_COMPLETION_HOURS


def default_partner_ids(store_ids) -> dict[int, int]:
    """{store id: the first active partner serving it} (one query)."""
    result = {}
    rows = InstallationPartner.stores.through.objects.filter(
        store_id__in=list(store_ids), installationpartner__is_active=True,
    ).order_by("installationpartner_id").values_list("store_id", "installationpartner_id")
    for store_id, partner_id in rows:
        result.setdefault(store_id, partner_id)
    return result


# --- Creating jobs ----------------------------------------------------------------------------


def create_job(*, store, actor, now, product=None, order_number="", shipment=None, customer_name="",
               customer_phone="", address="", partner=None, note="") -> InstallationJob:
    """Open a job by hand (node requested), with its first event. The booking SLA runs from the
    parcel's delivery if known, else from now."""
    if product is not None and product.store_id != store.pk:
        raise ValidationError({"product": _("This product belongs to another store.")})
    if shipment is not None and shipment.store_id != store.pk:
        raise ValidationError({"shipment": _("This parcel belongs to another store.")})
    if partner is not None and not partner.stores.filter(pk=store.pk).exists():
        raise ValidationError({"partner": _("This installation partner does not serve the store.")})
    if partner is None:
        partner_id = default_partner_ids([store.pk]).get(store.pk)
        partner = InstallationPartner.objects.filter(pk=partner_id).first() if partner_id else None
    delivered_at = shipment.delivered_at if shipment is not None else None
    with transaction.atomic():
        job = InstallationJob.objects.create(
            store=store, product=product, order_number=order_number or (shipment.order_number if shipment else ""),
            shipment=shipment, customer_name=customer_name or (shipment.consignee_name if shipment else ""),
            customer_phone=customer_phone or (shipment.consignee_phone if shipment else ""),
            address=address or (shipment.consignee_address if shipment else ""), partner=partner,
            delivered_at=delivered_at, requested_at=now,
            booking_due_at=(delivered_at or now) + timedelta(hours=_booking_hours(product)),
            created_by=actor, created_at=now, updated_at=now,
        )
        InstallationEvent.objects.create(
            job=job, node=Node.REQUESTED, at=now, recorded_at=now, actor=actor,
            source=InstallationEvent.Source.STAFF if actor else InstallationEvent.Source.SYSTEM, note=note,
        )
    return job


def open_jobs_on_delivery(deliveries, *, now) -> int:
    """The delivery hook (`portal.registry`): the ingest tells which parcels one batch delivered."""
    return create_jobs_for_delivered([shipment_id for shipment_id, _at in deliveries], now=now)


def create_jobs_for_delivered(shipment_ids, *, now) -> int:
    """Open a job for every product needing installation in the given outbound parcels that are
    delivered, unless one exists. Set-based: a fixed number of queries per chunk of parcels. Returns the count.

    Called by the ingest after it marks parcels delivered (inside its transaction)."""
    from logistics.models import Shipment, ShipmentStatus

    ids = list(dict.fromkeys(shipment_ids))
    if not ids:
        return 0
    products = {(store_id, sku): (pk, booking) for pk, store_id, sku, booking in Product.objects.filter(
        needs_installation=True).values_list("pk", "store_id", "sku", "booking_sla_hours")}
    if not products:
        return 0
    created = 0
    with transaction.atomic():
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            wanted = []
            # A return parcel (goods going back to the store) never opens an installation job.
            for row in Shipment.objects.filter(pk__in=chunk, status=ShipmentStatus.DELIVERED,
                                               direction=Shipment.Direction.OUTBOUND).values(
                "pk", "store_id", "order_number", "consignee_name", "consignee_phone", "consignee_address",
                "product_skus", "delivered_at",
            ):
                skus = row["product_skus"] or []
                for sku in dict.fromkeys(str(s).strip() for s in skus):
                    if (row["store_id"], sku) in products:
                        wanted.append((row, products[row["store_id"], sku]))
            if not wanted:
                continue
            existing = set(InstallationJob.objects.filter(
                shipment_id__in={row["pk"] for row, _p in wanted}).values_list("shipment_id", "product_id"))
            partners = default_partner_ids({row["store_id"] for row, _p in wanted})
            jobs = []
            for row, (product_id, booking_hours) in wanted:
                if (row["pk"], product_id) in existing:
                    continue
                existing.add((row["pk"], product_id))
                delivered = row["delivered_at"] or now
                jobs.append(InstallationJob(
                    store_id=row["store_id"], order_number=row["order_number"], shipment_id=row["pk"],
                    product_id=product_id, customer_name=row["consignee_name"],
                    customer_phone=row["consignee_phone"], address=row["consignee_address"],
                    # Requested when delivered: a partner may book before the report reaches us.
                    partner_id=partners.get(row["store_id"]), delivered_at=row["delivered_at"], requested_at=delivered,
                    booking_due_at=delivered + timedelta(hours=booking_hours), created_at=now, updated_at=now,
                ))
            if not jobs:
                continue
            InstallationJob.objects.bulk_create(jobs, batch_size=500)
            InstallationEvent.objects.bulk_create([
                InstallationEvent(job_id=job.pk, node=Node.REQUESTED, at=job.requested_at, recorded_at=now,
                                  source=InstallationEvent.Source.SYSTEM, note=_("The parcel was delivered."))
                for job in jobs
            ], batch_size=500)
            created += len(jobs)
    return created


# --- Moving through nodes ---------------------------------------------------------------------


def allowed_next(node) -> list[str]:
    return list(TRANSITIONS.get(node, ()))


def _node_label(node) -> str:
    return str(dict(Node.choices).get(node, node))


def check_move(job, node) -> None:
    """Refuse a move the state machine does not allow, naming the allowed ones."""
    if node not in TRANSITIONS:
        raise ValidationError({"node": _("Unknown node “%(node)s”.") % {"node": node}})
    if node not in TRANSITIONS[job.node]:
        allowed = ", ".join(_node_label(n) for n in TRANSITIONS[job.node])
        if allowed:
            message = _("A job that is %(current)s cannot move to %(node)s; next can be: %(allowed)s.")
        else:
            message = _("A job that is %(current)s cannot move to %(node)s: it is closed.")
        raise ValidationError({"node": message % {
            "current": _node_label(job.node).lower(), "node": _node_label(node).lower(), "allowed": allowed.lower()}})


def _check_photos(photos) -> list[str]:
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(n)s photos.") % {"n": MAX_PHOTOS}})
    for url in photos:
        parsed = urlparse(str(url))
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(str(url)) > 500:
            raise ValidationError({"photos": _("“%(url)s” is not an http(s) URL.") % {"url": str(url)[:100]}})
    return [str(url) for url in photos]


def _check_years(**times):
    """A time outside the portal's years (a page form takes 0001-01-01 or 9999-12-31) is refused at its
    field: a year-1 time cannot even be compared with now, and due times after 9999 overflow."""
    errors = {name: [year_range_message()] for name, value in times.items()
              if value is not None and not in_year_range(value)}
    if errors:
        raise ValidationError(errors)


def record_event(job, *, node, actor, now, at=None, note="", technician_name="", technician_phone="",
                 appointment_start=None, appointment_end=None, photos=(), reason="", customer_confirmed=False,
                 partner=None, client_event_id="", photo_files=()) -> tuple[InstallationEvent, bool]:
    """Move `job` to `node` (a timestamped event with actor and note). Returns (event, created).

    Proof photos are `photos` (http(s) URLs of photos a partner stores) or `photo_files` (uploaded
    files, checked by content and kept in private storage with thumbnails: installation/photos.py).

    Idempotent on `client_event_id`: per partner (partner API) or per staff user, a repeated id
    returns the event first recorded and changes nothing. Invalid moves and missing details are
    refused with a ValidationError naming the field; nothing is written then."""
    at = at or now
    client_key = f"partner:{partner.pk}" if partner is not None else (f"user:{actor.pk}" if actor else "system")
    with transaction.atomic():
        InstallationJob.objects.select_for_update().filter(pk=job.pk).values_list("pk", flat=True).first()
        job.refresh_from_db()
        if client_event_id:
            existing = InstallationEvent.objects.filter(client_key=client_key, client_event_id=client_event_id).first()
            if existing is not None:
                if existing.job_id != job.pk:
                    raise ValidationError({"event_id": _("This event id was already used for job #%(id)s.")
                                           % {"id": existing.job_id}})
                return existing, False
        check_move(job, node)
        _check_years(time=at, appointment_start=appointment_start, appointment_end=appointment_end)
        errors = {}
        if at > now + CLOCK_SKEW:
            errors["time"] = [_("The time is in the future.")]
        last = job.events.exclude(source=InstallationEvent.Source.LOGISTICS).order_by("-at", "-id").values_list("at", flat=True).first()
        if last is not None and at < last:
            if at.second == at.microsecond == 0 and at >= last.replace(second=0, microsecond=0):
                at = last  # a time given to the minute (the forms) within the last event's minute is not earlier
            else:
                errors["time"] = [_("The time is earlier than the job's last event (%(at)s).")
                                  % {"at": local_datetime(last)}]
        if node in (Node.SCHEDULED, Node.RESCHEDULED):
            if appointment_start is None or appointment_end is None:
                errors["appointment_start"] = [_("Give the appointment window (start and end).")]
            elif appointment_end <= appointment_start:
                errors["appointment_end"] = [_("The window must end after it starts.")]
        if node == Node.DISPATCHED and not (technician_name or job.technician_name):
            errors["technician"] = [_("Name the technician who is dispatched.")]
        if node in (Node.FAILED, Node.CANCELLED) and not (reason or note).strip():
            errors["reason"] = [_("Give the reason.")]
        photo_files = list(photo_files or [])
        checked = []
        try:
            photos = _check_photos(photos)
            if len(photos) + len(photo_files) > MAX_PHOTOS:
                raise ValidationError({"photos": _("At most %(n)s photos.") % {"n": MAX_PHOTOS}})
            checked = check_uploads(photo_files)
        except ValidationError as error:
            errors.update(error.message_dict)
        if node == Node.COMPLETED and not photos and not photo_files and not customer_confirmed:
            errors["photos"] = [_("Completion needs proof: photos or the customer's confirmation.")]
        if errors:
            raise ValidationError(errors)

        event = InstallationEvent.objects.create(
            job=job, node=node, from_node=job.node, at=at, recorded_at=now, actor=actor, partner=partner,
            source=InstallationEvent.Source.PARTNER if partner else InstallationEvent.Source.STAFF,
            note=note, technician_name=technician_name or (job.technician_name if node == Node.DISPATCHED else ""),
            appointment_start=appointment_start, appointment_end=appointment_end, photos=photos,
            reason=reason or (note if node in (Node.FAILED, Node.CANCELLED) else ""),
            client_key=client_key if client_event_id else "", client_event_id=client_event_id,
        )
        if photo_files:
            event.photo_files = save_uploads(event, photo_files, checked)
            event.save(update_fields=["photo_files"])
        job.node = node
        if node in (Node.SCHEDULED, Node.RESCHEDULED):
            job.appointment_start, job.appointment_end = appointment_start, appointment_end
            job.booked_at = job.booked_at or at
            job.completion_due_at = appointment_start + timedelta(hours=_completion_hours(job.product))
            job.on_site_at = None
        if technician_name:
            job.technician_name = technician_name
        if technician_phone:
            job.technician_phone = technician_phone
        if node == Node.DISPATCHED:
            job.visits += 1
        elif node == Node.ON_SITE:
            job.on_site_at = at
        elif node == Node.COMPLETED:
            job.completed_at = at
            job.customer_confirmed = bool(customer_confirmed)
        elif node in (Node.FAILED, Node.CANCELLED):
            job.failure_reason = (reason or note)[:300]
        job.updated_at = now
        job.save()
        close_resolved_alerts(now=now, job_ids=[job.pk])
        appointments.close_moved(now=now, token=uuid.uuid4().hex, job_ids=[job.pk])
    return event, True


def record_dispatch_step(dispatch, *, step, note, actor, now) -> InstallationEvent | None:
    """Registry dispatch hook: a step of the job's own-vehicle delivery, as a note on its timeline
    (an event of source "own delivery" that does not move the job)."""
    job = InstallationJob.objects.filter(pk=dispatch.installation_job_id).first() if dispatch.installation_job_id \
        else None
    if job is None:
        return None
    return InstallationEvent.objects.create(
        job=job, node=job.node, from_node=job.node, at=now, recorded_at=now, actor=actor,
        source=InstallationEvent.Source.LOGISTICS, note=note)


def move_appointment(job, *, actor, now, start, end, note="") -> InstallationEvent:
    """Move the appointment from its at-risk alert: the job is rescheduled to the new window (its
    timeline), the alert closes with an entry naming the new window (the parcel's timeline), the
    technician is told (in-app to the partner's users, SMS to the technician's phone) and so is the
    customer (an SMS to the consignee's phone: no marketplace outbound feed exists yet)."""
    from django.utils import timezone

    from logistics.appointments import close_for_moved_appointment, record_on_order_tickets
    from portal.models import Notification
    from portal.notifications import queue_notification

    _check_years(appointment_start=start, appointment_end=end)
    window = (f"{timezone.localtime(start):%Y-%m-%d %H:%M} – {timezone.localtime(end):%H:%M}"
              if start and end else "")
    with transaction.atomic():
        alerts = close_for_moved_appointment(job.pk, actor=actor, now=now, start=start, end=end, note=note) \
            if start and end else []
        event, _created = record_event(job, node=Node.RESCHEDULED, actor=actor, now=now, note=note,
                                       appointment_start=start, appointment_end=end)
        source = f"installation-moved:{event.pk}"
        subject = _("Installation #%(id)s moved to %(window)s") % {"id": job.pk, "window": window}
        params = {"id": job.pk, "start": start, "end": end,
                  "where": ", ".join(part for part in (job.customer_name, job.address) if part)}
        link = reverse("installation:job", args=[job.pk])
        if job.partner_id:
            for user in job.partner.users.filter(is_active=True).order_by("pk"):
                queue_notification(recipient=user, channel=Notification.Channel.IN_APP,
                                   message_key="installation.moved", params=params, link=link, source=source, now=now)
        if job.technician_phone:
            queue_notification(recipient=None, to_phone=job.technician_phone, channel=Notification.Channel.SMS,
                               message_key="installation.moved", params=params, source=source, now=now)
        shipment = alerts[0].shipment if alerts else job.shipment
        customer_phone = (shipment.consignee_phone if shipment else "") or job.customer_phone
        if customer_phone:
            queue_notification(
                recipient=None, to_phone=customer_phone, channel=Notification.Channel.SMS, source=source, now=now,
                message_key="installation.moved_customer", params={"start": start, "end": end})
        if shipment is not None:
            record_on_order_tickets(shipment, alert=alerts[0] if alerts else None, actor=actor, now=now,
                                    body=subject, data={"installation_job": job.pk, "start": start.isoformat(),
                                                        "end": end.isoformat()})
    return event


# --- SLA scan ---------------------------------------------------------------------------------


def _due_rules(now):
    """(kind, trigger field, jobs that are due for that kind now)."""
    jobs = InstallationJob.objects.all()
    return [
        (InstallationAlertKind.BOOKING_OVERDUE, "booking_due_at",
         jobs.filter(node=Node.REQUESTED, booking_due_at__lt=now)),
        (InstallationAlertKind.NOT_ON_SITE, "appointment_end",
         jobs.filter(node__in=WAITING_FOR_TECHNICIAN, appointment_end__lt=now)),
        (InstallationAlertKind.COMPLETION_OVERDUE, "completion_due_at",
         jobs.exclude(node__in=CLOSED_NODES).filter(completion_due_at__lt=now)),
    ]


def close_resolved_alerts(*, now, job_ids=None) -> int:
    """Close open alerts whose job is no longer due for that kind (one UPDATE per kind)."""
    closed = 0
    for kind, _trigger, due in _due_rules(now):
        alerts = InstallationAlert.objects.filter(status=InstallationAlert.Status.OPEN, kind=kind)
        if job_ids is not None:
            alerts = alerts.filter(job_id__in=job_ids)
        closed += alerts.exclude(job_id__in=due.values("pk")).update(
            status=InstallationAlert.Status.CLOSED, closed_at=now)
    return closed


def scan_installations(*, now) -> dict:
    """Open an alert for each job that missed an SLA time (one open alert per job and kind, not
    raised again for the same due time), close those no longer due, and send the installation
    coordinators one in-app message each listing the new ones. Set-based, one transaction."""
    from portal.sql import insert_select

    token = uuid.uuid4().hex
    opened = 0
    with transaction.atomic():
        closed = close_resolved_alerts(now=now)
        at_risk = appointments.scan(now=now, token=token)
        for kind, trigger, due in _due_rules(now):
            already = InstallationAlert.objects.filter(job_id=OuterRef("pk"), kind=kind).filter(
                Q(status=InstallationAlert.Status.OPEN) | Q(trigger_at__gte=OuterRef(trigger)))
            opened += insert_select(
                InstallationAlert, due.filter(~Exists(already)),
                {"job_id": F("pk"), "kind": Value(kind), "status": Value(InstallationAlert.Status.OPEN),
                 "trigger_at": F(trigger), "opened_at": Value(now), "scan_token": Value(token)},
                ignore_conflicts=True,
            )
        notified = _notify_coordinators(now=now, token=token) if opened else 0
    return {"opened": opened, "closed": closed, "notified": notified, "appointments_at_risk": at_risk["opened"],
            "appointment_alerts_closed": at_risk["closed"]}


def _notify_coordinators(*, now, token) -> int:
    """One in-app message per installation-team member listing this scan's new alerts in their stores."""
    from django.contrib.auth import get_user_model

    from portal.models import Membership, Notification, Team
    from portal.notifications import queue_notification

    fresh = InstallationAlert.objects.filter(scan_token=token)
    counts = list(fresh.values("job__store_id", "kind").annotate(n=Count("id")))
    listed = list(fresh.order_by("id").values_list("job_id", "kind", "job__order_number", "job__store_id")[
        : LISTED_IN_MESSAGE * 10])
    recipients: dict[int, set[int]] = {}
    for user_id, store_id in Membership.objects.filter(team__kind=Team.Kind.INSTALLATION).values_list(
            "user_id", "team__stores"):
        stores = recipients.setdefault(user_id, set())
        if store_id is not None:
            stores.add(store_id)
    users = get_user_model().objects.filter(is_active=True).in_bulk(list(recipients))
    link = reverse("installation:job_list") + "?overdue=true"
    sent = 0
    for user_id, stores in sorted(recipients.items()):
        if user_id not in users:
            continue
        new = {}
        for row in counts:
            if row["job__store_id"] in stores:
                new[row["kind"]] = new.get(row["kind"], 0) + row["n"]
        total = sum(new.values())
        if not total:
            continue
        mine = [row for row in listed if row[3] in stores][:LISTED_IN_MESSAGE]
        queue_notification(recipient=users[user_id], channel=Notification.Channel.IN_APP,
                           message_key="installation.scan",
                           params={"new": new, "total": total,
                                   "listed": [[job_id, kind, order or ""] for job_id, kind, order, _store in mine]},
                           link=link, source=f"installation-scan:{token}", now=now)
        sent += 1
    return sent


# --- One-click transfer from a ticket ---------------------------------------------------------


def installation_queue_for(store_id):
    """The default queue of the installation team serving the store (None if there is none)."""
    from portal.models import Team
    from tickets.models import Queue

    teams = Team.objects.filter(kind=Team.Kind.INSTALLATION, stores=store_id).values("pk")
    return Queue.objects.filter(team__in=teams).order_by("-is_default", "team_id", "id").first()


def job_for_order(store, order_number):
    """The most recent job (not cancelled) of an order, or None."""
    if not order_number:
        return None
    return (InstallationJob.objects.filter(store=store, order_number=order_number)
            .exclude(node=Node.CANCELLED).order_by("-requested_at", "-id").first())


def linked_job_ids(ticket_id) -> list[int]:
    return list(InstallationTicketLink.objects.filter(ticket_id=ticket_id).order_by("-linked_at", "-id")
                .values_list("job_id", flat=True))


def transfer_to_installation(ticket, *, actor, now) -> InstallationJob:
    """One click: move the ticket to the installation team's queue (assigned round-robin there, the
    installer notified), create or link the installation job of its order, and record both on the
    ticket's timeline. Repeating it changes nothing."""
    from logistics.models import Shipment
    from tickets import services as ticket_services

    with transaction.atomic():
        if not ticket.is_open:
            raise ValidationError({"status": _("The ticket is closed: reopen it first.")})
        queue = installation_queue_for(ticket.store_id)
        if queue is None:
            raise ValidationError({"queue": _("No installation team with a queue serves this store.")})
        job = job_for_order(ticket.store, ticket.order_no)
        if job is None and ticket.pk:
            existing = linked_job_ids(ticket.pk)
            job = InstallationJob.objects.filter(pk__in=existing).exclude(node=Node.CANCELLED).first()
        if job is None:
            if not ticket.order_no:
                raise ValidationError({"order_no": _("The ticket has no order number: add it, then transfer.")})
            shipment = (Shipment.objects.filter(store=ticket.store, order_number=ticket.order_no)
                        .order_by("-delivered_at", "-id").first())
            skus = [str(s) for s in (shipment.product_skus or [])] if shipment else []
            products = {p.sku: p for p in Product.objects.filter(store=ticket.store, sku__in=skus,
                                                                  needs_installation=True)}
            product = next((products[sku] for sku in skus if sku in products), None)
            job = create_job(
                store=ticket.store, actor=actor, now=now, product=product, order_number=ticket.order_no,
                shipment=shipment, customer_name=ticket.buyer_nick, customer_phone=ticket.customer_phone,
                address=ticket.customer_address,
                note=_("Opened from ticket #%(id)s.") % {"id": ticket.pk},
            )
        if ticket.queue_id != queue.pk:
            # Round-robin in the installation queue (its assignment guards consulted); the installer
            # picked is told in the inbox, or the team's leads when nobody is available.
            ticket_services.transfer(ticket, actor=actor, now=now, queue=queue, round_robin=True,
                                     note=_("Transferred to installation (job #%(id)s).") % {"id": job.pk})
        _link, linked = InstallationTicketLink.objects.get_or_create(
            job=job, ticket_id=ticket.pk, defaults={"linked_at": now, "linked_by": actor})
        if linked:
            ticket_services.record_link(
                ticket, actor=actor, now=now,
                body=_("Installation job #%(id)s (%(node)s)") % {"id": job.pk, "node": job.get_node_display()},
                data={"installation_job": job.pk},
            )
            job.updated_at = now
            job.save(update_fields=["updated_at"])
    return job


# --- Presentation helpers shared by the pages and the JSON endpoint ---------------------------


def stepper(job, events) -> dict:
    """The job's node stepper: the main path with the time and actor of each node reached, and the
    current node if it is off the main path (failed, rescheduled, cancelled)."""
    from django.utils import timezone

    latest = {}
    for event in events:  # in time order: the last event of each node wins
        if event.source != InstallationEvent.Source.LOGISTICS:  # notes, not moves
            latest[event.node] = event
    if job.node == Node.RESCHEDULED and Node.SCHEDULED not in latest:
        latest[Node.SCHEDULED] = latest.get(Node.RESCHEDULED)
    if job.node in MAIN_PATH:
        reached, current = MAIN_PATH.index(job.node), job.node != Node.COMPLETED
    elif job.node == Node.RESCHEDULED:
        reached, current = 1, True
    else:  # failed or cancelled: as far as the furthest main node it reached
        reached, current = max((i for i, n in enumerate(MAIN_PATH) if n in latest), default=0), False
    steps = []
    for i, node in enumerate(MAIN_PATH):
        event = latest.get(node) if i <= reached else None
        state = "todo" if i > reached else ("current" if i == reached and current else "done")
        steps.append({
            "node": str(node), "label": _node_label(node), "state": state,
            "at": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M") if event else "",
            "actor": _actor_label(event) if event else "",
        })
    off_path = None
    if job.node not in MAIN_PATH:
        event = latest.get(job.node)
        off_path = {"node": job.node, "label": _node_label(job.node),
                    "at": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M") if event else "",
                    "actor": _actor_label(event) if event else "", "reason": job.failure_reason}
    return {"id": job.pk, "node": job.node, "node_label": _node_label(job.node), "steps": steps,
            "off_path": off_path, "parcel": parcel_step(job),
            "appointment": [timezone.localtime(t).strftime("%Y-%m-%d %H:%M") if t else ""
                            for t in (job.appointment_start, job.appointment_end)],
            "technician": job.technician_name}


def parcel_step(job) -> dict | None:
    """The own-vehicle delivery of the job's parcel (a logistics dispatch), for the stepper."""
    from django.utils import timezone

    from logistics.models import Dispatch

    dispatch = (Dispatch.objects.filter(installation_job_id=job.pk).exclude(status=Dispatch.Status.FAILED)
                .select_related("driver").order_by("-created_at", "-id").first())
    if dispatch is None:
        return None
    when = dispatch.delivered_at or dispatch.picked_up_at or dispatch.planned_pickup
    return {"id": dispatch.pk, "status": dispatch.status,
            "label": _("Own delivery: %(status)s") % {"status": dispatch.get_status_display().lower()},
            "state": "done" if dispatch.status == Dispatch.Status.DELIVERED else "current",
            "at": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"), "actor": dispatch.driver_label}


def _actor_label(event) -> str:
    if event.partner_id and event.partner:
        return event.partner.name
    if event.actor_id and event.actor:
        return event.actor.get_full_name() or event.actor.username
    return str(InstallationEvent.Source(event.source).label)
