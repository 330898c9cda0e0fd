"""The ticket page's cabin panel (registered in `portal.registry` by TrainingConfig): on a resolved
or closed ticket, "make a cabin case" for trainers and team leads, and the cases already made."""

from django.template.loader import render_to_string


def ticket_case_panel(context, ticket) -> str:
    from training.models import Scenario
    from training.reports import may_make_case

    request = context["request"]
    user = request.user
    if ticket.is_open or not user.has_perm("training.make_case_scenario"):
        return ""
    cases = list(Scenario.objects.filter(source_ticket_id=ticket.pk).only("id", "title"))
    if not cases and not may_make_case(user, ticket):
        return ""
    return render_to_string("training/ticket_panel.html", {"ticket": ticket, "cases": cases,
                                                            "can_view": user.has_perm("training.view_scenario")},
                            request=request)
