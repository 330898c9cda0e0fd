"""Plug-ins into other apps' pages and events (registered in `portal.registry` by RefundsConfig):
the refund summary on a linked ticket's page, and refund decisions waiting for approval."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.formatting import person_name
from portal.registry import Approval


def ticket_refunds(context, ticket) -> str:
    """The ticket page's refund panel: the requests linked to the ticket that the reader may see."""
    from portal.permissions import restrict
    from refunds.models import RefundRequest

    request = context["request"]
    refunds = list(restrict(RefundRequest.objects.filter(ticket_id=ticket.pk), request.user, "view")
                   .select_related("reason", "suggested_rule", "rule").order_by("respond_by", "id"))
    if not refunds:
        return ""
    return render_to_string("refunds/ticket_panel.html", {"refunds": refunds, "ticket": ticket}, request=request)


def refund_approvals(user) -> list[Approval]:
    """Refund decisions above a specialist's limit that wait for this user's approval."""
    from portal.permissions import restrict
    from refunds.models import RefundDecision, RefundRequest
    from refunds.permissions import can_approve

    if not can_approve(user):
        return []
    requests = restrict(RefundRequest.objects.filter(status=RefundRequest.Status.AWAITING_APPROVAL), user, "view")
    rows = (RefundDecision.objects.filter(status=RefundDecision.Status.AWAITING_APPROVAL, request__in=requests)
            .select_related("request", "decided_by").order_by("decided_at"))
    return [Approval(
        key=f"refund:{row.request_id}", kind=gettext_lazy("Refund decision"),
        summary=_("%(decision)s on order %(order)s") % {"decision": row.get_decision_display(),
                                                        "order": row.request.order_no},
        amount=row.amount, requested_by=person_name(row.decided_by),
        requested_at=row.decided_at, url=reverse("refunds:request", args=[row.request_id]),
        approve_url=reverse("refunds:request_action", args=[row.request_id, "approve"]),
        reject_url=reverse("refunds:request_action", args=[row.request_id, "decline"]),
    ) for row in rows]
