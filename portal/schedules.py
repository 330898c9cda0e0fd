"""django-q2 schedules declared in code and synced idempotently by name.

Each app's `tasks.py` lists its schedules in `SCHEDULES`; `sync_schedules()` (called by the
post_migrate handler and by `manage.py sync_schedules`) creates or updates one django-q2 Schedule
row per name and never duplicates one.
"""

from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

SCHEDULE_APPS = ["portal", "tickets", "logistics", "installation", "refunds", "scores", "training"]


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str  # dotted path of the task function
    minutes: int  # run every N minutes


def declared_schedules() -> list[ScheduleSpec]:
    specs = []
    for app in SCHEDULE_APPS:
        if find_spec(f"{app}.tasks") is not None:
            specs.extend(getattr(import_module(f"{app}.tasks"), "SCHEDULES", []))
    names = [spec.name for spec in specs]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"Schedule names declared twice: {sorted(duplicates)}")
    return specs


def sync_schedules() -> dict[str, str]:
    """Create or update the declared schedules by name. Returns {name: "created"|"updated"|"unchanged"}."""
    from django_q.models import Schedule

    result = {}
    for spec in declared_schedules():
        wanted = {"func": spec.func, "schedule_type": Schedule.MINUTES, "minutes": spec.minutes, "repeats": -1}
        schedule = Schedule.objects.filter(name=spec.name).first()
        if schedule is None:
            Schedule.objects.create(name=spec.name, **wanted)
            result[spec.name] = "created"
            continue
        changed = [field for field, value in wanted.items() if getattr(schedule, field) != value]
        if changed:
            for field in changed:
                setattr(schedule, field, wanted[field])
            schedule.save(update_fields=changed)
        result[spec.name] = "updated" if changed else "unchanged"
    return result
