"""Validators shared by every app's forms and API serializers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland China: a mobile (11 digits from 13-19), a landline with its area code (010-12345678,
# 0755 1234567, an extension after "-" or "转"), or a marketplace virtual number (a mobile with an
# extension: 17012345678-1234). "+86" / "86" in front and spaces or dashes inside are accepted.
_MOBILE = r"1[3-9]\d{9}"
_LANDLINE = r"0\d{2,3}[- ]?\d{7,8}"
_EXTENSION = r"(?:[-#,转]\d{1,6})?"
PHONE_RE = re.compile(rf"^(?:\+?86[- ]?)?(?:{_MOBILE}|{_LANDLINE}){_EXTENSION}$")
PHONE_MESSAGE = _(
    "Enter a mainland phone number: a mobile (13812345678), a landline with its area code "
    "(0755-12345678) or a virtual number with its extension (17012345678-1234)."
)


def normalize_phone(value: str) -> str:
    """The number as typed, without surrounding or doubled spaces."""
    return " ".join((value or "").split())


def validate_phone(value: str) -> None:
    """Raise ValidationError (code "phone") unless `value` is empty or a mainland phone number."""
    value = normalize_phone(value)
    if value and not PHONE_RE.match(value.replace(" ", "")):
        raise ValidationError(PHONE_MESSAGE, code="phone")
