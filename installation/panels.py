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
        events = InstallationEvent.objects.filter(job=job).select_related("actor", "partner").order_by("at", "id")
        result["stepper"] = stepper(job, list(events))
    else:
        result["can_transfer"] = ticket.is_open and can(user, ticket, "transfer")
    return render_to_string("installation/job_ticket_panel.html", result, request=request)
