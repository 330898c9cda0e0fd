"""Escalation ladders: publishing a policy's levels as an immutable version (copy-on-write), and
recording at the start of each SLA cycle the version the ticket's cycle runs on."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.models import (
    EscalationLadder,
    EscalationLevel,
    EscalationPolicy,
    LadderLevel,
    Ticket,
    TicketLadder,
)

# --- Publishing policies ----------------------------------------------------------------------


def latest_version(policy: EscalationPolicy) -> EscalationLadder | None:
    return policy.versions.order_by("-version").first()


def _signatures(levels, users_of) -> list[tuple]:
    return sorted(level.signature(users_of(level)) for level in levels)


def publish_policy(policy: EscalationPolicy, *, actor=None, now) -> EscalationLadder | None:
    """Freeze the policy's current levels into a new ladder version (copy-on-write).

    Returns the new version, or the latest one unchanged when the levels are the same as in it
    (saving a policy without changes publishes nothing). A policy without levels publishes nothing.
    Tickets whose cycle already started keep their version; new cycles get this one.
    """
    with transaction.atomic():
        EscalationPolicy.objects.select_for_update().filter(pk=policy.pk).values_list("pk", flat=True).first()
        levels = list(policy.levels.prefetch_related("users").order_by("position"))
        for level in levels:
            level.full_clean(exclude=["policy", "reassign_queue", "reassign_user"], validate_unique=False,
                             validate_constraints=False)
        latest = latest_version(policy)
        if latest is not None:
            old = list(latest.levels.prefetch_related("users"))
            if _signatures(old, lambda lv: [u.pk for u in lv.users.all()]) == _signatures(
                levels, lambda lv: [u.pk for u in lv.users.all()]
            ):
                return latest
        if not levels:
            return latest
        ladder = EscalationLadder.objects.create(
            policy=policy, version=(latest.version + 1) if latest else 1, published_at=now, published_by=actor
        )
        copies = LadderLevel.objects.bulk_create(
            LadderLevel(ladder=ladder, **{name: getattr(level, name) for name in level.COPY_FIELDS})
            for level in levels
        )
        through = LadderLevel.users.through
        through.objects.bulk_create(
            through(ladderlevel_id=copy.pk, user_id=user.pk)
            for copy, level in zip(copies, levels, strict=True)
            for user in level.users.all()
        )
        EscalationPolicy.objects.filter(pk=policy.pk).update(updated_at=now)
    return ladder


def save_policy(policy: EscalationPolicy, levels: list[dict], *, actor, now) -> EscalationLadder | None:
    """Create or update a policy and replace its levels (dicts of level fields, `users` a list of
    users), then publish. All or nothing: a bad level leaves the stored policy as it was."""
    with transaction.atomic():
        policy.full_clean()
        policy.updated_at = now
        policy.save()
        positions = [item["position"] for item in levels]
        if len(set(positions)) != len(positions):
            raise ValidationError({"levels": _("Two levels have the same position.")})
        policy.levels.all().delete()
        for item in levels:
            item = dict(item)
            users = item.pop("users", [])
            level = EscalationLevel(policy=policy, **item)
            try:
                level.full_clean(exclude=["policy"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                raise ValidationError(
                    {"levels": [_("Level %(position)s: %(errors)s") % {
                        "position": item.get("position"),
                        "errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
                    }]}
                ) from exc
            level.save()
            level.users.set(users)
        return publish_policy(policy, actor=actor, now=now)


# --- Starting a cycle's ladder ----------------------------------------------------------------


def active_policies() -> list[EscalationPolicy]:
    return list(EscalationPolicy.objects.filter(is_active=True).order_by("id"))


def match_policy(ticket: Ticket, policies: list[EscalationPolicy] | None = None) -> EscalationPolicy | None:
    """The ticket's queue's policy, else its SLA policy's, else a policy attached to neither."""
    policies = active_policies() if policies is None else policies
    candidates = [
        p for p in policies
        if (p.queue_id is None or p.queue_id == ticket.queue_id)
        and (p.sla_policy_id is None or p.sla_policy_id == ticket.sla_policy_id)
    ]
    if not candidates:
        return None
    return sorted(candidates, key=lambda p: (-p.specificity, p.pk))[0]


def start_ladder(ticket: Ticket, *, now, policies=None) -> TicketLadder | None:
    """Record the ladder version the ticket's current SLA cycle runs on (at creation, at reopen).

    Call in the transaction that starts the cycle. A ticket without running SLA clocks, or that
    no policy matches, gets no ladder. Idempotent per (ticket, cycle).
    """
    if ticket.sla_policy_id is None:
        return None
    policy = match_policy(ticket, policies)
    if policy is None:
        return None
    ladder = latest_version(policy) or publish_policy(policy, now=now)
    if ladder is None:
        return None
    track, _created = TicketLadder.objects.get_or_create(
        ticket=ticket, cycle=ticket.sla_cycle, defaults={"ladder": ladder, "started_at": now}
    )
    return track


def level_label(level) -> str:
    """How a level is named in notifications and timeline entries: number, name and trigger."""
    return _("Level %(position)s %(name)s (%(trigger)s)") % {
        "position": level.position, "name": level.display_name, "trigger": level.trigger_label(),
    }
