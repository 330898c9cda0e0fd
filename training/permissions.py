"""Training scope rules, registered from TrainingConfig.ready().

- trainers, org-wide roles and integration clients (the learning-record store, statements only):
  every agent's records;
- team leads and managers: the records of the people in the teams in their scope
  (`visible_team_ids`), and their own;
- everyone else (agents): their own records only.
Records are assignments, attempts, grades, statements, certifications and offline courses, keyed by
their agent. Scenarios (anonymised cases), rubrics, certification requirements and queue gates are
configuration: whoever holds the view permission sees them all; a scenario's source ticket is shown
only to those who may see that ticket.
"""

from django.db.models import Q

from portal.models import Membership
from portal.permissions import is_org_wide, scope_rule, unscoped, user_roles, visible_team_ids
from portal.roles import Role

EVERY_AGENT_ROLES = {Role.TRAINER, Role.INTEGRATION}
HEAD_ROLES = {Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR}


def sees_every_agent(user) -> bool:
    return is_org_wide(user) or bool(user_roles(user) & {str(r) for r in EVERY_AGENT_ROLES})


def agent_condition(user, prefix="") -> Q | None:
    """The records `user` may see as a Q over `<prefix>agent` (None: everyone's)."""
    if sees_every_agent(user):
        return None
    condition = Q(**{f"{prefix}agent_id": user.pk})
    if user_roles(user) & {str(r) for r in HEAD_ROLES}:
        members = Membership.objects.filter(team_id__in=visible_team_ids(user)).values("user_id")
        condition |= Q(**{f"{prefix}agent_id__in": members})
    return condition


def visible_agent_ids(user):
    """The users whose training record `user` may see, as a queryset of ids (None: everyone)."""
    from django.contrib.auth import get_user_model

    condition = agent_condition(user)
    if condition is None:
        return None
    return get_user_model().objects.filter(
        Q(pk=user.pk) | Q(pk__in=Membership.objects.filter(team_id__in=visible_team_ids(user)).values("user_id"))
        if user_roles(user) & {str(r) for r in HEAD_ROLES} else Q(pk=user.pk)).values("pk")


def register_rules():
    from training.models import (
        Assignment,
        Attempt,
        Certification,
        CertificationRequirement,
        Grade,
        OfflineCourse,
        QueueGate,
        Rubric,
        RubricCategory,
        Scenario,
        Statement,
    )

    def by_agent(prefix):
        def rule(queryset, user, action):
            condition = agent_condition(user, prefix)
            return queryset if condition is None else queryset.filter(condition)

        return rule

    for model in (Assignment, Attempt, Certification, OfflineCourse):
        scope_rule(model)(by_agent(""))
    scope_rule(Grade)(by_agent("attempt__"))
    scope_rule(Statement)(by_agent("attempt__"))
    unscoped(Scenario, reason="Cabin cases are anonymised (personal data scrubbed); the link to the source "
                              "ticket is shown only to those who may see that ticket.")
    unscoped(Rubric, reason="Grading rubrics are organisation-wide training configuration.")
    unscoped(RubricCategory, reason="Grading rubrics are organisation-wide training configuration.")
    unscoped(CertificationRequirement, reason="What a certification requires is public to every role that "
                                              "trains or is trained.")
    unscoped(QueueGate, reason="Which queue requires which certification is organisation-wide configuration.")
