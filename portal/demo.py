"""Demo data: two stores, the org chart, one user per role. Idempotent (keyed by natural keys)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.integrations import Kind
from portal.models import IntegrationClient, ProductLine, Profile, Store, Team
from portal.roles import Role, ensure_roles
from portal.services import add_member

DEMO_PASSWORD = "demo-pass-2026"

STORES = [
    ("clouddry-tmall", "云晾智能晾衣架天猫旗舰店", Store.Marketplace.TMALL, "云晾 CloudDry"),
    ("swiftride-tmall", "速骑电动车天猫旗舰店", Store.Marketplace.TMALL, "速骑 SwiftRide"),
]

# (code, Chinese name, English name): the product lines the demo brands sell.
PRODUCT_LINES = [
    ("drying_rack", "智能晾衣架", "Drying racks"),
    ("e_bike", "电动自行车", "E-bikes"),
    ("accessory", "配件", "Accessories"),
]

# (name, kind, parent name, store codes)
TEAMS = [
    ("董事会", Team.Kind.MANAGEMENT, None, []),
    ("客户服务中心", Team.Kind.MANAGEMENT, "董事会", []),
    ("客服部", Team.Kind.MANAGEMENT, "客户服务中心", []),
    ("晾衣架客服组", Team.Kind.CUSTOMER_SERVICE, "客服部", ["clouddry-tmall"]),
    ("电动车客服组", Team.Kind.CUSTOMER_SERVICE, "客服部", ["swiftride-tmall"]),
    ("退款组", Team.Kind.REFUND_DESK, "客户服务中心", ["clouddry-tmall", "swiftride-tmall"]),
    ("物流组", Team.Kind.LOGISTICS, "客户服务中心", ["clouddry-tmall", "swiftride-tmall"]),
    ("安装组", Team.Kind.INSTALLATION, "客户服务中心", ["clouddry-tmall", "swiftride-tmall"]),
    ("培训组", Team.Kind.TRAINING, "客户服务中心", ["clouddry-tmall", "swiftride-tmall"]),
]

# (username, full name, role, team, phone)
USERS = [
    ("agent", "张晓 Zhang Xiao", Role.AGENT, "晾衣架客服组", "13800000001"),
    ("agent2", "李娜 Li Na", Role.AGENT, "电动车客服组", "13800000002"),
    ("lead", "王强 Wang Qiang", Role.TEAM_LEAD, "晾衣架客服组", "13800000003"),
    ("manager", "赵敏 Zhao Min", Role.MANAGER, "客服部", "13800000004"),
    ("director", "孙伟 Sun Wei", Role.DIRECTOR, "客户服务中心", "13800000005"),
    ("chairman", "周总 Zhou", Role.EXECUTIVE, "董事会", "13800000006"),
    ("refund", "吴静 Wu Jing", Role.REFUND_SPECIALIST, "退款组", "13800000007"),
    ("logistics", "郑涛 Zheng Tao", Role.LOGISTICS_COORDINATOR, "物流组", "13800000008"),
    ("installer", "冯磊 Feng Lei", Role.INSTALLATION_COORDINATOR, "安装组", "13800000009"),
    ("trainer", "陈芳 Chen Fang", Role.TRAINER, "培训组", "13800000010"),
    ("integration", "Marketplace integration", Role.INTEGRATION, "客户服务中心", ""),
    ("carrier-feed", "Carrier tracking feed", Role.INTEGRATION, "客户服务中心", ""),
    ("admin", "Portal admin", Role.ADMIN, "客户服务中心", "13800000000"),
]

# (username, client name, kinds)
INTEGRATION_CLIENTS = [
    ("integration", "Tmall marketplace", [Kind.MARKETPLACE_CHAT, Kind.MARKETPLACE_REFUNDS, Kind.OFFICIAL_SCORES]),
    ("carrier-feed", "Carrier tracking feed", [Kind.CARRIER_FEED]),
]


@transaction.atomic
def load_portal_demo():
    """Stores, teams, users with their roles. Returns the list of (username, role) created or kept."""
    ensure_roles()
    stores = {}
    for code, name, marketplace, brand in STORES:
        stores[code], _ = Store.objects.update_or_create(
            code=code, defaults={"name": name, "marketplace": marketplace, "brand": brand}
        )
    for code, name_zh, name_en in PRODUCT_LINES:
        ProductLine.objects.update_or_create(code=code, defaults={"name_zh": name_zh, "name_en": name_en})
    teams = {}
    for name, kind, parent, store_codes in TEAMS:
        teams[name], _ = Team.objects.update_or_create(
            name=name, defaults={"kind": kind, "parent": teams.get(parent) if parent else None}
        )
        teams[name].stores.set([stores[code] for code in store_codes])
    User = get_user_model()
    logins = []
    for username, full_name, role, team, phone in USERS:
        first, _, last = full_name.partition(" ")
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        user.save()
        Profile.objects.update_or_create(user=user, defaults={"phone": phone})
        add_member(user=user, team=teams[team], role=role)
        logins.append((username, role))
    # The API-only accounts (portal.integrations): the marketplace sends chats, refunds and official
    # scores, the carrier feed tracking events and report files, both for both stores.
    for username, name, kinds in INTEGRATION_CLIENTS:
        client, _ = IntegrationClient.objects.update_or_create(
            user=User.objects.get(username=username), defaults={"name": name, "kinds": kinds})
        client.stores.set(stores.values())
    return logins
