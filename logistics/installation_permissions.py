"""Installation scope rules, registered from LogisticsConfig.ready().

- org-wide roles: every job;
- installation partners' API users (integration role linked to an `InstallationPartner`): only the
  jobs of their partner(s), nothing else; an integration user linked to no partner sees no job;
- everyone else: the jobs of the stores served by the teams in their scope.
Events, alerts and ticket links follow their job. Products and partners are configuration: visible
to whoever holds the view permission.
"""

from django.db.models import Q

from portal.permissions import is_org_wide, scope_rule, unscoped, user_roles, visible_store_ids
from portal.roles import Role


def partner_ids(user) -> set[int]:
    """The installation partners whose API user this is (cached on the user object)."""
    cached = getattr(user, "_installation_partner_ids", None)
    if cached is None:
        from logistics.installation_models import InstallationPartner

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
        return Q(**{f"{prefix}partner_id__in": partner_ids(user)})
    return Q(**{f"{prefix}store_id__in": visible_store_ids(user)})


def can_see_customer(user) -> bool:
    """Customer phone and address are PII: unmasked for the roles that arrange the visit."""
    return user.has_perm("logistics.view_customer_installationjob")


def register():
    from django.utils.translation import gettext_lazy as _

    from logistics.installation_models import (
        InstallationAlert,
        InstallationEvent,
        InstallationJob,
        InstallationPartner,
        InstallationTicketLink,
        Product,
    )
    from portal import registry

    def by_job(prefix):
        def rule(queryset, user, action):
            condition = job_condition(user, prefix)
            return queryset if condition is None else queryset.filter(condition)

        return rule

    scope_rule(InstallationJob)(by_job(""))
    scope_rule(InstallationEvent)(by_job("job__"))
    scope_rule(InstallationAlert)(by_job("job__"))
    scope_rule(InstallationTicketLink)(by_job("job__"))
    unscoped(Product, reason="The product catalogue (SKU, installation SLA) is configuration, not customer data.")
    unscoped(InstallationPartner, reason="The directory of installation partners is configuration; their "
                                         "jobs are scoped by the job rule.")

    from logistics.installation import open_jobs_on_delivery
    from logistics.templatetags.installation_tags import ticket_installation

    registry.register_ticket_panel(ticket_installation)
    registry.register_delivery_hook(open_jobs_on_delivery)
    registry.register_nav("logistics:installation_list", _("Installation jobs"), "logistics.installationjob",
                          order=60)
