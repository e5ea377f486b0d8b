"""Who may do what to a pilot (portfolio/rules.py), the access helper of the views, and
the 403 and 404 pages."""

from datetime import date

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from gates.models import Criterion
from portfolio.models import Role, Stage
from portfolio.rules import pilot_for_user
from portfolio.services.lifecycle import decision_defer, decision_record
from portfolio.services.people import user_create
from portfolio.services.pilots import pilot_update
from tests.factories import (
    UserFactory,
    charter_data,
    make_awaiting_pilot,
    make_chartered_pilot,
    reviewer,
)

DAY = date(2026, 3, 2)


@pytest.fixture
def pilots(alice, bob):
    """Alice owns the pilot under test, bob owns another one."""
    mine = make_chartered_pilot(owner=alice, title="Contact-centre assistant")
    make_chartered_pilot(owner=bob, title="Claims triage")
    return mine


def who(request, name: str):
    return request.getfixturevalue(name)


@pytest.mark.parametrize("name, allowed", [("alice", True), ("bob", False), ("charlie", False)])
def test_it_lets_only_the_owner_edit_a_pilot(request, pilots, name, allowed):
    assert rules.has_perm("portfolio.edit_pilot", who(request, name), pilots) is allowed


def test_it_lets_the_delivery_owner_edit_a_pilot(pilots, charlie):
    pilot_update(pilot=pilots, delivery_owner=charlie)

    assert rules.has_perm("portfolio.edit_pilot", charlie, pilots)


@pytest.mark.parametrize(
    "name, allowed", [("alice", True), ("bob", False), ("charlie", False), ("executive", True)]
)
def test_it_lets_the_owner_or_an_executive_decide(request, pilots, name, allowed):
    assert rules.has_perm("portfolio.decide_pilot", who(request, name), pilots) is allowed


def test_it_gives_the_decision_to_the_named_decision_maker(pilots, alice, charlie):
    pilot_update(pilot=pilots, decision_maker=charlie)

    assert rules.has_perm("portfolio.decide_pilot", charlie, pilots)
    assert not rules.has_perm("portfolio.decide_pilot", alice, pilots)


def test_it_gives_no_decision_right_to_a_governance_admin(pilots):
    # given: governance admins are superusers, for the admin site
    admin = user_create(email="lena@example.com", name="Lena Admin", role=Role.ADMIN)

    # then: Django's superuser shortcut would let them through; the rule does not
    assert admin.has_perm("portfolio.decide_pilot", pilots)
    assert not rules.has_perm("portfolio.decide_pilot", admin, pilots)


def test_it_applies_the_same_rule_in_the_decision_service(pilots, bob, charlie):
    # given: charlie is the named decision maker of bob's pilot, which awaits a decision
    pilot = make_awaiting_pilot(owner=bob, entered_on=DAY, title="Invoice reader")
    pilot_update(pilot=pilot, decision_maker=charlie)

    # when / then: bob owns it, yet only charlie decides
    with pytest.raises(PermissionDenied):
        decision_defer(pilot=pilot, by=bob, reason="Next meeting")
    decision_record(pilot=pilot, outcome="stop", by=charlie, rationale="Not viable")
    pilot.refresh_from_db()
    assert pilot.stage == Stage.STOPPED


@pytest.mark.parametrize("name, allowed", [("bob", True), ("alice", False), ("charlie", False)])
def test_it_lets_only_the_named_risk_owner_approve_the_risk(request, pilots, bob, name, allowed):
    pilot_update(pilot=pilots, risk_owner=bob)

    assert rules.has_perm("portfolio.approve_risk", who(request, name), pilots) is allowed


def test_it_lets_nobody_approve_the_risk_when_no_risk_owner_is_named(pilots, alice):
    assert not rules.has_perm("portfolio.approve_risk", alice, pilots)
    assert not rules.has_perm("portfolio.approve_risk", AnonymousUser(), pilots)


def test_it_lets_a_reviewer_review_only_the_criteria_of_their_function(db, alice):
    # given
    privacy = Criterion.objects.get(text="Data privacy compliance")  # legal
    security = Criterion.objects.get(text="Security clearance")
    baseline = Criterion.objects.get(text="Baseline measured before the pilot")  # no function
    legal = reviewer("legal")
    # an owner from the legal function is no stakeholder reviewer
    lawyer = UserFactory(email="owner.legal@example.com", role=Role.OWNER, function="legal")

    # then
    assert rules.has_perm("gates.review_criterion", legal, privacy)
    assert not rules.has_perm("gates.review_criterion", legal, security)
    assert not rules.has_perm("gates.review_criterion", legal, baseline)
    assert not rules.has_perm("gates.review_criterion", lawyer, privacy)
    assert not rules.has_perm("gates.review_criterion", alice, privacy)


def test_it_refuses_everything_to_an_anonymous_user(pilots):
    anonymous = AnonymousUser()

    for perm in ["portfolio.view_pilot", "portfolio.edit_pilot", "portfolio.decide_pilot"]:
        assert not rules.has_perm(perm, anonymous, pilots)


def test_it_refuses_a_deactivated_owner(pilots, alice):
    alice.is_active = False

    assert not rules.has_perm("portfolio.edit_pilot", alice, pilots)


# The access helper every view uses


def test_it_gives_the_pilot_to_anyone_signed_in_for_reading(pilots, charlie):
    assert pilot_for_user(charlie, pilots.id) == pilots


@pytest.mark.parametrize("name", ["alice", "bob", "charlie"])
def test_it_gives_the_pilot_for_editing_to_its_owner_only(request, pilots, name):
    user = who(request, name)

    if name == "alice":
        assert pilot_for_user(user, pilots.id, perm="portfolio.edit_pilot")
    else:
        with pytest.raises(PermissionDenied) as error:
            pilot_for_user(user, pilots.id, perm="portfolio.edit_pilot")
        assert str(error.value) == (
            "You tried to change this pilot (Contact-centre assistant). Only the pilot's "
            "deployment owner or delivery owner edits its charter, parts and evidence (an "
            "executive too while it has no deployment owner)."
        )


def test_it_answers_404_for_a_pilot_that_does_not_exist(pilots, alice):
    with pytest.raises(Http404):
        pilot_for_user(alice, pilots.id + 1000, perm="portfolio.edit_pilot")


def test_it_refuses_an_anonymous_reader(pilots):
    with pytest.raises(PermissionDenied):
        pilot_for_user(AnonymousUser(), pilots.id)


# The 403 and 404 pages, through the whole stack (the page that edits the charter).


@pytest.mark.parametrize("name, status", [("alice", 200), ("bob", 403), ("charlie", 403)])
def test_it_opens_the_editing_page_to_the_owner_only(request, client, pilots, name, status):
    client.force_login(who(request, name))

    response = client.get(reverse("charter_edit", args=[pilots.id]))

    assert response.status_code == status


def test_it_explains_a_refusal_on_a_clear_403_page(client, pilots, bob):
    # given
    client.force_login(bob)

    # when: bob tries to change alice's pilot
    response = client.post(
        reverse("charter_edit", args=[pilots.id]), charter_data(pilots, summary="Mine")
    )

    # then: a page that says what and why, with a way back; nothing written
    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403.html"
    content = response.content.decode()
    assert "You are not allowed to do this" in content
    assert "You tried to change this pilot (Contact-centre assistant)." in content
    assert "Only the pilot&#x27;s deployment owner or delivery owner edits" in content
    assert reverse("dashboard") in content and reverse("my_work") in content
    assert "Traceback" not in content
    pilots.refresh_from_db()
    assert pilots.summary == ""


def test_it_sends_an_anonymous_visitor_to_sign_in_rather_than_refusing(client, pilots):
    response = client.get(reverse("charter_edit", args=[pilots.id]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_shows_a_friendly_404_page_for_a_pilot_that_does_not_exist(client, pilots, charlie):
    client.force_login(charlie)

    response = client.get(reverse("pilot_detail", args=[pilots.id + 1000]))

    assert response.status_code == 404
    content = response.content.decode()
    assert "There is nothing here" in content
    assert reverse("dashboard") in content
    assert "Traceback" not in content


def test_it_shows_the_404_page_for_an_unknown_address(client, charlie):
    client.force_login(charlie)

    response = client.get("/pilots/not-a-number/<b>")

    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()
    assert "<b>" not in response.content.decode()
