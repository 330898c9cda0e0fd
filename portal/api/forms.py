"""Django forms behind API endpoints: the JSON body is checked before a form sees it.

A form expects text: a JSON body that is not an object, or a value that is a list, an object or a
boolean, answers 400 at its field instead of reaching the form (where `{"resolution": {"a": 1}}`
would be stored as its Python text and `[]` would crash). Numbers become their text (the form then
parses "12.50" or refuses 1100829337 as a time). A date or time the form accepted outside the years
2000-2100 is refused at its field too.
"""

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from portal.api.parsers import bad_text
from portal.inputs import MAX_YEAR, MIN_YEAR, in_year_range

NUMERIC_FIELDS = (forms.DecimalField, forms.IntegerField, forms.FloatField, forms.ModelChoiceField)


def form_data(data, fields=None):
    """The request's data as a form's `data`: a QueryDict (form posts) as it is, a JSON object with
    scalar values as text. A number is taken only for a numeric field of `fields` (the form's
    base_fields; a number, or a model's id); a text field takes only a string. Raises a 400
    ValidationError otherwise."""
    fields = fields or {}
    if hasattr(data, "getlist"):
        bad = {name: [_("Remove the NUL or surrogate characters.")] for name, values in data.lists()
               if any(isinstance(v, str) and bad_text(v) for v in values)}
        if bad:
            raise ValidationError(bad)
        return data
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    clean, bad = {}, {}
    for name, value in data.items():
        if value is None:
            continue
        numeric = isinstance(fields.get(name), NUMERIC_FIELDS) or (not fields and not isinstance(value, str))
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            bad[name] = [_("Give a text or number value.")]
        elif not isinstance(value, str) and not numeric:
            bad[name] = [_("Give a text value.")]
        elif isinstance(value, str) and bad_text(value):
            bad[name] = [_("Remove the NUL or surrogate characters.")]
        else:
            clean[name] = value if isinstance(value, str) else str(value)
    if bad:
        raise ValidationError(bad)
    return clean


def valid_form(form):
    """`form`, valid, or a 400 with its field errors."""
    if not form.is_valid():
        raise ValidationError({field: [e["message"] for e in errs]
                               for field, errs in form.errors.get_json_data().items()})
    out_of_range = {name: [_("Give a date between the years %(min)d and %(max)d.") % {"min": MIN_YEAR,
                                                                                        "max": MAX_YEAR}]
                    for name, value in form.cleaned_data.items()
                    if isinstance(value, date) and not in_year_range(value)}
    if out_of_range:
        raise ValidationError(out_of_range)
    return form
