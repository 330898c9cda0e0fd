"""Forms of the alert work and the upload page. The API validates the same input with the same forms."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from logistics.models import Carrier, Compensation, CustomerContact
from portal.models import Store

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=2000)


class CarrierContactForm(forms.Form):
    outlet = forms.CharField(label=_("outlet"), required=False, max_length=100)
    contact_name = forms.CharField(label=_("who"), max_length=100)
    contacted_at = forms.DateTimeField(label=_("when"), widget=DATETIME_WIDGET)
    promise = forms.CharField(label=_("what was promised"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_at = forms.DateTimeField(
        label=_("follow up at"), required=False, widget=DATETIME_WIDGET,
        help_text=_("The scan re-checks the parcel at this time and reminds the team."),
    )


class CustomerContactForm(forms.Form):
    called_at = forms.DateTimeField(label=_("called at"), widget=DATETIME_WIDGET)
    outcome = forms.ChoiceField(label=_("outcome"), choices=CustomerContact.Outcome.choices)
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CompensationForm(forms.Form):
    kind = forms.ChoiceField(label=_("type"), choices=Compensation.Kind.choices)
    amount = forms.DecimalField(label=_("amount (CNY)"), min_value=Decimal("0.01"), max_value=Decimal("99999.99"),
                                max_digits=7, decimal_places=2)
    note = forms.CharField(label=_("note"), required=False, max_length=2000)


class CompensationDecisionForm(forms.Form):
    compensation = forms.ModelChoiceField(label=_("compensation"), queryset=Compensation.objects.none())
    decision = forms.ChoiceField(label=_("decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("note"), required=False, max_length=2000)

    def __init__(self, *args, alert, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compensation"].queryset = alert.compensations.filter(
            status=Compensation.Status.PENDING_APPROVAL
        )


class OpenTicketForm(forms.Form):
    note = forms.CharField(label=_("note for the ticket"), required=False, max_length=2000)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("resolution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("report file"), help_text=_("CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX."))
    carrier = forms.ModelChoiceField(label=_("carrier"), queryset=Carrier.objects.all(), to_field_name="code")
    store = forms.ModelChoiceField(
        label=_("store for new parcels"), queryset=Store.objects.none(), to_field_name="code", required=False,
        help_text=_("Parcels the portal does not know yet are created for this store (or the store of their order)."),
    )

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
