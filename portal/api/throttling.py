"""API throttles per client, counted in the shared cache (every gunicorn worker sees the same
counts). A throttled call answers 429 with `Retry-After` (DRF sets the header from `wait()`)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from portal.permissions import user_roles
from portal.roles import Role


class CurrentRatesMixin:
    """Read the rates from the settings at each call (DRF binds them once, at import)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class ClientRateThrottle(CurrentRatesMixin, UserRateThrottle):
    """Per signed-in user (a person or an integration client); integration clients get the higher
    `integration` rate because a marketplace or a carrier feed legitimately sends in bursts."""

    def allow_request(self, request, view):
        self.scope = "integration" if str(Role.INTEGRATION) in user_roles(request.user) else "user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonymousRateThrottle(CurrentRatesMixin, AnonRateThrottle):
    """Calls without credentials, per client address."""
