"""Appointment at risk: the installation scan's check that a job's parcel will make its appointment.

A job waiting for its technician (scheduled, rescheduled, dispatched) with a window not yet over,
whose order's parcel is not delivered, is at risk when (per the parcel's carrier):

- outlet closed: the parcel's last scan is at the delivering outlet at or after the carrier's
  delivery cut-off hour (local time) on the day of the appointment or later;
- last mile stalled: the parcel has been on the last mile longer than the carrier's last-mile
  hours, or has had no scan for its stall hours;
- not out for delivery: the window starts within the carrier's lead time (default 4 h) and the
  parcel is not out for delivery.

The first matching cause names the alert. The alert is a logistics alert (`logistics.appointments`)
referring to the job by id; it is not raised again for the same window once someone resolved it,
and closes when the appointment moves or the job closes (here) or the parcel is delivered (logistics).

Set-based: a fixed number of queries whatever the number of jobs (per cause one INSERT ... SELECT
for jobs linked to their parcel and one for jobs found by order number).
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import ExtractHour, TruncDate
from django.db.models.lookups import Exact, GreaterThanOrEqual, In, IsNull, LessThan, LessThanOrEqual

from installation.models import InstallationJob, InstallationNode
from logistics import appointments
from logistics.models import FINISHED_STATUSES, NOT_PICKED_UP_STATUSES, Alert, AlertKind, Carrier, Shipment
from logistics.models import ShipmentStatus as S

WAITING = [InstallationNode.SCHEDULED, InstallationNode.RESCHEDULED, InstallationNode.DISPATCHED]
CLOSED = [InstallationNode.COMPLETED, InstallationNode.CANCELLED]
NOT_AT_OUTLET = [S.OUT_FOR_DELIVERY, *sorted(FINISHED_STATUSES)]


def _cause_conditions(carriers, now, parcel, job):
    """[(cause, Q)]: `parcel(name)` and `job(name)` give the expressions of the parcel's and the
    job's fields (joined, or inside a subquery over the parcels)."""

    def per_carrier(build):
        condition = None
        for carrier in carriers:
            # "+ 0": not a reason for SQLite to read the parcels through the (carrier, waybill) index.
            one = Q(Exact(parcel("carrier_id") + Value(0), carrier.pk)) & build(carrier)
            condition = one if condition is None else condition | one
        return condition

    def closed(carrier):
        zone = ZoneInfo(carrier.time_zone)
        return (~Q(IsNull(parcel("last_mile_at"), True)) & ~Q(In(parcel("status"), NOT_AT_OUTLET))
                & ~Q(Exact(parcel("last_outlet"), ""))
                & Q(GreaterThanOrEqual(ExtractHour(parcel("last_event_at"), tzinfo=zone), carrier.delivery_cutoff_hour))
                & Q(LessThanOrEqual(TruncDate(job("appointment_start"), tzinfo=zone),
                                    TruncDate(parcel("last_event_at"), tzinfo=zone))))

    def stalled(carrier):
        return (Q(LessThan(parcel("last_mile_at"), Value(now - timedelta(hours=carrier.last_mile_hours))))
                | (Q(LessThan(parcel("last_event_at"), Value(now - timedelta(hours=carrier.stall_hours))))
                   & ~Q(In(parcel("status"), list(NOT_PICKED_UP_STATUSES)))))

    def late(carrier):
        return (Q(LessThanOrEqual(job("appointment_start"),
                                  Value(now + timedelta(hours=carrier.appointment_lead_hours))))
                & ~Q(Exact(parcel("status"), S.OUT_FOR_DELIVERY)))

    return [(Alert.Cause.OUTLET_CLOSED, per_carrier(closed)), (Alert.Cause.LAST_MILE_STALLED, per_carrier(stalled)),
            (Alert.Cause.NOT_OUT_FOR_DELIVERY, per_carrier(late))]


def _waiting_jobs(now):
    blocked = Alert.objects.filter(installation_job_id=OuterRef("pk"), kind=AlertKind.APPOINTMENT_AT_RISK).filter(
        Q(status=Alert.Status.OPEN) | Q(status=Alert.Status.RESOLVED, trigger_at=OuterRef("appointment_start")))
    return InstallationJob.objects.filter(node__in=WAITING, appointment_start__isnull=False,
                                          appointment_end__gt=now).filter(~Exists(blocked))


def raise_alerts(*, now, token) -> int:
    """Open an appointment-at-risk alert for every job at risk (see the module's rules)."""
    carriers = list(Carrier.objects.all())
    if not carriers:
        return 0
    opened = 0

    # Jobs linked to their parcel: the parcel's fields through the join.
    def joined(name):
        return F(f"shipment__{name}")

    linked_conditions = _cause_conditions(carriers, now, joined, F)
    # Jobs found by order number: the order's newest matching parcel, in a subquery.
    order_conditions = _cause_conditions(
        carriers, now, F, lambda name: ExpressionWrapper(OuterRef(name), output_field=DateTimeField()))
    for (cause, linked), (_cause, by_order) in zip(linked_conditions, order_conditions, strict=True):
        jobs = _waiting_jobs(now)  # re-evaluated: an alert of an earlier cause blocks the job
        linked_jobs = jobs.filter(shipment__isnull=False).exclude(shipment__status=S.DELIVERED).filter(linked)
        opened += appointments.raise_appointment_alerts(
            linked_jobs.annotate(risk_job_id=F("pk"), risk_shipment_id=F("shipment_id"),
                                 risk_window_start=F("appointment_start")),
            cause=cause, now=now, token=token)
        # The order number leads the look-up (its index); "store_id + 0" keeps SQLite's planner from
        # choosing the (store, shipped_at) index instead, which reads the store's every parcel per job.
        parcel = (Shipment.objects.filter(order_number=OuterRef("order_number"))
                  .filter(Exact(F("store_id") + Value(0), OuterRef("store_id")))
                  .exclude(status=S.DELIVERED).filter(by_order).order_by("-created_at", "-id").values("pk")[:1])
        order_jobs = (jobs.filter(shipment__isnull=True).exclude(order_number="")
                      .annotate(risk_shipment_id=Subquery(parcel)).filter(risk_shipment_id__isnull=False))
        opened += appointments.raise_appointment_alerts(
            order_jobs.annotate(risk_job_id=F("pk"), risk_window_start=F("appointment_start")),
            cause=cause, now=now, token=token)
    return opened


def close_moved(*, now, token, job_ids=None) -> int:
    """Close the open at-risk alerts whose appointment moved or whose job closed."""
    still = InstallationJob.objects.filter(pk=OuterRef("installation_job_id"),
                                           appointment_start=OuterRef("trigger_at")).exclude(node__in=CLOSED)
    alerts = appointments.open_appointment_alerts().filter(~Exists(still))
    if job_ids is not None:
        alerts = alerts.filter(installation_job_id__in=list(job_ids))
    return appointments.close_appointment_alerts(alerts, now=now, token=token)


def scan(*, now, token) -> dict:
    closed = close_moved(now=now, token=token)
    opened = raise_alerts(now=now, token=token)
    notified = appointments.announce_appointment_alerts(now=now, token=token) if opened else 0
    return {"opened": opened, "closed": closed, "notified": notified}

