"""Routing: ordered rules choose a new ticket's queue, category, priority and major-complaint flag."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from tickets.models import Category, Priority, Queue, RoutingRule


@dataclass(frozen=True)
class Route:
    queue: Queue | None
    category: str
    priority: str
    is_major: bool
    rule_id: int | None = None


def default_queue(store) -> Queue | None:
    """The default queue of a customer-service team serving the store; else of any team serving
    it; else any default queue."""
    from portal.models import Team

    queues = Queue.objects.filter(is_default=True).order_by("id")
    return (
        queues.filter(team__stores=store, team__kind=Team.Kind.CUSTOMER_SERVICE).first()
        or queues.filter(team__stores=store).first()
        or queues.first()
    )


def matching_rule(*, store, text: str, has_order: bool, rules=None) -> RoutingRule | None:
    """The first active rule (by order) that matches."""
    if rules is None:
        rules = RoutingRule.objects.filter(is_active=True).filter(Q(store__isnull=True) | Q(store=store))
        rules = rules.select_related("queue").order_by("order", "id")
    for rule in rules:
        if rule.matches(store_id=store.pk, text=text or "", has_order=has_order):
            return rule
    return None


def route(*, store, text: str, has_order: bool) -> Route:
    """Queue, category, priority and major flag for a new ticket. What the matching rule leaves
    empty falls back to the store's default queue, category "other" and priority "normal"."""
    rule = matching_rule(store=store, text=text, has_order=has_order)
    queue = rule.queue if rule and rule.queue_id else default_queue(store)
    return Route(
        queue=queue,
        category=(rule.category if rule and rule.category else Category.OTHER),
        priority=(rule.priority if rule and rule.priority else Priority.NORMAL),
        is_major=bool(rule and rule.is_major),
        rule_id=rule.pk if rule else None,
    )
