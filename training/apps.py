from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    """The simulation cabin and training records, above tickets and refunds: it plugs into their
    pages and the assignment paths through `portal.registry`; they never import it."""

    name = "training"
    verbose_name = _("Training")

    def ready(self):
        # Rules and registry entries only; nothing here touches the database.
        from portal import registry
        from training.gate import refusals
        from training.panels import ticket_case_panel
        from training.permissions import register_rules

        register_rules()
        registry.register_nav("training:home", _("Training"), "training.assignment", order=80)
        registry.register_assignment_guard(refusals)  # the queue gate
        registry.register_ticket_panel(ticket_case_panel)  # "make a cabin case" on a resolved ticket
