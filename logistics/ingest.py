"""Tracking-event ingest, shared by the events API and report-file imports.

A batch of raw events (dicts with the keys of `FIELDS`) goes through three steps:

1. parse: each event is checked and mapped through the carrier's status map; a bad one is
   rejected with its row number and reason (the others go on);
2. resolve: each event finds its parcel among the carrier's shipments with that waybill number
   (one query per batch), or a new parcel is created for it (for the store given with the batch,
   or the store of an earlier parcel of the same order). Two different orders never share a
   parcel; without an order number an event joins a parcel only within the carrier's waybill
   reuse window, since carriers recycle waybill numbers;
3. write (one transaction): new parcels and new events in bulk (a unique (shipment, event_key)
   constraint skips duplicates), then each touched parcel's status is recomputed from the batch.

The status of a parcel is that of its latest event by event time (ties: the later stage), so the
result does not depend on arrival order, a replay adds nothing, and a late old event never moves
a parcel back.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from logistics.models import (
    LAST_MILE_STATUSES,
    NOT_PICKED_UP_STATUSES,
    STATUS_RANK,
    Alert,
    AlertEntry,
    Carrier,
    EventSource,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from logistics.sql import insert_rows, select_where_in
from portal.inputs import MAX_YEAR, MIN_YEAR
from portal.registry import run_delivery_hooks

# The keys of a raw event. "time" is the scan time: a datetime, or text (ISO 8601 or the carrier's format).
FIELDS = [
    "waybill", "time", "code", "description", "order_number", "outlet", "city", "status", "consignee_name",
    "consignee_phone", "consignee_address", "product_skus", "promised_by",
]
EXTRA_FIELDS = ["consignee_name", "consignee_phone", "consignee_address", "product_skus", "promised_by"]
EXTRA_SET = frozenset(EXTRA_FIELDS)
STATUS_VALUES = set(ShipmentStatus.values)
# The parcel columns the ingest maintains, in groups that change together.
LATEST_FIELDS = ["status", "last_event_at", "last_description", "last_outlet"]
MILESTONE_FIELDS = ["picked_up_at", "last_mile_at", "anomaly_at", "delivered_at", "shipped_at", "order_number"]


class StatusMapper:
    """A carrier's status map, compiled: (code, description) -> (status, is_anomaly, is_last_mile) or None."""

    def __init__(self, rules):
        """rules: (code, keyword, status, is_anomaly, is_last_mile) tuples in the order they are tried;
        a rule without a code applies to every code."""
        self.rules = [tuple(rule) for rule in rules]
        any_code = [rule for rule in self.rules if not rule[0]]
        by_code = {code: [rule for rule in self.rules if rule[0] in ("", code)]
                   for code in {rule[0] for rule in self.rules if rule[0]}}

        # A report repeats its descriptions: each distinct pair is mapped once per mapper (per
        # import or request). A closure over the rule lists, not a method: a cache holding `self`
        # would make a reference cycle, and every mapper would wait for the garbage collector.
        @lru_cache(maxsize=50_000)
        def lookup(code: str, description: str):
            for _code, keyword, status, anomaly, last_mile in by_code.get(code, any_code):
                if not keyword or keyword in description:
                    return status, anomaly, last_mile or status in LAST_MILE_STATUSES
            return None

        self.lookup = lookup

    @classmethod
    def for_carrier(cls, carrier):
        return cls(carrier.status_map.order_by("position", "id").values_list(
            "code", "keyword", "status", "is_anomaly", "is_last_mile"))


class Event:
    """One parsed, mapped event of a batch."""

    __slots__ = ("row", "waybill", "order", "at", "code", "description", "outlet", "city", "status", "anomaly",
                 "last_mile", "picked_up", "key", "extra", "db_at", "at_text")

    def __init__(self, row, waybill, order, at, code, description, outlet, city, status, anomaly, last_mile, extra):
        self.row = row
        self.waybill = waybill
        self.order = order
        self.at = at
        self.code = code
        self.description = description
        self.outlet = outlet
        self.city = city
        self.status = status
        self.anomaly = anomaly
        self.last_mile = last_mile
        self.picked_up = status not in NOT_PICKED_UP_STATUSES
        self.extra = extra
        # The same scan reported twice (by the API and in the daily report, or in a replayed
        # report) has the same key: time (UTC, to the microsecond), code and description.
        self.at_text = at.isoformat(" ")  # naive UTC, canonical ("2026-11-15 10:02:11[.ffffff]"); SQLite stores this text
        basis = f"{self.at_text}|{code}|{description}|{'' if code else status}"
        # 64 bits: a collision would need two different scans of one parcel; the short key keeps
        # the unique index small (it is written on every insert).
        self.key = hashlib.md5(basis.encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass
class BatchResult:
    read: int = 0
    added: int = 0
    duplicates: int = 0
    shipments_created: int = 0
    rejected: list[dict] = field(default_factory=list)  # [{"row": n, "field": "time", "reason": "..."}]

    def merge(self, other: "BatchResult"):
        self.read += other.read
        self.added += other.added
        self.duplicates += other.duplicates
        self.shipments_created += other.shipments_created
        self.rejected.extend(other.rejected)

    def as_dict(self):
        return {
            "rows_read": self.read, "events_added": self.added, "duplicates_skipped": self.duplicates,
            "shipments_created": self.shipments_created, "rejected": self.rejected,
        }


class Rejected(Exception):
    def __init__(self, field_name, reason):
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def _text(value, limit) -> str:
    """A cell as stripped text, cut to `limit` characters (None: not cut)."""
    if value.__class__ is str:  # the common case, kept fast
        value = value.strip()
        return value if limit is None or len(value) <= limit else value[:limit]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet cell holding code 50 comes back as 50.0
    return str(value).strip()[:limit]


CONSIGNEE_SIZES = (("consignee_name", 100), ("consignee_phone", 30), ("consignee_address", 300))


# Column sizes of the event cells a report row may not exceed (a cut order number could join another
# order's parcel); checked inline per row, explained by _refuse_cell only for a refused one.
CODE_SIZE, DESCRIPTION_SIZE, ORDER_SIZE, OUTLET_SIZE, CITY_SIZE = 20, 300, 64, 100, 50


def _refuse_cell(cells):
    """Raise Rejected for the first of `cells` ((field, text, column size)) holding a NUL or longer
    than its column."""
    for name, value, size in cells:
        if "\x00" in value:
            raise Rejected(name, _("the cell holds a NUL character"))
        if len(value) > size:
            raise Rejected(name, _("the cell is longer than %(n)d characters") % {"n": size})


class Parcel:
    """A shipment as the ingest sees it: plain attributes, no model instance (they cost too much
    at a million events).

    `COLUMNS` names the shipment fields the ingest reads and writes: parcels are loaded, inserted
    and updated by these names, and a new parcel starts from each field's model default. Adding a
    shipment column that the ingest fills means adding its name here (and, if events change it, to
    its group of `LATEST_FIELDS` / `MILESTONE_FIELDS` / `EXTRA_FIELDS` and to `apply`)."""

    COLUMNS = ["store_id", "carrier_id", "waybill_number", "order_number", "status", "shipped_at", "last_event_at",
               "last_description", "last_outlet", "picked_up_at", "last_mile_at", "anomaly_at", "delivered_at",
               "direction", "created_at", *EXTRA_FIELDS]
    LOADED = ["id", *COLUMNS]
    # The contact details are needed only to fill blanks from events that carry them: otherwise
    # they are not read (and stay unset, so that nothing can write them back by mistake).
    LOADED_WITHOUT_EXTRA = [name for name in LOADED if name not in EXTRA_SET]
    __slots__ = [*COLUMNS, "pk", "lo", "hi", "dirty", "is_new", "latest_dirty", "milestones_dirty", "extra_dirty",
                 "newly_delivered"]

    def __init__(self, pk, columns):
        """pk: None for a new parcel; columns: (name, value) pairs for `COLUMNS` (all, or all but
        the extras)."""
        self.pk = pk
        for name, value in columns:
            setattr(self, name, value)
        self.lo = self.shipped_at or self.last_event_at or self.created_at
        self.hi = self.last_event_at if self.last_event_at is not None and self.last_event_at > self.lo else self.lo
        self.dirty = self.is_new = self.newly_delivered = False
        self.latest_dirty = self.milestones_dirty = self.extra_dirty = False

    @classmethod
    def loaded(cls, names, row):
        """A stored parcel from a row of `names` (`LOADED` or `LOADED_WITHOUT_EXTRA`)."""
        columns = zip(names, row, strict=True)
        _id, pk = next(columns)  # both lists start with "id"
        return cls(pk, columns)

    @classmethod
    def new(cls, *, store_id, carrier_id, waybill, order, at, now):
        """A parcel seen for the first time: the model's default for every column but these."""
        values = {**_NEW_PARCEL, "store_id": store_id, "carrier_id": carrier_id, "waybill_number": waybill,
                  "order_number": order, "created_at": now}
        for name, default in _NEW_PARCEL_FACTORIES:
            values[name] = default()  # a new list (product_skus) per parcel
        parcel = cls(None, values.items())
        parcel.lo = parcel.hi = at
        parcel.is_new = True
        return parcel

    def apply(self, event):
        """Fold one new event into the parcel's derived fields; the result does not depend on order.

        Marks which group of columns changed, so the UPDATE writes (and re-indexes) only those."""
        at = event.at
        if self.last_event_at is None or (at, STATUS_RANK[event.status], event.description) > (
            self.last_event_at, STATUS_RANK[self.status], self.last_description
        ):
            if event.status == ShipmentStatus.DELIVERED and self.status != ShipmentStatus.DELIVERED:
                self.newly_delivered = True
            self.status = event.status
            self.last_event_at = at
            self.last_description = event.description
            self.last_outlet = event.outlet
            self.dirty = self.latest_dirty = True
        if event.picked_up and (self.picked_up_at is None or at < self.picked_up_at):
            self.picked_up_at = at
            self.dirty = self.milestones_dirty = True
        if event.status == ShipmentStatus.DELIVERED and (self.delivered_at is None or at < self.delivered_at):
            self.delivered_at = at
            self.dirty = self.milestones_dirty = True
        if event.last_mile and (self.last_mile_at is None or at < self.last_mile_at):
            self.last_mile_at = at
            self.dirty = self.milestones_dirty = True
        if event.anomaly and (self.anomaly_at is None or at > self.anomaly_at):
            self.anomaly_at = at
            self.dirty = self.milestones_dirty = True
        if self.shipped_at is None or at < self.shipped_at:
            self.shipped_at = at
            self.dirty = self.milestones_dirty = True
        if event.extra:
            for name, value in event.extra.items():
                if not getattr(self, name):
                    setattr(self, name, value)
                    self.dirty = self.extra_dirty = True


_COLUMN_FIELDS = [(name, Shipment._meta.get_field(name)) for name in Parcel.COLUMNS]
# A new parcel's values: the model's defaults, computed once; callable defaults called per parcel.
_NEW_PARCEL_FACTORIES = [(name, field.default) for name, field in _COLUMN_FIELDS
                         if field.has_default() and callable(field.default)]
_NEW_PARCEL = {name: field.get_default() for name, field in _COLUMN_FIELDS}
EVENT_COLUMNS = ["shipment", "event_key", "occurred_at", "code", "description", "outlet", "city", "status",
                 "is_anomaly", "tracking_import", "received_at"]


def _naive(moment):
    """The wall time without its zone; 3.5x faster than moment.replace(tzinfo=None) on Python 3.11."""
    return datetime.combine(moment.date(), moment.time())


def naive_utc(moment):
    """Inside the ingest, times are naive UTC datetimes: cheaper to parse, compare and store."""
    return _naive(moment) - moment.utcoffset() if moment.tzinfo is not None else moment


def aware_utc(moment):
    """An ingest time (naive UTC) as the aware datetime the rest of the portal works with."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _sqlite_datetime(value):
    return None if value is None else str(value)  # what Django's SQLite backend stores: naive UTC as text


def _sqlite_json(value):
    return json.dumps(value) if value else "[]"


def db_datetime(sqlite: bool):
    """The function turning an ingest time (naive UTC) into the database value of a raw statement."""
    return _sqlite_datetime if sqlite else aware_utc


@lru_cache(maxsize=32)
def row_builder(names: tuple[str, ...], sqlite: bool):
    """parcel -> [database values of the shipment fields `names`] ("pk": the primary key) for the
    ingest's raw INSERT and UPDATE statements: the attributes read at once, then the datetime and
    JSON fields converted as the field types say (this runs for every parcel of a million-event
    import; one builder per column list, made once)."""
    read = attrgetter(*names)
    converters = []
    for i, name in enumerate(names):
        field = Shipment._meta.pk if name == "pk" else Shipment._meta.get_field(name)
        if isinstance(field, models.DateTimeField):
            converters.append((i, db_datetime(sqlite)))
        elif isinstance(field, models.JSONField):
            converters.append((i, _sqlite_json if sqlite else partial(field.get_db_prep_save, connection=connection)))

    def build(parcel):
        values = list(read(parcel))
        for i, convert in converters:
            values[i] = convert(values[i])
        return values

    return build


class Ingestor:
    """Ingests batches of raw events for one carrier (one import file, or one API request)."""

    # A carrier's "delivered" scan of a parcel the merchant delivered itself is the same delivery.
    skip_repeat_deliveries = True

    def __init__(self, carrier: Carrier, *, now, actor=None, store=None, allowed_store_ids=None,
                 tracking_import=None, time_format="", mapper=None):
        self.carrier = carrier
        self.now = now
        self.actor = actor
        self.store_id = store.pk if store is not None else None
        self.allowed_store_ids = allowed_store_ids  # None: every store
        self.tracking_import_id = tracking_import.pk if tracking_import is not None else None
        self.time_format = time_format
        self.zone = ZoneInfo(carrier.time_zone)
        self.window = timedelta(days=carrier.waybill_reuse_days)
        self.mapper = mapper or StatusMapper.for_carrier(carrier)
        self.sqlite = connection.vendor == "sqlite"
        self.now_utc = naive_utc(now)

    # --- 1. parse -------------------------------------------------------------------------------

    def parse_time(self, value, field_name="time"):
        """The time as a naive UTC datetime; input without an offset is in the carrier's time zone."""
        if isinstance(value, datetime):
            at = value
        else:
            text = _text(value, 60)
            if not text:
                raise Rejected(field_name, _("the time is missing"))
            try:
                if self.time_format:
                    at = datetime.strptime(text, self.time_format)
                else:
                    at = datetime.fromisoformat(text.replace("/", "-") if "/" in text else text)
            except ValueError:
                raise Rejected(field_name, _("impossible timestamp “%(value)s”") % {"value": text}) from None
        if not MIN_YEAR <= at.year <= MAX_YEAR:
            raise Rejected(field_name, _("impossible timestamp “%(value)s”") % {"value": value})
        return self.to_utc(at)

    def to_utc(self, at):
        """Naive UTC; a time without an offset is in the carrier's time zone."""
        return naive_utc(at) if at.tzinfo is not None else at - self.zone.utcoffset(at)

    def parse_one(self, row, raw) -> Event:
        get = raw.get
        # Text cells are stripped inline (and held to their column's size below): this runs a million times.
        waybill = get("waybill")
        waybill = waybill.strip() if waybill.__class__ is str else _text(waybill, 100)
        if not waybill:
            raise Rejected("waybill", _("the waybill number is missing"))
        if len(waybill) > 40:
            raise Rejected("waybill", _("the waybill number is longer than 40 characters"))
        text = get("time")
        if text.__class__ is str and not self.time_format and "/" not in text:
            # The common case inline: ISO-like text, no strptime format.
            try:
                at = datetime.fromisoformat(text.strip())
            except ValueError:
                at = self.parse_time(text)  # raises with the reason
            if not MIN_YEAR <= at.year <= MAX_YEAR:
                at = self.parse_time(text)
            at = self.to_utc(at)
        else:
            at = self.parse_time(text)
        code = get("code")
        code = code.strip() if code.__class__ is str else _text(code, None)
        description = get("description")
        description = description.strip() if description.__class__ is str else _text(description, None)
        order, outlet, city = get("order_number"), get("outlet"), get("city")
        order = order.strip() if order.__class__ is str else _text(order, None)
        outlet = outlet.strip() if outlet.__class__ is str else _text(outlet, None)
        city = city.strip() if city.__class__ is str else _text(city, None)
        # One constant check per row: a cell longer than its column is refused, never cut (a cut order
        # number could join another order's parcel), and a NUL cannot be stored as text (PostgreSQL
        # refuses it): a report cell holding one is damaged. The events API refuses both before.
        if (len(code) > CODE_SIZE or len(description) > DESCRIPTION_SIZE or len(order) > ORDER_SIZE
                or len(outlet) > OUTLET_SIZE or len(city) > CITY_SIZE or "\x00" in waybill or "\x00" in code
                or "\x00" in description or "\x00" in order or "\x00" in outlet or "\x00" in city):
            _refuse_cell((("waybill", waybill, 40), ("code", code, CODE_SIZE),
                          ("description", description, DESCRIPTION_SIZE), ("order_number", order, ORDER_SIZE),
                          ("outlet", outlet, OUTLET_SIZE), ("city", city, CITY_SIZE)))
        status = get("status")
        if status:
            status = _text(status, 30)
            if status not in STATUS_VALUES:
                raise Rejected("status", _("unknown status “%(value)s”") % {"value": status})
            # Only a real true: "no" or "false" from a careless client is not an anomaly.
            anomaly, last_mile = get("is_anomaly") is True, status in LAST_MILE_STATUSES
        else:
            if not code and not description:
                raise Rejected("code", _("neither an operation code nor a description is given"))
            mapped = self.mapper.lookup(code, description)
            if mapped is None:
                raise Rejected("code", _("operation code “%(code)s” / description “%(description)s” is not in "
                                         "carrier %(carrier)s's status map")
                               % {"code": code, "description": description[:40], "carrier": self.carrier.code})
            status, anomaly, last_mile = mapped
        extra = None
        if not EXTRA_SET.isdisjoint(raw) and any(get(name) for name in EXTRA_FIELDS):
            extra = self.parse_extra(raw)
        event = Event(row, waybill, order, at, code, description, outlet, city, status, anomaly, last_mile, extra)
        event.db_at = event.at_text if self.sqlite else at.replace(tzinfo=UTC)
        return event

    def parse_extra(self, raw) -> dict:
        extra = {
            "consignee_name": _text(raw.get("consignee_name"), None),
            "consignee_phone": _text(raw.get("consignee_phone"), None),
            "consignee_address": _text(raw.get("consignee_address"), None),
        }
        skus = raw.get("product_skus")
        if isinstance(skus, list | tuple):
            extra["product_skus"] = [_text(s, None) for s in skus if _text(s, None)]
        elif skus:
            extra["product_skus"] = [s.strip() for s in str(skus).replace(";", ",").split(",") if s.strip()]
        _refuse_cell([(name, extra[name], size) for name, size in CONSIGNEE_SIZES]
                     + [("product_skus", sku, 64) for sku in extra.get("product_skus", ())])
        if raw.get("promised_by"):
            extra["promised_by"] = self.parse_time(raw.get("promised_by"), "promised_by")
        return {k: v for k, v in extra.items() if v}

    def parse(self, raws):
        """[(row, raw dict)] -> ([Event], [rejection])."""
        events, rejected = [], []
        for row, raw in raws:
            try:
                events.append(self.parse_one(row, raw))
            except Rejected as exc:
                rejected.append({"row": row, "field": exc.field, "reason": exc.reason})
        return events, rejected

    # --- 2. resolve ---------------------------------------------------------------------------

    def _in_window(self, parcel, at):
        return parcel.lo - self.window <= at <= parcel.hi + self.window

    def _match(self, event, candidates):
        if event.order:
            for parcel in candidates:
                if parcel.order_number == event.order:
                    return parcel
            for parcel in candidates:
                # Registered without an order number earlier: this event names its order.
                if not parcel.order_number and self._in_window(parcel, event.at):
                    parcel.order_number = event.order
                    parcel.dirty = parcel.milestones_dirty = True
                    return parcel
            return None
        near = [p for p in candidates if self._in_window(p, event.at)]
        return max(near, key=lambda p: p.lo) if near else None

    @staticmethod
    def _assign(event, parcel, assigned):
        if event.at < parcel.lo:
            parcel.lo = event.at
        if event.at > parcel.hi:
            parcel.hi = event.at
        assigned.append((event, parcel))

    def resolve(self, events):
        """Find or prepare each event's parcel: ([(Event, Parcel)], [new Parcel], [rejection])."""
        assigned, stubs, rejected = [], [], []
        if not events:
            return assigned, stubs, rejected
        events.sort(key=attrgetter("at"))
        existing: dict[str, list[Parcel]] = {}
        columns = Parcel.LOADED if any(e.extra for e in events) else Parcel.LOADED_WITHOUT_EXTRA
        for row in select_where_in(Shipment, columns, equal={"carrier_id": self.carrier.pk},
                                   within={"waybill_number": {e.waybill for e in events}}, naive_utc=True):
            parcel = Parcel.loaded(columns, row)
            existing.setdefault(parcel.waybill_number, []).append(parcel)
        allowed = self.allowed_store_ids
        unmatched = []
        for event in events:
            parcel = self._match(event, existing.get(event.waybill, ()))
            if parcel is None:
                unmatched.append(event)
            elif allowed is not None and parcel.store_id not in allowed:
                rejected.append({"row": event.row, "field": "waybill",
                                 "reason": _("the parcel belongs to a store outside your scope")})
            else:
                self._assign(event, parcel, assigned)
        if unmatched:
            order_stores = {}
            if self.store_id is None:
                orders = {e.order for e in unmatched if e.order}
                if orders:
                    order_stores = dict(Shipment.objects.filter(order_number__in=orders)
                                        .values_list("order_number", "store_id"))
            new_by_waybill: dict[str, list[Parcel]] = {}
            for event in unmatched:
                candidates = new_by_waybill.setdefault(event.waybill, [])
                parcel = self._match(event, candidates)
                if parcel is None:
                    store_id = self.store_id or order_stores.get(event.order)
                    if store_id is None:
                        rejected.append({"row": event.row, "field": "waybill", "reason": _(
                            "unknown parcel: give the store with the import, or the order number of a known order")})
                        continue
                    if allowed is not None and store_id not in allowed:
                        rejected.append({"row": event.row, "field": "store",
                                         "reason": _("the store is outside your scope")})
                        continue
                    parcel = Parcel.new(store_id=store_id, carrier_id=self.carrier.pk, waybill=event.waybill, order=event.order, at=event.at,
                                        now=self.now_utc)
                    candidates.append(parcel)
                    stubs.append(parcel)
                self._assign(event, parcel, assigned)
        return assigned, stubs, rejected

    # --- 3. write -----------------------------------------------------------------------------

    def write(self, assigned, stubs) -> BatchResult:
        result = BatchResult()
        assigned, repeated = skip_merchant_delivered(assigned) if self.skip_repeat_deliveries else (assigned, 0)
        with transaction.atomic():
            # Folding an event into its parcel is idempotent (latest by time, earliest delivery,
            # ...), so every event is folded and the unique (shipment, event_key) constraint alone
            # decides what is new: no query for the keys already stored.
            for event, parcel in assigned:
                parcel.apply(event)
            if stubs:
                build = row_builder(tuple(Parcel.COLUMNS), self.sqlite)
                rows = [build(parcel) for parcel in stubs]
                for parcel, pk in zip(stubs, insert_rows(Shipment, Parcel.COLUMNS, rows, returning_pk=True),
                                      strict=True):
                    parcel.pk = pk
                result.shipments_created = len(stubs)
            # Database values directly (the event's time was converted once, when parsed).
            received = db_datetime(self.sqlite)(self.now_utc)
            result.added = insert_rows(TrackingEvent, EVENT_COLUMNS, [
                [parcel.pk, event.key, event.db_at, event.code, event.description, event.outlet, event.city,
                 event.status, event.anomaly, self.tracking_import_id, received]
                for event, parcel in assigned
            ], ignore_conflicts=True)
            result.duplicates = len(assigned) - result.added + repeated
            changed = {id(p): p for _e, p in assigned if not p.is_new and p.dirty}
            self._update_shipments(changed.values())
            delivered = [p.pk for p in changed.values() if p.newly_delivered]
            if delivered:
                close_alerts_of_delivered(now=self.now, shipment_ids=delivered)
            # Apps that wait on deliveries (installation jobs, refund holds) hear of this batch's once.
            newly = [p for p in changed.values() if p.newly_delivered] + [p for p in stubs if p.newly_delivered]
            run_delivery_hooks([(p.pk, aware_utc(p.delivered_at)) for p in newly], now=self.now)
        return result

    def _update_shipments(self, parcels):
        """executemany UPDATEs of the batch's changed parcels, one per set of changed column groups
        (bulk_update's CASE is far slower, and unchanged indexed columns are not rewritten)."""
        groups: dict[tuple, list] = {}
        for parcel in parcels:
            groups.setdefault((parcel.latest_dirty, parcel.milestones_dirty, parcel.extra_dirty), []).append(parcel)
        qn = connection.ops.quote_name
        table = qn(Shipment._meta.db_table)
        with connection.cursor() as cursor:
            for (latest, milestones, extra), members in groups.items():
                fields = (LATEST_FIELDS if latest else []) + (MILESTONE_FIELDS if milestones else []) + (
                    EXTRA_FIELDS if extra else [])
                if not fields:
                    continue
                assignments = ", ".join(f"{qn(Shipment._meta.get_field(name).column)} = %s" for name in fields)
                build = row_builder((*fields, "pk"), self.sqlite)
                cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", [build(p) for p in members])

    # --- all three ----------------------------------------------------------------------------

    def ingest(self, raws, *, strict=False) -> BatchResult:
        """Ingest one batch of (row, raw event) pairs.

        strict: reject the whole batch (BatchRejected listing every bad row) if any row is bad,
        writing nothing; otherwise keep the good rows and return the bad ones.
        """
        events, rejected = self.parse(raws)
        assigned, stubs, rejected_later = self.resolve(events)
        rejected.extend(rejected_later)
        if strict and rejected:
            raise BatchRejected(sorted(rejected, key=lambda r: r["row"]))
        result = self.write(assigned, stubs)
        result.read = len(raws)
        result.rejected = sorted(rejected, key=lambda r: r["row"])
        return result


class BatchRejected(Exception):
    """A strict batch had bad events; nothing was written."""

    def __init__(self, rejected):
        super().__init__(f"{len(rejected)} rejected")
        self.rejected = rejected

    def by_row(self) -> dict:
        """{"3": {"time": ["impossible timestamp ..."]}} for an API error body."""
        errors = {}
        for item in self.rejected:
            errors.setdefault(str(item["row"]), {}).setdefault(item["field"], []).append(item["reason"])
        return errors


def skip_merchant_delivered(assigned):
    """Drop the carrier's "delivered" scans of parcels the merchant already delivered with its own
    vehicle (a dispatch): the carrier's later "signed" scan is the same delivery, not a second one.
    Returns (the pairs kept, the number dropped); one query, only when the batch delivers parcels
    that are delivered already."""
    delivered = ShipmentStatus.DELIVERED
    candidates = {parcel.pk for event, parcel in assigned
                  if event.status == delivered and not parcel.is_new and parcel.status == delivered}
    if not candidates:
        return assigned, 0
    merchant = set(TrackingEvent.objects.filter(
        shipment_id__in=candidates, source=EventSource.MERCHANT_DELIVERY, status=delivered,
    ).values_list("shipment_id", flat=True))
    if not merchant:
        return assigned, 0
    kept = [(event, parcel) for event, parcel in assigned
            if not (event.status == delivered and parcel.pk in merchant)]
    return kept, len(assigned) - len(kept)


def close_alerts_of_delivered(*, now, shipment_ids=None, token="") -> int:
    """Close the open alerts of delivered parcels (kept in history, with a timeline entry). Set-based."""
    from portal.sql import insert_select

    token = token or _new_token()
    opened = Alert.objects.filter(status=Alert.Status.OPEN, shipment__status=ShipmentStatus.DELIVERED)
    if shipment_ids is not None:
        opened = opened.filter(shipment_id__in=shipment_ids)
    count = Alert.objects.filter(pk__in=opened.values("pk")).update(
        status=Alert.Status.CLOSED, closed_at=now, scan_token=token
    )
    if count:
        from django.db.models import F, Value

        insert_select(
            AlertEntry,
            Alert.objects.filter(scan_token=token, status=Alert.Status.CLOSED),
            {"alert_id": F("pk"), "kind": Value(AlertEntry.Kind.CLOSED), "at": Value(now)},
        )
    return count


def _new_token():
    import uuid

    return uuid.uuid4().hex
