"""The hotline's opening mode in the admin, named in the reader's language."""

import pytest
from django.test import Client
from django.utils.html import escape

from hotline.models import HotlineMode
from ondijon import roles

pytestmark = pytest.mark.django_db


def test_the_opening_mode_lists_and_opens_in_the_admin(make_user):
    mode = HotlineMode.objects.create(round_the_clock=False)
    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR))
    assert client.get("/admin/hotline/hotlinemode/").status_code == 200
    page = client.get(f"/admin/hotline/hotlinemode/{mode.pk}/change/")
    assert page.status_code == 200
    assert escape(str(mode)) in page.content.decode()
