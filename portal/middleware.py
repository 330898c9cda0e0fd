"""Middleware of the portal: response headers added to every answer; a URL holding a NUL character
refused with 400 before any view; and a delete refused because other rows still refer to the object
answering 409 on every page (admin included) with what still refers to it, never a server error
(the API does the same in `portal.api.errors`)."""

from urllib.parse import unquote

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


class NulInUrlMiddleware:
    """A NUL character in the URL's path or query string answers 400 (the portal's page, or JSON on
    the API): PostgreSQL can neither store nor compare text holding one, so any lookup by a code or
    name from the URL would fail with a server error. (Forms refuse it at the field already.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", ""), errors="replace"):
            from portal.views import error_400

            return error_400(request)
        return self.get_response(request)


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
