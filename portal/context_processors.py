"""Role-aware navigation and the unread count shown in the header."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from portal import registry
from portal.models import Notification


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    items = []
    for entry in registry.navigation():
        if entry.model:
            app_label, model_name = entry.model.split(".")
            if not user.has_perm(f"{app_label}.view_{model_name}"):
                continue
        if entry.shown is not None and not entry.shown(user):
            continue
        try:
            url = reverse(entry.key)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "active": request.path == url})
    return {
        "nav_items": items,
        "unread_count": Notification.objects.unread_inbox(user).count(),
        "show_admin": user.is_staff,
        "inbox_poll_seconds": settings.INBOX_POLL_SECONDS,
    }
