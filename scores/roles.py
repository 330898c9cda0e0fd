"""Scores permissions per role (merged into the role groups by portal.roles.ensure_roles).

- team lead: the team's stores' scores and badges (the lead's dashboard);
- manager: the same, records official figures (form, CSV) and sets where the badges may be embedded;
- director, executive: every store's scores and badges (read);
- integration: posts the platform's official figures (`POST /api/v1/scores/official/`);
- admin: everything, including thresholds, weights and badge definitions.
Scope (which stores) is applied by scores/permissions.py.
"""

from portal.roles import Role

_CONFIG = ["scores.view_metricrule", "scores.view_dimensionweight", "scores.view_badge"]
_READ = _CONFIG + ["scores.view_metricsnapshot", "scores.view_scoresnapshot", "scores.view_officialscore",
                   "scores.view_storebadge", "scores.view_badgechange", "scores.view_embedsettings"]
_MANAGE = _READ + ["scores.add_officialscore", "scores.change_officialscore", "scores.change_embedsettings",
                   "scores.add_embedsettings"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.TEAM_LEAD: _READ,
    Role.MANAGER: _MANAGE,
    Role.DIRECTOR: _MANAGE,
    Role.EXECUTIVE: _READ,
    Role.INTEGRATION: ["scores.view_officialscore", "scores.add_officialscore", "scores.change_officialscore"],
    Role.ADMIN: _MANAGE + [f"scores.{verb}_{model}" for model in ("metricrule", "dimensionweight", "badge")
                           for verb in ("add", "change", "delete")],
}
