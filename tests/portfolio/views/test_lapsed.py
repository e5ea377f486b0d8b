"""A live system whose readiness lapsed: on its pilot page, as a dashboard figure and
the list it links to."""

from django.urls import reverse

from portfolio.models import Pilot, Stage
from portfolio.services.pilots import pilot_update
from tests.conftest import signed_in
from tests.factories import gate_meet, make_chartered_pilot


def lapsed_live_system(owner) -> Pilot:
    live = make_chartered_pilot(owner=owner, title="Live assistant")
    gate_meet(pilot=live, key="governance", by=owner)
    Pilot.objects.filter(id=live.id).update(stage=Stage.IN_PRODUCTION)
    pilot_update(pilot=live, risk_tier="high")
    return live


def test_it_shows_readiness_lapsed_on_the_pilot_page(alice, bob):
    live = lapsed_live_system(alice)

    page = signed_in(bob).get(reverse("pilot_detail", args=[live.id])).content.decode()

    assert 'class="badge badge-lapsed">Readiness lapsed' in page
    assert "To re-confirm: risk tier changed from Medium to High." in page


def test_it_counts_lapsed_live_systems_on_the_dashboard_and_lists_them(alice, executive):
    live = lapsed_live_system(alice)
    make_chartered_pilot(owner=alice, title="Still proposed")
    client = signed_in(executive)

    dashboard = client.get(reverse("dashboard")).content.decode()
    listed = client.get(reverse("dashboard"), {"readiness": "lapsed"}).content.decode()

    assert (
        '<a class="figure figure-alert" href="?readiness=lapsed#pilots">'
        '<span class="number">1</span> in production with readiness lapsed</a>'
    ) in dashboard
    assert live.title in listed and "Still proposed" not in listed


def test_a_live_system_that_never_passed_its_governance_gate_has_not_lapsed(alice, executive):
    live = make_chartered_pilot(owner=alice, title="Waived")
    Pilot.objects.filter(id=live.id).update(stage=Stage.IN_PRODUCTION)
    pilot_update(pilot=live, risk_tier="high")

    dashboard = signed_in(executive).get(reverse("dashboard")).content.decode()

    assert '<span class="number">0</span> in production with readiness lapsed' in dashboard


def test_the_export_gives_each_pilots_checklist_version_and_lapse(alice):
    from django.utils import timezone

    from portfolio.exports import CSV_HEADER, portfolio_csv_rows

    live = lapsed_live_system(alice)

    header, *rows = list(portfolio_csv_rows(as_of=timezone.localdate()))

    assert header == CSV_HEADER
    row = dict(zip(header, rows[0], strict=True))
    assert row["title"] == live.title
    assert row["checklist_version"] == 1 and row["readiness_lapsed"] == "yes"
