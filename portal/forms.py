"""Forms of the portal shell, and form fields the apps share."""

from django import forms

from portal.inputs import in_year_range, year_range_message


class YearBounded:
    """For a date or time form field: a value outside MIN_YEAR-MAX_YEAR is refused at the field (a
    year-1 time cannot be converted to UTC, and no service record is that old or that far ahead; the
    API's StrictDateTimeField holds to the same years)."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and not in_year_range(moment):
            raise forms.ValidationError(year_range_message(), code="invalid")
        return moment


class BoundedDateTimeField(YearBounded, forms.DateTimeField):
    """A date and time between MIN_YEAR and MAX_YEAR (saving a year-1 time was a 500)."""


class PiiRevealForm(forms.Form):
    """The "show" button's POST (static/portal/pii.js): which field of which object, and from where."""

    model = forms.CharField(max_length=100)  # "app_label.model"
    id = forms.IntegerField(min_value=1)
    field = forms.CharField(max_length=60)
    page = forms.CharField(max_length=300, required=False)  # the page the "show" button is on


class AccountSettingsForm(forms.ModelForm):
    """What a user sets for themselves: the language of their pages, e-mail and text messages, and
    the mobile number text messages go to."""

    class Meta:
        from portal.models import Profile

        model = Profile
        fields = ["language", "phone"]
