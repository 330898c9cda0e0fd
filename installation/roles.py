"""Installation permissions per role (merged into the role groups by portal.roles.ensure_roles).

- installation coordinator: runs the jobs (opens them, records their nodes) and sees the customer's
  contact details unmasked;
- customer service (agent, team lead, manager), logistics coordinator, executive: see the jobs of
  their stores (the stepper on a ticket);
- director: the same, with the customer's contact details;
- integration: an installation partner's API user posts events for its partner's jobs;
- admin: everything, including the product and partner configuration.
Scope (which jobs) is applied by installation/permissions.py.
"""

from portal.roles import Role

_VIEW = ["installation.view_installationjob", "installation.view_installationevent",
         "installation.view_installationalert", "installation.view_installationticketlink",
         "installation.view_product", "installation.view_installationpartner"]
_WORK = _VIEW + ["installation.add_installationjob", "installation.change_installationjob",
                 "installation.progress_installationjob", "installation.view_customer_installationjob"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: _VIEW,
    Role.TEAM_LEAD: _VIEW,
    Role.MANAGER: _VIEW,
    Role.DIRECTOR: _VIEW + ["installation.view_customer_installationjob"],
    Role.EXECUTIVE: _VIEW,
    Role.LOGISTICS_COORDINATOR: _VIEW,
    Role.INSTALLATION_COORDINATOR: _WORK,
    Role.INTEGRATION: ["installation.view_installationjob", "installation.progress_installationjob",
                       "installation.view_customer_installationjob"],
    Role.ADMIN: _WORK + [f"installation.{verb}_{model}" for model in ("product", "installationpartner")
                         for verb in ("add", "change", "delete")],
}
