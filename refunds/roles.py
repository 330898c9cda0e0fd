"""Refund desk permissions per role (merged into the role groups by portal.roles.ensure_roles).

- refund specialist: works the desk: sees requests, evidence and the rulebook, records goods
  received, uploads evidence, decides within the store's approval limit, records disputes;
- manager and director: the same, and approve decisions above a specialist's limit;
- agent, team lead, executive: see requests (the refund summary on their tickets);
- integration: the marketplace integration posts requests (create, change or cancel while
  undecided) and fetches evidence packs;
- admin: everything, including reason codes, return policies, the rulebook and desk settings.
Scope (which stores) is applied by refunds/permissions.py.
"""

from portal.roles import Role

_CONFIG = ["reasoncode", "responsibilityrule", "returnpolicy", "refunddesksettings"]
_VIEW = ["refunds.view_refundrequest", "refunds.view_refundevent", "refunds.view_refunddecision",
         "refunds.view_evidencefile", *[f"refunds.view_{model}" for model in _CONFIG]]
_DESK = _VIEW + ["refunds.change_refundrequest", "refunds.decide_refundrequest", "refunds.dispute_refundrequest",
                 "refunds.add_evidencefile"]
_APPROVE = _DESK + ["refunds.approve_refundrequest"]
_SUMMARY = ["refunds.view_refundrequest", "refunds.view_reasoncode"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: _SUMMARY,
    Role.TEAM_LEAD: _SUMMARY,
    Role.MANAGER: _APPROVE,
    Role.DIRECTOR: _APPROVE,
    Role.EXECUTIVE: _VIEW,
    Role.REFUND_SPECIALIST: _DESK + ["refunds.add_refundrequest"],
    Role.INTEGRATION: ["refunds.view_refundrequest", "refunds.add_refundrequest", "refunds.change_refundrequest",
                       "refunds.view_evidencefile", "refunds.view_reasoncode"],
    Role.ADMIN: _APPROVE + ["refunds.add_refundrequest", "refunds.delete_evidencefile"]
    + [f"refunds.{verb}_{model}" for model in _CONFIG for verb in ("add", "change", "delete")],
}
