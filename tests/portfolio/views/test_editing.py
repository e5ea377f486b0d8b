"""Proposing a pilot and editing its charter, success metric and parts in place: with
and without htmx, who may, bad input, and two people editing the same thing."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.editing import PARTS as REGISTRY
from portfolio.models import (
    CostLine,
    MetricReading,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    Role,
    Stage,
    SuccessMetric,
)
from portfolio.services.lifecycle import pilot_stage_move
from portfolio.services.parts import (
    condition_add,
    cost_line_add,
    edit_version,
    kpi_add,
    part_version,
    path_item_add,
    pilot_part_remove,
    pilot_part_update,
    reading_add,
)
from portfolio.services.pilots import pilot_update
from tests.conftest import HTMX, signed_in
from tests.factories import (
    UserFactory,
    charter_data,
    make_chartered_pilot,
    make_pilot,
    reviewer,
)

CONFLICT = "Someone else changed this meanwhile"


@pytest.fixture
def pilot(alice, bob):
    """Alice's chartered pilot; bob owns another one."""
    make_chartered_pilot(owner=bob, title="Claims triage")
    return make_chartered_pilot(owner=alice)


# Proposing a pilot


def test_it_proposes_a_pilot_with_its_creator_as_deployment_owner_by_default(alice, unit):
    client = signed_in(alice)
    page = client.get(reverse("pilot_new"))
    assert page.status_code == 200
    assert f'<option value="{alice.id}" selected>' in page.content.decode()

    response = client.post(
        reverse("pilot_new"),
        {"title": "Invoice matching", "business_unit": unit.id, "risk_tier": "medium",
         "deployment_owner": alice.id},
    )  # fmt: skip

    pilot = Pilot.objects.get(title="Invoice matching")
    assert response.status_code == 302
    assert response.url == reverse("pilot_detail", args=[pilot.id])
    assert (pilot.stage, pilot.deployment_owner) == (Stage.PROPOSED, alice)
    assert pilot.history.get().history_user == alice
    assert pilot.stage_changes.get().changed_by == alice
    # the message names what is missing, no more: the owner is named here
    message = client.get(response.url).content.decode()
    assert (
        "Before it starts, its charter must still answer: what success looks like (a success "
        "metric with baseline and target); the path to production (at least one "
        "path-to-production item); when it runs (a planned start and a planned end)."
    ) in message


def test_it_says_only_the_two_answers_missing_when_dates_are_given(alice, unit):
    client = signed_in(alice)

    response = client.post(
        reverse("pilot_new"),
        {"title": "Invoice matching", "business_unit": unit.id, "risk_tier": "medium",
         "deployment_owner": alice.id, "pilot_start": "7 Oct 2026",
         "pilot_end_planned": "2027-01-31"},
    )  # fmt: skip

    message = client.get(response.url).content.decode()
    assert "three" not in message
    assert "when it runs" not in message
    assert "what success looks like" in message and "the path to production" in message
    pilot = Pilot.objects.get(title="Invoice matching")
    assert (str(pilot.pilot_start), str(pilot.pilot_end_planned)) == ("2026-10-07", "2027-01-31")


def test_the_proposal_form_tells_what_is_required_and_what_is_needed_later(alice, unit):
    text = signed_in(alice).get(reverse("pilot_new")).content.decode()

    assert "---------" not in text
    assert "Choose a person" in text and "Choose a business unit" in text
    assert 'Title <small class="need required">(required)</small>' in text
    assert 'Planned end <small class="need">(needed before the pilot starts)</small>' in text
    assert 'placeholder="e.g. 7 Oct 2026"' in text
    assert "(optional)" not in text.split("Planned end")[1].split("</label>")[0]


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"title": ""}, "Title: This field is required."),
        ({"business_unit": ""}, "Business unit: This field is required."),
        (
            {"pilot_start": "2026-06-01", "pilot_end_planned": "2026-05-01"},
            "Planned end: The planned end comes before the pilot start.",
        ),
        ({"pilot_start": "2026-02-30"}, "Pilot start: Enter a date such as 7 Oct 2026."),
        ({"deployment_owner": "99999"}, "Select a valid choice."),
    ],
)
def test_it_refuses_a_bad_proposal_with_a_field_error_and_creates_nothing(
    alice, unit, data, field_error
):
    form = {"title": "Invoice matching", "business_unit": unit.id, "risk_tier": "medium"}

    response = signed_in(alice).post(reverse("pilot_new"), {**form, **data})

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not Pilot.objects.exists()


def test_it_refuses_a_reference_another_pilot_has(alice, unit):
    make_pilot(reference="PG-0001", title="First")
    form = {"title": "Second", "business_unit": unit.id, "risk_tier": "low"}

    response = signed_in(alice).post(reverse("pilot_new"), {**form, "reference": "PG-0001"})

    assert response.status_code == 400
    assert "Reference: Pilot with this Reference already exists." in response.content.decode()
    assert not Pilot.objects.filter(title="Second").exists()


def test_it_refuses_the_proposal_page_to_a_reviewer(unit):
    response = signed_in(reviewer("security")).post(
        reverse("pilot_new"), {"title": "Mine", "business_unit": unit.id, "risk_tier": "low"}
    )

    assert response.status_code == 403
    assert "Only owners and executives propose pilots" in response.content.decode()
    assert not Pilot.objects.exists()


def test_it_shows_markup_typed_into_a_title_as_text(alice, unit):
    client = signed_in(alice)
    client.post(
        reverse("pilot_new"),
        {"title": "<script>alert(1)</script>", "business_unit": unit.id, "risk_tier": "low"},
    )
    pilot = Pilot.objects.get()

    content = client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content


# The charter


def test_it_opens_the_charter_for_editing_in_place_for_htmx(alice, pilot):
    response = signed_in(alice).get(reverse("charter_edit", args=[pilot.id]), **HTMX)

    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="charter-panel"')
    assert 'name="charter-title"' in text and 'name="charter-version"' in text
    assert "<html" not in text


def test_it_opens_the_charter_for_editing_on_the_whole_page_without_javascript(alice, pilot):
    response = signed_in(alice).get(reverse("charter_edit", args=[pilot.id]))

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" in text and 'name="charter-title"' in text and "Gate checklist" in text


def test_it_saves_the_charter_and_swaps_the_panel_for_htmx(alice, bob, pilot):
    data = charter_data(
        pilot, summary="Drafts replies", delivery_owner=bob.id, pilot_start="2026-03-01"
    )

    response = signed_in(alice).post(reverse("charter_edit", args=[pilot.id]), data, **HTMX)

    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<section id="charter-panel"')
    assert "The charter is saved." in text and "Bob Owner" in text
    assert '<div id="page-head" class="page-head" hx-swap-oob="true">' in text  # the head follows
    assert '<p class="summary">Drafts replies</p>' in text
    assert '<div id="charter-answers">' in text  # in the panel itself, not swapped elsewhere
    pilot.refresh_from_db()
    assert (pilot.summary, pilot.delivery_owner, pilot.pilot_start) == (
        "Drafts replies",
        bob,
        date(2026, 3, 1),
    )
    assert pilot.history.first().history_user == alice


def test_it_saves_the_charter_and_redirects_to_it_without_javascript(alice, pilot):
    client = signed_in(alice)

    response = client.post(
        reverse("charter_edit", args=[pilot.id]), charter_data(pilot, title="Renamed")
    )

    assert response.status_code == 302
    assert response.url == reverse("pilot_detail", args=[pilot.id]) + "#charter-panel"
    assert "The charter is saved." in client.get(response.url).content.decode()
    assert Pilot.objects.get(pk=pilot.pk).title == "Renamed"


def test_it_lets_the_delivery_owner_edit_the_charter(alice, bob, pilot):
    pilot_update(pilot=pilot, delivery_owner=bob)

    response = signed_in(bob).post(
        reverse("charter_edit", args=[pilot.id]),
        charter_data(Pilot.objects.get(pk=pilot.pk), title="Renamed"),
    )

    assert response.status_code == 302
    assert Pilot.objects.get(pk=pilot.pk).title == "Renamed"


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_it_refuses_the_charter_to_anyone_but_its_owners(request, pilot, who):
    client = signed_in(request.getfixturevalue(who))

    assert client.get(reverse("charter_edit", args=[pilot.id])).status_code == 403
    response = client.post(reverse("charter_edit", args=[pilot.id]), charter_data(pilot, title="X"))

    assert response.status_code == 403
    assert "deployment owner or delivery owner edits its charter" in response.content.decode()
    assert Pilot.objects.get(pk=pilot.pk).title == "Contact-centre assistant"


def test_it_does_not_show_the_edit_links_to_a_reader(bob, pilot):
    text = signed_in(bob).get(reverse("pilot_detail", args=[pilot.id])).content.decode()

    assert reverse("charter_edit", args=[pilot.id]) not in text
    assert reverse("part_add", args=[pilot.id, "costs"]) not in text


def test_it_refuses_dates_in_the_wrong_order_with_a_field_error(alice, pilot):
    data = charter_data(pilot, pilot_start="2026-06-01", pilot_end_planned="2026-05-01")

    response = signed_in(alice).post(reverse("charter_edit", args=[pilot.id]), data)

    assert response.status_code == 400
    assert "Planned end: The planned end comes before the pilot start." in response.content.decode()
    assert Pilot.objects.get(pk=pilot.pk).pilot_start == pilot.pilot_start  # unchanged


def test_the_second_of_two_editors_gets_the_current_values_not_an_overwrite(alice, bob, pilot):
    # given: alice opens the charter; bob, its delivery owner, saves a change meanwhile
    seen = charter_data(pilot)
    pilot_update(pilot=pilot, delivery_owner=bob)
    pilot_update(pilot=pilot, summary="Bob's summary", by=bob)

    # when: alice saves hers, made on what she saw
    response = signed_in(alice).post(
        reverse("charter_edit", args=[pilot.id]), {**seen, "charter-summary": "Alice's summary"}
    )

    # then: refused with a clear message, the current values, and what she typed
    text = response.content.decode()
    assert response.status_code == 409
    assert CONFLICT in text
    assert "Bob&#x27;s summary</textarea>" in text
    assert "What you had entered:" in text and "Summary: Alice&#x27;s summary" in text
    assert Pilot.objects.get(pk=pilot.pk).summary == "Bob's summary"


def test_the_conflict_comes_back_in_the_swapped_panel_for_htmx(alice, pilot):
    seen = charter_data(pilot)
    pilot_update(pilot=pilot, title="Renamed meanwhile")

    response = signed_in(alice).post(
        reverse("charter_edit", args=[pilot.id]), {**seen, "charter-title": "Mine"}, **HTMX
    )

    text = response.content.decode()
    assert response.status_code == 200  # htmx swaps only successful responses
    assert text.lstrip().startswith('<section id="charter-panel"')
    assert CONFLICT in text and 'value="Renamed meanwhile"' in text


def test_a_change_to_other_fields_meanwhile_is_no_conflict(alice, pilot):
    seen = charter_data(pilot)
    pilot_stage_move(pilot=pilot, to_stage="piloting", by=alice)  # not on the form

    response = signed_in(alice).post(
        reverse("charter_edit", args=[pilot.id]), {**seen, "charter-title": "Mine"}
    )

    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.title, pilot.stage) == ("Mine", Stage.PILOTING)


# The success metric


def test_it_defines_the_success_metric_of_a_new_pilot(alice):
    pilot = make_pilot(deployment_owner=alice)
    client = signed_in(alice)
    assert (
        'name="metric-name"'
        in client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()
    )

    response = client.post(
        reverse("metric_edit", args=[pilot.id]),
        {"metric-name": "Hours of review", "metric-unit": "hours", "metric-baseline": "120",
         "metric-target": "60", "metric-direction": "decrease", "metric-version": ""},
        **HTMX,
    )  # fmt: skip

    text = response.content.decode()
    assert text.lstrip().startswith('<section id="metric-panel"')
    assert "The success metric is saved." in text
    assert "<strong>Hours of review</strong>: 120 → 60 hours" in text
    assert 'id="charter-answers" hx-swap-oob="true"' in text  # the charter's gaps follow
    assert 'id="part-readings"' in text and 'name="add-readings-value"' in text  # readings too
    metric = SuccessMetric.objects.get(pilot=pilot)
    assert (metric.baseline, metric.target) == (Decimal(120), Decimal(60))


def test_it_refuses_a_metric_baseline_that_is_not_a_number(alice, pilot):
    metric = pilot.success_metric
    response = signed_in(alice).post(
        reverse("metric_edit", args=[pilot.id]),
        {"metric-name": "Hours", "metric-baseline": "lots", "metric-target": "60",
         "metric-direction": "decrease",
         "metric-version": edit_version(metric, ["name", "unit", "baseline", "target",
                                                         "direction"])},
    )  # fmt: skip

    assert response.status_code == 400
    assert "Baseline: Enter a number." in response.content.decode()
    assert SuccessMetric.objects.get(pilot=pilot).baseline == Decimal(120)


# The parts: path items, KPIs, conditions, cost lines, readings

PARTS = {
    "path": (
        PathItem,
        {"kind": "data_pipeline", "description": "Nightly claims feed", "status": "planned"},
    ),
    "kpis": (
        ProductionKpi,
        {"kind": "uptime", "name": "Uptime", "target": "99.5%", "horizon_months": "12"},
    ),
    "conditions": (
        PilotCondition,
        {"kind": "data_access", "description": "Raw claims data", "decision": "undecided"},
    ),
    "costs": (
        CostLine,
        {"category": "data", "phase": "transition", "amount": "12000", "currency": "eur"},
    ),
    "readings": (MetricReading, {"measured_on": "2026-04-01", "value": "95", "note": "April"}),
}


def add(client, pilot, kind, data, **extra):
    return client.post(
        reverse("part_add", args=[pilot.id, kind]),
        {f"add-{kind}-{name}": value for name, value in data.items()},
        **extra,
    )


def edit_data(item, kind, changes) -> dict:
    """The edit form of a part as the page shows it (from the database), plus `changes`."""
    item = type(item).objects.get(pk=item.pk)
    names = REGISTRY[kind].form._meta.fields
    data = {name: getattr(item, item._meta.get_field(name).attname) for name in names}
    data = {name: "" if value is None else value for name, value in data.items()}
    data.update(changes, version=edit_version(item, names))
    return {f"{kind}{item.id}-{name}": value for name, value in data.items()}


@pytest.mark.parametrize("kind", PARTS)
def test_it_adds_a_part_and_swaps_its_section_for_htmx(alice, pilot, kind):
    model, data = PARTS[kind]
    before = model.objects.count()

    response = add(signed_in(alice), pilot, kind, data, **HTMX)

    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith(f'<section id="part-{kind}"')
    assert "is added." in text
    assert model.objects.count() == before + 1
    assert model.objects.order_by("id").last().history.get().history_user == alice


@pytest.mark.parametrize("kind", PARTS)
def test_it_adds_a_part_and_redirects_to_its_section_without_javascript(alice, pilot, kind):
    model, data = PARTS[kind]

    response = add(signed_in(alice), pilot, kind, data)

    assert response.status_code == 302
    assert response.url.endswith(f"#part-{kind}")


@pytest.mark.parametrize(
    ("kind", "data", "field_error"),
    [
        ("costs", {"amount": "-5"}, "Amount: A cost cannot be negative."),
        ("costs", {"amount": "abc"}, "Amount: Enter a number."),
        ("costs", {"currency": "EURO"}, "Currency: Ensure this value has at most 3 characters"),
        ("costs", {"currency": "E1"}, "Currency: A currency is a three-letter code, like EUR."),
        ("path", {"description": ""}, "Description: This field is required."),
        ("path", {"kind": "teleport"}, "Kind: Select a valid choice."),
        ("kpis", {"horizon_months": "-1"}, "Horizon (months): Ensure this value is greater"),
        ("conditions", {"decision": "maybe"}, "Decision: Select a valid choice."),
        ("readings", {"measured_on": "2026-13-01"}, "Measured on: Enter a date such as 7 Oct"),
    ],
)
def test_it_refuses_bad_input_in_a_part_with_a_field_error(alice, pilot, kind, data, field_error):
    model, valid = PARTS[kind]
    before = model.objects.count()

    response = add(signed_in(alice), pilot, kind, {**valid, **data})

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert model.objects.count() == before


def test_it_keeps_the_add_form_open_with_its_errors_for_htmx(alice, pilot):
    response = add(signed_in(alice), pilot, "costs", {**PARTS["costs"][1], "amount": "-5"}, **HTMX)

    text = response.content.decode()
    assert response.status_code == 200
    assert '<details class="action" open>' in text
    assert "A cost cannot be negative." in text and 'value="-5"' in text


def test_it_refuses_a_reading_before_the_metric_is_defined(alice):
    pilot = make_pilot(deployment_owner=alice)

    response = add(signed_in(alice), pilot, "readings", PARTS["readings"][1])

    assert response.status_code == 400
    assert "Define the success metric before recording readings." in response.content.decode()
    assert not MetricReading.objects.exists()


@pytest.mark.parametrize("kind", ["path", "costs"])
def test_it_shows_markup_in_a_part_as_text(alice, pilot, kind):
    field = "description" if kind == "path" else "note"
    client = signed_in(alice)
    add(client, pilot, kind, {**PARTS[kind][1], field: "<img src=x onerror=alert(1)>"})

    text = client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<img src=x" not in text


def test_it_opens_a_part_for_editing_in_place(alice, pilot):
    item = pilot.path_items.get()

    response = signed_in(alice).get(reverse("part_edit", args=[pilot.id, "path", item.id]), **HTMX)

    text = response.content.decode()
    assert text.lstrip().startswith('<section id="part-path"')
    assert f'name="path{item.id}-description"' in text
    assert 'value="Contact-centre platform"' in text


def test_it_edits_a_cost_line(alice, pilot):
    line = cost_line_add(pilot=pilot, category="data", phase="pilot", amount=100)

    response = signed_in(alice).post(
        reverse("part_edit", args=[pilot.id, "costs", line.id]),
        edit_data(line, "costs", {"amount": "250.50"}),
        **HTMX,
    )

    text = response.content.decode()
    assert "The cost line is saved." in text
    assert "250.50" in text and "Pilot: 250.50 EUR" in text
    assert CostLine.objects.get(pk=line.pk).amount == Decimal("250.50")


def test_it_refuses_a_negative_cost_on_an_edit(alice, pilot):
    line = cost_line_add(pilot=pilot, category="data", phase="pilot", amount=100)

    response = signed_in(alice).post(
        reverse("part_edit", args=[pilot.id, "costs", line.id]),
        edit_data(line, "costs", {"amount": "-1"}),
    )

    assert response.status_code == 400
    assert "Amount: A cost cannot be negative." in response.content.decode()
    assert CostLine.objects.get(pk=line.pk).amount == 100


@pytest.mark.parametrize("decision", ["permanent", "withdrawn"])
def test_it_records_a_condition_made_permanent_or_withdrawn(alice, pilot, decision):
    condition = condition_add(pilot=pilot, kind="permission", description="Admin rights")

    response = signed_in(alice).post(
        reverse("part_edit", args=[pilot.id, "conditions", condition.id]),
        edit_data(condition, "conditions", {"decision": decision}),
        **HTMX,
    )

    assert PilotCondition.objects.get(pk=condition.pk).decision == decision
    label = "Made permanent" if decision == "permanent" else "Withdrawn"
    assert f"<td>{label}</td>" in response.content.decode()


def test_the_second_edit_of_a_part_gets_the_current_values(alice, pilot):
    item = pilot.path_items.get()
    seen = edit_data(item, "path", {"description": "Alice's platform"})
    pilot_part_update(pilot=pilot, part=item, status="in_progress")

    response = signed_in(alice).post(reverse("part_edit", args=[pilot.id, "path", item.id]), seen)

    text = response.content.decode()
    assert response.status_code == 409
    assert CONFLICT in text and "Description: Alice&#x27;s platform" in text
    assert '<option value="in_progress" selected>' in text
    item.refresh_from_db()
    assert (item.description, item.status) == ("Contact-centre platform", "in_progress")


def test_it_removes_a_part_and_keeps_it_in_the_history(alice, pilot):
    kpi = kpi_add(pilot=pilot, kind="uptime", name="Uptime")
    client = signed_in(alice)

    response = client.post(
        reverse("part_remove", args=[pilot.id, "kpis", kpi.id]),
        {"version": part_version(kpi)},
        **HTMX,
    )

    assert "The KPI is removed." in response.content.decode()
    assert not ProductionKpi.objects.exists()
    assert ProductionKpi.history.filter(history_type="-").get().history_user == alice
    assert (
        "Production KPI “Uptime” removed"
        in client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()
    )


def test_it_does_not_remove_a_part_changed_since_it_was_seen(alice, pilot):
    kpi = kpi_add(pilot=pilot, kind="uptime", name="Uptime")
    version = part_version(kpi)
    pilot_part_update(pilot=pilot, part=kpi, target="99.9%")

    response = signed_in(alice).post(
        reverse("part_remove", args=[pilot.id, "kpis", kpi.id]), {"version": version}
    )

    assert response.status_code == 409
    assert "changed this KPI meanwhile, so it was not removed" in response.content.decode()
    assert ProductionKpi.objects.get().target == "99.9%"


@pytest.mark.parametrize("view", ["part_edit", "part_remove"])
def test_it_says_so_when_the_part_was_removed_meanwhile(alice, pilot, view):
    kpi = kpi_add(pilot=pilot, kind="uptime", name="Uptime")
    data = {"version": part_version(kpi)}
    kpi_id = kpi.id
    pilot_part_remove(pilot=pilot, part=kpi)

    response = signed_in(alice).post(reverse(view, args=[pilot.id, "kpis", kpi_id]), data)

    assert response.status_code == 409
    assert "This KPI was removed meanwhile." in response.content.decode()


def test_it_does_not_touch_the_part_of_another_pilot(alice, bob, pilot):
    other = Pilot.objects.get(title="Claims triage")
    item = other.path_items.get()

    response = signed_in(alice).post(
        reverse("part_remove", args=[pilot.id, "path", item.id]),
        {"version": part_version(item)},
    )

    assert response.status_code == 409
    assert PathItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_it_refuses_part_changes_to_anyone_but_the_owners(request, pilot, who):
    client = signed_in(request.getfixturevalue(who))
    item = pilot.path_items.get()

    refused = [
        add(client, pilot, "costs", PARTS["costs"][1]),
        client.get(reverse("part_edit", args=[pilot.id, "path", item.id])),
        client.post(
            reverse("part_edit", args=[pilot.id, "path", item.id]),
            edit_data(item, "path", {"description": "Mine"}),
        ),
        client.post(
            reverse("part_remove", args=[pilot.id, "path", item.id]),
            {"version": part_version(item)},
        ),
    ]

    assert [response.status_code for response in refused] == [403] * 4
    assert not CostLine.objects.exists()
    assert PathItem.objects.get(pk=item.pk).description == "Contact-centre platform"


def test_it_answers_404_for_an_unknown_kind_of_part(alice, pilot):
    response = signed_in(alice).post(reverse("part_add", args=[pilot.id, "widgets"]), {})

    assert response.status_code == 404


def test_the_cancel_link_gives_the_section_back(alice, pilot):
    client = signed_in(alice)

    swapped = client.get(reverse("pilot_section", args=[pilot.id, "path"]), **HTMX)
    reloaded = client.get(reverse("pilot_section", args=[pilot.id, "charter"]))

    assert swapped.content.decode().lstrip().startswith('<section id="part-path"')
    assert reloaded.status_code == 302 and reloaded.url.endswith("#charter-panel")


def test_it_checks_the_csrf_token_of_htmx_edits(alice, pilot):
    client = signed_in(alice, enforce_csrf_checks=True)
    page = client.get(reverse("pilot_detail", args=[pilot.id]))
    token = page.cookies["csrftoken"].value
    data = PARTS["kpis"][1]

    without = add(client, pilot, "kpis", data, **HTMX)
    with_header = add(client, pilot, "kpis", data, HTTP_X_CSRFTOKEN=token, **HTMX)

    assert without.status_code == 403
    assert with_header.status_code == 200
    assert ProductionKpi.objects.count() == 1


# Query counts


def fill(pilot, owner, n: int) -> None:
    for i in range(n):
        reading_add(pilot=pilot, measured_on=date(2026, 1, 1 + i), value=100 - i)
        path_item_add(pilot=pilot, kind="system", description=f"System {i}", owner=owner)
        kpi_add(pilot=pilot, kind="uptime", name=f"Uptime {i}")
        condition_add(pilot=pilot, kind="permission", description=f"Access {i}")
        cost_line_add(pilot=pilot, category="data", phase="pilot", amount=i)


def queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured)


def test_the_sections_take_the_same_queries_whatever_the_number_of_parts(alice):
    few = make_chartered_pilot(owner=alice, title="Few")
    fill(few, alice, 1)
    many = make_chartered_pilot(owner=alice, title="Many")
    fill(many, alice, 12)
    client = signed_in(alice)

    for url in ("pilot_detail", "charter_edit"):
        assert queries(client, reverse(url, args=[many.id])) == queries(
            client, reverse(url, args=[few.id])
        )
    for kind in ("path", "costs", "readings"):
        assert queries(client, reverse("pilot_section", args=[many.id, kind]), **HTMX) == queries(
            client, reverse("pilot_section", args=[few.id, kind]), **HTMX
        )
    item = many.path_items.first()
    edit_many = queries(client, reverse("part_edit", args=[many.id, "path", item.id]), **HTMX)
    item = few.path_items.first()
    assert edit_many == queries(
        client, reverse("part_edit", args=[few.id, "path", item.id]), **HTMX
    )


def test_executives_may_propose_and_reviewers_may_not_see_the_link(executive):
    other = UserFactory(email="rita@example.com", role=Role.REVIEWER, function="legal")

    assert "Propose a pilot" in signed_in(executive).get(reverse("my_work")).content.decode()
    assert "Propose a pilot" not in signed_in(other).get(reverse("my_work")).content.decode()


# The people pickers


def test_a_people_picker_is_a_plain_select_with_a_search_box_for_htmx(alice, unit):
    text = signed_in(alice).get(reverse("pilot_new")).content.decode()

    assert (
        '<span class="people-picker"><input type="search" class="people-search" name="q" hidden'
        in text
    )
    assert 'hx-get="/people/options/"' in text and 'hx-target="next select"' in text
    assert '<select name="deployment_owner"' in text


def test_the_people_search_returns_the_matching_options(alice, bob, charlie):
    client = signed_in(alice)

    text = client.get(reverse("people_options"), {"q": "bo own"}, **HTMX).content.decode()

    assert '<option value="">Choose a person</option>' in text
    assert f'<option value="{bob.id}">Bob Owner</option>' in text
    assert "Alice" not in text and "Charlie" not in text
    nobody = client.get(reverse("people_options"), {"q": "zz<b>"}).content.decode()
    assert "Nobody matches “zz&lt;b&gt;”" in nobody


def test_the_people_search_needs_a_sign_in(client, db):
    response = client.get(reverse("people_options"), {"q": "a"})

    assert response.status_code == 302
