"""Forms of the installation pages: the next node of a job, and a job opened by hand."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from installation.models import InstallationNode, InstallationPartner, Product
from installation.services import allowed_next
from portal.models import Store
from portal.permissions import restrict


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several image files in one input; each is checked by content in the service."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

# What each next node asks for, besides its time and a note: its form shows only these fields.
NODE_FIELDS = {
    InstallationNode.SCHEDULED: ["appointment_start", "appointment_end", "technician", "technician_phone"],
    InstallationNode.RESCHEDULED: ["appointment_start", "appointment_end", "reason"],
    InstallationNode.DISPATCHED: ["technician", "technician_phone"],
    InstallationNode.ON_SITE: [],
    InstallationNode.COMPLETED: ["photos", "customer_confirmed"],
    InstallationNode.FAILED: ["reason"],
    InstallationNode.CANCELLED: ["reason"],
}


class InstallationEventForm(forms.Form):
    """The move of a job to one next node (`node`), with only the details that node needs; the
    job page shows one such form per allowed next node."""

    node = forms.ChoiceField(widget=forms.HiddenInput)
    time = forms.DateTimeField(label=gettext_lazy("Time"), required=False, widget=DATETIME_WIDGET)
    appointment_start = forms.DateTimeField(label=gettext_lazy("Appointment from"), required=False,
                                            widget=DATETIME_WIDGET)
    appointment_end = forms.DateTimeField(label=gettext_lazy("Appointment until"), required=False,
                                          widget=DATETIME_WIDGET)
    technician = forms.CharField(label=gettext_lazy("Technician"), max_length=100, required=False)
    technician_phone = forms.CharField(label=gettext_lazy("Technician phone"), max_length=30, required=False)
    photos = MultiplePhotoField(label=gettext_lazy("Proof photos"), required=False,
                                help_text=gettext_lazy("JPEG, PNG or WebP, up to 5 MB each."))
    customer_confirmed = forms.BooleanField(label=gettext_lazy("Customer confirmed"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, job, node, now=None, **kwargs):
        kwargs.setdefault("prefix", f"event-{node}")
        super().__init__(*args, **kwargs)
        labels = dict(InstallationNode.choices)
        self.next_node = node
        self.node_label = labels.get(node, node)
        self.fields["node"].choices = [(n, labels[n]) for n in allowed_next(job.node)]
        self.fields["node"].initial = node
        keep = {"node", "time", "note", *NODE_FIELDS.get(node, [])}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if now is not None:  # the time starts at "now", in the user's time zone
            self.fields["time"].initial = timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")
        if node in (InstallationNode.SCHEDULED, InstallationNode.DISPATCHED):
            self.fields["technician"].initial = job.technician_name
            self.fields["technician_phone"].initial = job.technician_phone


def event_forms(job, *, now, bound=None) -> list[InstallationEventForm]:
    """One form per node the job may move to next (the bound one in place of its node's)."""
    forms_ = []
    for node in allowed_next(job.node):
        if bound is not None and bound.next_node == node:
            forms_.append(bound)
        else:
            forms_.append(InstallationEventForm(job=job, node=node, now=now))
    return forms_


class MoveAppointmentForm(forms.Form):
    """A new appointment window, chosen on an appointment-at-risk alert."""

    appointment_start = forms.DateTimeField(label=gettext_lazy("New appointment from"),
                                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    appointment_end = forms.DateTimeField(label=gettext_lazy("New appointment until"),
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)
    alert = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)  # back to its page


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
