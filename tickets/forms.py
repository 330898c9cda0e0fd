"""Forms of the tickets staff UI. They validate input only; the views call the domain functions in
tickets/services.py, whose ValidationErrors are put back on the form."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from portal import pii
from portal.inputs import whole_number
from portal.models import Store, Team
from portal.permissions import is_org_wide, restrict, visible_team_ids
from portal.validators import normalize_phone, validate_phone
from tickets.models import Category, Macro, Priority, Queue, Ticket
from tickets.services import MANUAL_STATUSES, MAX_REPLY_LENGTH, SEND_STATUSES, WORKER_ROLES
from tickets.tables import TicketTable

MAX_HANDLING_MINUTES = 24 * 60


class FastSelect(forms.Select):
    """A flat <select> whose options are built in Python: Django renders each option through a
    template (about 50 µs an option), and the queue pages carry lists of every worker in scope."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if key in selected else "", label)
                for key, label in (("" if v is None else str(v), label) for v, label in self.choices)
            ),
        )
        multiple = mark_safe(" multiple") if self.allow_multiple_selected else ""
        return format_html('<select name="{}"{}{}>{}</select>', name, flatatt(attrs), multiple, options)


class FastSelectMultiple(FastSelect):
    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        return forms.SelectMultiple.value_from_datadict(self, data, files, name)

    def value_omitted_from_data(self, data, files, name):
        return False


class FastInputMixin:
    """<input>/<textarea> built in Python from the widget's own context (no template)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if isinstance(self, forms.Textarea):
            return format_html('<textarea name="{}"{}>\n{}</textarea>', name, flatatt(widget["attrs"]),
                               widget["value"] or "")
        value_attr = format_html(' value="{}"', widget["value"]) if widget["value"] is not None else ""
        return format_html('<input type="{}" name="{}"{}{}>', widget["type"], name, value_attr,
                           flatatt(widget["attrs"]))


FAST_WIDGETS = {
    base: type(f"Fast{base.__name__}", (FastInputMixin, base), {})
    for base in (forms.TextInput, forms.NumberInput, forms.Textarea, forms.CheckboxInput, forms.HiddenInput)
}
FAST_WIDGETS[forms.Select] = FastSelect
FAST_WIDGETS[forms.SelectMultiple] = FastSelectMultiple


def fast_widget(field):
    """Render the field's widget in Python (same attributes, choices and values): Django renders
    each widget, label and option through templates, which made the ticket page's forms cost
    more than everything else on it."""
    fast = FAST_WIDGETS.get(type(field.widget))
    if fast is not None:
        field.widget.__class__ = fast
    return field


class UserChoiceField(forms.ModelChoiceField):
    widget = FastSelect

    def label_from_instance(self, obj):
        return user_label(obj)


class QueueChoiceField(forms.ModelChoiceField):
    widget = FastSelect

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.team.name}"


def team_workers(team_ids=None):
    """Active users who work tickets (agent-like roles) in any of these teams (None: any team)."""
    users = get_user_model().objects.filter(is_active=True, memberships__role__in=WORKER_ROLES)
    if team_ids is not None:
        users = users.filter(memberships__team_id__in=list(team_ids))
    return users.distinct().order_by("first_name", "username")


def scope_team_ids(user):
    """The teams in the user's scope (None: all), as `restrict(Team...)` decides, without a query."""
    return None if is_org_wide(user) else visible_team_ids(user)


def user_label(user):
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def all_queues():
    return Queue.objects.select_related("team").order_by("team__name", "name")


def handling_minutes_field():
    return forms.IntegerField(
        label=_("Handling time (minutes)"), required=False, min_value=0, max_value=MAX_HANDLING_MINUTES,
        widget=forms.NumberInput(attrs={"class": "short"}),
    )


def handling_seconds(cleaned_data):
    minutes = cleaned_data.get("handling_minutes")
    return None if minutes is None else minutes * 60


class TicketActionForm(forms.Form):
    """A form acting on one ticket for one user (both given to every action form)."""

    def __init__(self, *args, ticket, user, **kwargs):
        self.ticket = ticket
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            fast_widget(field)


def reply_body_field(label):
    """The text of a reply or note: one length limit (MAX_REPLY_LENGTH, as the API), with a counter."""
    return forms.CharField(
        label=label, required=False, max_length=MAX_REPLY_LENGTH, strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_REPLY_LENGTH, "data-counter": "1"}),
    )


class ReplyForm(TicketActionForm):
    body = reply_body_field(_("Reply"))
    macro = forms.ModelChoiceField(
        label=_("Macro"), queryset=Macro.objects.none(), required=False, empty_label=_("— no macro —"),
        help_text=_("Picking a macro puts its text, with buyer, order, waybill and your name filled in, into the "
                    "reply box, where you edit it before sending."),
    )
    status = forms.ChoiceField(label=_("Then set status"), required=False)
    handling_minutes = handling_minutes_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["macro"].queryset = macros_for(self.ticket)
        # Loaded once: the page also shows each macro's filled-in text.
        self.macros = list(self.fields["macro"].queryset)
        self.fields["macro"].widget.choices = [("", self.fields["macro"].empty_label)] + [
            (m.pk, m.name) for m in self.macros
        ]
        self.fields["status"].choices = [("", _("— keep —"))] + [
            (s.value, s.label) for s in MANUAL_STATUSES
        ]

    def clean(self):
        data = super().clean()
        if "body" in data and not (data.get("body") or "").strip():
            # A macro is never sent unseen: its text must be in the box.
            self.add_error("body", forms.ValidationError(_("Write the reply."), code="empty"))
        return data


class ComposeForm(TicketActionForm):
    """The one composer of the ticket page: a public reply or an internal note in one box, "send and
    set status to ...", the handling time measured by the page (editable), and what the page had
    seen when it was opened (`seen`: the latest timeline entry id) for the collision check."""

    REPLY, NOTE = "reply", "note"

    mode = forms.ChoiceField(
        label=_("Send as"), choices=[(REPLY, _("Public reply")), (NOTE, _("Internal note"))], initial=REPLY,
        widget=forms.RadioSelect,
    )
    body = reply_body_field(_("Message"))
    macro = forms.ModelChoiceField(
        label=_("Macro"), queryset=Macro.objects.none(), required=False, empty_label=_("— no macro —"),
        help_text=_("Picking a macro puts its text, with buyer, order, waybill and your name filled in, into the "
                    "box, where you edit it before sending."),
    )
    status = forms.ChoiceField(label=_("Then set status to"), required=False)
    handling_minutes = handling_minutes_field()
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, allow_reply=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handling_minutes"].help_text = _("Measured while this page was open and in use; correct it if "
                                                      "needed.")
        if allow_reply:
            self.fields["macro"].queryset = macros_for(self.ticket)
            self.macros = list(self.fields["macro"].queryset)
            self.fields["macro"].widget.choices = [("", self.fields["macro"].empty_label)] + [
                (m.pk, m.name) for m in self.macros
            ]
        else:
            self.macros = []
            self.fields["mode"].choices = [(self.NOTE, _("Internal note"))]
            self.fields["mode"].initial = self.NOTE
            del self.fields["macro"]
        # A resolved or closed ticket is reopened on its own page, not by a message.
        statuses = [s for s in SEND_STATUSES if s != self.ticket.status] if self.ticket.is_open else []
        self.fields["status"].choices = [("", _("— keep the status —"))] + [(s.value, s.label) for s in statuses]

    def clean(self):
        data = super().clean()
        if "body" in data and not (data.get("body") or "").strip():
            message = _("Write the reply.") if data.get("mode") != self.NOTE else _("Write the note.")
            self.add_error("body", forms.ValidationError(message, code="empty"))
        return data

    def handling_seconds(self):
        return handling_seconds(self.cleaned_data)


def macros_for(ticket):
    """Active macros for the ticket's queue and team, and the general ones."""
    return Macro.objects.filter(is_active=True).filter(
        Q(queue__isnull=True) | Q(queue_id=ticket.queue_id)
    ).filter(Q(team__isnull=True) | Q(team_id=ticket.queue.team_id))


class NoteForm(TicketActionForm):
    body = forms.CharField(label=_("Internal note"), max_length=MAX_REPLY_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_REPLY_LENGTH}))
    handling_minutes = handling_minutes_field()


class AssignForm(TicketActionForm):
    assignee = UserChoiceField(
        label=_("Assignee"), queryset=get_user_model().objects.none(), required=False,
        empty_label=_("— unassigned —"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = team_workers([self.ticket.queue.team_id])
        self.fields["assignee"].initial = self.ticket.assignee_id


class TransferForm(TicketActionForm):
    queue = QueueChoiceField(label=_("To queue"), queryset=Queue.objects.none())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    round_robin = forms.BooleanField(label=_("Assign round-robin in the new queue"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = all_queues().exclude(pk=self.ticket.queue_id)


class StatusForm(TicketActionForm):
    RESOLVE = Ticket.Status.RESOLVED

    status = forms.ChoiceField(label=_("Status"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    handling_minutes = handling_minutes_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No preselected target (one click must not resolve): the user picks one.
        statuses = [s for s in (*MANUAL_STATUSES, Ticket.Status.RESOLVED) if s != self.ticket.status]
        self.fields["status"].choices = [("", _("— choose —"))] + [(s.value, s.label) for s in statuses]


class ReopenForm(TicketActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(TicketActionForm):
    note = forms.CharField(label=_("Note"), required=False)


class MergeForm(TicketActionForm):
    into = forms.IntegerField(
        label=_("Merge into ticket #"), min_value=1,
        help_text=_("This ticket is closed and its conversation continues on the other one."),
    )

    def clean_into(self):
        pk = self.cleaned_data["into"]
        if pk == self.ticket.pk:
            raise forms.ValidationError(_("A ticket cannot be merged into itself."), code="self")
        target = restrict(Ticket.objects.select_related("queue"), self.user, "merge").filter(pk=pk).first()
        if target is None:
            raise forms.ValidationError(_("There is no ticket #%(id)s in your scope."), params={"id": pk},
                                        code="not_found")
        return target


class RateForm(TicketActionForm):
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)],
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TicketEditForm(TicketActionForm):
    """Descriptive fields (update_ticket). Customer phone and address only for who may see them,
    and even then masked: the masked value sent back unchanged keeps the stored one."""

    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    is_major = forms.BooleanField(label=_("Major complaint"), required=False)
    order_no = forms.CharField(label=_("Order number"), max_length=64, required=False)
    buyer_nick = forms.CharField(label=_("Buyer nick"), max_length=100, required=False)
    customer_phone = forms.CharField(label=_("Customer phone"), max_length=30, required=False)
    customer_address = forms.CharField(label=_("Customer address"), max_length=300, required=False)

    PII_FIELDS = ("customer_phone", "customer_address")

    def __init__(self, *args, show_pii=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_pii:
            for name in self.PII_FIELDS:
                del self.fields[name]
        for name in self.fields:
            if name in self.PII_FIELDS:
                self.fields[name].initial = pii.masked(self.ticket, name)
                self.fields[name].help_text = _("Shown masked. Type the new value to replace it, or clear it.")
            else:
                self.fields[name].initial = getattr(self.ticket, name)

    def clean_customer_phone(self):
        value = normalize_phone(self.cleaned_data["customer_phone"])
        if value != pii.masked(self.ticket, "customer_phone") and "*" not in value:
            validate_phone(value)
        return value

    def clean(self):
        cleaned = super().clean()
        for name in self.PII_FIELDS:
            value = cleaned.get(name)
            if value and "*" in value and value != pii.masked(self.ticket, name):
                self.add_error(name, _("Type the whole new value, or leave the masked value as it is."))
        return cleaned

    def changes(self):
        changes = {name: self.cleaned_data[name] for name in self.fields}
        for name in self.PII_FIELDS:
            if name in changes and changes[name] == pii.masked(self.ticket, name):
                del changes[name]  # sent back masked: unchanged
        return changes


# --- Creating, bulk actions, columns ----------------------------------------------------------


class TicketForm(forms.Form):
    """Open a ticket by hand (a phone call, a review). Empty queue, category or priority: routing rules decide."""

    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=Ticket.Channel.choices, initial=Ticket.Channel.PHONE)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    order_no = forms.CharField(label=_("Order number"), max_length=64, required=False)
    buyer_nick = forms.CharField(label=_("Buyer nick"), max_length=100, required=False)
    customer_phone = forms.CharField(label=_("Customer phone"), max_length=30, required=False,
                                     validators=[validate_phone])
    customer_address = forms.CharField(label=_("Customer address"), max_length=300, required=False)
    queue = QueueChoiceField(
        label=_("Queue"), queryset=Queue.objects.none(), required=False, empty_label=_("— by routing rules —"),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    is_major = forms.BooleanField(label=_("Major complaint"), required=False)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        stores = list(restrict(Store.objects.all(), user, "view").order_by("name")[:2])
        self.fields["store"].queryset = restrict(Store.objects.all(), user, "view")
        if len(stores) == 1:  # nothing to choose: preselected
            self.fields["store"].initial = stores[0].pk
        teams = restrict(Team.objects.all(), user, "view")
        self.fields["queue"].queryset = all_queues().filter(team__in=teams)
        auto = [("", _("— by routing rules —"))]
        self.fields["category"].choices = auto + list(Category.choices)
        self.fields["priority"].choices = auto + list(Priority.choices)

    def create_kwargs(self):
        data = self.cleaned_data
        return {
            "store": data["store"], "channel": data["channel"], "subject": data["subject"],
            "description": data["description"], "order_no": data["order_no"], "buyer_nick": data["buyer_nick"],
            "customer_phone": normalize_phone(data["customer_phone"]), "customer_address": data["customer_address"],
            "queue": data["queue"], "category": data["category"] or None, "priority": data["priority"] or None,
            "is_major": True if data["is_major"] else None,
        }


class BulkForm(forms.Form):
    """Assign or transfer the selected tickets (`select` ids). Each row is re-checked by the view."""

    ASSIGN, TRANSFER = "assign", "transfer"

    action = forms.ChoiceField(label=_("Action"), choices=[(ASSIGN, _("Assign to")), (TRANSFER, _("Transfer to"))])
    select = forms.TypedMultipleChoiceField(label=_("Tickets"), coerce=int, choices=())
    assignee = UserChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none(), required=False)
    queue = QueueChoiceField(label=_("Queue"), queryset=Queue.objects.none(), required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, worker_choices=None, queue_choices=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = team_workers(scope_team_ids(user))
        self.fields["queue"].queryset = all_queues()
        # Lists the page already loaded for its filter form: no second query to render them.
        if worker_choices is not None:
            self.fields["assignee"].widget.choices = [("", "---------"), *worker_choices]
        if queue_choices is not None:
            self.fields["queue"].widget.choices = [("", "---------"), *queue_choices]
        self.fields["select"].error_messages["required"] = _("Select at least one ticket.")

    def clean_select(self):
        return sorted(set(self.cleaned_data["select"]))

    def full_clean(self):
        # The ids are free input (any ticket number); accept digits, the view checks each row's scope.
        if self.is_bound and hasattr(self.data, "getlist"):
            self.fields["select"].choices = [(v, v) for v in self.data.getlist("select") if whole_number(v) is not None]
        super().full_clean()

    def clean(self):
        data = super().clean()
        if data.get("action") == self.ASSIGN and not data.get("assignee"):
            self.add_error("assignee", _("Choose who gets the tickets."))
        if data.get("action") == self.TRANSFER and not data.get("queue"):
            self.add_error("queue", _("Choose the queue to transfer to."))
        return data


class ColumnsForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label=_("Columns"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=TicketTable.optional_columns,
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
