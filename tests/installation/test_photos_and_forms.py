"""Proof photos uploaded on the job page (checked by content, size-limited, private, thumbnailed,
served only to whoever may see the job); one form per next node with only that node's fields;
a ticket transferred to installation is assigned round-robin there and the installer told."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from installation.models import InstallationEvent
from portal.models import Notification
from portal.roles import Role
from tests.installation.factories import make_job, make_partner, make_product
from tests.installation.test_transfer import desk  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def jpeg(name="proof.jpg", size=(1200, 900)):
    out = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def on_site(portal):
    store = portal.stores["clouddry-tmall"]
    return make_job(store, product=make_product(store), partner=make_partner([store]),
                    path=["scheduled", "dispatched", "on_site"])


def complete(client, job, files, **fields):
    data = {"event-completed-node": "completed", "event-completed-note": "done", "event-completed-photos": files,
            **fields}
    return client.post(f"/logistics/installations/{job.pk}/events/", data)


def test_uploaded_photos_complete_the_job_with_private_thumbnails(portal, client, on_site):
    client.force_login(portal["installer"])
    response = complete(client, on_site, [jpeg(), jpeg("b.jpg", (300, 200))])
    assert response.status_code == 302
    on_site.refresh_from_db()
    assert on_site.node == "completed"
    event = InstallationEvent.objects.get(job=on_site, node="completed")
    assert len(event.photo_files) == 2 and event.photos == []
    page = client.get(f"/logistics/installations/{on_site.pk}/").content.decode()
    photo_url = f"/logistics/installations/{on_site.pk}/photos/{event.pk}/0/"
    assert f'src="{photo_url}?size=thumb"' in page and f'href="{photo_url}"' in page

    full = client.get(photo_url)
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    assert Image.open(BytesIO(b"".join(full.streaming_content))).size == (1200, 900)
    thumb = client.get(photo_url + "?size=thumb")
    assert Image.open(BytesIO(b"".join(thumb.streaming_content))).size == (320, 240)
    assert client.get(f"/logistics/installations/{on_site.pk}/photos/{event.pk}/5/").status_code == 404

    client.force_login(portal["agent2"])  # another store's team: not found
    assert client.get(photo_url).status_code == 404
    client.logout()
    assert client.get(photo_url).status_code == 302  # to the login page


def test_a_file_that_is_not_an_image_is_refused_at_the_field(portal, client, on_site):
    client.force_login(portal["installer"])
    fake = SimpleUploadedFile("proof.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = complete(client, on_site, [fake])
    assert response.status_code == 400
    body = response.content.decode()
    assert "proof.jpg: The file is not a JPEG, PNG or WebP image." in body
    assert ">\ndone</textarea>" in body or ">done</textarea>" in body  # the note typed is kept
    on_site.refresh_from_db()
    assert on_site.node == "on_site"
    assert not InstallationEvent.objects.filter(job=on_site, node="completed").exists()


def test_a_photo_above_the_size_limit_is_refused(portal, client, on_site, monkeypatch):
    monkeypatch.setattr("logistics.appointments.MAX_PHOTO_BYTES", 1000)
    client.force_login(portal["installer"])
    response = complete(client, on_site, [jpeg()])
    assert response.status_code == 400 and "larger than" in response.content.decode()


def test_each_next_node_has_its_own_form_with_its_own_fields(portal, client):
    store = portal.stores["clouddry-tmall"]
    job = make_job(store, product=make_product(store), partner=make_partner([store]), path=["scheduled"])
    client.force_login(portal["installer"])
    page = client.get(f"/logistics/installations/{job.pk}/").content.decode()
    forms = {node: page.split(f'data-testid="form-node-{node}"')[1].split("</details>")[0]
             for node in ("dispatched", "rescheduled", "cancelled")}
    assert 'name="event-dispatched-technician"' in forms["dispatched"]
    assert "appointment_start" not in forms["dispatched"] and "photos" not in forms["dispatched"]
    assert 'name="event-rescheduled-appointment_start"' in forms["rescheduled"]
    assert "technician" not in forms["cancelled"] and 'name="event-cancelled-reason"' in forms["cancelled"]
    assert 'name="event-dispatched-time" value="' in forms["dispatched"]  # starts at now
    response = client.post(f"/logistics/installations/{job.pk}/events/", {
        "event-dispatched-node": "dispatched", "event-dispatched-technician": "赵师傅"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.node, job.technician_name) == ("dispatched", "赵师傅")


def test_a_transfer_is_assigned_round_robin_in_installation_and_the_installer_told(desk):  # noqa: F811
    from installation.services import transfer_to_installation
    from portal.models import Team
    from portal.services import add_member
    from tests.factories import make_user

    team = Team.objects.get(name="安装组")
    second = make_user("installer2")
    add_member(user=second, team=team, role=Role.INSTALLATION_COORDINATOR)
    ticket = desk["ticket"]
    transfer_to_installation(ticket, actor=desk["agent"], now=desk["now"])
    ticket.refresh_from_db()
    # Neither was ever assigned in this queue: the tie goes to the lower user id.
    assert ticket.assignee == desk["installer"] and desk["installer"].pk < second.pk
    note = Notification.objects.get(recipient=ticket.assignee, message_key="tickets.assigned")
    assert note.link == f"/tickets/{ticket.pk}/"


def test_round_robin_skips_users_the_queues_guards_refuse(desk):  # noqa: F811
    from installation.services import transfer_to_installation
    from portal import registry
    from portal.models import Team
    from portal.services import add_member
    from tests.factories import make_user

    second = make_user("installer2")
    add_member(user=second, team=Team.objects.get(name="安装组"), role=Role.INSTALLATION_COORDINATOR)
    # The installer would be next (never assigned, lower id), but the guard refuses them.
    refused_id = desk["installer"].pk
    assert refused_id < second.pk

    def guard(queue, user_ids, *, now):
        return {refused_id: "not certified"} if refused_id in user_ids else {}

    registry.register_assignment_guard(guard)
    try:
        ticket = desk["ticket"]
        transfer_to_installation(ticket, actor=desk["agent"], now=desk["now"])
        ticket.refresh_from_db()
        assert ticket.assignee_id == second.pk
    finally:
        registry._ASSIGNMENT_GUARDS.pop(registry._key(guard))
