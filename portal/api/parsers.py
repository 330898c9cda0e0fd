"""The API's JSON parser: the body's size and nesting depth are bounded before it is parsed.

A body larger than `API_MAX_JSON_BYTES` (default 4 MB) or nested deeper than `API_MAX_JSON_DEPTH`
(default 32) answers 400 (413 for the size) without being parsed, so no payload can exhaust memory
or the interpreter's recursion limit. Lone surrogates (`"\\ud800"`) are refused too: they cannot be
stored as UTF-8 text. Every API view parses JSON through this class (REST_FRAMEWORK's
DEFAULT_PARSER_CLASSES).
"""

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status

# A JSON string (escapes included), to skip over when counting brackets.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_NUL_ESCAPE = re.compile(rb"\\u0000", re.IGNORECASE)
# \ud800-\udfff written as a JSON escape; a UTF-8 body cannot hold them raw.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def max_bytes() -> int:
    return settings.API_MAX_JSON_BYTES


def max_depth() -> int:
    return settings.API_MAX_JSON_DEPTH


def depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped)."""
    deepest = level = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b'""', body)):
        if bracket in (b"[", b"{"):
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def has_surrogate(text: str) -> bool:
    """A lone surrogate (\\ud800-\\udfff): not valid Unicode, no database stores it."""
    return not text.isascii() and any("\ud800" <= c <= "\udfff" for c in text)


def has_nul(text: str) -> bool:
    """A NUL character: no database text column (nor PostgreSQL's jsonb) can hold it."""
    return "\x00" in text


def bad_text(text: str) -> bool:
    return has_nul(text) or has_surrogate(text)


def path_to(value, bad, path=()):
    """The keys leading to the first text (or key) that `bad` refuses (None: there is none); a bad
    key is reported as `non_field_errors` of its object."""
    if isinstance(value, str):
        return path if bad(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if bad(key):
                return (*path, "non_field_errors")
            found = path_to(item, bad, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = path_to(item, bad, (*path, str(index)))
            if found is not None:
                return found
    return None


def _refuse_text(data, body: bytes, escape, bad, message):
    """A 400 at the field that holds the first text `bad` refuses, e.g. {"events": {"0": {"description": [...]}}}.
    The body is searched for the JSON escape first, so an ordinary body is not walked."""
    path = path_to(data, bad) if escape.search(body) else None
    if path is not None:
        detail = [message]
        for key in reversed(path or ("non_field_errors",)):
            detail = {key: detail}
        raise exceptions.ValidationError(detail)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_bytes()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(_("The body is larger than %(n)d bytes.") % {"n": limit})
        if depth(body) > max_depth():
            raise exceptions.ParseError(_("The JSON is nested deeper than %(n)d levels.") % {"n": max_depth()})
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(body.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        _refuse_text(data, body, _SURROGATE_ESCAPE, has_surrogate,
                     _("This text holds a lone surrogate (\\ud800-\\udfff); send valid Unicode."))
        _refuse_text(data, body, _NUL_ESCAPE, has_nul, _("This text holds a NUL character (\\u0000); remove it."))
        return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")
