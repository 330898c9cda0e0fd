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
# \ud800-\udfff written as a JSON escape; a UTF-8 body cannot hold them raw.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def max_bytes() -> int:
    return getattr(settings, "API_MAX_JSON_BYTES", 4 * 1024 * 1024)


def max_depth() -> int:
    return getattr(settings, "API_MAX_JSON_DEPTH", 32)


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


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


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
        if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(data):
            raise exceptions.ParseError(_("The JSON holds a lone surrogate (\\ud800-\\udfff), which is not text."))
        return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")
