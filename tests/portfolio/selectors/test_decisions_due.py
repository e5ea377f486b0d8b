from datetime import date

from portfolio.models import Role, Stage
from portfolio.selectors.decisions_due import decision_due_for
from portfolio.services.decisions_due import decisions_due_record
from portfolio.services.lifecycle import pilot_stage_move
from portfolio.services.parts import reading_add
from portfolio.services.pilots import pilot_update
from tests.factories import UserFactory
from tests.portfolio.services.test_decisions_due import END, piloting_pilot

AFTER_END = date(2026, 6, 1)


def test_it_lists_the_decisions_due_to_each_decision_maker_only(alice, bob, charlie, executive):
    # given: Alice decides her own pilot, Erin is named on Bob's; a third is not due
    alices = piloting_pilot(alice, title="Alice's")
    bobs = piloting_pilot(bob, title="Bob's")
    pilot_update(pilot=bobs, decision_maker=executive)
    pilot_update(pilot=alices, pilot_end_planned=date(2026, 12, 31))
    reading_add(pilot=alices, measured_on=date(2026, 5, 4), value=55, by=alice)
    decisions_due_record(as_of=AFTER_END)
    piloting_pilot(charlie, title="Charlie's")  # planned end passed, not recorded yet
    reviewer = UserFactory(email="rita@example.com", role=Role.REVIEWER, function="legal")

    # when
    due = {user.email: list(decision_due_for(user)) for user in (alice, bob, executive, reviewer)}

    # then: Bob owns his pilot but Erin decides it
    assert due == {
        "alice@example.com": [alices],
        "bob@example.com": [],
        "erin@example.com": [bobs],
        "rita@example.com": [],
    }
    [row] = due["alice@example.com"]
    assert (row.due_target_on, row.due_end_on, row.decision_due_on) == (
        date(2026, 5, 4),
        None,
        date(2026, 5, 4),
    )
    [row] = due["erin@example.com"]
    assert (row.due_target_on, row.due_end_on) == (None, END.replace(day=30))


def test_it_lists_a_pilot_no_more_once_it_awaits_decision(alice, django_assert_num_queries):
    # given
    moved = piloting_pilot(alice, title="Moved")
    piloting_pilot(alice, title="Still piloting")
    decisions_due_record(as_of=AFTER_END)
    pilot_stage_move(pilot=moved, to_stage=Stage.AWAITING_DECISION, by=alice, on=AFTER_END)

    # when
    with django_assert_num_queries(1):
        due = [pilot.title for pilot in decision_due_for(alice)]

    # then
    assert due == ["Still piloting"]
