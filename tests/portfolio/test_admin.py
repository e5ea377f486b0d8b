from datetime import date

from django.contrib import admin as django_admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.admin import PilotAdmin
from portfolio.models import Decision, Pilot, RiskApproval, StageChange, Waiver
from portfolio.services.lifecycle import decision_record
from tests.factories import (
    UserFactory,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    scale_ready,
)


def changelist_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:portfolio_pilot_changelist"), params)
    assert response.status_code == 200
    return len(queries)


def test_it_lists_pilots_with_stage_owner_and_stall_state(admin_client, alice):
    make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 1), title="Stuck assistant")

    response = admin_client.get(reverse("admin:portfolio_pilot_changelist"))

    content = response.content.decode()
    assert "Stuck assistant" in content
    assert "Awaiting decision" in content
    assert "Alice Owner" in content
    assert 'alt="True"' in content  # the stalled column


def test_it_filters_stalled_pilots_and_searches_by_owner_email(admin_client, alice, bob):
    make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 1), title="Stuck assistant")
    make_chartered_pilot(owner=bob, title="Fresh idea")

    stalled = admin_client.get(reverse("admin:portfolio_pilot_changelist"), {"stall": "stalled"})
    by_owner = admin_client.get(reverse("admin:portfolio_pilot_changelist"), {"q": "bob@"})

    assert "Stuck assistant" in stalled.content.decode()
    assert "Fresh idea" not in stalled.content.decode()
    assert "Fresh idea" in by_owner.content.decode()
    assert "Stuck assistant" not in by_owner.content.decode()


def test_it_lists_pilots_in_a_number_of_queries_that_does_not_grow(admin_client, alice):
    make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 1))
    few = changelist_queries(admin_client)
    for n in range(10):
        make_awaiting_pilot(owner=UserFactory(), entered_on=date(2025, 1, 1), title=f"P{n}")

    assert changelist_queries(admin_client) == few


def test_it_creates_a_pilot_through_the_service(admin_client, unit):
    response = admin_client.post(
        reverse("admin:portfolio_pilot_add"),
        {
            "title": "Invoice reader",
            "business_unit": unit.id,
            "risk_tier": "low",
            **{
                f"{prefix}-{field}": value
                for prefix in [
                    "success_metric",
                    "path_items",
                    "conditions",
                    "cost_lines",
                    "production_kpis",
                    "stage_changes",
                    "decisions",
                    "waivers",
                    "deferrals",
                    "risk_approvals",
                ]
                for field, value in [("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0)]
            },
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    pilot = Pilot.objects.get(title="Invoice reader")
    assert pilot.stage == "proposed"
    assert StageChange.objects.filter(pilot=pilot, to_stage="proposed").exists()
    assert pilot.gate_statuses.get(gate__key="data").status == "not_applicable"


def test_its_stage_actions_refuse_a_governance_admin_as_the_page_does(admin_client, alice):
    # given: a chartered pilot and one without a charter
    chartered = make_chartered_pilot(owner=alice)
    half_baked = make_pilot(title="Half-baked")

    # when: the governance admin starts both from the admin
    response = admin_client.post(
        reverse("admin:portfolio_pilot_changelist"),
        {"action": "start_pilots", "_selected_action": [chartered.id, half_baked.id]},
        follow=True,
    )

    # then: moving a stage is the owners' act, whatever the entry point
    assert "Only the pilot&#x27;s deployment owner or delivery owner" in response.content.decode()
    for pilot in (chartered, half_baked):
        pilot.refresh_from_db()
        assert pilot.stage == "proposed"


def test_it_shows_the_gate_definitions_to_a_governance_admin(admin_client):
    response = admin_client.get(reverse("admin:gates_gate_changelist"))

    assert "Business ownership" in response.content.decode()
    assert "Governance and risk" in response.content.decode()


def test_it_rederives_readiness_when_a_criterion_changes(admin_client, alice):
    from gates.models import Criterion

    pilot = make_pilot(title="Low risk", risk_tier="low")
    assert pilot.gate_statuses.get(gate__key="data").status == "not_applicable"
    criterion = Criterion.objects.filter(gate__key="data").first()

    admin_client.post(
        reverse("admin:gates_criterion_change", args=[criterion.id]),
        {
            "gate": criterion.gate_id,
            "text": criterion.text,
            "required": "on",
            "function": criterion.function,
            "applies_to_low": "on",
            "applies_to_medium": "on",
            "applies_to_high": "on",
            "position": criterion.position,
        },
    )

    assert pilot.gate_statuses.get(gate__key="data").status == "open"


def test_it_never_edits_nor_deletes_decisions_risk_approvals_or_waivers(admin_client, alice):
    # given: a pilot scaled with waivers
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 5), risk_tier="low")
    decision_record(
        pilot=pilot, outcome="scale", by=alice, rationale="Go", **scale_ready(pilot, by=alice)
    )
    request = admin_client.get(f"/admin/portfolio/pilot/{pilot.id}/change/").wsgi_request

    # when
    inlines = {
        inline.model: inline
        for inline in PilotAdmin(Pilot, django_admin.site).get_inline_instances(request, pilot)
    }

    # then
    for model in (Decision, RiskApproval, Waiver):
        inline = inlines[model]
        assert not inline.has_add_permission(request, pilot)
        assert not inline.has_change_permission(request, pilot)
        assert not inline.has_delete_permission(request, pilot)
        assert model not in django_admin.site._registry
    page = admin_client.get(f"/admin/portfolio/pilot/{pilot.id}/change/").content.decode()
    assert "Accepted risk on Workflow integration" in page
