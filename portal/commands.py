"""Helpers shared by management commands."""

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

NOW_HELP = "Evaluate as of this moment (ISO 8601, e.g. 2026-11-20T09:00+08:00; default: now)."


def parse_now(value: str | None):
    """The `--now` option of the sweep commands: an aware datetime (naive = portal time zone)."""
    if not value:
        return timezone.now()
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--now: not an ISO 8601 date and time: {value!r}")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
