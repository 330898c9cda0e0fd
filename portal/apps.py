from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _after_migrate(sender, using="default", **kwargs):
    """Bring role groups, django-q2 schedules and planner statistics up to date after every migrate."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from portal.database import optimize
    from portal.roles import ensure_roles

    # The portal's post_migrate runs before the other apps' (it is installed first): create every
    # app's permissions now, so the role groups get all their grants on a brand-new database.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    from portal.schedules import sync_schedules

    ensure_roles()
    sync_schedules()
    optimize(full=True)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        # Registering rules, checks and signal handlers only; nothing here touches the database.
        from portal import checks, registry  # noqa: F401
        from portal.permissions import _register_core_rules

        _register_core_rules()
        registry.register_nav("home", _("Home"), order=0)
        registry.register_nav("inbox", _("Inbox"), "portal.notification", order=1)
        registry.register_nav("approvals", _("Approvals"), order=2, shown=registry.may_approve)
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="portal_after_migrate")
