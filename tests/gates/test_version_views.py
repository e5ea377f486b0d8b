"""The checklist versions page: a governance admin drafts, previews the impact and
publishes with the pilots to move; everyone else is refused. And the owner's "still
holds" on expiring evidence from the checklist."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from gates.models import ChecklistVersion, Criterion, Evidence, Gate
from gates.services import criterion_draft_save
from portfolio.models import Pilot, Role, Stage
from tests.conftest import HTMX, signed_in
from tests.factories import UserFactory, gate_meet, make_chartered_pilot


@pytest.fixture
def gov(db):
    return UserFactory(email="gov@example.com", name="Gina Governance", role=Role.ADMIN)


def criterion_data(**changes) -> dict:
    data = {
        "gate": Gate.objects.get(key="governance").id,
        "text": "EU AI Act risk classification is recorded",
        "required": "on",
        "function": "",
        "applies_to_medium": "on",
        "applies_to_high": "on",
    }
    return data | changes


def test_it_shows_the_current_version_to_a_governance_admin(gov):
    response = signed_in(gov).get(reverse("checklist_versions"))

    assert response.status_code == 200
    assert "Current version: <strong>v1</strong>" in response.content.decode()
    assert "Draft the next version" in response.content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.EXECUTIVE, Role.REVIEWER])
def test_it_refuses_everyone_but_a_governance_admin(db, role):
    person = UserFactory(email=f"{role}@example.com", role=role, function="risk")
    client = signed_in(person)

    responses = [
        client.get(reverse("checklist_versions")),
        client.post(reverse("checklist_draft")),
        client.post(reverse("checklist_criterion_add"), criterion_data()),
        client.post(reverse("checklist_publish"), {"move": "all_but_production"}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert not ChecklistVersion.objects.filter(status="draft").exists()


def test_it_sends_a_stranger_to_sign_in(client):
    response = client.get(reverse("checklist_versions"))

    assert response.status_code == 302 and "/login" in response["Location"]


def test_it_drafts_a_criterion_shows_the_impact_and_publishes_for_the_chosen_pilots(gov, alice):
    # given: a proposed pilot and a live one, both with the governance gate passed
    proposed = make_chartered_pilot(owner=alice, title="Proposed pilot")
    live = make_chartered_pilot(owner=alice, title="Live system")
    for pilot in (proposed, live):
        gate_meet(pilot=pilot, key="governance", by=alice)
    Pilot.objects.filter(id=live.id).update(stage=Stage.IN_PRODUCTION)
    client = signed_in(gov)

    # when: a criterion is drafted
    added = client.post(reverse("checklist_criterion_add"), criterion_data())
    page = client.get(reverse("checklist_versions")).content.decode()

    # then: the impact lists both pilots, by stage
    assert added.status_code == 302
    assert "Draft v2" in page and "Added: 6. Governance and risk" in page
    assert "Proposed pilot" in page and "Live system" in page and "(loses)" in page

    # when: published for the pilots not yet started
    published = client.post(reverse("checklist_publish"), {"move": "not_started"})

    # then
    assert published.status_code == 302
    versions = dict(Pilot.objects.values_list("title", "checklist_version__number"))
    assert versions == {"Proposed pilot": 2, "Live system": 1}
    assert live.gate_statuses.get(gate__key="governance").status == "passed"


def test_it_refuses_a_publication_without_a_choice_with_the_page_and_its_error(gov):
    criterion_draft_save(by=gov, gate=Gate.objects.first(), text="Something new")

    response = signed_in(gov).post(reverse("checklist_publish"), {"move": ""})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert ChecklistVersion.objects.get(number=2).status == "draft"


def test_it_refuses_a_criterion_without_text_with_a_field_error(gov):
    response = signed_in(gov).post(reverse("checklist_criterion_add"), criterion_data(text=""))

    assert response.status_code == 400
    assert "Text: This field is required." in response.content.decode()
    assert not Criterion.objects.filter(version__status="draft", text="").exists()


def test_it_refuses_to_publish_when_there_is_no_draft(gov):
    response = signed_in(gov).post(reverse("checklist_publish"), {"move": "none"})

    assert response.status_code == 400
    assert "There is no draft to publish." in response.content.decode()


def test_it_retires_a_criterion_from_the_draft(gov):
    criterion = Criterion.objects.filter(gate__key="governance").first()
    client = signed_in(gov)
    client.post(reverse("checklist_draft"))

    response = client.post(reverse("checklist_criterion_remove", args=[criterion.key]))

    assert response.status_code == 302
    assert not Criterion.objects.filter(version__number=2, key=criterion.key).exists()
    assert Criterion.objects.filter(id=criterion.id).exists()


def test_the_owner_confirms_expiring_evidence_still_holds(alice):
    # given: the data gate met a year ago, its security clearance expiring in 10 days
    pilot = make_chartered_pilot(owner=alice)
    with time_machine.travel("2026-01-15 10:00:00+00:00", tick=False):
        gate_meet(pilot=pilot, key="data", by=alice)
    evidence = Evidence.objects.get(pilot=pilot, criterion__text="Security clearance")

    with time_machine.travel("2027-01-05 10:00:00+00:00", tick=False):
        client = signed_in(alice)
        page = client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()
        response = client.post(reverse("evidence_reconfirm", args=[pilot.id, evidence.id]), **HTMX)

    assert "Expires 15 Jan 2027" in page and "It still holds" in page
    assert response.status_code == 200
    again = Evidence.objects.filter(pilot=pilot, criterion__text="Security clearance").latest("id")
    assert again.status == "pending" and again.text == evidence.text
    assert again.submitted_at.date() == date(2027, 1, 5)


def test_it_refuses_a_still_holds_to_a_reader(alice, bob):
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="data", by=alice)
    evidence = Evidence.objects.get(pilot=pilot, criterion__text="Security clearance")

    response = signed_in(bob).post(reverse("evidence_reconfirm", args=[pilot.id, evidence.id]))

    assert response.status_code == 403
    assert Evidence.objects.filter(pilot=pilot, criterion__text="Security clearance").count() == 1


@pytest.mark.parametrize(
    "expires_on, error",
    [
        ("2020-01-01", "The expiry date must be after today."),
        ("3000-01-01", "out of range"),
        ("not a date", "Enter a date such as 7 Oct 2026."),
    ],
)
def test_it_refuses_a_bad_expiry_date_with_a_field_error(alice, expires_on, error):
    pilot = make_chartered_pilot(owner=alice)
    criterion = Criterion.objects.get(text="Security clearance")
    prefix = f"evidence{criterion.id}"

    response = signed_in(alice).post(
        reverse("evidence_add", args=[pilot.id, criterion.id]),
        {f"{prefix}-text": "Certificate", f"{prefix}-expires_on": expires_on},
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Evidence.objects.filter(pilot=pilot).exists()


def test_it_keeps_a_stated_expiry_date(alice):
    pilot = make_chartered_pilot(owner=alice)
    criterion = Criterion.objects.get(text="Security clearance")
    prefix = f"evidence{criterion.id}"

    response = signed_in(alice).post(
        reverse("evidence_add", args=[pilot.id, criterion.id]),
        {f"{prefix}-text": "Certificate", f"{prefix}-expires_on": "2099-06-30"},
    )

    assert response.status_code == 302
    assert Evidence.objects.get(pilot=pilot).expires_on == date(2099, 6, 30)
