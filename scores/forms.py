"""Forms of the scores pages: official figures by hand or as a CSV file, the embed origins."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scores.models import OFFICIAL_FIGURES, OfficialScore
from scores.services import official_date_error


class OfficialScoreForm(forms.Form):
    """One store and day of the platform's figures (a repeat replaces the day)."""

    store = forms.ModelChoiceField(label=_("Store"), queryset=None, to_field_name="code")
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
        self.fields["date"].initial = timezone.localdate()
        for name in OFFICIAL_FIGURES:
            self.fields[name] = forms.FloatField(label=OfficialScore._meta.get_field(name).verbose_name,
                                                 required=False, min_value=0, max_value=5,
                                                 widget=forms.NumberInput(attrs={"step": "0.01"}))

    def clean_date(self):
        value = self.cleaned_data["date"]
        error = official_date_error(value, now=timezone.now())
        if error:
            raise forms.ValidationError(error)
        return value

    def clean(self):
        data = super().clean()
        if not self.errors and all(data.get(name) is None for name in OFFICIAL_FIGURES):
            raise forms.ValidationError(_("Give at least one figure."))
        return data

    def figures(self):
        return {name: self.cleaned_data[name] for name in OFFICIAL_FIGURES if self.cleaned_data.get(name) is not None}


class OfficialImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("Columns: store, date and any of the figures."))

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


class EmbedSettingsForm(forms.Form):
    frame_origins = forms.CharField(
        label=_("Storefront origins allowed to frame the badges (one per line)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
