"""The one place where an app plugs into pages and events owned by another app.

Imports run one way (`portal` <- `tickets` <- `logistics` <- `installation` <- ...): a lower app
never imports a higher one. When a higher app adds something to a lower app's page, or reacts to
its events, it registers a callable here from its `AppConfig.ready()`, and the lower app asks the
registry. Registration is idempotent (keyed), touches no database and imports no views.

Kinds of entries:
- navigation entries (header links, shown to users who may view the model);
- home widgets: `widget(request) -> {"template": ..., "data": ...} | None`;
- ticket-page panels: `panel(context, ticket) -> str (HTML) | ""`, rendered in registration order;
- alert-page panels: `panel(context, alert) -> str (HTML) | ""` on a logistics alert's page (e.g.
  the installation job an appointment-at-risk alert is about);
- delivery hooks: `hook(deliveries, *, now)` where `deliveries` is a list of
  `(shipment_id, delivered_at)` pairs newly delivered in one ingest batch. The ingest calls every
  hook once per batch inside its transaction; hooks must be set-based and replay-safe (a parcel
  may be reported delivered again).
- dispatch hooks: `hook(dispatch, *, step, note, actor, now)` when an own-vehicle delivery (a
  logistics `Dispatch`) is dispatched, picked up, delivered or failed (`step`); called inside the
  step's transaction, once per step, with `note` a one-line account of it (e.g. the installation
  job's timeline records it).
- assignment guards: `guard(queue, user_ids, *, now) -> {user_id: reason}` says which of the users
  may NOT be given tickets of `queue` at `now` and why (e.g. training's certification gate, which
  counts only certifications valid at `now`). Every assignment path
  (by hand, bulk, round-robin, "take it", a reply that assigns, the API) asks
  `assignment_refusals()`; round-robin skips the refused. Set-based: one call per queue.
- approval sources: `source(user) -> list[Approval]` lists what waits for this user's approval
  (compensation offers, refund decisions above a limit) for the approvals inbox.
- macro values: `values(ticket) -> {placeholder: text}` fills a macro's placeholders that a higher
  app knows (e.g. logistics the `{waybill}` of the ticket's order); one or two queries a call.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavEntry:
    key: str  # the URL name; also the entry's identity
    label: str | Promise
    model: str | None  # "app_label.model": shown only to users who may view it
    order: int  # smaller first; the portal's own entries are 0-9
    shown: Callable | None = None  # `shown(user) -> bool`: shown only to users for whom it says so


_NAVIGATION: dict[str, NavEntry] = {}
_HOME_WIDGETS: dict[str, Callable] = {}
_TICKET_PANELS: dict[str, Callable] = {}
_DELIVERY_HOOKS: dict[str, Callable] = {}
_ALERT_PANELS: dict[str, Callable] = {}
_DISPATCH_HOOKS: dict[str, Callable] = {}
_ASSIGNMENT_GUARDS: dict[str, Callable] = {}
_APPROVAL_SOURCES: dict[str, Callable] = {}
_MACRO_VALUES: dict[str, Callable] = {}


def _key(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def register_nav(url_name: str, label, model: str | None = None, *, order: int = 100,
                 shown: Callable | None = None) -> None:
    """A header link to `url_name` for users who may view `model` ("app_label.model") and for whom
    `shown(user)`, when given, is true."""
    _NAVIGATION[url_name] = NavEntry(url_name, label, model, order, shown)


def navigation() -> list[NavEntry]:
    return sorted(_NAVIGATION.values(), key=lambda entry: entry.order)


def register_home_widget(func: Callable) -> Callable:
    """`func(request)` returns `{"template", "data"}` for the home page, or None for this user."""
    _HOME_WIDGETS[_key(func)] = func
    return func


def home_widgets() -> list[Callable]:
    return list(_HOME_WIDGETS.values())


def register_ticket_panel(func: Callable) -> Callable:
    """`func(context, ticket)` returns the HTML of a panel on the ticket page ("" for none)."""
    _TICKET_PANELS[_key(func)] = func
    return func


def ticket_panels() -> list[Callable]:
    return list(_TICKET_PANELS.values())


def register_alert_panel(func: Callable) -> Callable:
    """`func(context, alert)` returns the HTML of a panel on a logistics alert's page ("" for none)."""
    _ALERT_PANELS[_key(func)] = func
    return func


def alert_panels() -> list[Callable]:
    return list(_ALERT_PANELS.values())


def register_delivery_hook(func: Callable) -> Callable:
    """`func(deliveries, *, now)` with `deliveries` a list of `(shipment_id, delivered_at)`."""
    _DELIVERY_HOOKS[_key(func)] = func
    return func


def run_delivery_hooks(deliveries: list[tuple[int, datetime]], *, now: datetime) -> None:
    """Tell every registered app which parcels one ingest batch marked delivered (once per batch)."""
    if not deliveries:
        return
    for hook in _DELIVERY_HOOKS.values():
        hook(deliveries, now=now)


def register_dispatch_hook(func: Callable) -> Callable:
    """`func(dispatch, *, step, note, actor, now)` for each step of an own-vehicle delivery."""
    _DISPATCH_HOOKS[_key(func)] = func
    return func


def run_dispatch_hooks(dispatch, *, step: str, note: str, actor, now: datetime) -> None:
    """Tell every registered app that an own-vehicle delivery took `step`."""
    for hook in _DISPATCH_HOOKS.values():
        hook(dispatch, step=step, note=note, actor=actor, now=now)


def register_assignment_guard(func: Callable) -> Callable:
    """`func(queue, user_ids, *, now)` returns `{user_id: reason}` for the users who may not take the
    queue's tickets at `now`."""
    _ASSIGNMENT_GUARDS[_key(func)] = func
    return func


def assignment_refusals(queue, user_ids, *, now: datetime) -> dict[int, str]:
    """Why each of `user_ids` may not be assigned tickets of `queue` at `now` (absent: allowed). The
    first guard's reason wins for a user refused by several."""
    refusals: dict[int, str] = {}
    user_ids = [uid for uid in user_ids if uid is not None]
    if not user_ids:
        return refusals
    for guard in _ASSIGNMENT_GUARDS.values():
        for user_id, reason in guard(queue, user_ids, now=now).items():
            refusals.setdefault(user_id, reason)
    return refusals


@dataclass(frozen=True)
class Approval:
    """One thing waiting for someone's approval, as the approvals inbox lists it."""

    key: str  # unique across sources, e.g. "compensation:12"
    kind: str | Promise  # what it is ("Compensation", "Refund decision")
    summary: str | Promise
    amount: object  # Decimal or None
    requested_by: str
    requested_at: datetime
    url: str  # the page where it is decided
    approve_url: str = ""  # POST here to approve / reject in place ("" if only on its page)
    reject_url: str = ""


def register_approval_source(func: Callable, *, permission: str) -> Callable:
    """`func(user)` returns the `Approval`s that wait for `user` (in their scope, within their limit);
    only holders of `permission` ("app_label.codename") can ever approve what it lists."""
    _APPROVAL_SOURCES[_key(func)] = (func, permission)
    return func


def may_approve(user) -> bool:
    """Whether the user holds the permission of any approval source (the approvals inbox's link)."""
    return any(user.has_perm(permission) for _func, permission in _APPROVAL_SOURCES.values())


def approvals_for(user) -> list[Approval]:
    """Everything waiting for `user`'s approval, oldest first."""
    items = [item for source, _permission in _APPROVAL_SOURCES.values() for item in source(user)]
    return sorted(items, key=lambda item: item.requested_at)


def register_macro_values(func: Callable) -> Callable:
    """`func(ticket)` returns `{placeholder: text}` for a ticket's macros (e.g. `{"waybill": ...}`)."""
    _MACRO_VALUES[_key(func)] = func
    return func


def macro_values(ticket) -> dict[str, str]:
    """Placeholder values other apps know about `ticket`; the first app to give a value wins."""
    values: dict[str, str] = {}
    for func in _MACRO_VALUES.values():
        for key, value in (func(ticket) or {}).items():
            if value:
                values.setdefault(key, str(value))
    return values
