"""System checks for configuration that would otherwise fail only at run time."""

from django.conf import settings
from django.core.checks import Error, register

# Every key django-q2 reads from Q_CLUSTER (django_q/conf.py).
KNOWN_Q_CLUSTER_KEYS = {
    "name", "cluster_name", "workers", "daemonize_workers", "recycle", "max_rss", "timeout", "retry",
    "max_attempts", "ack_failures", "compress", "save_limit", "save_limit_per", "guard_cycle", "sync",
    "queue_limit", "label", "catch_up", "redis", "django_redis", "orm", "mongo", "mongo_db", "sqs",
    "iron_mq", "broker_class", "poll", "bulk", "cpu_affinity", "cache", "cached", "scheduler",
    "error_reporter", "log_level", "testing", "time_zone", "ALT_CLUSTERS", "has_replica",
}


@register()
def check_q_cluster(app_configs, **kwargs):
    conf = getattr(settings, "Q_CLUSTER", None)
    if not isinstance(conf, dict):
        return [Error("Q_CLUSTER must be a dict.", id="portal.E001")]
    errors = []
    unknown = sorted(set(conf) - KNOWN_Q_CLUSTER_KEYS)
    if unknown:
        errors.append(
            Error(f"Q_CLUSTER has unknown keys: {', '.join(unknown)}.", hint="Check the spelling against django-q2's settings.", id="portal.E002")
        )
    timeout, retry = conf.get("timeout"), conf.get("retry", 60)
    if timeout is None:
        errors.append(Error("Q_CLUSTER needs a timeout.", id="portal.E003"))
    elif retry is not None and timeout >= retry:
        errors.append(
            Error(
                f"Q_CLUSTER timeout ({timeout}) must be below retry ({retry}).",
                hint="Otherwise a task still running is handed to a second worker and runs twice.",
                id="portal.E004",
            )
        )
    if conf.get("catch_up", True):
        errors.append(Error("Q_CLUSTER catch_up must be False.", hint="After downtime a schedule should run once.", id="portal.E005"))
    return errors


@register()
def check_scope_rules(app_configs, **kwargs):
    """Fail closed: every model of the portal's apps, and every model admin shows through
    `RestrictedAdmin` (or its inlines), has a scope rule or an explicit `unscoped(...)`."""
    from django.contrib import admin

    from portal.admin import RestrictedAdmin, RestrictedInlineMixin
    from portal.permissions import governed_models, scope_registry

    registered = scope_registry()
    wanted = set(governed_models())
    errors = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, RestrictedAdmin):
            continue
        wanted.add(model)
        for inline in model_admin.inlines:
            wanted.add(inline.model)
            if not issubclass(inline, RestrictedInlineMixin):
                errors.append(Error(
                    f"{type(model_admin).__name__} shows {inline.__name__}, an inline that does not apply restrict().",
                    hint="Derive it from portal.admin.RestrictedTabularInline or RestrictedStackedInline.",
                    obj=inline, id="portal.E011",
                ))
    missing = sorted(model._meta.label for model in wanted if model not in registered)
    if missing:
        errors.insert(0, Error(
            f"No scope rule for: {', '.join(missing)}.",
            hint="Register one with @scope_rule(Model) in the app's permissions module, or declare "
                 "portal.permissions.unscoped(Model, reason=...) for configuration every permission holder may see.",
            id="portal.E010",
        ))
    return errors
