"""The tickets app's part of the role matrix (DESIGN §3)."""

from portal.roles import Role

T = "tickets."
_CONFIG_MODELS = ["queue", "businesscalendar", "calendarinterval", "holiday", "makeupday", "slapolicy", "slatarget",
                  "routingrule", "macro"]
_READ_CONFIG = [f"{T}view_{m}" for m in _CONFIG_MODELS]
_READ = [f"{T}view_ticket", f"{T}view_timelineentry", f"{T}view_chatmessage", f"{T}view_chatconversation"] + _READ_CONFIG
# Working tickets: reply and note, transfer, resolve/reopen, edit fields and status, open tickets by hand.
_WORK = _READ + [f"{T}add_ticket", f"{T}change_ticket", f"{T}reply_ticket", f"{T}transfer_ticket",
                 f"{T}resolve_ticket"]
_ALL_CONFIG = [f"{T}{verb}_{m}" for m in _CONFIG_MODELS for verb in ("add", "change", "delete", "view")]

ROLE_PERMISSIONS = {
    Role.AGENT: _WORK,
    Role.TEAM_LEAD: _WORK + [f"{T}assign_ticket", f"{T}view_pii_ticket"],
    Role.MANAGER: _WORK + [
        f"{T}assign_ticket", f"{T}merge_ticket", f"{T}export_ticket", f"{T}view_pii_ticket",
        f"{T}add_macro", f"{T}change_macro",
    ],
    Role.DIRECTOR: _READ + [f"{T}export_ticket", f"{T}view_pii_ticket"],
    Role.EXECUTIVE: [f"{T}view_ticket"],  # + oversee, below
    # The refund desk and installation queues are their teams' queues; scope does the rest.
    Role.REFUND_SPECIALIST: _WORK + [f"{T}assign_ticket"],
    Role.INSTALLATION_COORDINATOR: _WORK + [f"{T}assign_ticket"],
    # Only the tickets they opened from an alert or worked (tickets/permissions.py: participants).
    Role.LOGISTICS_COORDINATOR: [f"{T}view_ticket", f"{T}view_timelineentry", f"{T}view_chatmessage"],
    Role.TRAINER: [],
    Role.INTEGRATION: [f"{T}ingest_ticket", f"{T}rate_ticket"],
    Role.ADMIN: _WORK + _ALL_CONFIG + [
        f"{T}assign_ticket", f"{T}merge_ticket", f"{T}export_ticket", f"{T}view_pii_ticket",
        f"{T}ingest_ticket", f"{T}rate_ticket",
    ],
}

# Managers and above: the "All tickets" page (within their scope) and the service metrics, in UI and API.
for _role in (Role.MANAGER, Role.DIRECTOR, Role.EXECUTIVE, Role.ADMIN):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] + [f"{T}oversee_ticket"]

# The escalation ladder (tickets/escalation*.py): see and acknowledge escalations; admins configure.
_ESCALATION_CONFIG = ["escalationpolicy", "escalationlevel", "escalationladder", "ladderlevel"]
for _role in (Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR, Role.REFUND_SPECIALIST,
              Role.INSTALLATION_COORDINATOR):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] + [f"{T}view_escalation", f"{T}acknowledge_escalation"]
for _role in (Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] + [f"{T}view_{m}" for m in _ESCALATION_CONFIG]
# The chairman acknowledges and comments on the escalations that reached them (scope: reached).
ROLE_PERMISSIONS[Role.EXECUTIVE] = ROLE_PERMISSIONS[Role.EXECUTIVE] + [
    f"{T}view_escalation", f"{T}acknowledge_escalation"]
ROLE_PERMISSIONS[Role.ADMIN] = ROLE_PERMISSIONS[Role.ADMIN] + [
    f"{T}view_escalation", f"{T}acknowledge_escalation", f"{T}view_escalationladder", f"{T}view_ladderlevel",
    f"{T}view_escalationsweep",
] + [f"{T}{verb}_{m}" for m in ("escalationpolicy", "escalationlevel") for verb in ("add", "change", "delete", "view")]
