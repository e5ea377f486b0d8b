"""The dashboard's hierarchy: the board's first figures, costs per currency, every stop
reason paged, the compact pilot table, the filters and the links they make."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.models import Pilot
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from portfolio.services.parts import cost_line_add
from tests.conftest import HTMX
from tests.factories import (
    BusinessUnitFactory,
    UserFactory,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
)


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


def make_drifting(owner, title="Price recommendation", **fields) -> Pilot:
    pilot = make_chartered_pilot(
        owner=owner,
        title=title,
        pilot_start=days_ago(300),
        pilot_end_planned=days_ago(180),
        stage_entered_on=days_ago(300),
        **fields,
    )
    pilot_stage_move(pilot=pilot, to_stage="piloting", by=owner, on=days_ago(300))
    return pilot


def make_stopped(owner, executive, n: int) -> Pilot:
    pilot = make_awaiting_pilot(owner=owner, entered_on=days_ago(40), title=f"Stopped {n:02}")
    decision_record(
        pilot=pilot, outcome="stop", by=executive, rationale=f"Reason {n:02}", on=days_ago(n)
    )
    return pilot


def test_it_shows_costs_per_currency_and_never_sums_them(alice_client, alice):
    # given: a pilot costed in euros and one in dollars
    euro, dollar = make_pilot(title="Euro pilot"), make_pilot(title="Dollar pilot")
    cost_line_add(pilot=euro, category="data", phase="transition", amount=40000)
    cost_line_add(pilot=euro, category="data", phase="pilot", amount=10000)
    cost_line_add(pilot=dollar, category="data", phase="transition", amount=7000, currency="USD")

    # when
    response = alice_client.get(reverse("dashboard"))

    # then
    totals = response.context["figures"]["cost_totals"]
    assert totals["EUR"]["transition"] == 40000
    assert totals["USD"]["transition"] == 7000
    assert [chart["currency"] for chart in response.context["charts"]["costs"]] == ["EUR", "USD"]
    content = response.content.decode()
    assert '40,000 <span class="currency">EUR</span></span> production-transition cost' in content
    assert "against 10,000 EUR pilot cost" in content
    assert '7,000 <span class="currency">USD</span>' in content
    assert "47,000" not in content


def test_it_lists_every_stop_reason_paged(alice_client, alice, executive):
    for n in range(1, 13):
        make_stopped(alice, executive, n)

    first = alice_client.get(reverse("dashboard")).content.decode()
    second = alice_client.get(reverse("dashboard"), {"stops": 2}).content.decode()

    assert all(f"<td>Reason {n:02}</td>" in first for n in range(1, 11))
    assert "Reason 11" not in first
    assert "<td>Reason 11</td>" in second and "<td>Reason 12</td>" in second
    assert "Page 2 of 2" in second


def test_it_names_the_risk_the_decision_maker_and_a_reference_per_row(alice_client, alice, bob):
    # given: two pilots with one title in one unit, one with a named decision maker
    unit = BusinessUnitFactory(name="Operations")
    make_pilot(title="Triage", business_unit=unit, reference="OPS-1", risk_tier="high")
    make_pilot(title="Triage", business_unit=unit, decision_maker=bob, deployment_owner=alice)

    # when
    content = alice_client.get(reverse("dashboard")).content.decode()

    # then
    assert '<small class="reference">OPS-1</small>' in content
    second = Pilot.objects.exclude(reference="OPS-1").get(title="Triage")
    assert f'<small class="reference">No. {second.id}</small>' in content
    assert "<td>High</td>" in content
    assert f"<td>{bob}</td>" in content


def test_it_says_why_a_drifting_pilot_is_flagged(alice_client, alice):
    make_drifting(alice)

    content = alice_client.get(reverse("dashboard")).content.decode()

    assert "Still piloting past its planned end (" in content


def test_it_shows_the_main_filters_and_hides_the_rest(alice_client, db):
    closed = alice_client.get(reverse("dashboard")).content.decode()
    opened = alice_client.get(reverse("dashboard"), {"risk_tier": "high"}).content.decode()

    assert '<details class="more-filters">' in closed
    assert '<details class="more-filters" open>' in opened
    main, more = closed.split('<details class="more-filters">', 1)
    assert 'id="id_stage"' in main and 'id="id_q"' in main
    assert 'id="id_risk_tier"' in more and 'id="id_owner"' in more


def test_it_drops_the_empty_parameters_from_a_filtered_link(alice_client, db):
    # without JavaScript the form sends every field: the page answers with the clean link
    response = alice_client.get(
        reverse("dashboard"), {"q": "", "stage": "awaiting_decision", "risk_tier": ""}
    )
    assert response.status_code == 302
    assert response.url == "/portfolio/?stage=awaiting_decision"

    # with htmx the table comes back and the URL pushed is the clean one
    response = alice_client.get(
        reverse("dashboard"), {"q": "", "stage": "awaiting_decision", "sort": ""}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/portfolio/?stage=awaiting_decision"
    content = response.content.decode()
    assert 'href="?stage=awaiting_decision&amp;sort=title"' in content
    assert "q=&" not in content

    # the default sort is left out too
    response = alice_client.get(reverse("dashboard"), {"stage": "stopped", "sort": "title"})
    assert response.url == "/portfolio/?stage=stopped"


def test_its_charts_are_groups_of_links_not_images(alice_client, db):
    content = alice_client.get(reverse("dashboard")).content.decode()

    assert 'role="group" aria-label="Pilots by stage"' in content
    assert 'role="img"' not in content


@pytest.mark.parametrize("params", [{}, {"stops": 2}, {"state": "stalling"}])
def test_its_query_count_does_not_grow_with_stops_currencies_or_people(
    alice_client, alice, executive, params
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(reverse("dashboard"), params).status_code == 200
        return len(captured)

    # given
    for n in range(1, 12):
        make_stopped(alice, executive, n)
    make_drifting(alice)
    before = queries()
    for n in range(12, 30):
        make_stopped(UserFactory(), executive, n)
        pilot = make_drifting(UserFactory(), title=f"Drifting {n}", decision_maker=UserFactory())
        currency = "X" + chr(ord("A") + n % 26) * 2
        cost_line_add(pilot=pilot, category="data", phase="pilot", amount=n, currency=currency)

    # then
    assert queries() == before
