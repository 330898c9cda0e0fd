"""Forms of the installation pages: the next node of a job, and a job opened by hand."""

from django import forms
from django.utils.translation import gettext_lazy

from installation.models import InstallationNode, InstallationPartner, Product
from installation.services import allowed_next
from portal.models import Store
from portal.permissions import restrict


class MultiURLField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class InstallationEventForm(forms.Form):
    """The next node of a job, with the details that node needs."""

    node = forms.ChoiceField(label=gettext_lazy("Next node"))
    time = forms.DateTimeField(label=gettext_lazy("Time (empty: now)"), required=False,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    appointment_start = forms.DateTimeField(label=gettext_lazy("Appointment from"), required=False,
                                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    appointment_end = forms.DateTimeField(label=gettext_lazy("Appointment until"), required=False,
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    technician = forms.CharField(label=gettext_lazy("Technician"), max_length=100, required=False)
    technician_phone = forms.CharField(label=gettext_lazy("Technician phone"), max_length=30, required=False)
    photos = MultiURLField(label=gettext_lazy("Photo URLs (one per line)"), required=False)
    customer_confirmed = forms.BooleanField(label=gettext_lazy("Customer confirmed"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason (failed, cancelled)"), max_length=300, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(InstallationNode.choices)
        self.fields["node"].choices = [(node, labels[node]) for node in allowed_next(job.node)]


class MoveAppointmentForm(forms.Form):
    """A new appointment window, chosen on an appointment-at-risk alert."""

    appointment_start = forms.DateTimeField(label=gettext_lazy("New appointment from"),
                                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    appointment_end = forms.DateTimeField(label=gettext_lazy("New appointment until"),
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)
    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)


class InstallationJobForm(forms.Form):
    """A job opened by hand (e.g. a customer asks for installation of a product bought elsewhere)."""

    store = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Store"))
    product = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Product"), required=False)
    order_number = forms.CharField(label=gettext_lazy("Order number"), max_length=64, required=False)
    customer_name = forms.CharField(label=gettext_lazy("Customer"), max_length=100, required=False)
    customer_phone = forms.CharField(label=gettext_lazy("Customer phone"), max_length=30, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    partner = forms.ModelChoiceField(queryset=InstallationPartner.objects.filter(is_active=True),
                                     label=gettext_lazy("Installation partner (empty: the store's default)"),
                                     required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        stores = restrict(Store.objects.all(), user, "view")
        self.fields["store"].queryset = stores
        self.fields["product"].queryset = Product.objects.filter(store__in=stores, needs_installation=True)
