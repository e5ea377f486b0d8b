"""Separation of duties on the pilot page: the charter form's people and risk tier,
with and without htmx, and the stage panel's void risk approval."""

from datetime import date

import pytest
from django.urls import reverse

from portfolio.models import Pilot, Role, Stage
from portfolio.services.lifecycle import risk_approval_record
from portfolio.services.pilots import pilot_update
from tests.conftest import HTMX, signed_in
from tests.factories import UserFactory, charter_data, make_awaiting_pilot, make_chartered_pilot

OWNERS_MAY_NOT = "the pilot&#x27;s deployment and delivery owners do not."


@pytest.fixture
def sponsor(db):
    return UserFactory(email="sam@example.com", name="Sam Sponsor", role=Role.OWNER)


@pytest.fixture
def pilot(alice, sponsor):
    """Alice's started pilot, sponsored by sam."""
    pilot = make_chartered_pilot(owner=alice, sponsor=sponsor)
    Pilot.objects.filter(pk=pilot.pk).update(stage=Stage.PILOTING)
    return Pilot.objects.get(pk=pilot.pk)


def post_charter(user, pilot, *, htmx=False, **changes):
    return signed_in(user).post(
        reverse("charter_edit", args=[pilot.id]),
        charter_data(pilot, **changes),
        **(HTMX if htmx else {}),
    )


@pytest.mark.parametrize("htmx", [False, True])
def test_it_refuses_an_owner_naming_herself_risk_owner(alice, pilot, htmx):
    # when: alice, the deployment owner, posts herself as risk owner
    response = post_charter(alice, pilot, htmx=htmx, risk_owner=alice.id, summary="Mine")

    # then: refused on the field, saying who may; nothing written
    text = response.content.decode()
    assert response.status_code == (200 if htmx else 400)  # htmx swaps only a 200
    assert "Only an executive, a governance admin or the pilot&#x27;s sponsor changes the " in text
    assert "risk owner; " + OWNERS_MAY_NOT in text
    saved = Pilot.objects.get(pk=pilot.pk)
    assert (saved.risk_owner, saved.summary) == (None, "")


@pytest.mark.parametrize("htmx", [False, True])
def test_it_refuses_an_owner_changing_the_decision_maker(alice, bob, pilot, htmx):
    response = post_charter(alice, pilot, htmx=htmx, decision_maker=bob.id)

    assert response.status_code == (200 if htmx else 400)
    assert "decision maker; " + OWNERS_MAY_NOT in response.content.decode()
    assert Pilot.objects.get(pk=pilot.pk).decision_maker is None


def test_it_shows_the_people_and_tier_disabled_to_an_owner(alice, pilot):
    page = signed_in(alice).get(reverse("charter_edit", args=[pilot.id]), **HTMX)

    text = page.content.decode()
    for name in ["decision_maker", "risk_owner", "deployment_owner", "sponsor", "risk_tier"]:
        assert f'<select name="charter-{name}" disabled' in text
    assert '<input type="text" name="charter-title" value' in text


def test_it_lets_an_owner_save_the_charter_with_the_people_left_as_they_are(alice, pilot):
    response = post_charter(alice, pilot, summary="Drafts replies")

    assert response.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).summary == "Drafts replies"


def test_it_lets_the_sponsor_name_the_decision_maker_but_not_rename_the_pilot(
    sponsor, charlie, pilot
):
    response = post_charter(sponsor, pilot, decision_maker=charlie.id)
    assert response.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).decision_maker == charlie

    response = post_charter(sponsor, pilot, title="Renamed")
    assert response.status_code == 400
    assert Pilot.objects.get(pk=pilot.pk).title == "Contact-centre assistant"


def test_it_refuses_the_charter_to_an_outsider(charlie, pilot):
    response = post_charter(charlie, pilot, decision_maker=charlie.id)

    assert response.status_code == 403
    assert Pilot.objects.get(pk=pilot.pk).decision_maker is None


def test_it_refuses_the_decision_maker_as_risk_owner_of_a_high_risk_pilot(
    executive, charlie, pilot
):
    pilot_update(pilot=pilot, by=executive, risk_tier="high")

    response = post_charter(executive, pilot, decision_maker=charlie.id, risk_owner=charlie.id)

    assert response.status_code == 400
    assert "a different person from the decision maker and both owners" in (
        response.content.decode()
    )
    assert Pilot.objects.get(pk=pilot.pk).risk_owner is None


def test_it_refuses_an_owner_lowering_the_tier(alice, executive, pilot):
    pilot_update(pilot=pilot, by=executive, risk_tier="high")

    response = post_charter(alice, pilot, risk_tier="low", reason="Not so risky")

    assert response.status_code == 400
    assert Pilot.objects.get(pk=pilot.pk).risk_tier == "high"


def test_it_lowers_the_tier_by_an_executive_only_with_a_reason(executive, pilot):
    pilot_update(pilot=pilot, by=executive, risk_tier="high")
    pilot = Pilot.objects.get(pk=pilot.pk)

    # without a reason: refused on the reason
    response = post_charter(executive, pilot, risk_tier="low")
    assert response.status_code == 400
    assert "Lowering the risk tier of a started pilot needs a reason." in response.content.decode()
    assert Pilot.objects.get(pk=pilot.pk).risk_tier == "high"

    # with one: saved, and the reason is on the pilot's timeline
    client = signed_in(executive)
    response = client.post(
        reverse("charter_edit", args=[pilot.id]),
        charter_data(pilot, risk_tier="low", reason="Only public data in the end"),
    )
    assert response.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).risk_tier == "low"
    assert "Only public data in the end" in client.get(response.url).content.decode()


def test_it_lets_an_executive_edit_a_pilot_without_an_owner(executive, pilot):
    pilot_update(pilot=pilot, by=executive, deployment_owner=None)
    pilot = Pilot.objects.get(pk=pilot.pk)
    client = signed_in(executive)

    page = client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()
    response = post_charter(executive, pilot, summary="Kept up to date")

    assert '<strong class="no-owner">No owner</strong>' in page
    assert reverse("charter_edit", args=[pilot.id]) in page
    assert response.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).summary == "Kept up to date"


def test_it_shows_a_risk_approval_void_since_the_tier_changed(alice, charlie, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 3, 2), risk_tier="high")
    pilot_update(pilot=pilot, by=executive, risk_owner=charlie)
    risk_approval_record(pilot=Pilot.objects.get(pk=pilot.pk), by=charlie)
    page = signed_in(alice).get(reverse("pilot_detail", args=[pilot.id])).content.decode()
    assert "Risk approved on" in page and "void since" not in page

    pilot_update(pilot=pilot, by=executive, risk_tier="medium", reason="Internal data only")

    page = signed_in(alice).get(reverse("pilot_detail", args=[pilot.id])).content.decode()
    assert "risk approval void since the risk tier changed" in page
