"""Training permissions per role (merged into the role groups by portal.roles.ensure_roles).

- trainer: scenarios and rubrics, assignments, grading, certification requirements and queue gates,
  offline courses; cases from tickets and the candidates list; every agent's record;
- agent: their own assignments, attempts (start, answer, submit), grades, certifications, courses;
- team lead: the team's compliance and records (assignments, attempts, grades, certifications,
  courses); may make cases from tickets of their scope;
- manager: everything a trainer does, over the customer-service teams;
- director and executive: the records, read-only; integration: the xAPI statements (a company
  learning-record store); admin: everything.
Scope (whose rows) is applied by training/permissions.py.
"""

from portal.roles import Role

P = "training."
_CONFIG = ["scenario", "rubric", "rubriccategory", "certificationrequirement", "queuegate"]
_RECORDS = ["assignment", "attempt", "grade", "certification", "offlinecourse", "statement"]
_READ_RECORDS = [f"{P}view_{m}" for m in _RECORDS]
_READ_CONFIG = [f"{P}view_{m}" for m in _CONFIG]
_TRAIN = _READ_RECORDS + _READ_CONFIG + [
    f"{P}{verb}_{m}" for m in ("scenario", "rubric", "rubriccategory", "certificationrequirement", "queuegate",
                               "assignment", "offlinecourse") for verb in ("add", "change")
] + [f"{P}make_case_scenario", f"{P}grade_attempt", f"{P}delete_queuegate"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: [f"{P}view_assignment", f"{P}view_attempt", f"{P}add_attempt", f"{P}change_attempt",
                 f"{P}view_grade", f"{P}view_certification", f"{P}view_offlinecourse",
                 f"{P}view_certificationrequirement"],
    Role.TEAM_LEAD: _READ_RECORDS + [f"{P}view_scenario", f"{P}view_rubric", f"{P}view_rubriccategory",
                                     f"{P}view_certificationrequirement", f"{P}view_queuegate",
                                     f"{P}add_scenario", f"{P}make_case_scenario"],
    Role.MANAGER: _TRAIN,
    Role.TRAINER: _TRAIN,
    Role.DIRECTOR: _READ_RECORDS + [f"{P}view_certificationrequirement", f"{P}view_queuegate"],
    Role.EXECUTIVE: [f"{P}view_certification", f"{P}view_certificationrequirement"],
    Role.INTEGRATION: [f"{P}view_statement"],
    Role.ADMIN: _TRAIN + [f"{P}{verb}_{m}" for m in _CONFIG + _RECORDS for verb in ("add", "change", "delete")]
    + [f"{P}change_attempt", f"{P}add_attempt"],
}
