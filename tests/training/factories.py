"""A small training world on the tickets tests' world: a trainer, a published two-turn scenario on
a rubric with a critical category, a certification covering it."""

from datetime import timedelta

from portal.models import Team
from portal.roles import Role
from tests.factories import make_team, make_user
from tests.tickets.factories import World, sh
from training import services
from training.models import CertificationRequirement

NOW = sh(2026, 3, 2, 10, 0)

CATEGORIES = [
    {"name": "Empathy", "scale": "5", "weight": 40, "critical": False, "hints": ["sorry", "理解"]},
    {"name": "Solution", "scale": "3", "weight": 40, "critical": False, "hints": ["refund"]},
    {"name": "Compliance", "scale": "binary", "weight": 20, "critical": True, "hints": []},
]
TURNS = [
    {"text": "My battery swelled!", "points": ["stop charging", "sorry"], "forbidden": ["your fault"],
     "time_limit": 60, "model_answer": "Sorry! Please stop charging it now."},
    {"text": "I want my money back.", "points": ["refund"], "forbidden": [], "time_limit": 120,
     "model_answer": "I have filed the refund; a courier picks it up tomorrow."},
]


class TrainingWorld(World):
    def __init__(self):
        super().__init__()
        self.training_team = make_team("Training", kind=Team.Kind.TRAINING)
        self.trainer = make_user("trainer_t", role=Role.TRAINER, team=self.training_team)
        self.manager = make_user("manager_m", role=Role.MANAGER, team=make_team("CS dept", kind=Team.Kind.MANAGEMENT))
        self.rubric = services.save_rubric(None, name="Standard", categories=CATEGORIES, actor=self.trainer, now=NOW)
        self.scenario = services.create_scenario(
            actor=self.trainer, now=NOW, title="Battery swelled", turns=TURNS, rubric=self.rubric, pass_mark=80,
            tags=["battery"], status="published")
        self.requirement = CertificationRequirement.objects.create(
            code="battery", name_zh="电池纠纷处理", name_en="Battery disputes", passes_needed=1, min_score=80,
            validity_days=365)
        self.requirement.scenarios.set([self.scenario])

    def attempt(self, agent=None, *, at=NOW, answers=("Sorry, please stop charging.", "I filed your refund."),
                submit=True, seconds=30):
        agent = agent or self.agent
        assignment = services.assign_scenario(self.scenario, agents=[agent], due_at=at + timedelta(days=3),
                                              actor=self.trainer, now=at)
        assignment = assignment[0] if assignment else None
        attempt = services.start_attempt(self.scenario, agent=agent, assignment=assignment, actor=agent, now=at)
        moment = at
        for text in answers:
            moment += timedelta(seconds=seconds)
            attempt = services.answer_turn(attempt, text=text, actor=agent, now=moment)
        if submit:
            attempt = services.submit_attempt(attempt, actor=agent, now=moment + timedelta(seconds=5))
        return attempt

    def grade(self, attempt, values, *, at=NOW + timedelta(hours=1), comments=None):
        categories = list(attempt.rubric.categories.all())
        grades = {c.pk: (v, (comments or {}).get(c.name, "")) for c, v in zip(categories, values, strict=True)}
        return services.grade_attempt(attempt, grades=grades, feedback="Good", actor=self.trainer, now=at)
