"""Read-side computations of the cabin: the candidates list, the compliance table, the metrics and an
agent's live service figures. Each is a constant number of queries whatever the data size (the
compliance table per page of agents; its export per chunk of agents). Definitions: docs/training.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Max, Min, OuterRef, Q

from portal.models import Membership, Team
from portal.permissions import restrict
from portal.roles import Role
from tickets.models import Escalation, Ticket
from training.models import Attempt, Certification, CertificationRequirement, QueueGate, Scenario
from training.permissions import sees_every_agent, visible_agent_ids

DAY = timedelta(hours=24)
EXPIRING_WITHIN = timedelta(days=30)
COMPLIANCE_ROLES = [Role.AGENT, Role.TEAM_LEAD]


# --- Candidates --------------------------------------------------------------------------------------


def candidate_sources():
    """The reasons a done ticket is worth a case, as named conditions on tickets: escalated to level
    2 or above, rated 1-2, a major complaint, a refund contested on the platform (a dispute
    submitted against the merchant's decision)."""
    from refunds.models import RefundRequest

    return {
        "escalated": Exists(Escalation.objects.filter(ticket=OuterRef("pk"), level__position__gte=2)),
        "contested": Exists(RefundRequest.objects.filter(ticket=OuterRef("pk"), dispute_submitted_on__isnull=False)),
        "low_rating": Q(rating__lte=2),
        "major": Q(is_major=True),
    }


def candidate_tickets(user):
    """Resolved or closed tickets worth turning into cases that are not yet cases: escalated to level
    2 or above, rated 1-2, major complaints, contested refunds. Trainers (and org-wide roles) see every ticket's
    candidacy (they work on the scrubbed text only); a team lead the tickets of their scope."""
    tickets = Ticket.objects.all() if sees_every_agent(user) else restrict(Ticket.objects.all(), user, "view")
    sources = candidate_sources()
    tickets = tickets.filter(status__in=Ticket.DONE_STATUSES, merged_into__isnull=True).annotate(
        escalated=sources["escalated"], contested=sources["contested"])
    condition = Q(escalated=True) | Q(contested=True) | sources["low_rating"] | sources["major"]
    made = Scenario.objects.filter(source_ticket_id__isnull=False).values("source_ticket_id")
    return (tickets.filter(condition).exclude(pk__in=made).select_related("store", "queue")
            .order_by("-created_at", "-id"))


def may_make_case(user, ticket) -> bool:
    """Trainers and managers from any done ticket (scrubbed side only); team leads from their scope."""
    if not user.has_perm("training.make_case_scenario") or ticket.is_open:
        return False
    if sees_every_agent(user):
        return True
    return restrict(Ticket.objects.filter(pk=ticket.pk), user, "view").exists()


# --- Compliance --------------------------------------------------------------------------------------


VALID, EXPIRING, MISSING, EXPIRED = "valid", "expiring", "missing", "expired"


@dataclass
class Cell:
    state: str
    until: object = None


def compliance_agents(user, team=None):
    """The people the compliance table lists for `user`: agents and team leads of customer-service
    teams whose records `user` may see, optionally of one team."""
    User = get_user_model()
    members = Membership.objects.filter(role__in=COMPLIANCE_ROLES, team__kind=Team.Kind.CUSTOMER_SERVICE)
    if team is not None:
        members = members.filter(team=team)
    agents = User.objects.filter(is_active=True, pk__in=members.values("user_id"))
    visible = visible_agent_ids(user)
    if visible is not None:
        agents = agents.filter(pk__in=visible)
    return agents.order_by("username")


def compliance_cells(agent_ids, requirements, *, now) -> dict[tuple[int, int], Cell]:
    """`{(agent id, requirement id): Cell}` for the given agents, in one query."""
    latest = (Certification.objects.filter(agent_id__in=list(agent_ids), requirement__in=requirements,
                                           granted_at__lte=now)
              .values("agent_id", "requirement_id").annotate(until=Max("expires_at")))
    found = {(row["agent_id"], row["requirement_id"]): row["until"] for row in latest}
    cells = {}
    for agent_id in agent_ids:
        for requirement in requirements:
            until = found.get((agent_id, requirement.pk))
            if until is None:
                cells[agent_id, requirement.pk] = Cell(MISSING)
            elif until <= now:
                cells[agent_id, requirement.pk] = Cell(EXPIRED, until)
            elif until <= now + EXPIRING_WITHIN:
                cells[agent_id, requirement.pk] = Cell(EXPIRING, until)
            else:
                cells[agent_id, requirement.pk] = Cell(VALID, until)
    return cells


def teams_of(agent_ids) -> dict[int, list[str]]:
    teams: dict[int, list[str]] = {}
    for user_id, name in Membership.objects.filter(user_id__in=list(agent_ids),
                                                   team__kind=Team.Kind.CUSTOMER_SERVICE).values_list(
            "user_id", "team__name").order_by("team__name"):
        teams.setdefault(user_id, []).append(name)
    return teams


def active_requirements():
    return list(CertificationRequirement.objects.filter(is_active=True).order_by("code"))


# --- Metrics -----------------------------------------------------------------------------------------


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def cabin_metrics(*, start, end, agents=None) -> dict:
    """Pass rate, attempts until the first pass, days from the first attempt to certification."""
    graded = Attempt.objects.filter(status=Attempt.Status.GRADED, graded_at__gte=start, graded_at__lt=end)
    if agents is not None:
        graded = graded.filter(agent_id__in=agents)
    counts = graded.aggregate(graded=Count("id"), passed=Count("id", filter=Q(passed=True)))
    # Attempts until pass: per (agent, scenario) first passed in the period, the attempts it took.
    firsts = (graded.filter(passed=True).values("agent_id", "scenario_id").annotate(first=Min("graded_at")))
    pairs = {(row["agent_id"], row["scenario_id"]): row["first"] for row in firsts}
    tries = []
    if pairs:
        rows = Attempt.objects.filter(status=Attempt.Status.GRADED, agent_id__in={a for a, _ in pairs},
                                      scenario_id__in={s for _, s in pairs}).values_list(
            "agent_id", "scenario_id", "graded_at")
        counter: dict[tuple, int] = {}
        for agent_id, scenario_id, graded_at in rows:
            first = pairs.get((agent_id, scenario_id))
            if first is not None and graded_at <= first:
                counter[agent_id, scenario_id] = counter.get((agent_id, scenario_id), 0) + 1
        tries = list(counter.values())
    certs = Certification.objects.filter(granted_at__gte=start, granted_at__lt=end)
    if agents is not None:
        certs = certs.filter(agent_id__in=agents)
    firsts_by_agent = dict(Attempt.objects.filter(agent_id__in=certs.values("agent_id")).values("agent_id")
                           .annotate(first=Min("started_at")).values_list("agent_id", "first"))
    days = [(c.granted_at - firsts_by_agent[c.agent_id]).total_seconds() / 86400
            for c in certs.only("agent_id", "granted_at") if c.agent_id in firsts_by_agent]
    return {
        "attempts_graded": counts["graded"],
        "pass_rate": _rate(counts["passed"], counts["graded"]),
        "attempts_until_pass": round(sum(tries) / len(tries), 2) if tries else None,
        "passes_counted": len(tries),
        "days_to_certify": round(sum(days) / len(days), 1) if days else None,
        "certifications_counted": len(days),
    }


def live_comparison(*, start, end, now, agents=None) -> dict:
    """The live service of certified vs not-yet-certified agents on the same queues, for tickets
    created in the period: 24-hour resolution rate, satisfaction (ratings 4-5 among rated) and
    escalation rate. Queues: the gated ones (certified: holding the gate's certification when the
    ticket was created); without gates, every queue and any certification."""
    gates = dict(QueueGate.objects.values_list("queue_id", "requirement_id"))
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True,
                                    assignee__isnull=False)
    if gates:
        tickets = tickets.filter(queue_id__in=list(gates))
    if agents is not None:
        tickets = tickets.filter(assignee_id__in=agents)
    rows = tickets.annotate(escalated=Exists(Escalation.objects.filter(ticket=OuterRef("pk")))).values_list(
        "assignee_id", "queue_id", "created_at", "first_resolved_at", "rating", "escalated")
    rows = list(rows)
    intervals: dict[tuple, list] = {}
    certs = Certification.objects.filter(agent_id__in={r[0] for r in rows})
    for agent_id, requirement_id, granted, expires in certs.values_list("agent_id", "requirement_id", "granted_at",
                                                                        "expires_at"):
        intervals.setdefault((agent_id, requirement_id), []).append((granted, expires))
        intervals.setdefault((agent_id, None), []).append((granted, expires))
    groups = {"certified": _Tally(), "not_certified": _Tally()}
    for assignee, queue_id, created, resolved, rating, escalated in rows:
        key = (assignee, gates.get(queue_id)) if gates else (assignee, None)
        held = any(g <= created < e for g, e in intervals.get(key, []))
        groups["certified" if held else "not_certified"].add(created, resolved, rating, escalated, now)
    return {name: tally.figures() for name, tally in groups.items()}


class _Tally:
    def __init__(self):
        self.tickets = self.decided = self.within = self.rated = self.satisfied = self.escalated = 0

    def add(self, created, resolved, rating, escalated, now):
        self.tickets += 1
        within = resolved is not None and resolved <= created + DAY
        self.within += within
        self.decided += within or created <= now - DAY
        if rating is not None:
            self.rated += 1
            self.satisfied += rating >= 4
        self.escalated += bool(escalated)

    def figures(self):
        return {"tickets": self.tickets, "resolution_24h_rate": _rate(self.within, self.decided),
                "satisfaction_rate": _rate(self.satisfied, self.rated), "escalation_rate": _rate(self.escalated,
                                                                                            self.tickets)}


def agent_live_figures(agent, *, now, days=30) -> dict:
    """The agent's own service over the last `days` days (tickets assigned to them)."""
    from tickets.metrics import ticket_metrics

    start = now - timedelta(days=days)
    queryset = Ticket.objects.filter(assignee=agent)
    figures = ticket_metrics(start=start, end=now, now=now, queryset=queryset)
    tickets = queryset.filter(created_at__gte=start, created_at__lt=now, merged_into__isnull=True)
    escalated = tickets.filter(Exists(Escalation.objects.filter(ticket=OuterRef("pk")))).count()
    figures["escalation_rate"] = _rate(escalated, figures["tickets_created"])
    return figures

