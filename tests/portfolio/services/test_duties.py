"""Separation of duties around a pilot's people and risk, through the services: who
names the decision maker, risk owner, deployment owner, sponsor and risk tier; the
four eyes on a high-risk pilot; lowering the tier; a risk approval that no longer holds."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rules import has_perm

from portfolio.models import Pilot, Role, Stage
from portfolio.services.lifecycle import decision_record, risk_approval_record
from portfolio.services.parts import metric_set
from portfolio.services.pilots import pilot_create, pilot_update
from tests.factories import (
    UserFactory,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    scale_ready,
)

DAY = date(2026, 3, 2)
NOT_OWN_RISK = "Nobody is risk owner of a pilot they own or deliver"
FOUR_EYES = "the risk owner is a different person from the decision maker and both owners"


@pytest.fixture
def sponsor(db):
    return UserFactory(email="sam@example.com", name="Sam Sponsor", role=Role.OWNER)


@pytest.fixture
def governance_admin(db):
    return UserFactory(email="gov@example.com", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def pilot(alice, bob, sponsor):
    """Alice's started pilot, delivered by bob and sponsored by sam."""
    pilot = make_chartered_pilot(owner=alice, delivery_owner=bob, sponsor=sponsor)
    pilot.stage = Stage.PILOTING
    Pilot.objects.filter(pk=pilot.pk).update(stage=Stage.PILOTING)
    return pilot


def field_errors(error) -> dict:
    return {
        name: " ".join(ValidationError(errors).messages)
        for name, errors in error.error_dict.items()
    }


def fresh(pilot: Pilot) -> Pilot:
    return Pilot.objects.get(pk=pilot.pk)


# Who names the people


@pytest.mark.parametrize("field", ["decision_maker", "risk_owner", "deployment_owner", "sponsor"])
@pytest.mark.parametrize("who", ["alice", "bob"])
def test_it_refuses_the_people_to_the_pilot_s_owners(request, pilot, charlie, who, field):
    # when: its deployment owner (alice) or delivery owner (bob) names someone
    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=request.getfixturevalue(who), **{field: charlie})

    # then: the field is refused, saying who may; nothing is written
    words = field.replace("_", " ")
    assert field_errors(error.value) == {
        field: f"Only an executive, a governance admin or the pilot's sponsor changes the "
        f"{words}; the pilot's deployment and delivery owners do not."
    }
    assert getattr(fresh(pilot), f"{field}_id") != charlie.id


@pytest.mark.parametrize("who", ["executive", "governance_admin", "sponsor"])
def test_it_lets_those_above_the_pilot_name_its_decision_maker(request, pilot, charlie, who):
    pilot_update(pilot=pilot, by=request.getfixturevalue(who), decision_maker=charlie)

    assert fresh(pilot).decision_maker == charlie


def test_it_refuses_any_change_to_an_outsider(pilot, charlie):
    with pytest.raises(PermissionDenied):
        pilot_update(pilot=pilot, by=charlie, decision_maker=charlie)

    assert fresh(pilot).decision_maker is None


def test_it_refuses_the_people_to_a_sponsor_who_also_delivers_the_pilot(pilot, bob, charlie):
    pilot_update(pilot=pilot, sponsor=bob)

    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=bob, risk_owner=charlie)

    assert list(field_errors(error.value)) == ["risk_owner"]


def test_it_refuses_the_answers_to_a_sponsor(pilot, sponsor):
    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=sponsor, title="Renamed")

    assert "deployment owner or delivery owner edits" in field_errors(error.value)["title"]


def test_it_lets_an_owner_save_the_people_unchanged(pilot, alice, sponsor):
    # The charter form posts every field: unchanged people are no change.
    pilot_update(pilot=pilot, by=alice, sponsor=sponsor, summary="Sharper")

    assert fresh(pilot).summary == "Sharper"


# Nobody is risk owner of a pilot they own or deliver; four eyes on high risk


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_it_refuses_an_owner_as_risk_owner_even_from_an_executive(request, pilot, executive, who):
    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=executive, risk_owner=request.getfixturevalue(who))

    assert NOT_OWN_RISK in field_errors(error.value)["risk_owner"]
    assert fresh(pilot).risk_owner is None


def test_it_refuses_a_proposer_naming_themselves_risk_owner(alice, unit):
    with pytest.raises(ValidationError) as error:
        pilot_create(
            title="Invoice matching", business_unit=unit, by=alice,
            deployment_owner=alice, risk_owner=alice,
        )  # fmt: skip

    assert NOT_OWN_RISK in field_errors(error.value)["risk_owner"]
    assert not Pilot.objects.exists()


def test_it_lets_a_proposer_name_the_people_of_a_new_pilot(alice, charlie, executive, unit):
    pilot = pilot_create(
        title="Invoice matching", business_unit=unit, by=alice, risk_tier="high",
        deployment_owner=alice, decision_maker=executive, risk_owner=charlie,
    )  # fmt: skip

    assert (pilot.decision_maker, pilot.risk_owner) == (executive, charlie)


def test_it_refuses_the_decision_maker_as_risk_owner_of_a_high_risk_pilot(
    pilot, charlie, executive
):
    pilot_update(pilot=pilot, by=executive, risk_tier="high")

    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=executive, decision_maker=charlie, risk_owner=charlie)

    assert FOUR_EYES in field_errors(error.value)["risk_owner"]
    assert fresh(pilot).risk_owner is None


def test_it_lets_the_decision_maker_own_the_risk_of_a_medium_risk_pilot(pilot, charlie, executive):
    pilot_update(pilot=pilot, by=executive, decision_maker=charlie, risk_owner=charlie)

    assert fresh(pilot).risk_owner == charlie


def test_it_refuses_to_raise_the_tier_to_high_over_a_risk_owner_who_decides(
    pilot, charlie, executive
):
    pilot_update(pilot=pilot, by=executive, decision_maker=charlie, risk_owner=charlie)

    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=executive, risk_tier="high")

    assert FOUR_EYES in field_errors(error.value)["risk_owner"]
    assert fresh(pilot).risk_tier == "medium"


def test_it_refuses_a_new_delivery_owner_who_is_the_risk_owner(pilot, alice, charlie, executive):
    pilot_update(pilot=pilot, by=executive, risk_owner=charlie)

    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=alice, delivery_owner=charlie)

    assert NOT_OWN_RISK in field_errors(error.value)["risk_owner"]


# Lowering the risk tier


def test_it_refuses_an_owner_lowering_the_tier(pilot, alice, executive):
    pilot_update(pilot=pilot, by=executive, risk_tier="high")

    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=alice, risk_tier="low", reason="Not that risky")

    assert "is its risk owner's or an executive's act" in field_errors(error.value)["risk_tier"]
    assert fresh(pilot).risk_tier == "high"


def test_it_refuses_an_executive_lowering_the_tier_without_a_reason(pilot, executive):
    pilot_update(pilot=pilot, by=executive, risk_tier="high")

    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=executive, risk_tier="low", reason="  ")

    assert field_errors(error.value) == {
        "reason": "Lowering the risk tier of a started pilot needs a reason."
    }
    assert fresh(pilot).risk_tier == "high"


@pytest.mark.parametrize("who", ["executive", "charlie"])
def test_it_lowers_the_tier_by_the_risk_owner_or_an_executive_with_a_reason(
    request, pilot, executive, charlie, who
):
    pilot_update(pilot=pilot, by=executive, risk_tier="high", risk_owner=charlie)

    pilot_update(
        pilot=pilot, by=request.getfixturevalue(who), risk_tier="low", reason="No personal data"
    )

    assert fresh(pilot).risk_tier == "low"
    assert pilot.history.first().history_change_reason == "No personal data"


def test_it_refuses_a_sponsor_lowering_a_started_pilot_s_tier(pilot, sponsor, executive):
    pilot_update(pilot=pilot, by=executive, risk_tier="high")

    with pytest.raises(ValidationError):
        pilot_update(pilot=pilot, by=sponsor, risk_tier="low", reason="Cheaper")

    assert fresh(pilot).risk_tier == "high"


def test_it_lets_a_sponsor_lower_a_proposed_pilot_s_tier_without_a_reason(alice, sponsor):
    pilot = make_pilot(deployment_owner=alice, sponsor=sponsor, risk_tier="high")

    pilot_update(pilot=pilot, by=sponsor, risk_tier="low")

    assert fresh(pilot).risk_tier == "low"


def test_it_refuses_an_owner_raising_the_tier(pilot, alice):
    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, by=alice, risk_tier="high")

    assert "risk tier" in field_errors(error.value)["risk_tier"]


# An ownerless pilot


def test_it_lets_an_executive_edit_a_pilot_without_a_deployment_owner(pilot, executive):
    assert not has_perm("portfolio.edit_pilot", executive, pilot)
    pilot_update(pilot=pilot, by=executive, deployment_owner=None)

    pilot_update(pilot=pilot, by=executive, summary="Kept up to date")

    assert has_perm("portfolio.edit_pilot", executive, fresh(pilot))
    assert fresh(pilot).summary == "Kept up to date"


def test_it_refuses_an_executive_the_answers_of_an_owned_pilot(pilot, executive):
    with pytest.raises(ValidationError):
        pilot_update(pilot=pilot, by=executive, summary="Mine now")

    assert fresh(pilot).summary == ""


# A risk approval holds for what it approved


@pytest.fixture
def approved(alice, charlie, executive):
    """A high-risk pilot awaiting decision, its risk approved by charlie."""
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high")
    pilot_update(pilot=pilot, by=executive, risk_owner=charlie)
    risk_approval_record(pilot=fresh(pilot), by=charlie)
    return fresh(pilot)


def scale(pilot: Pilot, by):
    """A Scale with the close-out answered and the open gates waived: only the risk
    approval is left to decide it."""
    ready = scale_ready(fresh(pilot), by=by)
    return decision_record(pilot=fresh(pilot), outcome="scale", by=by, rationale="Ready", **ready)


def tier_lowered_and_raised_again(pilot, executive):
    pilot_update(pilot=pilot, by=executive, risk_tier="medium", reason="Only internal data")
    pilot_update(pilot=pilot, by=executive, risk_tier="high")


def summary_changed(pilot, executive):
    pilot_update(pilot=pilot, summary="Also answers refund claims")


def target_changed(pilot, executive):
    metric_set(
        pilot=pilot, name="Hours of manual review per week", unit="hours",
        baseline=120, target=Decimal("90"), direction="decrease",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (tier_lowered_and_raised_again, "the risk tier"),
        (summary_changed, "the summary"),
        (target_changed, "the success metric"),
    ],
)
def test_it_refuses_a_scale_once_the_approved_scope_changed(
    approved, alice, executive, change, words
):
    # given: the risk owner approved, then the tier or the scope changed
    change(approved, executive)

    # when / then: a Scale needs a new approval
    with pytest.raises(ValidationError) as error:
        scale(approved, alice)
    assert f"is void since {words} changed" in error.value.messages[0]
    assert fresh(approved).stage == Stage.AWAITING_DECISION
    assert fresh(approved).risk_approvals.get().void_since == words


def test_it_refuses_a_scale_once_the_risk_owner_changed_even_back(
    approved, alice, charlie, executive
):
    # given: another risk owner for a while, then charlie again
    pilot_update(pilot=approved, by=executive, risk_owner=UserFactory(name="Rita Risk"))
    with pytest.raises(ValidationError) as error:
        scale(approved, alice)
    assert "approval is recorded" in error.value.messages[0]
    pilot_update(pilot=approved, by=executive, risk_owner=charlie)

    # when / then: charlie's approval was of a risk he stopped owning
    with pytest.raises(ValidationError) as error:
        scale(approved, alice)
    assert "is void since the risk owner changed" in error.value.messages[0]


def test_it_scales_after_a_new_approval_of_the_changed_scope(approved, alice, charlie, executive):
    summary_changed(approved, executive)
    risk_approval_record(pilot=fresh(approved), by=charlie)

    decision = scale(approved, alice)

    assert fresh(approved).stage == Stage.SCALING
    assert decision.outcome == "scale"


def test_it_records_what_the_risk_approval_approved(approved, charlie):
    approval = approved.risk_approvals.get()

    assert approval.scope == {
        "risk_tier": "high",
        "risk_owner": charlie.id,
        "summary": "",
        "metric_name": "Hours of manual review per week",
        "metric_baseline": "120",
        "metric_target": "60",
        "metric_direction": "decrease",
    }
    assert approval.void_since == ""


def test_it_refuses_a_scale_approved_by_a_risk_owner_who_decides(alice, bob):
    # given: a pilot recorded before the rule, its delivery owner its own risk owner
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high")
    Pilot.objects.filter(pk=pilot.pk).update(delivery_owner=bob, decision_maker=bob, risk_owner=bob)

    # when / then: neither his approval nor his Scale counts
    with pytest.raises(ValidationError):
        risk_approval_record(pilot=fresh(pilot), by=bob)
    with pytest.raises(ValidationError) as error:
        scale(pilot, bob)
    assert "The risk approval cannot count" in error.value.messages[0]
