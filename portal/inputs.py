"""Checks of single input values shared by forms, filters, API fields and imports (no Django REST
framework here: every layer of the portal may import it)."""

from datetime import date

from django.utils.translation import gettext as _

# Times and dates outside these years are refused everywhere: a year-1 time with a +14:00 offset
# cannot even be converted to UTC, and no marketplace record is that old or that far ahead.
MIN_YEAR, MAX_YEAR = 2000, 2100


def in_year_range(moment) -> bool:
    """Whether a date or datetime is within MIN_YEAR-MAX_YEAR."""
    return MIN_YEAR <= moment.year <= MAX_YEAR


def year_range_message(*, dates: bool = False) -> str:
    """The error for a time (or a date) outside MIN_YEAR-MAX_YEAR, in the reader's language."""
    years = {"min": MIN_YEAR, "max": MAX_YEAR}
    if dates:
        return _("Give a date between the years %(min)d and %(max)d.") % years
    return _("Give a time between the years %(min)d and %(max)d.") % years


def iso_date(value) -> date | None:
    """`value` as a date when it is written exactly YYYY-MM-DD, else None (`date.fromisoformat` alone
    also reads 20261128 and 2026-W48-1)."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def whole_number(value, *, digits: int = 18) -> int | None:
    """`value` as a non-negative whole number when it is one written in ASCII digits (at most
    `digits` of them, so it fits a database integer), else None. `str.isdigit()` alone also accepts
    "²" or "٣", which `int()` then refuses or reads as another number."""
    if isinstance(value, str) and 0 < len(value) <= digits and value.isascii() and value.isdigit():
        return int(value)
    return None
