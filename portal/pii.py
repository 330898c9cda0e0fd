"""The one PII rule: which fields are a customer's personal data, who may see them, how they are
masked, and the audited reveal.

Each app registers, from its `AppConfig.ready()`, every model that holds a customer's phone,
address or name: the fields and their kind, and the predicate "may this user see this object's
PII" (`may_see(user, obj)`). The predicate must answer from the object's own loaded columns and
the user's cached roles, so a list calls it per row without a query per row.

Masked by default: pages, API payloads, CSV exports and admin show the masked value everywhere,
also to a user who may see it. Where the rule allows, a "show" control (`html()`, the template
tag `{% pii obj "field" %}`, `static/portal/pii.js`) asks `reveal()`, which writes one
`PiiAccess` audit row and returns the value; the API does the same at `POST /api/v1/pii/reveal/`.

One exception, for integration clients: an API-only client (the integration role, e.g. an
installation partner's system) has no person to press "show", so where the rule lets it see a
field its payload carries the value, and every object so served is audited in one bulk insert per
response (`open_disclosures()`, `payload_value()`, `flush_disclosures()`: the base viewset).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext as _

PHONE, ADDRESS, NAME = "phone", "address", "name"
KINDS = (PHONE, ADDRESS, NAME)


# --- Maskers ----------------------------------------------------------------------------------


def mask_phone(value: str) -> str:
    """138****5678: the first 3 and last 4 characters of a number; a short number keeps only its first."""
    if not value:
        return ""
    if len(value) < 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """王**: the first character (the family name of a Chinese name)."""
    if not value:
        return ""
    return value[:1] + "*" * max(1, len(value) - 1)


# Province (省, 自治区, 特别行政区) and then city (市, 自治州, 地区, 盟) at the start of an address;
# a municipality (北京市, 上海市) is its own city.
_REGION = re.compile(r"(?:[^省市区县]{1,8}?(?:省|自治区|特别行政区))?(?:[^省市区县]{1,10}?(?:市|自治州|地区|盟))?")


def mask_address(value: str) -> str:
    """浙江省杭州市****: the province and city stay, the rest is hidden. An address without them
    keeps its first third (at most 6 characters)."""
    if not value:
        return ""
    region = _REGION.match(value).group(0)
    keep = len(region) if region else min(6, max(1, len(value) // 3))
    return value[:keep] + "****"


MASKERS: dict[str, Callable[[str], str]] = {PHONE: mask_phone, ADDRESS: mask_address, NAME: mask_name}


def mask(kind: str, value: str) -> str:
    return MASKERS[kind](value or "")


# --- The registry of models with PII -----------------------------------------------------------


@dataclass(frozen=True)
class PiiRule:
    model: type
    fields: dict  # field name -> kind (PHONE, ADDRESS, NAME)
    may_see: Callable  # (user, obj) -> bool, from loaded columns only
    related: tuple = ()  # select_related the predicate needs when one object is loaded for a reveal
    store_attr: str = "store_id"  # the object's store, kept on the audit row for scoping

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_RULES: dict[type, PiiRule] = {}


def register(model, *, fields: dict, may_see: Callable, related=(), store_attr="store_id") -> None:
    """Declare `model`'s PII fields (name -> kind) and who may see them. Idempotent; from ready()."""
    unknown = set(fields.values()) - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown PII kind(s) for {model._meta.label}: {sorted(unknown)}")
    _RULES[model] = PiiRule(model, dict(fields), may_see, tuple(related), store_attr)


def rules() -> list[PiiRule]:
    return list(_RULES.values())


def rule_for(model) -> PiiRule | None:
    return _RULES.get(model)


def pii_fields(model) -> dict:
    """`{field name: kind}` of `model` (empty for a model without PII)."""
    rule = _RULES.get(model)
    return dict(rule.fields) if rule else {}


def rule_by_label(label) -> PiiRule | None:
    return next((rule for rule in _RULES.values() if rule.label == label), None)


# --- Deciding and showing ------------------------------------------------------------------------


def may_see(user, obj) -> bool:
    """Whether `user` may have `obj`'s PII revealed (the registered predicate; never for anonymous)."""
    rule = _RULES.get(type(obj))
    if rule is None or not (user and getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return bool(rule.may_see(user, obj))


def masked(obj, field: str) -> str:
    """The masked value of one PII field of `obj`."""
    return mask(_RULES[type(obj)].fields[field], getattr(obj, field))


def html(user, obj, field: str, *, empty: str = "", reveal_url: str | None = None, call: bool = False) -> str:
    """The masked value as HTML, with a "show" button (hidden until pii.js enables it) when the rule
    lets `user` see it. `empty` is shown for an empty field. `call`: a phone also gets a "call"
    link, which reveals the number (audited like "show") and then dials it (`tel:`)."""
    value = masked(obj, field)
    if not value:
        return empty
    if not may_see(user, obj):
        return format_html('<span class="pii">{}</span>', value)
    from django.urls import reverse

    from portal.icons import icon

    dial = format_html(
        ' <a href="#" class="pii-call" data-testid="pii-call" title="{}" hidden>{} {}</a>',
        _("Call this number; the access is recorded"), icon("phone"), _("call"),
    ) if call and _RULES[type(obj)].fields[field] == PHONE else ""
    return format_html(
        '<span class="pii" data-pii-url="{}" data-pii-object="{}" data-pii-id="{}" data-pii-field="{}">'
        '<span class="pii-value">{}</span> <button type="button" class="pii-show" title="{}" hidden>{}</button>{}'
        "</span>",
        reveal_url or reverse("pii_reveal"), _RULES[type(obj)].label, obj.pk, field, value,
        _("Show the full value; the access is recorded"), _("show"), dial,
    )


# --- Integration clients: values in the payload, audited per response ------------------------------


def serves_values(user) -> bool:
    """An API-only integration client: it gets values (where the rule allows) instead of a "show" control."""
    from portal.permissions import is_org_wide, user_roles
    from portal.roles import Role

    return bool(user and getattr(user, "is_authenticated", False)) and (
        Role.INTEGRATION in user_roles(user) and not is_org_wide(user))


def open_disclosures(request) -> None:
    """Let this API request serve values to an integration client (the base viewset calls it, and
    `flush_disclosures` after the response). Anywhere else, payloads stay masked."""
    request.__dict__["_pii_disclosures"] = {}


def payload_value(request, obj, field: str) -> str:
    """The value of a PII field in an API payload: masked, unless the caller is an integration
    client the rule lets see it, in a view that audits it (`open_disclosures`); the disclosure is
    noted on the request for `flush_disclosures`."""
    user = getattr(request, "user", None)
    pending = request.__dict__.get("_pii_disclosures") if request is not None else None
    if pending is not None and serves_values(user) and may_see(user, obj):
        value = getattr(obj, field)
        if value:
            pending[(type(obj), obj.pk, field)] = obj
        return value
    return masked(obj, field)


def flush_disclosures(request, *, now) -> int:
    """Write the audit rows of the values `payload_value` served on this request (one bulk insert)."""
    pending = request.__dict__.pop("_pii_disclosures", None)
    if not pending:
        return 0
    from portal.models import PiiAccess

    source = f"{request.method} {request.path}"[:300]
    rows = [_access(request.user, obj, field, channel=PiiAccess.Channel.API, source=source, now=now)
            for (_model, _pk, field), obj in pending.items()]
    PiiAccess.objects.bulk_create(rows)
    return len(rows)


# --- The reveal ----------------------------------------------------------------------------------


class RevealRefused(Exception):
    """The rule says this user may not see this object's PII (403)."""


def _access(user, obj, field, *, channel, source, now):
    from django.contrib.contenttypes.models import ContentType

    from portal.models import PiiAccess

    rule = _RULES[type(obj)]
    return PiiAccess(
        user=user, content_type=ContentType.objects.get_for_model(rule.model), object_id=obj.pk,
        store_id=getattr(obj, rule.store_attr, None), field=field, channel=channel, source=source[:300], at=now,
    )


def resolve(label, field) -> PiiRule:
    """The rule of `label` ("app_label.model") with `field` among its PII fields, else field errors."""
    rule = rule_by_label(label)
    if rule is None:
        raise ValidationError({"object": [_("Not an object with personal data.")]})
    if field not in rule.fields:
        raise ValidationError({"field": [_("Not a personal-data field of this object.")]})
    return rule


def reveal(user, *, label: str, pk: int, field: str, channel: str, source: str, now) -> str:
    """Return one PII value unmasked and write its audit row.

    An object that does not exist and one outside the user's scope answer the same field error
    (no "does it exist" oracle); one the rule does not let the user see raises `RevealRefused`.
    """
    from portal.permissions import restrict

    rule = resolve(label, field)
    obj = restrict(rule.model._default_manager.filter(pk=pk), user, "view").select_related(*rule.related).first()
    if obj is None:
        raise ValidationError({"id": [_("No such object.")]})
    if not may_see(user, obj):
        raise RevealRefused(_("You may not see this customer's personal data."))
    _access(user, obj, field, channel=channel, source=source, now=now).save()
    return getattr(obj, field)
