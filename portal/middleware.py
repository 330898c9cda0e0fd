"""Middleware of the portal: response headers added to every answer, and a delete refused because
other rows still refer to the object answering 409 on every page (admin included) with what still
refers to it, never a server error (the API does the same in `portal.api.errors`)."""

from django.conf import settings
from django.db.models import ProtectedError, RestrictedError
from django.shortcuts import render


class PermissionsPolicyMiddleware:
    """`Permissions-Policy` (settings.PERMISSIONS_POLICY): browser features the pages never use are off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind settings.PROXY_COUNT proxies the address the
    outermost trusted proxy recorded in X-Forwarded-For (what a client sends itself is ignored)."""
    count = settings.PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


class ProtectedDeleteMiddleware:
    """A `ProtectedError` / `RestrictedError` escaping a view: the 409 page listing what still refers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ProtectedError | RestrictedError):
            return None
        from portal.api.errors import protected_message, still_referring

        referring = still_referring(exception)
        return render(request, "409.html", {"message": protected_message(referring), "referring": referring},
                      status=409)
