"""The OpenAPI schema says what the API really answers (checked by schemathesis in the test suite).

- every operation declares the error answers it can give: 400 (bad input or query parameter),
  401, 403, 404, 429 (throttled); writes also 409 (a delete still referred to, a conflicting
  state), 413 (body too large) and 415 (not JSON); each as a JSON object (`{"detail": ...}` or
  field errors);
- a read-only field backed by a nullable model field (a related object's code, an id) is nullable.
"""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework import serializers

ERROR_BODY = {"type": "object", "additionalProperties": {},
              "description": '{"detail": "..."} or field errors {"field": ["message"]}'}
ERRORS = {
    "400": "Bad input: field errors, or a bad query parameter.",
    "401": "Not signed in (no or a wrong token).",
    "403": "The caller's role, or its integration kind, does not allow this.",
    "404": "No such object in the caller's scope.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}
WRITE_ERRORS = {
    "409": "Conflict: the object is still referred to, or its state does not allow this.",
    "413": "The body is too large.",
    "415": "The body is not JSON (or multipart, for uploads).",
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS)
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            errors.update(WRITE_ERRORS)
        for code, description in errors.items():
            responses.setdefault(code, {"description": description,
                                        "content": {"application/json": {"schema": ERROR_BODY}}})
        return responses

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if field.read_only and "nullable" not in meta and _nullable_source(field):
            meta["nullable"] = True
        return meta


def _nullable_source(field) -> bool:
    """Whether a read-only field reads through a nullable model field (`ticket`, `partner.code`)."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or isinstance(field, serializers.SerializerMethodField):
        return False
    source = field.source if field.source and field.source != "*" else field.field_name
    for name in source.split("."):
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            attname = {f.attname: f for f in model._meta.concrete_fields}.get(name)
            return bool(attname is not None and attname.null)
        if model_field.null:
            return True
        model = getattr(model_field, "related_model", None)
        if model is None:
            return False
    return False
