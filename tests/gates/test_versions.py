"""Checklist versions: drafts, the impact preview, publication moving only the chosen
pilots, evidence carried over by key, pilots on different versions side by side."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from gates.models import ChecklistEvent, ChecklistVersion, Criterion, Gate, GateStatus
from gates.selectors import (
    MoveChoice,
    checklist_version_impact,
    current_version,
    pilot_checklist,
    version_diff,
)
from gates.services import (
    checklist_draft_start,
    checklist_version_publish,
    criterion_draft_remove,
    criterion_draft_save,
    evidence_submit,
)
from portfolio.models import Pilot, Role, Stage
from portfolio.services.lifecycle import pilot_stage_move
from tests.factories import (
    UserFactory,
    criteria,
    gate_meet,
    make_chartered_pilot,
    make_pilot,
)

EU_AI_ACT = "EU AI Act risk classification is recorded"


@pytest.fixture
def gov(db):
    return UserFactory(email="gov@example.com", name="Gina Governance", role=Role.ADMIN)


def gate_status(pilot: Pilot, key: str) -> str:
    return GateStatus.objects.get(pilot=pilot, gate__key=key).status


def draft_with_new_governance_criterion(gov):
    criterion_draft_save(
        by=gov,
        gate=Gate.objects.get(key="governance"),
        text=EU_AI_ACT,
        required=True,
        function="",
        applies_to_low=True,
        applies_to_medium=True,
        applies_to_high=True,
    )
    return checklist_draft_start(by=gov)


def pilot_in(stage: str, *, owner, title: str, governance_met: bool = True) -> Pilot:
    pilot = make_chartered_pilot(owner=owner, title=title)
    if governance_met:
        gate_meet(pilot=pilot, key="governance", by=owner)
    Pilot.objects.filter(id=pilot.id).update(stage=stage)
    pilot.refresh_from_db()
    return pilot


def test_it_starts_every_pilot_on_the_published_version(alice):
    pilot = make_pilot(deployment_owner=alice)

    assert pilot.checklist_version == current_version()
    assert current_version().number == 1


def test_it_puts_an_edit_into_a_draft_and_changes_no_published_version(gov, alice):
    # given
    pilot = pilot_in(Stage.PILOTING, owner=alice, title="Running")
    published = set(Criterion.objects.values_list("id", "text"))

    # when
    draft = draft_with_new_governance_criterion(gov)

    # then: the published criteria are untouched, the draft has one criterion more
    assert set(Criterion.objects.exclude(version=draft).values_list("id", "text")) == published
    assert draft.criteria.count() == len(published) + 1
    assert gate_status(pilot, "governance") == "passed"
    diff = version_diff(version=draft, base=current_version())
    assert [c.text for c in diff.added] == [EU_AI_ACT] and not diff.removed


def test_it_refuses_a_draft_to_anyone_but_a_governance_admin(alice, executive):
    for person in (alice, executive, UserFactory(email="r@example.com", role=Role.REVIEWER)):
        with pytest.raises(PermissionDenied):
            checklist_draft_start(by=person)
        with pytest.raises(PermissionDenied):
            criterion_draft_save(by=person, gate=Gate.objects.first(), text="Sneaky")
    assert not ChecklistVersion.objects.filter(status="draft").exists()


def test_it_shows_the_impact_by_stage_before_publishing(gov, alice):
    # given
    proposed = pilot_in(Stage.PROPOSED, owner=alice, title="Proposed")
    live = pilot_in(Stage.IN_PRODUCTION, owner=alice, title="Live")
    draft = draft_with_new_governance_criterion(gov)

    # when
    impact = checklist_version_impact(version=draft)

    # then: both would lose the governance gate if moved; nothing has changed yet
    lost = {(row.title, row.gate.key, row.after) for row in impact.rows}
    assert lost == {("Proposed", "governance", "open"), ("Live", "governance", "open")}
    assert impact.by_stage == {
        Stage.IN_PRODUCTION: {"gained": 0, "lost": 1},
        Stage.PROPOSED: {"gained": 0, "lost": 1},
    }
    assert impact.moved_by_choice[MoveChoice.NOT_STARTED] == 1
    assert impact.moved_by_choice[MoveChoice.ALL_BUT_PRODUCTION] == 1
    assert gate_status(proposed, "governance") == gate_status(live, "governance") == "passed"


def test_it_moves_only_the_pilots_chosen_and_records_who_moved_them(gov, alice):
    # given
    proposed = pilot_in(Stage.PROPOSED, owner=alice, title="Proposed")
    running = pilot_in(Stage.PILOTING, owner=alice, title="Running")
    live = pilot_in(Stage.IN_PRODUCTION, owner=alice, title="Live")
    v1 = current_version()
    draft = draft_with_new_governance_criterion(gov)

    # when
    moved = checklist_version_publish(version=draft, by=gov, move=MoveChoice.NOT_STARTED)

    # then
    assert moved == [proposed.id]
    versions = dict(Pilot.objects.values_list("title", "checklist_version__number"))
    assert versions == {"Proposed": 2, "Running": 1, "Live": 1}
    # side by side: the moved pilot lost the gate, the others keep it passed
    assert gate_status(proposed, "governance") == "open"
    assert gate_status(running, "governance") == gate_status(live, "governance") == "passed"
    event = ChecklistEvent.objects.get(pilot=proposed)
    assert event.summary == "Moved to checklist v2 by Gina Governance (from v1)"
    assert not ChecklistEvent.objects.filter(pilot__in=[running, live]).exists()
    # the texts a pilot shows are its version's
    texts = {i.criterion.text for g in pilot_checklist(pilot=running) for i in g.items}
    assert EU_AI_ACT not in texts
    assert all(i.criterion.version == v1 for g in pilot_checklist(pilot=live) for i in g.items)
    # a new pilot starts on the new version
    assert make_pilot(title="New").checklist_version.number == 2


def test_it_never_moves_a_pilot_in_production(gov, alice):
    live = pilot_in(Stage.IN_PRODUCTION, owner=alice, title="Live")
    draft = draft_with_new_governance_criterion(gov)

    checklist_version_publish(version=draft, by=gov, move=MoveChoice.ALL_BUT_PRODUCTION)

    live.refresh_from_db()
    assert live.checklist_version.number == 1
    assert gate_status(live, "governance") == "passed"


def test_it_carries_evidence_over_on_surviving_criteria(gov, alice):
    # given: a pilot that passed the governance gate; a draft rewording one criterion
    pilot = pilot_in(Stage.PROPOSED, owner=alice, title="Proposed")
    first = next(c for c in criteria("governance") if c.required)
    criterion_draft_save(
        by=gov, key=first.key, gate=first.gate, text="Risk classification recorded and dated"
    )

    # when
    checklist_version_publish(version=checklist_draft_start(by=gov), by=gov, move="not_started")

    # then: same key, new text, the evidence counts: the gate still passes
    pilot.refresh_from_db()
    assert pilot.checklist_version.number == 2
    assert gate_status(pilot, "governance") == "passed"
    texts = [i.criterion.text for g in pilot_checklist(pilot=pilot) for i in g.items]
    assert "Risk classification recorded and dated" in texts
    assert first.text not in texts


def test_it_retires_a_criterion_in_a_new_version_only(gov, alice):
    # given
    pilot = pilot_in(Stage.PROPOSED, owner=alice, title="Proposed", governance_met=False)
    retired = next(c for c in criteria("governance") if c.required)

    # when
    criterion_draft_remove(by=gov, key=retired.key)
    checklist_version_publish(version=checklist_draft_start(by=gov), by=gov, move="not_started")

    # then: version 1 keeps it, the pilot's checklist no longer asks for it
    pilot.refresh_from_db()
    assert Criterion.objects.filter(id=retired.id).exists()
    keys = {i.criterion.key for g in pilot_checklist(pilot=pilot) for i in g.items}
    assert retired.key not in keys
    required = GateStatus.objects.get(pilot=pilot, gate__key="governance").criteria_required
    before = [c for c in criteria("governance", version=retired.version) if c.required]
    assert required == len(before) - 1


def test_it_refuses_evidence_on_a_criterion_of_another_version(gov, alice):
    pilot = pilot_in(Stage.PILOTING, owner=alice, title="Running", governance_met=False)
    draft = draft_with_new_governance_criterion(gov)
    checklist_version_publish(version=draft, by=gov, move=MoveChoice.NONE)
    new = draft.criteria.get(text=EU_AI_ACT)

    with pytest.raises(ValidationError, match="not on the pilot's version"):
        evidence_submit(pilot=pilot, criterion=new, by=alice, text="Done")


def test_it_publishes_once_and_refuses_without_a_choice(gov):
    draft = draft_with_new_governance_criterion(gov)

    with pytest.raises(ValidationError, match="Choose which pilots"):
        checklist_version_publish(version=draft, by=gov, move="")
    checklist_version_publish(version=draft, by=gov, move=MoveChoice.NONE)
    with pytest.raises(ValidationError, match="already been published"):
        checklist_version_publish(version=draft, by=gov, move=MoveChoice.NONE)


def test_it_refuses_publication_to_anyone_but_a_governance_admin(gov, alice, executive):
    draft = draft_with_new_governance_criterion(gov)

    for person in (alice, executive):
        with pytest.raises(PermissionDenied):
            checklist_version_publish(version=draft, by=person, move=MoveChoice.NONE)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_it_keeps_the_version_a_pilot_started_under_when_it_starts(gov, alice):
    pilot = make_chartered_pilot(owner=alice)
    checklist_version_publish(
        version=draft_with_new_governance_criterion(gov), by=gov, move=MoveChoice.NONE
    )

    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice)

    pilot.refresh_from_db()
    assert pilot.checklist_version.number == 1


def test_it_refuses_to_delete_a_criterion_or_gate_a_version_uses(db):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Gate.objects.get(key="governance").delete()
    with pytest.raises(ProtectedError):
        current_version().delete()


def test_the_seed_command_on_an_empty_portfolio_shows_a_pilot_on_an_older_version(db):
    call_command("seed_demo", "--pilots", "30", verbosity=0)

    assert current_version().number == 2
    older = Pilot.objects.filter(checklist_version__number=1)
    assert older.exists() and set(older.values_list("stage", flat=True)) == {Stage.IN_PRODUCTION}


def test_the_pilots_history_says_who_moved_it(gov, alice):
    from portfolio.selectors.timeline import pilot_timeline

    pilot = pilot_in(Stage.PROPOSED, owner=alice, title="Proposed")
    checklist_version_publish(
        version=draft_with_new_governance_criterion(gov), by=gov, move=MoveChoice.NOT_STARTED
    )

    entries = [e for e in pilot_timeline(pilot=pilot) if e.kind == "checklist"]
    assert [(e.summary, e.by) for e in entries] == [
        ("Moved to checklist v2 by Gina Governance (from v1)", "Gina Governance")
    ]
