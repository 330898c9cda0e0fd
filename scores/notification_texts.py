"""The texts of the scores app's notifications, rendered in the reader's language
(`portal.notifications.message`). Parameters are stored with each notification: keep old
parameter names working when a text changes."""

from django.utils.translation import gettext as _

from portal.models import in_language
from portal.notifications import message


def _badge_text(subject, p):
    names = {"badge": in_language(p["badge_zh"], p["badge_en"]), "store": p["store"]}
    body = _("Figure %(figure)s over %(sample)s cases; threshold %(threshold)s.") % {
        "figure": "-" if p.get("figure") is None else p["figure"], "sample": p["sample"],
        "threshold": p["threshold"]}
    return subject % names, body


@message("scores.badge_at_risk")
def badge_at_risk(p):
    return _badge_text(_("Badge at risk: %(badge)s (%(store)s)"), p)


@message("scores.badge_lost")
def badge_lost(p):
    return _badge_text(_("Badge lost: %(badge)s (%(store)s)"), p)
