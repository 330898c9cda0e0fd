"""Role-aware navigation and the unread count shown in the header."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from portal.models import Notification

# (label, URL name, "app_label.model" the user must be allowed to view, or None).
# Each app appends its pages here from its AppConfig.ready().
NAVIGATION = [
    (_("Home"), "home", None),
    (_("Inbox"), "inbox", "portal.notification"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    items = []
    for label, url_name, model_label in NAVIGATION:
        if model_label:
            app_label, model_name = model_label.split(".")
            if not user.has_perm(f"{app_label}.view_{model_name}"):
                continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path == url})
    return {
        "nav_items": items,
        "unread_count": Notification.objects.unread_inbox(user).count(),
        "show_admin": user.is_staff,
    }
