"""The dashboards' charts as plain data: each chart is a title, a chart spec for the page's script
(`static/scores/charts.js`, Apache ECharts) and the same figures as table columns and rows (shown
beneath the chart and exported as CSV/XLSX). Per role:

- team lead: the team's queues now (open, at risk, breached per queue and per agent) and today's
  replies, first responses and resolutions per agent (live; a fixed number of grouped queries);
- manager and director: each store's score and metric trends over 90 days, breach rate,
  escalations per level, refunds and logistics alerts (daily snapshots only);
- executive: the experience score per store beside the official one, badges at risk, the top
  escalations.
Every queryset goes through `restrict` with the viewer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Store
from portal.permissions import has_action, is_org_wide, restrict, user_roles
from portal.roles import Role
from scores.models import (
    BadgeState,
    Metric,
    MetricSnapshot,
    OfficialScore,
    ScoreSnapshot,
    StoreBadge,
)

TREND_DAYS = 90
AT_RISK_MINUTES = 30


@dataclass
class Chart:
    id: str
    title: str
    columns: list
    rows: list
    kind: str = "line"  # line | bar | table (no chart, the table only)
    x: list = field(default_factory=list)
    series: list = field(default_factory=list)  # [{"name", "data"}]
    y_max: float | None = None
    stacked: bool = False

    def spec(self):
        return {"kind": self.kind, "x": self.x, "series": self.series, "yMax": self.y_max, "stacked": self.stacked}


def views_for(user) -> list[str]:
    """The dashboards the user's roles open, in order."""
    roles = user_roles(user)
    views = []
    if user.is_superuser or Role.TEAM_LEAD in roles:
        views.append("lead")
    if user.is_superuser or roles & {Role.MANAGER, Role.DIRECTOR}:
        views.append("manager")
    if user.is_superuser or roles & {Role.EXECUTIVE, Role.DIRECTOR}:
        views.append("executive")
    return views


def _stores(user):
    return list(restrict(Store.objects.order_by("code"), user, "view").filter(
        pk__in=restrict(ScoreSnapshot.objects.all(), user, "view").values("store_id")).distinct()) \
        if has_action(user, ScoreSnapshot, "view") else []


def _pct(value):
    return None if value is None else round(value * 100, 1)


# --- Team lead: live ------------------------------------------------------------------------------


def lead_charts(user, *, now) -> list[Chart]:
    from tickets.models import Ticket, TicketQuerySet, TimelineEntry

    tickets = restrict(Ticket.objects.all(), user, "view")
    if not is_org_wide(user):
        from portal.permissions import visible_team_ids

        tickets = tickets.filter(queue__team_id__in=visible_team_ids(user))
    open_tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    at_risk = TicketQuerySet.at_risk_q(now, timedelta(minutes=AT_RISK_MINUTES))
    breached = TicketQuerySet.breached_q(now)
    counts = dict(n=Count("id"), at_risk=Count("id", filter=at_risk), breached=Count("id", filter=breached))
    charts = []
    for chart_id, title, group, label in (
            ("queues_now", _("Queues now"), "queue__name", _("Queue")),
            ("agents_now", _("Open tickets per agent now"), "assignee__username", _("Agent"))):
        rows = [(r[group] or _("(unassigned)"), r["n"], r["at_risk"], r["breached"])
                for r in open_tickets.values(group).annotate(**counts).order_by(group)]
        charts.append(Chart(
            id=chart_id, title=title, kind="bar", stacked=False,
            columns=[label, _("Open"), _("At risk (30 min)"), _("Breached")], rows=rows,
            x=[r[0] for r in rows], series=[{"name": _("Open"), "data": [r[1] for r in rows]},
                                            {"name": _("At risk (30 min)"), "data": [r[2] for r in rows]},
                                            {"name": _("Breached"), "data": [r[3] for r in rows]}]))
    today = datetime.combine(timezone.localdate(now), time.min, tzinfo=timezone.get_current_timezone())
    replies = dict(TimelineEntry.objects.filter(ticket__in=tickets, kind=TimelineEntry.Kind.REPLY, at__gte=today,
                                                actor__isnull=False).values_list("actor__username")
                   .annotate(n=Count("id")).order_by())
    firsts = dict(tickets.filter(first_response_at__gte=today, assignee__isnull=False)
                  .values_list("assignee__username").annotate(n=Count("id")).order_by())
    resolved = dict(tickets.filter(resolved_at__gte=today, assignee__isnull=False)
                    .values_list("assignee__username").annotate(n=Count("id")).order_by())
    agents = sorted(set(replies) | set(firsts) | set(resolved))
    rows = [(a, replies.get(a, 0), firsts.get(a, 0), resolved.get(a, 0)) for a in agents]
    charts.append(Chart(
        id="agents_today", title=_("Today per agent"), kind="bar",
        columns=[_("Agent"), _("Replies"), _("First responses"), _("Resolutions")], rows=rows, x=agents,
        series=[{"name": _("Replies"), "data": [r[1] for r in rows]},
                {"name": _("First responses"), "data": [r[2] for r in rows]},
                {"name": _("Resolutions"), "data": [r[3] for r in rows]}]))
    return charts


# --- Manager and director: trends from the snapshots -------------------------------------------


def _days(now, days=TREND_DAYS):
    last = timezone.localdate(now) - timedelta(days=1)
    return [last - timedelta(days=n) for n in range(days - 1, -1, -1)]


def manager_charts(user, *, now, store_code=None) -> list[Chart]:
    days = _days(now)
    stores = _stores(user)
    snapshots = list(restrict(ScoreSnapshot.objects.all(), user, "view").filter(
        date__gte=days[0], date__lte=days[-1]).values_list("store_id", "date", "overall", "day_figures"))
    by_store = defaultdict(dict)
    for store_id, day, overall, figures in snapshots:
        by_store[store_id][day] = (overall, figures or {})
    labels = [d.isoformat() for d in days]
    charts = [Chart(
        id="score_trend", title=_("Experience score per store (mirror, 90 days)"), y_max=5,
        columns=[_("Date")] + [s.code for s in stores],
        rows=[(day.isoformat(), *[by_store[s.pk].get(day, (None,))[0] for s in stores]) for day in days],
        x=labels, series=[{"name": s.code, "data": [by_store[s.pk].get(d, (None,))[0] for d in days]} for s in stores])]
    chosen = next((s for s in stores if s.code == store_code), stores[0] if stores else None)
    if chosen is not None:
        metrics = defaultdict(dict)
        for metric, day, score in restrict(MetricSnapshot.objects.all(), user, "view").filter(
                store=chosen, date__gte=days[0], date__lte=days[-1]).values_list("metric", "date", "score"):
            metrics[metric][day] = score
        names = [m for m in Metric if m in metrics]
        charts.append(Chart(
            id="metric_trend", title=_("Metric scores of %(store)s (0-5, 90 days)") % {"store": chosen.code}, y_max=5,
            columns=[_("Date")] + [str(m.label) for m in names],
            rows=[(d.isoformat(), *[metrics[m].get(d) for m in names]) for d in days],
            x=labels, series=[{"name": str(m.label), "data": [metrics[m].get(d) for d in days]} for m in names]))

    def daily(chart_id, title, columns, pick, kind="line", stacked=False):
        rows = []
        for day in days:
            values = [pick(by_store[s.pk].get(day, (None, {}))[1]) for s in stores]
            rows.append((day.isoformat(), *values))
        return Chart(id=chart_id, title=title, kind=kind, stacked=stacked, columns=[_("Date")] + columns, rows=rows,
                     x=labels, series=[{"name": c, "data": [r[i + 1] for r in rows]} for i, c in enumerate(columns)])

    codes = [s.code for s in stores]
    charts.append(daily("breach_rate", _("SLA breach rate per store (percent of the day's tickets)"), codes,
                        lambda f: _pct(f["breached"] / f["tickets"]) if f.get("tickets") else None))
    levels = sorted({int(k) for _s, _d, _o, f in snapshots for k in (f or {}).get("escalations", {})})
    totals = {day: defaultdict(int) for day in days}
    for _store, day, _overall, figures in snapshots:
        for level, n in (figures or {}).get("escalations", {}).items():
            if day in totals:
                totals[day][int(level)] += n
    rows = [(d.isoformat(), *[totals[d].get(level, 0) for level in levels]) for d in days]
    level_names = [_("Level %(n)s") % {"n": level} for level in levels]
    charts.append(Chart(id="escalations", title=_("Escalations per level per day"), kind="bar", stacked=True,
                        columns=[_("Date")] + level_names, rows=rows, x=labels,
                        series=[{"name": name, "data": [r[i + 1] for r in rows]} for i, name in enumerate(level_names)]))
    charts.append(daily("refunds", _("Refund requests per store per day"), codes, lambda f: f.get("refunds"),
                        kind="bar", stacked=True))
    charts.append(daily("alerts", _("Logistics alerts opened per store per day"), codes, lambda f: f.get("alerts"),
                        kind="bar", stacked=True))
    return charts


# --- Executive -------------------------------------------------------------------------------------


def deviation(user, store_ids, *, now, days=90) -> dict[int, dict]:
    """Per store: the mean absolute deviation between the mirror's overall score and the official
    experience score over the last `days` days (days having both), and how many days counted."""
    since = timezone.localdate(now) - timedelta(days=days)
    mirror = {(s, d): v for s, d, v in restrict(ScoreSnapshot.objects.all(), user, "view").filter(
        store_id__in=store_ids, date__gt=since, overall__isnull=False).values_list("store_id", "date", "overall")}
    gaps = defaultdict(list)
    for store_id, day, official in restrict(OfficialScore.objects.all(), user, "view").filter(
            store_id__in=store_ids, date__gt=since, experience_overall__isnull=False).values_list(
            "store_id", "date", "experience_overall"):
        if (store_id, day) in mirror:
            gaps[store_id].append(abs(mirror[(store_id, day)] - official))
    return {s: {"mad": round(sum(g) / len(g), 3), "days": len(g)} for s, g in gaps.items()}


def _latest(queryset, figure: str) -> dict[int, tuple]:
    """{store_id: (date, figure)} of each store's latest row in `queryset`, in one query however long
    the history."""
    latest_day = queryset.filter(store_id=OuterRef("store_id")).order_by("-date").values("date")[:1]
    rows = queryset.filter(date=Subquery(latest_day)).values_list("store_id", "date", figure)
    return {store_id: (day, value) for store_id, day, value in rows}


def executive_charts(user, *, now) -> list[Chart]:
    from tickets.models import Escalation, Ticket

    stores = _stores(user)
    ids = [s.pk for s in stores]
    latest = _latest(restrict(ScoreSnapshot.objects.all(), user, "view").filter(store_id__in=ids), "overall")
    official = _latest(restrict(OfficialScore.objects.all(), user, "view").filter(
        store_id__in=ids, experience_overall__isnull=False), "experience_overall")
    mad = deviation(user, ids, now=now)
    # Each figure with its day: the platform publishes days late, so the two latest days often differ.
    rows = [(s.code, *latest.get(s.pk, (None, None))[::-1], *official.get(s.pk, (None, None))[::-1],
             mad.get(s.pk, {}).get("mad")) for s in stores]
    charts = [Chart(
        id="score_vs_official", title=_("Experience score: mirror beside official"), kind="bar", y_max=5,
        columns=[_("Store"), _("Mirror"), _("Mirror's day"), _("Official"), _("Official's day"),
                 _("Mean absolute deviation (90 days)")], rows=rows,
        x=[r[0] for r in rows], series=[{"name": _("Mirror"), "data": [r[1] for r in rows]},
                                        {"name": _("Official"), "data": [r[3] for r in rows]}])]
    at_risk = restrict(StoreBadge.objects.all(), user, "view").filter(
        state__in=[BadgeState.AT_RISK, BadgeState.LOST]).select_related("store", "badge").order_by(
        "state", "store__code", "badge__order")[:50]
    charts.append(Chart(
        id="badges_at_risk", title=_("Badges at risk or lost"), kind="table",
        columns=[_("Store"), _("Badge"), _("State"), _("Figure"), _("Below the threshold since")],
        rows=[(b.store.code, b.badge.name_in(_lang()), b.get_state_display(), b.figure, b.below_since)
              for b in at_risk]))
    escalations = restrict(Escalation.objects.all(), user, "view").filter(
        acknowledged_at__isnull=True, ticket__status__in=Ticket.OPEN_STATUSES,
    ).select_related("ticket", "ticket__store", "level").order_by("-level__position", "-fired_at")[:10]
    charts.append(Chart(
        id="top_escalations", title=_("Top escalations (unacknowledged, highest level first)"), kind="table",
        columns=[_("Ticket"), _("Store"), _("Level"), _("Fired at"), _("Subject")],
        rows=[(e.ticket_id, e.ticket.store.code, e.level.position, timezone.localtime(e.fired_at).strftime(
            "%Y-%m-%d %H:%M"), e.ticket.subject) for e in escalations]))
    return charts


def _lang():
    from django.utils.translation import get_language

    return get_language() or "zh-hans"


def build(view, user, *, now, store_code=None) -> list[Chart]:
    if view == "lead":
        return lead_charts(user, now=now)
    if view == "manager":
        return manager_charts(user, now=now, store_code=store_code)
    return executive_charts(user, now=now)

