"""The ticket page's installation panel (registered in `portal.registry` by InstallationConfig):
the linked installation job's live node stepper, or the one-click "Transfer to installation" button."""

from django.template.loader import render_to_string


def ticket_installation(context, ticket) -> str:
    from installation.models import InstallationEvent, InstallationJob, InstallationTicketLink
    from installation.services import stepper
    from portal.permissions import can, restrict

    request = context["request"]
    user = request.user
    linked = InstallationTicketLink.objects.filter(ticket_id=ticket.pk).order_by("-linked_at", "-id").values("job_id")
    job = restrict(InstallationJob.objects.filter(pk__in=linked), user, "view").order_by("-requested_at").first()
    result = {"ticket": ticket, "request": request, "job": job, "csrf_token": context.get("csrf_token")}
    if job is not None:
        result["at_risk"] = at_risk_alerts(user, [job.pk])
        events = InstallationEvent.objects.filter(job=job).select_related("actor", "partner").order_by("at", "id")
        result["stepper"] = stepper(job, list(events))
    else:
        result["can_transfer"] = ticket.is_open and can(user, ticket, "transfer")
    return render_to_string("installation/job_ticket_panel.html", result, request=request)


def at_risk_alerts(user, job_ids):
    """The open appointment-at-risk logistics alerts of these jobs that the user may see."""
    from logistics.models import Alert, AlertKind
    from portal.permissions import restrict

    return list(restrict(Alert.objects.filter(kind=AlertKind.APPOINTMENT_AT_RISK, status=Alert.Status.OPEN,
                                              installation_job_id__in=list(job_ids)), user, "view")
                .select_related("shipment").order_by("-opened_at"))


def alert_installation(context, alert) -> str:
    """On a logistics alert's page: the installation job an appointment-at-risk alert is about
    (window, technician, customer's phone masked by the job rules, the stepper)."""
    from installation.forms import MoveAppointmentForm
    from installation.models import InstallationEvent, InstallationJob
    from installation.services import allowed_next, stepper
    from portal.permissions import restrict

    if not alert.installation_job_id:
        return ""
    request = context["request"]
    job = restrict(InstallationJob.objects.filter(pk=alert.installation_job_id), request.user, "view").first()
    if job is None:
        return ""
    events = InstallationEvent.objects.filter(job=job).select_related("actor", "partner").order_by("at", "id")
    can_move = (alert.is_open and InstallationJob.Node.RESCHEDULED in allowed_next(job.node)
                and restrict(InstallationJob.objects.filter(pk=job.pk), request.user, "progress").exists())
    return render_to_string("installation/alert_job_panel.html", {
        "job": job, "stepper": stepper(job, list(events)), "alert": alert,
        "move_form": MoveAppointmentForm(initial={"alert": alert.pk}) if can_move else None,
    }, request=request)


CONTEXT_JOBS = 5


def ticket_order_jobs(context, ticket) -> str:
    """Customer context on the ticket page: the installation jobs of the ticket's order that the user
    may see (the job linked to this ticket has its own panel above)."""
    from installation.models import InstallationJob, InstallationTicketLink
    from portal.permissions import has_action, restrict

    request = context["request"]
    user = request.user
    if not ticket.order_no or not has_action(user, InstallationJob, "view"):
        return ""
    linked = InstallationTicketLink.objects.filter(ticket_id=ticket.pk).values("job_id")
    jobs = list(restrict(InstallationJob.objects.filter(store_id=ticket.store_id, order_number=ticket.order_no)
                         .exclude(pk__in=linked), user, "view")
                .select_related("product").order_by("-requested_at")[:CONTEXT_JOBS])
    if not jobs:
        return ""
    return render_to_string("installation/ticket_order_jobs.html", {"jobs": jobs}, request=request)
