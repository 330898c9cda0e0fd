"""Compensation offers waiting for approval, as a source of the approvals inbox
(`portal.registry.register_approval_source`, registered in LogisticsConfig.ready()): what the
user may approve (the alert in their "approve" scope, the amount within their limit)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logistics.compensation import approval_limit
from logistics.models import Alert, Compensation
from portal.formatting import money, person_name
from portal.permissions import has_action, restrict
from portal.registry import Approval

LIMIT = 200  # the inbox lists the oldest this many


def compensation_approvals(user) -> list[Approval]:
    if not has_action(user, Alert, "approve"):
        return []
    pending = Compensation.objects.filter(
        status=Compensation.Status.PENDING_APPROVAL, alert__in=restrict(Alert.objects.all(), user, "approve"))
    limit = approval_limit(user)
    if limit is not None:
        pending = pending.filter(amount__lte=limit)
    pending = pending.select_related("alert__shipment", "offered_by").order_by("offered_at", "id")[:LIMIT]
    return [
        Approval(
            key=f"compensation:{c.pk}",
            kind=gettext_lazy("Compensation"),
            summary=_("%(kind)s of %(amount)s for parcel %(waybill)s") % {
                "kind": c.get_kind_display(), "amount": money(c.amount), "waybill": c.alert.shipment.waybill_number}
            + (f" · {c.note}" if c.note else ""),
            amount=c.amount,
            requested_by=person_name(c.offered_by),
            requested_at=c.offered_at,
            url=reverse("logistics:alert", args=[c.alert_id]),
            approve_url=reverse("logistics:compensation_decide", args=[c.pk, "approve"]),
            reject_url=reverse("logistics:compensation_decide", args=[c.pk, "reject"]),
        )
        for c in pending
    ]
