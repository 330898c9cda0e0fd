"""Every writable scalar field of every serializer is a strict one (portal.api.fields): a string
field takes only a JSON string without NUL or lone surrogates, an integer only an integer, a
boolean only true/false, a time only an ISO string between 2000 and 2100. The walk covers every
serializer of the portal's apps, so a new one is held to it without editing this file."""

import pytest
from rest_framework import serializers

from portal.api.fields import StrictBooleanField, StrictCharField, StrictDateTimeField, StrictIntegerField
from portal.permissions import portal_apps
from tests.portal.test_scoped_fields import _classes

STRICT = {
    serializers.CharField: StrictCharField,
    serializers.IntegerField: StrictIntegerField,
    serializers.BooleanField: StrictBooleanField,
    serializers.DateTimeField: StrictDateTimeField,
}


def _scalar_fields(serializer, path):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        here = f"{path}.{name}"
        if isinstance(field, serializers.ListSerializer):
            yield from _scalar_fields(field.child, here)
        elif isinstance(field, serializers.BaseSerializer):
            yield from _scalar_fields(field, here)
        elif isinstance(field, serializers.ListField | serializers.DictField):
            yield f"{here}[]", field.child
        else:
            yield here, field


def offenders():
    apps = set(portal_apps())
    found = []
    for cls in _classes(serializers.Serializer):
        try:
            instance = cls(context={"request": None})
            fields = list(_scalar_fields(instance, f"{cls.__module__}.{cls.__name__}"))
        except Exception:  # noqa: BLE001 - needs more context: its declared fields
            fields = [(f"{cls.__module__}.{cls.__name__}.{n}", f) for n, f in cls._declared_fields.items()
                      if not f.read_only]
        for path, field in fields:
            for loose, strict in STRICT.items():
                # ChoiceField, URLField, EmailField subclass CharField and check their own values.
                if type(field) is loose or (isinstance(field, loose) and not isinstance(field, strict)
                                            and type(field).__module__.split(".")[0] in apps):
                    found.append(f"{path} ({type(field).__name__})")
    return found


def test_every_writable_scalar_field_is_strict():
    assert offenders() == []


@pytest.mark.parametrize("field, value", [
    (StrictCharField(), 12), (StrictCharField(), ["a", "b"]), (StrictCharField(), {"a": 1}), (StrictCharField(), True),
    (StrictCharField(), "a\x00b"), (StrictCharField(), "SF\ud800X"), (StrictCharField(max_length=30), "1" * 1000),
    (StrictIntegerField(), "12"), (StrictIntegerField(), 12.0), (StrictIntegerField(), True),
    (StrictIntegerField(), 10**30), (StrictBooleanField(), "no"), (StrictBooleanField(), 0),
    (StrictDateTimeField(), "0001-01-01T00:00:00+14:00"), (StrictDateTimeField(), 1100829337),
])
def test_strict_fields_refuse(field, value):
    with pytest.raises(serializers.ValidationError):
        field.run_validation(value)


def test_a_time_outside_the_years_is_refused_in_the_readers_language():
    from django.utils import translation

    for language, expected in (("en", "Give a time between the years 2000 and 2100."),
                               ("zh-hans", "请给出 2000 年至 2100 年之间的时间。")):
        with translation.override(language), pytest.raises(serializers.ValidationError) as refused:
            StrictDateTimeField().run_validation("1999-12-31T23:00:00Z")
        assert refused.value.detail == [expected]
