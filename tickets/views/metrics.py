"""The home page's service-metrics widget (registered in tickets/navigation.py)."""

from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone

from portal.permissions import has_action, is_org_wide, restrict
from tickets.metrics import ticket_metrics
from tickets.models import Ticket
from tickets.views.queues import has_oversight

METRICS_CACHE_SECONDS = 600


def metrics_widget(request):
    """Service metrics of the last 30 days (tickets in the user's scope) for managers and above.

    Computed at most every 10 minutes per user (the cache): over a month of a large store's
    tickets the metrics take most of a second on SQLite, too slow for every home page view.
    """
    user = request.user
    if not (has_oversight(user) and has_action(user, Ticket, "view")):  # metrics cover viewable tickets
        return None
    now = timezone.now()
    key = f"tickets:home-metrics:{user.pk}:{timezone.localdate(now).isoformat()}"
    data = cache.get(key)
    if data is None:
        data = home_metrics(user, now=now)
        cache.set(key, data, METRICS_CACHE_SECONDS)
    return {"template": "tickets/home_metrics.html", "data": data}


def home_metrics(user, *, now):
    today = timezone.localdate(now)
    start = timezone.make_aware(datetime.combine(today - timedelta(days=29), time.min))
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    scope = restrict(Ticket.objects.all(), user, "view")
    data = ticket_metrics(start=start, end=end, now=now, queryset=scope)
    data["start"], data["end"], data["as_of"] = start, end - timedelta(days=1), now
    data["org_wide"] = is_org_wide(user)
    for key in ("resolution_24h_rate", "satisfaction_rate", "sla_breach_rate"):
        rate = data.get(key)
        data[f"{key}_pct"] = None if rate is None else round(rate * 100, 1)
    seconds = data.get("average_handling_seconds")
    # Minutes, formatted by the template in the reader's language (the cache is shared by languages).
    data["average_handling_minutes"] = round(seconds / 60) if seconds is not None else None
    return data

