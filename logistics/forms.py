"""Forms of the alert work and the upload page. The API validates the same input with the same forms.

Times are BoundedDateTimeField: a year-1 time typed on a page was a 500 when saved, and the API
(portal.api.forms.valid_form) refuses years outside 2000-2100 as well."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from logistics.models import Carrier, Compensation, CustomerContact
from portal.forms import BoundedDateTimeField
from portal.models import Store

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=2000)


class CarrierContactForm(forms.Form):
    outlet = forms.CharField(label=_("outlet"), required=False, max_length=100)
    contact_name = forms.CharField(label=_("who"), max_length=100)
    contacted_at = BoundedDateTimeField(label=_("when"), widget=DATETIME_WIDGET)
    promise = forms.CharField(label=_("what was promised"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_at = BoundedDateTimeField(
        label=_("follow up at"), required=False, widget=DATETIME_WIDGET,
        help_text=_("The scan re-checks the parcel at this time and reminds the team."),
    )


class CustomerContactForm(forms.Form):
    called_at = BoundedDateTimeField(label=_("called at"), widget=DATETIME_WIDGET)
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


class DispatchForm(forms.Form):
    """An own delivery: a staff driver (username), or a partner's technician by name and phone."""

    driver = forms.CharField(label=_("driver (staff username)"), required=False, max_length=150)
    driver_name = forms.CharField(label=_("or the technician's name"), required=False, max_length=100)
    driver_phone = forms.CharField(label=_("technician's phone"), required=False, max_length=30)
    planned_pickup = BoundedDateTimeField(label=_("planned pick-up"), widget=DATETIME_WIDGET)
    planned_dropoff = BoundedDateTimeField(label=_("planned drop-off"), widget=DATETIME_WIDGET)
    cost = forms.DecimalField(label=_("cost (CNY)"), min_value=Decimal("0"), max_digits=10, decimal_places=2)

    def clean_driver(self):
        from django.contrib.auth import get_user_model

        username = self.cleaned_data["driver"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True, memberships__isnull=False).first()
        if user is None:
            raise forms.ValidationError(_("No active staff user with this username."))
        return user

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("driver") is None and not (data.get("driver_name") and data.get("driver_phone")):
            self.add_error("driver", _("Choose a staff driver, or give the technician's name and phone."))
        elif data.get("driver") is not None and data.get("driver_name"):
            self.add_error("driver_name", _("Give either a staff driver or a technician, not both."))
        pickup, dropoff = data.get("planned_pickup"), data.get("planned_dropoff")
        if pickup and dropoff and dropoff <= pickup:
            self.add_error("planned_dropoff", _("The drop-off must be after the pick-up."))
        return data


class DispatchPickedUpForm(forms.Form):
    pass


class DispatchDeliveredForm(forms.Form):
    photo = forms.FileField(label=_("proof-of-delivery photo"), widget=forms.ClearableFileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp"}))
    recipient = forms.CharField(label=_("received by"), max_length=100)
    delivered_at = BoundedDateTimeField(label=_("delivered at"), required=False, widget=DATETIME_WIDGET,
                                        help_text=_("Leave empty for now."))


class DispatchFailedForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)
