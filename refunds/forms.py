"""Forms of the refund request page: the decision, the condition of the goods, goods received,
evidence upload, approval, dispute and ruling. They keep what the user typed and show the
service's refusal at the field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from refunds.models import EvidenceKind, ExclusionFlag, RefundRequest, ResponsibilityRule


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=RefundRequest.Decision.choices)
    rule = forms.ModelChoiceField(label=_("Rule"), queryset=ResponsibilityRule.objects.filter(is_active=True),
                                  required=False, to_field_name="code")
    amount = forms.DecimalField(label=_("Amount (partial refund)"), required=False, min_value=0, max_digits=12,
                                decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class FlagsForm(forms.Form):
    flags = forms.MultipleChoiceField(label=_("Condition of the goods"), choices=ExclusionFlag.choices,
                                      required=False, widget=forms.CheckboxSelectMultiple)


class ReceivedForm(forms.Form):
    received_at = forms.DateTimeField(label=_("Received at"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                      help_text=_("Empty: now."))


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    file = forms.FileField(label=_("File"), help_text=_("JPEG, PNG, WebP, PDF or MP4."))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class DisputeForm(forms.Form):
    submitted_on = forms.DateField(label=_("Submitted to the platform on"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class RulingForm(forms.Form):
    ruling = forms.ChoiceField(label=_("Platform ruling"), choices=RefundRequest.Ruling.choices)
    amount = forms.DecimalField(label=_("Refund granted (split)"), required=False, min_value=0, max_digits=12,
                                decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
