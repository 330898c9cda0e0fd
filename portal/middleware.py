"""A delete refused because other rows still refer to the object answers 409 on every page (admin
included) with what still refers to it, never a server error. The API does the same in
`portal.api.errors`."""

from django.db.models import ProtectedError, RestrictedError
from django.shortcuts import render


class ProtectedDeleteMiddleware:
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
