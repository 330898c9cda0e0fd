"""The roles of DESIGN §3: one Django group each, with a fixed permission set.

This file and each app's `roles.py` are the role matrix: the permission codenames each role
holds. `ensure_roles()` (run after every migrate) brings the groups up to date; a codename of a
model that does not exist yet is skipped.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    MANAGER = "manager", _("Manager")
    DIRECTOR = "director", _("Director")
    EXECUTIVE = "executive", _("Executive")
    REFUND_SPECIALIST = "refund_specialist", _("Refund specialist")
    LOGISTICS_COORDINATOR = "logistics_coordinator", _("Logistics coordinator")
    INSTALLATION_COORDINATOR = "installation_coordinator", _("Installation coordinator")
    TRAINER = "trainer", _("Trainer")
    INTEGRATION = "integration", _("Integration")
    ADMIN = "admin", _("Administrator")


# Roles whose scope is the whole organisation rather than their own teams.
ORG_WIDE_ROLES = {Role.DIRECTOR, Role.EXECUTIVE, Role.ADMIN}

_READ_CORE = ["portal.view_store", "portal.view_team", "portal.view_membership", "portal.view_productline"]
_OUTBOUND = ["portal.view_outboundmessage"]  # the marketplace feed's delivery state
_INBOX = ["portal.view_notification"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: _READ_CORE + _INBOX,
    Role.TEAM_LEAD: _READ_CORE + _INBOX,
    Role.MANAGER: _READ_CORE + _INBOX + _OUTBOUND,
    Role.DIRECTOR: _READ_CORE + _INBOX + _OUTBOUND,
    Role.EXECUTIVE: _READ_CORE + _INBOX,
    Role.REFUND_SPECIALIST: _READ_CORE + _INBOX,
    Role.LOGISTICS_COORDINATOR: _READ_CORE + _INBOX,
    Role.INSTALLATION_COORDINATOR: _READ_CORE + _INBOX,
    Role.TRAINER: _READ_CORE + _INBOX,
    Role.INTEGRATION: ["portal.view_store", "portal.view_productline", *_OUTBOUND],
    Role.ADMIN: _READ_CORE
    + _INBOX
    + _OUTBOUND
    + [
        "portal.add_productline",
        "portal.change_productline",
        "portal.delete_productline",
        "portal.add_store",
        "portal.change_store",
        "portal.delete_store",
        "portal.add_team",
        "portal.change_team",
        "portal.delete_team",
        "portal.add_membership",
        "portal.change_membership",
        "portal.delete_membership",
        "portal.change_notification",
        "portal.view_integrationclient",
        "portal.add_integrationclient",
        "portal.change_integrationclient",
        "portal.delete_integrationclient",
        "portal.view_piiaccess",  # the audit of personal-data reveals (portal.pii)
        "portal.view_apitoken",  # clients' API tokens: listed and revoked in admin
        "portal.change_apitoken",
    ],
}


# The apps that contribute a `roles.py` with a ROLE_PERMISSIONS dict of their own codenames.
ROLE_APPS = ["tickets", "logistics", "installation", "refunds", "scores", "training"]


def role_matrix() -> dict[str, set[str]]:
    """The whole matrix: portal's entries plus each app's `<app>.roles.ROLE_PERMISSIONS`."""
    from importlib import import_module
    from importlib.util import find_spec

    matrix = {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()}
    for app in ROLE_APPS:
        if find_spec(f"{app}.roles") is None:
            continue
        for role, perms in import_module(f"{app}.roles").ROLE_PERMISSIONS.items():
            matrix[role] |= set(perms)
    return matrix


def ensure_roles():
    """Create or update one group per role with exactly its permission set. Idempotent."""
    from django.contrib.auth.models import Group, Permission

    matrix = role_matrix()
    wanted = {perm for perms in matrix.values() for perm in perms}
    by_name = {}
    for perm in Permission.objects.filter(
        content_type__app_label__in={p.split(".")[0] for p in wanted}
    ).select_related("content_type"):
        by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    for role, perms in matrix.items():
        group, _created = Group.objects.get_or_create(name=str(role))
        group.permissions.set([by_name[p] for p in sorted(perms) if p in by_name])
