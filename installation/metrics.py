"""Installation metrics over the jobs completed (or closed) in a period. Definitions, also in
docs/logistics.md ("Installation"):

- on-time installation rate: of the jobs completed in the period, the share whose first
  appointment was booked by its booking due time (delivery + the product's booking hours) and that
  were completed by their completion due time (appointment start + the product's completion hours);
- first-visit completion rate: of the jobs completed in the period, the share completed on the
  first technician visit (dispatched once, never failed);
- appointments saved: of the jobs completed in the period, those whose parcel was delivered by an
  own-vehicle delivery (dispatch) and that were completed within the window the
  appointment-at-risk alert was raised for (not moved);
- median hours from delivery to completed installation: over the jobs completed in the period
  that have a delivery time.
Rates are null when no job was completed in the period.
"""

from datetime import datetime, time, timedelta
from statistics import median

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from installation.models import InstallationEvent, InstallationNode


def installation_metrics(jobs, *, date_from, date_to) -> dict:
    """`jobs`: an already restricted queryset; dates inclusive, in the portal's time zone. Three queries."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    completed = jobs.filter(node=InstallationNode.COMPLETED, completed_at__gte=start, completed_at__lt=end)
    on_time = Q(booked_at__isnull=False, booking_due_at__isnull=False, booked_at__lte=F("booking_due_at"),
                completion_due_at__isnull=False, completed_at__lte=F("completion_due_at"))
    failed = InstallationEvent.objects.filter(job_id=OuterRef("pk"), node=InstallationNode.FAILED)
    counts = completed.annotate(has_failed=Exists(failed)).aggregate(
        total=Count("pk"), on_time=Count("pk", filter=on_time),
        first_visit=Count("pk", filter=Q(visits__lte=1, has_failed=False)),
    )
    hours = [(done - delivered).total_seconds() / 3600 for delivered, done in
             completed.filter(delivered_at__isnull=False).values_list("delivered_at", "completed_at")]
    total = counts["total"]
    return {
        "from": date_from.isoformat(), "to": date_to.isoformat(),
        "completed": total,
        "on_time": counts["on_time"],
        "on_time_rate": round(counts["on_time"] / total, 4) if total else None,
        "first_visit": counts["first_visit"],
        "first_visit_rate": round(counts["first_visit"] / total, 4) if total else None,
        "median_hours_delivery_to_completed": round(median(hours), 2) if hours else None,
        "appointments_saved": appointments_saved(completed),
        "open": jobs.exclude(node__in=[InstallationNode.COMPLETED, InstallationNode.CANCELLED]).count(),
    }


def appointments_saved(completed) -> int:
    """Jobs completed within their original window after an own delivery saved the appointment."""
    from logistics.models import Alert, AlertKind, Dispatch

    rescued = Dispatch.objects.filter(installation_job_id=OuterRef("pk"), status=Dispatch.Status.DELIVERED)
    alerted = Alert.objects.filter(installation_job_id=OuterRef("pk"), kind=AlertKind.APPOINTMENT_AT_RISK,
                                   trigger_at=OuterRef("appointment_start"))
    return completed.filter(Exists(rescued), Exists(alerted), completed_at__lte=F("appointment_end")).count()
