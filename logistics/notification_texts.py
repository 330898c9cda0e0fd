"""The texts of the logistics app's notifications, rendered in the reader's language
(`portal.notifications.message`). Parameters are stored with each notification: keep old
parameter names working when a text changes."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from logistics.models import Alert, AlertKind, Compensation
from portal.formatting import local_datetime, money
from portal.notifications import message


def _choice(choices, value):
    return dict(choices).get(value, value)


@message("logistics.compensation_pending")
def compensation_pending(p):
    subject = _("%(kind)s of %(amount)s waits for your approval (%(waybill)s)") % {
        "kind": _choice(Compensation.Kind.choices, p.get("kind", "")), "amount": money(p["amount"]),
        "waybill": p["waybill"]}
    return subject, p.get("note", "")


@message("logistics.compensation_decided")
def compensation_decided(p):
    text = _("Compensation approved (%(waybill)s)") if p["approved"] else _("Compensation rejected (%(waybill)s)")
    return text % {"waybill": p["waybill"]}, p.get("note", "")


@message("logistics.dispatch_fetch")
def dispatch_fetch(p):
    return _("Own delivery: fetch parcel %(waybill)s at %(outlet)s by %(at)s") % {
        "waybill": p["waybill"], "outlet": p.get("outlet") or "—", "at": local_datetime(p["at"])}


@message("logistics.scan")
def scan(p):
    total, follow_ups = p["total"], p["follow_ups"]
    lines = [f"{_choice(AlertKind.choices, kind)}: {n}" for kind, n in sorted(p["new"].items())]
    if follow_ups:
        lines.append(_("Follow-ups due: %(n)s") % {"n": follow_ups})
    lines.append("")
    for alert_id, kind, follow_up, waybill in p["listed"]:
        text = f"{waybill} · {_choice(AlertKind.choices, kind)}"
        if follow_up:
            text += " · " + _("follow-up due")
        lines.append((text, reverse("logistics:alert", args=[alert_id])))
    if total + follow_ups > len(p["listed"]):
        lines.append(_("… and %(n)s more") % {"n": total + follow_ups - len(p["listed"])})
    subject = ngettext("%(n)s new logistics alert", "%(n)s new logistics alerts", total) % {"n": total}
    if not total:
        subject = ngettext("%(n)s logistics follow-up due", "%(n)s logistics follow-ups due",
                           follow_ups) % {"n": follow_ups}
    return subject, lines


@message("logistics.appointments_at_risk")
def appointments_at_risk(p):
    n = p["n"]
    lines = [
        (_("%(waybill)s at %(outlet)s · appointment %(start)s · %(cause)s") % {
            "waybill": waybill, "outlet": outlet or "—", "cause": _choice(Alert.Cause.choices, cause),
            "start": local_datetime(start)}, reverse("logistics:alert", args=[alert_id]))
        for alert_id, waybill, outlet, start, cause in p["listed"]]
    if n > len(p["listed"]):
        lines.append(_("… and %(n)s more") % {"n": n - len(p["listed"])})
    subject = ngettext("%(n)s installation appointment at risk: the parcel may arrive late",
                       "%(n)s installation appointments at risk: the parcels may arrive late", n) % {"n": n}
    return subject, lines
