"""Values shown to people, formatted in the active language at the moment they are shown.

Pages, notifications and timelines store raw values (minutes, amounts, ISO times) and format them
here when rendering, never when storing: a value formatted once is frozen in the language of
whoever caused it ("13 分钟" on the English home page).
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def person_name(user, empty=""):
    """How the portal names a person: their full name, else their user name; `empty` for nobody."""
    return (user.get_full_name() or user.get_username()) if user else empty


def duration(minutes) -> str:
    """A span of minutes: "13 min", "2 h 05 min", "3 d 4 h" (and the Chinese forms)."""
    if minutes is None or minutes == "":
        return ""
    minutes = round(float(minutes))
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = _("%(d)d d %(h)d h") % {"d": days, "h": hours} if hours else _("%(d)d d") % {"d": days}
    elif hours:
        text = _("%(h)d h %(m)02d min") % {"h": hours, "m": mins} if mins else _("%(h)d h") % {"h": hours}
    else:
        text = _("%(m)d min") % {"m": mins}
    return sign + text


def money(amount) -> str:
    """An amount in CNY: "¥5,000" / "¥80.50"."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    text = f"{value:,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return _("¥%(amount)s") % {"amount": text}


def as_datetime(value):
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    return None


def local_datetime(value) -> str:
    """A moment in the portal's time zone, in the active language's short form."""
    moment = as_datetime(value)
    if moment is None:
        if isinstance(value, date):
            return date_format(value, pgettext("date format", "j M Y"))
        return str(value or "")
    return date_format(timezone.localtime(moment), pgettext("datetime format", "j M Y H:i"))


def jsonable(value):
    """A parameter as it can be stored in a JSON column (and formatted back by the renderer)."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def time_window(start, end) -> str:
    """An appointment window: "28 Nov 2026 14:00 – 16:00" (the end's date when it differs)."""
    start, end = as_datetime(start), as_datetime(end)
    if start is None or end is None:
        return ""
    start, end = timezone.localtime(start), timezone.localtime(end)
    tail = date_format(end, "H:i") if start.date() == end.date() else local_datetime(end)
    return f"{local_datetime(start)} – {tail}"
