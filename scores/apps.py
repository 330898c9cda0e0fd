from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoresConfig(AppConfig):
    """Experience score and service badges, above every app whose data it reads (tickets, logistics,
    installation, refunds); it adds to the portal's pages through `portal.registry`."""

    name = "scores"
    verbose_name = _("Scores and badges")

    def ready(self):
        # Rules and registry entries only; nothing here touches the database.
        from portal import registry
        from scores import notification_texts  # noqa: F401  (registers the notification texts)
        from scores.permissions import register_rules
        from scores.views import score_widget

        register_rules()
        registry.register_nav("scores:dashboard", _("Scores"), "scores.scoresnapshot", order=70)
        registry.register_home_widget(score_widget)
