"""Installation scope rules, registered from InstallationConfig.ready().

- org-wide roles: every job;
- installation partners' API users (integration role linked to an `InstallationPartner`): only the
  jobs of their partner(s), nothing else; an integration user linked to no partner sees no job;
- everyone else: the jobs of the stores served by the teams in their scope.
Events, alerts and ticket links follow their job. Products and partners are configuration: visible
to whoever holds the view permission. A job's customer name, phone and address are personal data
(`portal.pii`).
"""

from django.db.models import Q

from portal import pii
from portal.permissions import has_action, is_org_wide, scope_rule, unscoped, user_roles, visible_store_ids
from portal.roles import Role


def partner_ids(user) -> set[int]:
    """The installation partners whose API user this is (cached on the user object)."""
    cached = getattr(user, "_installation_partner_ids", None)
    if cached is None:
        from installation.models import InstallationPartner

        cached = set(InstallationPartner.users.through.objects.filter(user_id=user.pk)
                     .values_list("installationpartner_id", flat=True))
        user._installation_partner_ids = cached
    return cached


def is_partner_user(user) -> bool:
    return Role.INTEGRATION in user_roles(user) and not is_org_wide(user)


def job_condition(user, prefix="") -> Q | None:
    """The jobs `user` may see as a Q over `prefix` (None: every job)."""
    if is_org_wide(user):
        return None
    if is_partner_user(user):
        # Its partner's jobs, in the stores its integration client serves (portal.integrations).
        return Q(**{f"{prefix}partner_id__in": partner_ids(user), f"{prefix}store_id__in": visible_store_ids(user)})
    return Q(**{f"{prefix}store_id__in": visible_store_ids(user)})


def may_see_customer(user, job) -> bool:
    """The PII rule of a job (registered with `portal.pii`): customer name, phone and address are
    revealed to the roles that arrange the visit (`view_customer` on installation jobs)."""
    return has_action(user, type(job), "view_customer")


def register_rules():
    from installation.models import (
        InstallationAlert,
        InstallationEvent,
        InstallationJob,
        InstallationPartner,
        InstallationTicketLink,
        Product,
    )

    def by_job(prefix):
        def rule(queryset, user, action):
            condition = job_condition(user, prefix)
            return queryset if condition is None else queryset.filter(condition)

        return rule

    scope_rule(InstallationJob)(by_job(""))
    pii.register(InstallationJob, fields={"customer_name": pii.NAME, "customer_phone": pii.PHONE,
                                          "address": pii.ADDRESS}, may_see=may_see_customer)
    scope_rule(InstallationEvent)(by_job("job__"))
    scope_rule(InstallationAlert)(by_job("job__"))
    scope_rule(InstallationTicketLink)(by_job("job__"))
    unscoped(Product, reason="The product catalogue (SKU, installation SLA) is configuration, not customer data.")
    unscoped(InstallationPartner, reason="The directory of installation partners is configuration; their "
                                         "jobs are scoped by the job rule.")

