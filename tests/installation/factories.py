"""Helpers for the installation tests: products, partners, partner users, jobs moved to a node."""

import itertools
from datetime import timedelta

from installation.models import InstallationPartner, Product
from installation.services import create_job, record_event
from portal.integrations import Kind
from portal.models import Team
from portal.roles import Role
from tests.factories import make_integration, make_team, make_user
from tests.logistics.factories import REPORT_TIME

_seq = itertools.count(1)
NOW = REPORT_TIME


def make_product(store, sku="RACK-X1", *, needs_installation=True, booking=48, completion=24):
    return Product.objects.create(store=store, sku=sku, name=f"Drying rack {sku}",
                                  needs_installation=needs_installation, booking_sla_hours=booking,
                                  completion_sla_hours=completion)


def make_partner(stores, code=None, *, users=()):
    n = next(_seq)
    partner = InstallationPartner.objects.create(code=code or f"partner-{n}", name=f"Partner {n}")
    partner.stores.set(stores)
    partner.users.set(users)
    return partner


def make_partner_user(partner, username=None):
    user = make_integration(username, kinds=[Kind.INSTALLATION_PARTNER], stores=partner.stores.all())
    partner.users.add(user)
    return user


def make_installation_coordinator(stores, username=None):
    team = make_team(f"Installation {next(_seq)}", kind=Team.Kind.INSTALLATION, stores=stores)
    return make_user(username, role=Role.INSTALLATION_COORDINATOR, team=team)


WINDOW = (NOW + timedelta(hours=20), NOW + timedelta(hours=22))

# The details each node needs, for moving a job along in tests.
DETAILS = {
    "scheduled": {"appointment_start": WINDOW[0], "appointment_end": WINDOW[1]},
    "rescheduled": {"appointment_start": WINDOW[0] + timedelta(days=1),
                    "appointment_end": WINDOW[1] + timedelta(days=1)},
    "dispatched": {"technician_name": "师傅 王"},
    "on_site": {},
    "completed": {"photos": ["https://img.example.com/1.jpg"], "customer_confirmed": True},
    "failed": {"reason": "wall not suitable"},
    "cancelled": {"reason": "customer cancelled"},
}


def make_job(store, *, product=None, partner=None, order="T1", actor=None, now=NOW, path=(), step=timedelta(hours=1)):
    """A job requested at `now`, then moved through `path` one hour apart."""
    job = create_job(store=store, actor=actor, now=now, product=product, order_number=order, partner=partner,
                     customer_name="刘洋", customer_phone="13711112222", address="上海市浦东新区张江路 1 号")
    at = now
    for node in path:
        at = at + step
        record_event(job, node=node, actor=actor, now=at, **DETAILS[node])
    return job


def load_demo_world(settings, tmp_path, *, now):
    """The portal, logistics and installation demo data at `now`, with uploaded files (photos,
    evidence) going to private and public folders under `tmp_path` (the browser tests' world)."""
    from installation.demo import load_demo as load_installation_demo
    from logistics.demo import load_demo as load_logistics_demo
    from portal.demo import load_portal_demo

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    load_portal_demo()
    load_logistics_demo(now=now)
    load_installation_demo(now=now)
