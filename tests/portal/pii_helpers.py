"""A small world with one ticket, one shipment and one installation job of the same store, and a
user per role that matters to the PII rule."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from installation.services import create_job
from logistics.models import Shipment
from logistics.setup import ensure_sample_carrier
from portal.models import Team
from portal.roles import Role
from tests.factories import make_team, make_user
from tests.installation.factories import make_partner, make_partner_user
from tests.tickets.factories import World

NOW = timezone.now()
PHONE, ADDRESS, NAME = "13812345678", "浙江省杭州市西湖区文三路100号", "王小明"


class PiiWorld(World):
    def __init__(self):
        super().__init__()
        self.manager = make_user("mgr", role=Role.MANAGER, team=make_team("Service", kind=Team.Kind.MANAGEMENT))
        board = make_team("Board", kind=Team.Kind.MANAGEMENT)
        self.director = make_user("dir", role=Role.DIRECTOR, team=board)
        self.executive = make_user("exe", role=Role.EXECUTIVE, team=board)
        self.admin = make_user("adm", role=Role.ADMIN, team=make_team("IT", kind=Team.Kind.MANAGEMENT), is_staff=True)
        self.logistics = make_user("log", role=Role.LOGISTICS_COORDINATOR,
                                   team=make_team("Logistics", kind=Team.Kind.LOGISTICS, stores=[self.store]))
        self.installer = make_user("ins", role=Role.INSTALLATION_COORDINATOR,
                                   team=make_team("Installation", kind=Team.Kind.INSTALLATION, stores=[self.store]))
        self.partner = make_partner([self.store], "crew")
        self.partner_user = make_partner_user(self.partner, "crew-api")
        self.root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-test-123")

        self.t = self.ticket(customer_phone=PHONE, customer_address=ADDRESS, now=NOW - timedelta(minutes=5))
        self.other_t = self.ticket(store=self.other_store, queue=self.other_queue, actor=self.other_agent,
                                   customer_phone="13987654321", now=NOW - timedelta(minutes=5))
        self.shipment = Shipment.objects.create(
            store=self.store, carrier=ensure_sample_carrier(), waybill_number="SF-PII-1", order_number="T1001",
            consignee_name=NAME, consignee_phone=PHONE, consignee_address=ADDRESS, created_at=NOW,
        )
        self.job = create_job(store=self.store, actor=self.installer, now=NOW, order_number="T1001",
                              customer_name=NAME, customer_phone=PHONE, address=ADDRESS, partner=self.partner)
