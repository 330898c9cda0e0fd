"""Routing rules: ordered keyword/regex rules on the buyer's text, store and order presence."""

import pytest
from django.core.exceptions import ValidationError

from tickets import routing
from tickets.demo import _configuration
from tickets.models import RoutingRule


def route(world, text, store=None, has_order=True):
    return routing.route(store=store or world.store, text=text, has_order=has_order)


def test_default_queue_per_store_when_nothing_matches(world):
    r = route(world, "你好")
    assert (r.queue, r.category, r.priority, r.is_major, r.rule_id) == (world.queue, "other", "normal", False, None)
    assert route(world, "你好", store=world.other_store).queue == world.other_queue


def test_first_matching_rule_wins(world):
    RoutingRule.objects.create(order=20, name="refund", pattern="退款, refund", queue=world.refund_queue,
                               category="refund")
    major = RoutingRule.objects.create(order=10, name="threat", pattern="投诉 12315", category="dispute",
                                       priority="urgent", is_major=True)
    r = route(world, "我要退款，不然打12315投诉")
    assert (r.category, r.priority, r.is_major, r.rule_id, r.queue) == ("dispute", "urgent", True, major.pk, world.queue)
    r = route(world, "I want a REFUND")
    assert (r.queue, r.category) == (world.refund_queue, "refund")


def test_regex_store_and_order_conditions(world):
    RoutingRule.objects.create(order=1, name="swift battery", store=world.other_store, pattern=r"电池.*(充不进|鼓包)",
                               is_regex=True, category="product", priority="high")
    RoutingRule.objects.create(order=2, name="no order", pattern="", requires_order=False, category="other",
                               priority="low")
    assert route(world, "电池充不进电", store=world.other_store).priority == "high"
    assert route(world, "电池充不进电", store=world.store).priority == "normal"
    assert route(world, "电池好像鼓包了", store=world.other_store).category == "product"
    assert route(world, "咨询一下", has_order=False).priority == "low"
    assert route(world, "咨询一下", has_order=True).priority == "normal"


def test_inactive_rules_are_ignored(world):
    RoutingRule.objects.create(order=1, name="off", pattern="快递", category="logistics", is_active=False)
    assert route(world, "快递").category == "other"


def test_bad_regex_is_refused():
    with pytest.raises(ValidationError):
        RoutingRule(name="bad", pattern="(unclosed", is_regex=True).full_clean()


@pytest.mark.parametrize(
    ("text", "category", "refund_desk"),
    [
        ("快递三天了还没到", "logistics", False),
        ("物流一直不更新", "logistics", False),
        ("什么时候配送", "logistics", False),
        ("还没发货吗", "logistics", False),
        ("显示签收了但我没收到", "logistics", False),
        ("需要安装吗", "installation", False),
        ("师傅什么时候上门", "installation", False),
        ("我要退款", "refund", True),
        ("申请退货", "refund", True),
        ("退钱", "refund", True),
        ("想换货", "refund", True),
        ("where is my courier delivery", "logistics", False),
        ("再不处理我就投诉到12315", "dispute", False),
    ],
)
def test_demo_seed_rules(demo, text, category, refund_desk):
    from portal.models import Store

    _configuration()
    result = routing.route(store=Store.objects.get(code="clouddry-tmall"), text=text, has_order=True)
    assert result.category == category
    assert (result.queue.team.kind == "refund_desk") is refund_desk
