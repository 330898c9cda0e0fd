from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstallationConfig(AppConfig):
    """Installation tracking, above logistics and tickets: it plugs into their pages and events
    through `portal.registry`; they never import it."""

    name = "installation"
    verbose_name = _("Installation")

    def ready(self):
        # Rules and registry entries only; nothing here touches the database.
        from installation.panels import alert_installation, ticket_installation, ticket_order_jobs
        from installation.permissions import register_rules
        from installation.services import open_jobs_on_delivery, record_dispatch_step
        from portal import registry

        register_rules()
        from installation import notification_texts  # noqa: F401  (registers the notification texts)
        registry.register_nav("installation:job_list", _("Installation jobs"), "installation.installationjob",
                              order=60)
        registry.register_ticket_panel(ticket_installation)  # the stepper, or the transfer button
        registry.register_ticket_panel(ticket_order_jobs)  # customer context: the order's other jobs
        registry.register_alert_panel(alert_installation)  # an appointment-at-risk alert's job
        registry.register_delivery_hook(open_jobs_on_delivery)  # a delivered parcel opens its jobs
        registry.register_dispatch_hook(record_dispatch_step)  # own-delivery steps on the job's timeline
