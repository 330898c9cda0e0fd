"""The malformed-payload corpus: for every write endpoint, a valid body and, per field, values that
must be refused. `cases()` expands it: each case changes one field of the valid body (or replaces the
whole body) and expects a 400 naming that field (or `detail` for a body that is not JSON at all),
with nothing written. Placeholders in paths ({ticket}, {alert}, ...) are filled from the demo data
by tests/portal/test_malformed_corpus.py.
"""

TEXT = [12, ["a"], {"a": 1}, True, "a\x00b"]  # not a string, or a NUL
NUMBER = ["12", 12.5, True, ["1"], {"a": 1}, 10**30]  # not an integer, or out of range
BOOLEAN = ["no", "yes", 0, 1, ["true"], {"a": 1}]
TIME = [1100829337, "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "yesterday", ["2026-11-20"]]
FORM_TEXT = [["a"], {"a": 1}, True, "a\x00b", 12]  # form-backed actions: text fields take strings only
FORM_TIME = [1100829337, "0001-01-01T00:00:00+14:00", "not a time", ["2026-11-20"], {"a": 1}, True]
FORM_NUMBER = [["1"], {"a": 1}, True, "abc", "-5"]
REF = ["no-such-thing", 10**12, ["1"], {"a": 1}, True]  # a related object that does not exist, or no id
DATE = ["20261128", "0001-01-01", "9999-12-31", 20261128, ["2026-11-20"]]  # YYYY-MM-DD strings, 2000-2100 only
# Yuan: a JSON string or number, at most 2 decimals, above zero, below 10 million; ASCII digits, no exponent.
MONEY = ["abc", "1.234", 1.005, "1E+2", "١٢", "NaN", "Infinity", "-5", "10000000", True, ["1"], {"a": 1}, 10**30]


def text(limit):
    return [*TEXT, "x" * (limit + 1)]


def form_text(limit):
    return [*FORM_TEXT, "x" * (limit + 1)]


# A scenario's customer turns and a rubric's categories (JSON checked by training/services.py).
TURNS = ["x", [], [1], {"text": "a"}, [{"text": ""}], [{"text": 12}], [{"text": "x" * 4001}], [{"text": "a\x00b"}],
         [{"text": "a", "time_limit": 3601}], [{"text": "a", "time_limit": True}], [{"text": "a", "time_limit": "60"}],
         [{"text": "a", "model_answer": 12}], [{"text": "a", "points": [1]}], [{"text": "a", "forbidden": {"a": 1}}],
         [{"text": "a", "points": ["x" * 201]}], [{"text": "a"}] * 31]
CATEGORIES = ["x", [], [1], {"name": "a"}, [{"name": ""}], [{"name": 12}], [{"name": "x" * 101}],
              [{"name": "a", "scale": "6"}], [{"name": "a", "scale": 5}], [{"name": "a", "weight": 101}],
              [{"name": "a", "weight": True}], [{"name": "a", "weight": "10"}], [{"name": "a", "critical": "no"}],
              [{"name": "a", "hints": "x"}], [{"name": "a", "hints": ["x" * 51]}], [{"name": "a"}] * 21]


# (method, path, valid body, {field: [bad values]})
ENDPOINTS = [
    ("post", "/api/v1/tickets/", {"store": "clouddry-tmall", "subject": "s", "description": "d"}, {
        "store": ["no-such-store", "swiftride-tmall-x", 12, ["clouddry-tmall"]],
        "channel": ["fax", 1, ["phone"]], "queue": REF, "category": ["x", 3], "priority": ["top", 1],
        "is_major": BOOLEAN, "order_no": text(64), "buyer_nick": text(100), "customer_phone": text(30),
        "customer_address": text(300), "subject": text(200), "description": text(10000), "assignee": REF,
    }),
    ("patch", "/api/v1/tickets/{ticket}/", {"subject": "s"}, {
        "category": ["x"], "priority": ["top"], "is_major": BOOLEAN, "order_no": text(64),
        "customer_phone": text(30), "subject": text(200), "status": ["closed-ish", 1], "queue": [1],
    }),
    ("post", "/api/v1/tickets/{ticket}/reply/", {"body": "hello"}, {
        "body": text(10000), "macro": REF, "status": ["x"], "handling_seconds": [*NUMBER, -1, 86401],
    }),
    ("post", "/api/v1/tickets/{ticket}/note/", {"body": "note"}, {"body": text(10000),
                                                                   "handling_seconds": NUMBER}),
    ("post", "/api/v1/tickets/{ticket}/assign/", {"round_robin": True}, {"round_robin": BOOLEAN[:4]}),
    ("post", "/api/v1/tickets/{ticket}/transfer/", {"queue": "{queue}"}, {
        "queue": REF, "team": REF, "note": text(5000), "round_robin": BOOLEAN[:4],
    }),
    ("post", "/api/v1/tickets/{ticket}/resolve/", {"note": "done"}, {"note": text(5000),
                                                                      "handling_seconds": NUMBER[:4]}),
    ("post", "/api/v1/tickets/{ticket}/rate/", {"rating": 5}, {"rating": [*NUMBER, 0, 6], "comment": text(2000)}),
    ("post", "/api/v1/tickets/{ticket}/merge/", {"into": "{other_ticket}"}, {"into": NUMBER[:5]}),
    ("post", "/api/v1/chat/conversations/", {
        "store": "clouddry-tmall", "conversation_id": "c-corpus", "buyer_nick": "小明",
        "messages": [{"id": "m1", "sent_at": "2026-11-20T10:00:00+08:00", "sender": "buyer", "text": "你好"}]}, {
        "store": ["no-such-store", 12, ["clouddry-tmall"]], "conversation_id": text(100), "buyer_nick": text(100),
        "order_no": text(64), "messages": [[], "m", {"id": "m1"}, [1], [{"id": "m1"}]],
    }),
    ("post", "/api/v1/escalation-policies/", {"name": "corpus", "levels": []}, {
        "name": text(100), "queue": REF, "sla_policy": REF, "is_active": BOOLEAN[:4], "description": TEXT[:4],
        "levels": ["x", [1], [{"position": "a"}], {"a": 1}],
    }),
    ("patch", "/api/v1/escalation-policies/{policy}/", {"description": "x"}, {
        "name": TEXT[:4], "is_active": BOOLEAN[:4], "queue": REF[:3],
    }),
    ("post", "/api/v1/stores/", {"code": "corpus-store", "name": "Corpus", "marketplace": "tmall", "brand": "B"}, {
        "code": [12, ["a"], "not a slug!", "x" * 41], "name": text(200), "marketplace": ["ebay", 1],
        "brand": TEXT[:4],
    }),
    ("patch", "/api/v1/teams/{team}/", {"name": "x"}, {"name": TEXT[:4], "kind": ["x", 1], "parent": REF[1:]}),
    ("post", "/api/v1/pii/reveal/", {"object": "tickets.ticket", "id": "{ticket}", "field": "customer_phone"}, {
        "object": TEXT[:4], "id": [*NUMBER[:5], 0], "field": TEXT[:4],
    }),
    ("post", "/api/v1/installations/", {"store": "clouddry-tmall", "customer_name": "王", "note": "n"}, {
        "store": ["no-such-store", 12], "order_number": text(64), "product": [12, "NO-SUCH-SKU"],
        "shipment": ["1", 10**12, True], "partner": ["no-such-partner", 12], "customer_name": text(100),
        "customer_phone": text(30), "address": text(300), "note": TEXT[:4],
    }),
    ("post", "/api/v1/installations/{job}/events/", {"node": "cancelled", "reason": "corpus"}, {
        "node": ["flying", 1, ["cancelled"]], "time": TIME, "technician": text(100),
        "technician_phone": text(30), "appointment_start": TIME[:3], "photos": ["x", ["ftp://x"], [1], {"a": 1}],
        "customer_confirmed": BOOLEAN[:4], "reason": text(300), "note": TEXT[:4], "event_id": text(100),
    }),
    ("post", "/api/v1/logistics/alerts/{alert}/acknowledge/", {"note": "ok"}, {"note": form_text(2000)}),
    ("post", "/api/v1/logistics/alerts/{alert}/contact_carrier/", {
        "contact_name": "王", "contacted_at": "2026-11-20T10:00:00+08:00", "promise": "tomorrow"}, {
        "contact_name": form_text(100), "contacted_at": FORM_TIME, "promise": FORM_TEXT, "outlet": form_text(100),
        "follow_up_at": FORM_TIME[:4],
    }),
    ("post", "/api/v1/logistics/alerts/{alert}/contact_customer/", {
        "called_at": "2026-11-20T10:00:00+08:00", "outcome": "informed"}, {
        "called_at": FORM_TIME, "outcome": ["happy", 1, ["informed"]], "note": form_text(2000),
    }),
    ("post", "/api/v1/logistics/alerts/{alert}/compensate/", {"kind": "cash", "amount": "10"}, {
        "kind": ["gold", 1, ["cash"]], "amount": [*FORM_NUMBER, "0", "100000", "1.234"], "note": FORM_TEXT,
    }),
    ("post", "/api/v1/logistics/alerts/{offer_alert}/approve_compensation/", {"compensation": "{offer}",
                                                                              "decision": "approve"}, {
        "compensation": [10**12, "x", ["1"], True],
    }),
    ("post", "/api/v1/logistics/alerts/{alert}/open_ticket/", {"note": "n"}, {"note": form_text(2000)}),
    ("post", "/api/v1/logistics/alerts/{alert}/resolve/", {"resolution": "done"}, {
        "resolution": [{"a": 1}, ["done"], True, "a\x00b", "x" * 4001, ""],
    }),
    ("post", "/api/v1/logistics/alerts/{alert}/dispatch/", {
        "driver_name": "周师傅", "driver_phone": "13900001111", "planned_pickup": "2026-11-21T09:00:00+08:00",
        "planned_dropoff": "2026-11-21T12:00:00+08:00", "cost": "80"}, {
        "driver": [["x"], "no-such-user", True], "driver_phone": form_text(30), "planned_pickup": FORM_TIME[:4],
        "cost": FORM_NUMBER[:4],
    }),
    ("post", "/api/v1/logistics/dispatches/{dispatch}/failed/", {"reason": "no one home"}, {
        "reason": form_text(300),
    }),
    ("post", "/api/v1/logistics/events/", {"carrier": "SF", "store": "clouddry-tmall", "events": [
        {"waybill": "SF9000000000001", "order_number": "T1", "time": "2026-11-18T10:00:00+08:00", "code": "50"}]}, {
        "carrier": ["XX", 12, ["SF"]], "store": ["no-such-store", 12], "events": [[], "x", [1], {"a": 1}],
        "events.0.waybill": [*text(40), ""], "events.0.order_number": text(64), "events.0.time": TIME,
        "events.0.code": [12, ["50"], "a\x00b"], "events.0.description": text(300), "events.0.city": text(50),
        "events.0.consignee_phone": text(30), "events.0.product_skus": [{"sku": "A"}, [1], 12],
        "events.0.is_anomaly": ["no", 1, "true"], "events.0.promised_by": TIME[:3],
    }),
    # --- Refund desk (refunds/api/) ------------------------------------------------------------------
    ("post", "/api/v1/refunds/", {
        "store": "clouddry-tmall", "platform_request_id": "RF-CORPUS-1", "order_no": "D-CORPUS-1", "kind": "refund_only",
        "amount": "99.00", "reason": "not_received", "requested_at": "2026-01-10T10:00:00+08:00",
        "goods_shipped": False}, {
        "store": ["no-such-store", "", 12, ["clouddry-tmall"], True, "x" * 41],
        "platform_request_id": [*text(64), ""], "order_no": [*text(64), ""], "kind": ["refund", 1, ["refund_only"], True],
        "amount": [*MONEY, "0", 0], "order_amount": MONEY[:8], "reason": ["no-such-reason", "", 12, ["not_received"]],
        "buyer_statement": text(2000),
        "requested_at": [*TIME, "2099-01-01T00:00:00+08:00", "2026-11-20T10:00:00"],  # the future; no offset
        "respond_by": [*TIME[:4], "2026-01-09T10:00:00+08:00"],  # before the request
        "goods_shipped": BOOLEAN, "return_waybill": text(40), "return_carrier": [*text(20), "XX"],
        "product_sku": text(64), "cancelled": [*BOOLEAN[:4], True],  # a request cannot be cancelled before it exists
    }),
    ("post", "/api/v1/refunds/{refund}/decide/", {"decision": "approve", "note": "ok"}, {
        "decision": ["yes", "", 1, ["approve"], True], "amount": [*MONEY[:8], "50"],  # an amount with a full refund
        "rule": ["no-such-rule", 12, ["x"], True], "note": text(2000),
    }),
    ("post", "/api/v1/refunds/{refund_waiting}/approve/", {"note": "ok"}, {"note": text(2000)}),
    ("post", "/api/v1/refunds/{refund_waiting}/decline/", {"note": "no"}, {"note": text(2000)}),
    ("post", "/api/v1/refunds/{refund_held}/received/", {}, {
        "received_at": [*TIME, "2099-01-01T00:00:00+08:00", "2026-11-20T10:00:00"],
    }),
    ("post", "/api/v1/refunds/{refund_contested}/dispute/", {"note": "pack sent"}, {
        "submitted_on": [*DATE, "2099-01-01", ""], "note": text(2000),
    }),
    ("post", "/api/v1/refunds/{refund_disputed}/ruling/", {"ruling": "merchant", "note": "platform ruled"}, {
        "ruling": ["won", "", 1, ["merchant"], True], "amount": [*MONEY[:8], "5"],  # an amount with another ruling
        "note": text(2000), "submitted_on": [*DATE, "2099-01-01"],
    }),
    # --- Scores (scores/api/) ----------------------------------------------------------------------------
    ("post", "/api/v1/scores/official/", {"store": "clouddry-tmall", "date": "2026-01-15",
                                          "figures": {"dsr_service": 4.8}}, {
        "store": ["no-such-store", "", 12, ["clouddry-tmall"], True], "date": [*DATE, "2099-01-01", ""],
        "figures": ["x", 4.8, [4.8], {}, {"nope": 1}, {"dsr_service": None}],
        "figures.dsr_service": ["4.8", "", True, 5.5, -1, [4], {"a": 1}, 10**400],
    }),
    # --- Training (training/api/) ------------------------------------------------------------------------
    ("post", "/api/v1/training/scenarios/", {"title": "语料 Corpus", "turns": [{"text": "我的包裹呢？"}]}, {
        "title": [*text(200), "", " "], "product_line": ["no-such-line", 12, ["e_bike"], True],
        "category": ["x", 1, ["logistics"], True], "difficulty": ["extreme", 1, ["hard"]], "channel": ["fax", 1],
        "status": ["gone", 1, ["draft"]], "persona_mood": text(200), "persona_background": text(4000),
        "context": text(4000), "turns": TURNS, "pass_mark": [*NUMBER, -1, 101],
        "tags": [12, True, {"a": 1}, [1], ["x" * 201], ["t"] * 21], "rubric": [*REF, None],
    }),
    ("patch", "/api/v1/training/scenarios/{scenario}/", {"title": "改名 Renamed"}, {
        "title": [*TEXT[:4], "", None], "turns": [*TURNS[:5], None], "pass_mark": NUMBER[:4], "status": ["gone"],
        "rubric": [*REF[:3], None], "product_line": ["no-such-line"], "tags": [12, ["x" * 201]],
    }),
    ("post", "/api/v1/training/rubrics/", {"name": "语料 Corpus rubric", "categories": [{"name": "共情"}]}, {
        "name": [*text(200), "", " "], "categories": [*CATEGORIES, None],
    }),
    ("put", "/api/v1/training/rubrics/{rubric}/", {"name": "改名 Renamed", "categories": [{"name": "共情"}]}, {
        "name": [*TEXT[:4], ""], "categories": CATEGORIES[:8],
    }),
    ("patch", "/api/v1/training/rubrics/{rubric}/", {"name": "改名 Renamed", "categories": [{"name": "共情"}]}, {
        "name": TEXT[:2], "categories": CATEGORIES[:4],
    }),
    ("post", "/api/v1/training/assignments/", {
        "scenario": "{scenario}", "agents": ["{agent}"], "due_at": "2099-01-01T00:00:00+08:00"}, {
        "scenario": [*REF, 0, "{draft_scenario}"],  # a draft is not assigned
        "agents": ["x", 12, [], ["1"], [True], [10**12], [0], [1.5], {"a": 1}, [1] * 501],
        "team": [*REF[1:], 0], "due_at": [*TIME, "2020-01-01T00:00:00+08:00"],  # the past
    }),
    ("post", "/api/v1/training/attempts/", {"assignment": "{assignment}"}, {
        "assignment": [*REF, 0, "{other_assignment}"],  # another agent's
    }),
    ("post", "/api/v1/training/attempts/{attempt}/answer/", {"text": "您好，马上为您查询。"}, {
        "text": [*text(4000), "", " "],
    }),
    ("post", "/api/v1/training/attempts/{submitted_attempt}/grade/", {"feedback": "ok", "grades": [
        {"category": "{category1}", "selected": 4}, {"category": "{category2}", "selected": 4},
        {"category": "{category3}", "selected": 1}, {"category": "{category4}", "selected": 2, "comment": "c"}]}, {
        "grades": ["x", [], [1], {"a": 1}, [{"category": "{category1}", "selected": 4}]],  # not every category
        "grades.0.category": [*NUMBER, 0, 10**12, "{category2}"],  # unknown, or twice
        "grades.0.selected": NUMBER, "grades.0.comment": text(2000), "feedback": text(4000),
    }),
    ("post", "/api/v1/training/requirements/", {"code": "corpus-cert", "name_zh": "语料认证"}, {
        "code": [12, ["a"], "", "not a slug!", "x" * 41, "ebike-battery"], "name_zh": [*text(200), ""],
        "name_en": text(200), "scenarios": ["x", 12, ["1"], [True], [10**12], [0], {"a": 1}],
        "tags": ["x", 12, True, {"a": 1}, [1], ["x" * 201], ["t"] * 21], "passes_needed": [*NUMBER, 0, 101],
        "min_score": [*NUMBER, -1, 101], "validity_days": [*NUMBER, 0, 3651], "is_active": BOOLEAN,
    }),
    ("patch", "/api/v1/training/requirements/{requirement}/", {"name_en": "Corpus"}, {
        "code": [12, "not a slug!", "{other_requirement_code}"], "name_zh": TEXT[:4], "scenarios": ["x", [10**12]],
        "tags": ["x", [1]], "validity_days": [*NUMBER[:4], 0, 3651], "is_active": BOOLEAN[:4],
    }),
    ("post", "/api/v1/training/queue-gates/", {"queue": "{free_queue}", "requirement": "{requirement}"}, {
        "queue": [*REF, 0, "{gated_queue}"],  # a queue has one gate
        "requirement": [*REF, 0],
    }),
    ("patch", "/api/v1/training/queue-gates/{gate}/", {"requirement": "{requirement}"}, {
        "queue": REF[:3], "requirement": [*REF, None],
    }),
    ("post", "/api/v1/training/courses/", {"agent": "{agent}", "course": "语料课程 Corpus", "date": "2026-01-15",
                                           "hours": "2.5"}, {
        "agent": [*REF, 0], "course": [*text(200), ""], "date": [*DATE, ""],
        "hours": ["abc", True, ["1"], {"a": 1}, "1.25", 2.55, "-1", "201", "NaN", "Infinity", 10**30],
        "trainer": text(100), "result": text(100),
    }),
]

# Bodies that are not a JSON object at all, sent to every JSON write endpoint above: (raw body, key).
RAW_BODIES = [
    ("[]", "non_field_errors"),
    ("[" * 50000 + "]" * 50000, "detail"),
    ("{", "detail"),
    ('{"a": NaN}', "detail"),
]

# Uploads to POST /api/v1/logistics/imports/ (multipart): (file name, content, form fields, error key).
UPLOADS = [
    ("empty.csv", b"", {"carrier": "SF"}, "file"),
    ("report.exe", b"MZ\x90\x00", {"carrier": "SF"}, "file"),
    ("report.csv", "运单号,订单号\nSF1,T1\n".encode(), {"carrier": "XX"}, "carrier"),
    ("report.csv", "运单号,订单号\nSF1,T1\n".encode(), {"carrier": "SF", "store": "no-such-store"}, "store"),
    ("report.csv", "运单号,订单号\nSF1,T1\n".encode(), {}, "carrier"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, {"carrier": "SF"}, None),
    ("broken.xlsx", b"PK\x03\x04garbage", {"carrier": "SF"}, "file"),
    ("bomb.xlsx", "zip-bomb", {"carrier": "SF"}, "file"),
]


def _set(body, dotted, value):
    body = {**body}
    parts = dotted.split(".")
    if len(parts) == 1:
        body[dotted] = value
        return body
    if len(parts) == 2:
        head, field = parts
        body[head] = {**body[head], field: value}
        return body
    head, index, field = parts
    items = [dict(item) for item in body[head]]
    items[int(index)][field] = value
    body[head] = items
    return body


def cases():
    """[(id, method, path, body or None, raw body or None, expected error key)]."""
    out = []
    for method, path, valid, fields in ENDPOINTS:
        for dotted, values in fields.items():
            for n, value in enumerate(values):
                key = dotted.split(".")[0]
                out.append((f"{method} {path} {dotted}#{n}", method, path, _set(valid, dotted, value), None, key))
        if method in ("post", "put", "patch"):
            for n, (raw, key) in enumerate(RAW_BODIES):
                out.append((f"{method} {path} raw#{n}", method, path, None, raw, key))
    return out
