"""Forms of the portal shell."""

from django import forms


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
