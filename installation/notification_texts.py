"""The texts of the installation app's notifications, rendered in the reader's language
(`portal.notifications.message`). Parameters are stored with each notification: keep old
parameter names working when a text changes."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from installation.models import InstallationAlertKind
from portal.formatting import time_window
from portal.notifications import message


@message("installation.moved")
def moved(p):
    return (_("Installation #%(id)s moved to %(window)s") % {"id": p["id"], "window": time_window(p["start"], p["end"])},
            p.get("where", ""))


@message("installation.moved_customer")
def moved_customer(p):
    return _("Your installation appointment is moved to %(window)s.") % {"window": time_window(p["start"], p["end"])}


@message("installation.scan")
def scan(p):
    kinds = dict(InstallationAlertKind.choices)
    total = p["total"]
    lines = [f"{kinds.get(kind, kind)}: {n}" for kind, n in sorted(p["new"].items())] + [""]
    lines += [(f"#{job_id} {order} · {kinds.get(kind, kind)}", reverse("installation:job", args=[job_id]))
              for job_id, kind, order in p["listed"]]
    if total > len(p["listed"]):
        lines.append(_("… and %(n)s more") % {"n": total - len(p["listed"])})
    subject = ngettext("%(n)s installation job missed its SLA", "%(n)s installation jobs missed their SLA",
                       total) % {"n": total}
    return subject, lines
