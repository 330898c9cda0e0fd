"""Query parameters shared by report endpoints."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.inputs import in_year_range, iso_date, year_range_message


def date_range(params, errors: dict, *, days: int = 30) -> tuple[date, date]:
    """`from`/`to` as dates (both included; default: the last `days` days up to today).

    Problems are added to `errors` as field errors, so a caller can collect them with its own
    and answer one 400.
    """

    def parse(name, default):
        value = params.get(name)
        if value is None:
            return default
        parsed = iso_date(value)
        if parsed is None:
            errors[name] = [_("Give a date as YYYY-MM-DD.")]
            return default
        if not in_year_range(parsed):
            errors[name] = [year_range_message(dates=True)]
            return default
        return parsed

    date_to = parse("to", timezone.localdate())
    date_from = parse("from", date_to - timedelta(days=days - 1))
    if date_from > date_to:
        errors["from"] = [_("The start date is after the end date.")]
    return date_from, date_to

