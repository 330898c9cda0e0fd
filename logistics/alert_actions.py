"""The alert actions, shared by the alert page's forms and the API: form, permission verb, domain call."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from logistics import forms, services


@dataclass(frozen=True)
class AlertAction:
    name: str
    label: str
    form_class: type
    verb: str  # "work" or "approve" (Alert permissions)
    perform: Callable  # (alert, cleaned_data, *, actor, now) -> success message
    needs_alert: bool = False  # the form's choices depend on the alert

    def form(self, alert, data=None, prefix=True):
        kwargs = {"alert": alert} if self.needs_alert else {}
        return self.form_class(data=data, prefix=self.name if prefix else None, **kwargs)


def _acknowledge(alert, data, *, actor, now):
    services.acknowledge_alert(alert, actor=actor, now=now, note=data["note"])
    return _("Alert acknowledged.")


def _contact_carrier(alert, data, *, actor, now):
    services.record_carrier_contact(
        alert, actor=actor, now=now, outlet=data["outlet"], contact_name=data["contact_name"],
        contacted_at=data["contacted_at"], promise=data["promise"], follow_up_at=data["follow_up_at"],
    )
    return _("Carrier contact recorded.")


def _contact_customer(alert, data, *, actor, now):
    services.record_customer_contact(alert, actor=actor, now=now, called_at=data["called_at"],
                                     outcome=data["outcome"], note=data["note"])
    return _("Customer call recorded.")


def _compensate(alert, data, *, actor, now):
    compensation = services.offer_compensation(alert, actor=actor, now=now, kind=data["kind"],
                                               amount=data["amount"], note=data["note"])
    if compensation.status == compensation.Status.APPROVED:
        return _("Compensation offered and approved.")
    return _("Compensation offered; it is above your limit and waits for approval.")


def _decide(alert, data, *, actor, now):
    approve = data["decision"] == "approve"
    services.decide_compensation(data["compensation"], actor=actor, now=now, approve=approve, note=data["note"])
    return _("Compensation approved.") if approve else _("Compensation rejected.")


def _open_ticket(alert, data, *, actor, now):
    ticket = services.open_linked_ticket(alert, actor=actor, now=now, note=data["note"])
    return _("Ticket #%(id)s opened.") % {"id": ticket.pk}


def _resolve(alert, data, *, actor, now):
    services.resolve_alert(alert, actor=actor, now=now, resolution=data["resolution"])
    return _("Alert resolved.")


ACTIONS = {
    action.name: action
    for action in [
        AlertAction("acknowledge", _("Acknowledge"), forms.AcknowledgeForm, "work", _acknowledge),
        AlertAction("contact_carrier", _("Record a carrier contact"), forms.CarrierContactForm, "work",
                    _contact_carrier),
        AlertAction("contact_customer", _("Record a customer call"), forms.CustomerContactForm, "work",
                    _contact_customer),
        AlertAction("compensate", _("Offer compensation"), forms.CompensationForm, "work", _compensate),
        AlertAction("approve_compensation", _("Decide on compensation"), forms.CompensationDecisionForm, "approve",
                    _decide, needs_alert=True),
        AlertAction("open_ticket", _("Open a proactive ticket"), forms.OpenTicketForm, "work", _open_ticket),
        AlertAction("resolve", _("Resolve"), forms.ResolveForm, "work", _resolve),
    ]
}
