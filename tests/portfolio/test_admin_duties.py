"""The administration's pilot form keeps the separation of duties of the pages."""

import pytest
from django.contrib.admin.sites import site
from django.forms.models import model_to_dict
from django.test import RequestFactory

from portfolio.models import Pilot, Role, Stage
from tests.factories import UserFactory, make_chartered_pilot


@pytest.fixture
def governance_admin(db):
    return UserFactory(email="gov@example.com", role=Role.ADMIN, is_staff=True, is_superuser=True)


def admin_form(user, pilot: Pilot, **changes):
    """The admin's change form for `pilot` as `user` posts it, with `changes`."""
    request = RequestFactory().post("/")
    request.user = user
    model_admin = site._registry[Pilot]
    form_class = model_admin.get_form(request, pilot, change=True)
    data = {
        name: value for name, value in model_to_dict(pilot).items() if value is not None
    } | changes
    return form_class(data, instance=Pilot.objects.get(pk=pilot.pk))


def test_it_refuses_the_owner_as_risk_owner_in_the_admin(governance_admin, alice):
    pilot = make_chartered_pilot(owner=alice)

    form = admin_form(governance_admin, pilot, risk_owner=alice.id)

    assert not form.is_valid()
    assert "Nobody is risk owner of a pilot they own or deliver" in form.errors["risk_owner"][0]


def test_it_lets_a_governance_admin_name_the_risk_owner(governance_admin, alice, charlie):
    pilot = make_chartered_pilot(owner=alice)
    form = admin_form(governance_admin, pilot, risk_owner=charlie.id)
    assert form.is_valid(), form.errors

    site._registry[Pilot].save_model(_request(governance_admin), pilot, form, change=True)

    assert Pilot.objects.get(pk=pilot.pk).risk_owner == charlie


def test_it_refuses_a_governance_admin_lowering_a_started_pilot_s_tier(governance_admin, alice):
    pilot = make_chartered_pilot(owner=alice, risk_tier="high")
    Pilot.objects.filter(pk=pilot.pk).update(stage=Stage.PILOTING)

    form = admin_form(governance_admin, Pilot.objects.get(pk=pilot.pk), risk_tier="low", reason="x")

    assert not form.is_valid()
    assert "risk owner's or an executive's act" in form.errors["risk_tier"][0]


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request
