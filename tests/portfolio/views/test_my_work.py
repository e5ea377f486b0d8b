"""My work: what waits for a person, their pilots with what blocks each, the landing
page and the header's count."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gates.models import Criterion
from gates.services import evidence_review, evidence_submit, signoff_record
from portfolio.selectors.my_work import my_pilots
from portfolio.selectors.work_queue import my_work_count
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from portfolio.services.parts import condition_add
from portfolio.services.pilots import pilot_update
from tests.factories import (
    UserFactory,
    gate_meet,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    reviewer,
)

AS_OF = date(2026, 6, 1)


def titles(rows) -> list[str]:
    return [row.pilot.title for row in rows]


def row_of(rows, title: str):
    return next(row for row in rows if row.pilot.title == title)


@pytest.fixture
def portfolio(alice, bob, charlie):
    """Alice's pilots in each of her roles, and bob's own pilot."""
    owned = make_chartered_pilot(owner=alice, title="Owned")
    delivered = make_chartered_pilot(owner=bob, title="Delivered", delivery_owner=alice)
    decided = make_chartered_pilot(owner=bob, title="Decided", decision_maker=alice)
    risk = make_chartered_pilot(owner=bob, title="Risk", risk_owner=alice)
    bobs = make_chartered_pilot(owner=bob, title="Bob's own", sponsor=alice)
    return {"owned": owned, "delivered": delivered, "decided": decided, "risk": risk, "bobs": bobs}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("alice", ["Decided", "Delivered", "Owned", "Risk"]),
        ("bob", ["Bob's own", "Decided", "Delivered", "Risk"]),
        ("charlie", []),
    ],
)
def test_it_lists_the_pilots_a_user_owns_delivers_decides_or_holds_the_risk_of(
    request, portfolio, name, expected
):
    rows = my_pilots(user=request.getfixturevalue(name), as_of=AS_OF)

    assert titles(rows) == expected


def test_it_says_what_the_user_is_to_each_pilot(portfolio, alice, bob):
    pilot_update(pilot=portfolio["owned"], delivery_owner=alice)

    rows = my_pilots(user=alice, as_of=AS_OF)

    assert row_of(rows, "Owned").roles == ("Deployment owner", "Delivery owner")
    assert row_of(rows, "Decided").roles == ("Decision maker",)
    assert row_of(rows, "Risk").roles == ("Risk owner",)
    assert row_of(my_pilots(user=bob, as_of=AS_OF), "Decided").roles == ("Deployment owner",)


def test_it_lists_for_a_reviewer_the_pilots_waiting_for_their_function(alice, bob):
    # given: evidence on a legal criterion of alice's pilot, and on a security one of bob's
    legal = reviewer("legal")
    privacy = Criterion.objects.get(text="Data privacy compliance")
    security = Criterion.objects.get(text="Security clearance")
    alices = make_chartered_pilot(owner=alice, title="Alice's")
    bobs = make_chartered_pilot(owner=bob, title="Bob's")
    evidence = evidence_submit(pilot=alices, criterion=privacy, by=alice, text="DPIA")
    evidence_submit(pilot=bobs, criterion=security, by=bob, text="Pen test")

    # then: awaiting review, then sign-off, then nothing once signed off
    assert [(r.pilot.title, r.roles) for r in my_pilots(user=legal, as_of=AS_OF)] == [
        ("Alice's", ("Legal review",))
    ]
    evidence_review(evidence=evidence, by=legal, accept=True)
    assert [(r.pilot.title, r.roles) for r in my_pilots(user=legal, as_of=AS_OF)] == [
        ("Alice's", ("Legal sign-off",))
    ]
    signoff_record(pilot=alices, criterion=privacy, by=legal, verdict="signed_off")
    assert my_pilots(user=legal, as_of=AS_OF) == []


def test_it_leaves_out_of_a_reviewers_list_the_closed_pilots(alice, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=AS_OF)
    criterion = Criterion.objects.get(text="Data privacy compliance")
    evidence_submit(pilot=pilot, criterion=criterion, by=alice, text="DPIA")
    decision_record(pilot=pilot, outcome="stop", by=executive, rationale="No value")

    assert my_pilots(user=reviewer("legal"), as_of=AS_OF) == []


def test_it_says_what_blocks_each_pilot(alice, executive):
    # given
    make_pilot(title="Idea", deployment_owner=alice)
    chartered = make_chartered_pilot(owner=alice, title="Chartered", risk_tier="low")
    gate_meet(pilot=chartered, key="ownership", by=alice)
    ready = make_awaiting_pilot(owner=alice, entered_on=AS_OF, title="Ready", risk_tier="low")
    for key in ["ownership", "integration", "value"]:
        gate_meet(pilot=ready, key=key, by=alice)
    stopped = make_awaiting_pilot(owner=alice, entered_on=AS_OF, title="Stopped")
    decision_record(pilot=stopped, outcome="stop", by=executive, rationale="No value")

    # when
    rows = my_pilots(user=alice, as_of=AS_OF)

    # then
    assert {row.pilot.title: row.blocker for row in rows} == {
        "Idea": "charter: no success metric, no path to production",
        "Chartered": "gate Workflow integration: 0 of 4 required criteria met",
        "Ready": "decision due",
        "Stopped": "",
    }


def test_it_says_when_an_objection_blocks_a_gate(alice):
    pilot = make_chartered_pilot(owner=alice)
    signoff_record(
        pilot=pilot,
        criterion=Criterion.objects.get(
            text="A named deployment owner is accountable for "
            "process outcomes and adoption after launch"
        ),
        by=reviewer("business"),
        verdict="objected",
        comment="Nobody agreed",
    )

    [row] = my_pilots(user=alice, as_of=AS_OF)

    assert row.blocker == (
        "gate Business ownership: 0 of 2 required criteria met, an objection is open"
    )


def test_it_puts_stalled_and_drifting_pilots_first_with_their_days_in_stage(alice):
    # given
    make_chartered_pilot(owner=alice, title="A fresh one", stage_entered_on=AS_OF)
    make_awaiting_pilot(owner=alice, entered_on=AS_OF - timedelta(days=100), title="Z stalled")

    # when
    rows = my_pilots(user=alice, as_of=AS_OF)

    # then
    assert titles(rows) == ["Z stalled", "A fresh one"]
    assert (rows[0].pilot.is_stalled, rows[0].days_in_stage) == (True, 100)
    assert (rows[1].pilot.is_stalled, rows[1].days_in_stage) == (False, 0)


def queries_for(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        my_pilots(user=user, as_of=AS_OF)
    return len(queries)


def test_it_reads_the_pilots_in_a_fixed_number_of_queries(alice, bob):
    # given: alice has 2 pilots, bob 12; both review nothing
    for n in range(2):
        make_chartered_pilot(owner=alice, title=f"Alice {n}")
    for n in range(12):
        make_chartered_pilot(owner=bob, title=f"Bob {n}")

    # then
    assert queries_for(alice) == queries_for(bob) == 2


def test_it_reads_a_reviewers_pilots_in_a_fixed_number_of_queries(alice):
    legal = reviewer("legal")
    privacy = Criterion.objects.get(text="Data privacy compliance")
    pilot = make_chartered_pilot(owner=alice, title="First")
    evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")
    one = queries_for(legal)
    for n in range(11):
        pilot = make_chartered_pilot(owner=alice, title=f"Pilot {n}")
        evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")

    assert len(my_pilots(user=legal, as_of=AS_OF)) == 12
    assert queries_for(legal) == one


# The page


def test_it_shows_the_page_from_the_navigation(client, portfolio, alice):
    # given
    client.force_login(alice)
    pilot_update(pilot=portfolio["owned"], summary="x")

    # when
    response = client.get(reverse("my_work"))

    # then
    content = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("my_work")}"' in content
    for title in ["Owned", "Delivered", "Decided", "Risk"]:
        assert title in content
    assert "Bob&#x27;s own" not in content
    assert "gate Business ownership: 0 of 2 required criteria met" in content


def test_it_shows_the_stall_badges(client, alice):
    make_awaiting_pilot(
        owner=alice, entered_on=timezone.localdate() - timedelta(days=100), title="Stuck"
    )
    client.force_login(alice)

    response = client.get(reverse("my_work"))

    assert '<span class="badge badge-stalled">Stalled</span>' in response.content.decode()


def test_it_says_when_no_pilot_names_the_user(client, portfolio, charlie):
    client.force_login(charlie)

    response = client.get(reverse("my_work"))

    assert "No pilot names you yet" in response.content.decode()


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("my_work"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# My work's items, the landing page and the header's count


def test_it_groups_the_work_and_links_each_item_to_its_criterion(client, alice):
    # given: a piloting pilot of alice's, evidence to add on every criterion
    pilot = make_chartered_pilot(owner=alice, title="Assistant", risk_tier="low")
    pilot_stage_move(pilot=pilot, to_stage="piloting", by=alice)
    first = Criterion.objects.select_related("gate").filter(applies_to_low=True).first()
    client.force_login(alice)

    # when
    content = client.get(reverse("my_work")).content.decode()

    # then
    assert '<h2 id="work-evidence_add-title">Evidence to add' in content
    link = f"/pilots/{pilot.id}/?open={first.gate.key}#criterion-{first.id}"
    assert '<li class="work-pilot"><strong>Assistant</strong>' in content
    assert f'<a href="{link}" aria-label="Assistant: {first.text}">{first.text}</a>' in content


def test_it_says_when_nothing_waits(client, charlie):
    client.force_login(charlie)

    content = client.get(reverse("my_work")).content.decode()

    assert "Nothing waits for you today." in content
    assert '<span class="count" aria-label="0 things waiting for you">0</span>' in content


@pytest.mark.parametrize("role, lands_on", [("owner", "/my/"), ("reviewer", "/my/")])
def test_owners_and_reviewers_land_on_my_work(client, db, role, lands_on):
    user = UserFactory(email=f"{role}@example.com", role=role, function="legal")
    client.force_login(user)

    response = client.get("/")

    assert (response.status_code, response.url) == (302, lands_on)


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_executives_and_admins_land_on_the_dashboard(client, db, role):
    client.force_login(UserFactory(email=f"{role}@example.com", role=role))

    response = client.get("/")

    assert response.status_code == 200
    assert "pilots in the portfolio" in response.content.decode()


def test_it_lands_on_the_landing_page_after_signing_in(client, alice):
    response = client.post(
        reverse("login"), {"username": alice.email, "password": "correct horse battery"}
    )

    assert response.url == "/"
    assert client.get(response.url).url == reverse("my_work")


def test_the_old_address_leads_to_my_work(client, alice):
    client.force_login(alice)

    response = client.get("/my/pilots/")

    assert (response.status_code, response.url) == (301, reverse("my_work"))


def test_the_header_counts_the_work_on_every_page(client, alice):
    make_awaiting_pilot(owner=alice, entered_on=AS_OF, title="Decide me")
    count = my_work_count(user=alice, as_of=timezone.localdate())
    client.force_login(alice)

    assert count > 1
    for url in [reverse("dashboard"), reverse("board_report"), reverse("my_work")]:
        content = client.get(url).content.decode()
        assert f'>My work <span class="count" aria-label="{count} things waiting for you">' in (
            content
        ), url


def busy(owner, count: int) -> None:
    for n in range(count):
        pilot = make_awaiting_pilot(owner=owner, entered_on=AS_OF, title=f"Pilot {n}")
        condition_add(pilot=pilot, kind="data_access", description=f"Export {n}")


def page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("my_work")).status_code == 200
    return len(queries)


def test_it_shows_my_work_in_a_fixed_number_of_queries(client, alice, bob):
    # given: 2 pilots with work for alice, then 20 for bob
    busy(alice, 2)
    busy(bob, 20)
    client.force_login(alice)
    few = page_queries(client)
    client.force_login(bob)

    # then: the same number of queries; the header's count reads nothing more
    assert page_queries(client) == few
    assert "Pilot 19" in client.get(reverse("my_work")).content.decode()


def test_a_reviewers_pilot_names_their_own_task_first(alice):
    legal = reviewer("legal")
    pilot = make_chartered_pilot(owner=alice, title="Assistant")
    privacy = Criterion.objects.get(text="Data privacy compliance")
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")

    assert [row.blocker for row in my_pilots(user=legal, as_of=AS_OF)] == [
        "Legal evidence to review"
    ]
    evidence_review(evidence=evidence, by=legal, accept=True)
    assert [row.blocker for row in my_pilots(user=legal, as_of=AS_OF)] == ["Legal sign-off to give"]
