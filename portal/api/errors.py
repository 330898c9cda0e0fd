"""Errors as JSON: field errors as {"field": ["message"]}, others as {"detail": "..."}.

A delete refused because other rows still refer to the object (`ProtectedError`,
`RestrictedError`) answers 409 with what refers to it: {"detail": ..., "protected": [{"model":
"tickets.queue", "count": 2, "examples": ["..."]}]}.
"""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def still_referring(exc) -> list[dict]:
    """What still refers to the object a delete was refused for: per model, a count and examples."""
    groups = {}
    for obj in getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or []:
        label = obj._meta.label_lower
        entry = groups.setdefault(label, {"model": label, "name": str(obj._meta.verbose_name_plural), "count": 0,
                                          "examples": []})
        entry["count"] += 1
        if len(entry["examples"]) < 5:
            entry["examples"].append(str(obj))
    return list(groups.values())


def protected_message(referring) -> str:
    parts = ", ".join(f"{entry['count']} {entry['name']}" for entry in referring)
    return _("It cannot be deleted: %(what)s still refer to it. Remove or move them first.") % {"what": parts}


def exception_handler(exc, context):
    if isinstance(exc, ProtectedError | RestrictedError):
        referring = still_referring(exc)
        return Response({"detail": protected_message(referring), "protected": referring},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE Django refuses to read the body at all: the same 413 as a
        # body over API_MAX_JSON_BYTES (portal.api.parsers), not Django's bare 400.
        from portal.api.parsers import PayloadTooLarge, max_bytes

        exc = PayloadTooLarge(_("The body is larger than %(n)d bytes.") % {"n": max_bytes()})
    if isinstance(exc, DjangoValidationError):
        # A domain function refused: same shape as a serializer's field errors.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
