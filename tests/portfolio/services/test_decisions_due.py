from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import DecisionDue, DeliveryStatus, DueCause, Stage
from portfolio.selectors.decisions_due import decision_due_condition
from portfolio.services.decisions_due import (
    decision_due_checks_deferred,
    decision_due_send,
    decisions_due_record,
)
from portfolio.services.decisions_due import decisions_due_send as daily_run
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from portfolio.services.parts import metric_set, pilot_part_update, reading_add
from portfolio.services.pilots import pilot_update
from tests.conftest import run_at_once, sqlite_cannot
from tests.factories import close_out, make_chartered_pilot
from tests.portfolio.services.test_alerts import html_of, text_of

START = date(2026, 3, 2)
END = date(2026, 5, 29)
SITE = "https://pilotgate.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def piloting_pilot(owner, *, title="Claims triage", direction="decrease", **fields):
    """A pilot piloting since START, planned to end on END; its metric 120 -> 60 hours
    (lower is better) or 40 -> 80 % (higher is better)."""
    fields.setdefault("pilot_end_planned", END)
    pilot = make_chartered_pilot(
        owner=owner, title=title, stage_entered_on=START, pilot_start=START, **fields
    )
    if direction == "increase":
        metric_set(
            pilot=pilot,
            name="First-contact resolution",
            unit="%",
            baseline=40,
            target=80,
            direction="increase",
        )
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=owner, on=START)
    return pilot


def causes_of(pilot) -> list[tuple[str, date]]:
    return list(DecisionDue.objects.filter(pilot=pilot).values_list("cause", "due_on"))


def is_due(pilot) -> bool:
    return type(pilot).objects.filter(decision_due_condition(), pk=pilot.pk).exists()


@pytest.mark.parametrize(
    "direction, short, reached",
    [("decrease", 75, 60), ("decrease", 61, 58), ("increase", 79, 80), ("increase", 50, 95)],
)
def test_it_makes_a_pilot_decision_due_when_a_reading_reaches_the_target(
    alice, direction, short, reached
):
    # given
    pilot = piloting_pilot(alice, direction=direction)

    # when: a reading short of the target, then one that reaches it
    with time_machine.travel("2026-04-20 09:00:00+00:00", tick=False):
        reading_add(pilot=pilot, measured_on=date(2026, 4, 13), value=short, by=alice)
        due_before = is_due(pilot)
        reading_add(pilot=pilot, measured_on=date(2026, 4, 20), value=reached, by=alice)

    # then
    assert due_before is False
    assert causes_of(pilot) == [(DueCause.TARGET_REACHED, date(2026, 4, 20))]
    assert is_due(pilot)


def test_it_makes_a_pilot_due_when_a_corrected_reading_or_a_changed_target_reaches_it(alice):
    # given: 70 hours, short of 60
    pilot = piloting_pilot(alice)
    reading = reading_add(pilot=pilot, measured_on=date(2026, 4, 13), value=70, by=alice)
    assert causes_of(pilot) == []

    # when: the target becomes 75 hours
    metric_set(
        pilot=pilot,
        name="Hours of manual review per week",
        unit="hours",
        baseline=120,
        target=75,
        direction="decrease",
        by=alice,
    )

    # then
    assert causes_of(pilot) == [(DueCause.TARGET_REACHED, date(2026, 4, 13))]
    assert reading.value == 70
    pilot_part_update(pilot=pilot, part=reading, by=alice, value=72)  # records nothing new
    assert DecisionDue.objects.count() == 1


def test_deferred_checks_take_each_pilot_once_in_its_final_state(alice):
    # given: 70 hours, short of 60
    pilot = piloting_pilot(alice)
    reading_add(pilot=pilot, measured_on=date(2026, 4, 13), value=70, by=alice)
    target = {"name": "Hours", "unit": "hours", "baseline": 120, "direction": "decrease"}

    # when: within, the target reaches the reading, then moves away again
    with decision_due_checks_deferred(as_of=date(2026, 4, 20)):
        metric_set(pilot=pilot, target=75, **target)
        noted_only = causes_of(pilot)
        metric_set(pilot=pilot, target=65, **target)

    # then: checked once on leaving, as it then stood: not due
    assert noted_only == []
    assert causes_of(pilot) == []

    # and when the final state reaches the target, it is recorded on leaving
    with decision_due_checks_deferred(as_of=date(2026, 4, 20)):
        metric_set(pilot=pilot, target=72, **target)
    assert causes_of(pilot) == [(DueCause.TARGET_REACHED, date(2026, 4, 13))]


def test_it_does_not_call_for_a_decision_on_a_pilot_that_is_not_piloting(alice, executive):
    # given: a proposed pilot and one awaiting decision
    proposed = make_chartered_pilot(owner=alice, title="Proposed")
    awaiting = piloting_pilot(alice, title="Awaiting")
    pilot_stage_move(pilot=awaiting, to_stage=Stage.AWAITING_DECISION, by=alice, on=START)

    # when
    for pilot in (proposed, awaiting):
        reading_add(pilot=pilot, measured_on=date(2026, 4, 13), value=10, by=alice)
    decisions_due_record(as_of=date(2027, 1, 1))

    # then
    assert DecisionDue.objects.count() == 0


def test_it_makes_a_pilot_due_the_day_after_its_planned_end_and_once(alice):
    # given
    pilot = piloting_pilot(alice)

    # when: the daily job on the planned end, the day after, and the day after that
    with time_machine.travel("2026-05-29 05:35:00+00:00", tick=False):
        on_the_day = decisions_due_record(as_of=date(2026, 5, 29))
    with time_machine.travel("2026-05-30 05:35:00+00:00", tick=False):
        day_after = decisions_due_record(as_of=date(2026, 5, 30))
    with time_machine.travel("2026-05-31 05:35:00+00:00", tick=False):
        again = decisions_due_record(as_of=date(2026, 5, 31))

    # then
    assert (on_the_day, day_after, again) == (0, 1, 0)
    assert causes_of(pilot) == [(DueCause.PLANNED_END, date(2026, 5, 30))]
    assert is_due(pilot)


def test_it_leaves_the_pilot_due_no_more_once_it_awaits_decision_and_starts_the_clock_then(alice):
    # given: due since 30 May
    pilot = piloting_pilot(alice)
    decisions_due_record(as_of=date(2026, 6, 3))

    # when: moved on 3 June
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=date(2026, 6, 3))

    # then: the stall clock starts on the move, not on the day it fell due
    pilot.refresh_from_db()
    assert pilot.stage_entered_on == date(2026, 6, 3)
    assert not is_due(pilot)


def test_it_calls_for_a_decision_again_after_a_redesign_sends_the_pilot_back(alice, executive):
    # given: due (target reached), then moved and redesigned
    pilot = piloting_pilot(alice)
    reading_add(pilot=pilot, measured_on=date(2026, 4, 13), value=55, by=alice)
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=date(2026, 4, 14))
    close_out(pilot)
    decision_record(
        pilot=pilot, outcome="redesign", by=executive, rationale="Wider scope", on=date(2026, 4, 20)
    )
    pilot_update(pilot=pilot, pilot_end_planned=date(2026, 9, 30))
    assert not is_due(pilot)

    # when: the new period's first reading reaches the target again
    reading_add(pilot=pilot, measured_on=date(2026, 6, 1), value=50, by=alice)

    # then: a new cause, in the new period
    assert list(
        DecisionDue.objects.filter(pilot=pilot).values_list("piloting_since", "due_on")
    ) == [(START, date(2026, 4, 13)), (date(2026, 4, 20), date(2026, 6, 1))]
    assert is_due(pilot)


def test_it_finds_the_planned_ends_in_the_same_number_of_queries_for_any_number_of_pilots(alice):
    def queries_for_a_run(day: date) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            recorded = decisions_due_record(as_of=day)
        return recorded, len(queries)

    # given
    piloting_pilot(alice, title="One")
    one = queries_for_a_run(date(2026, 6, 1))
    for n in range(6):
        piloting_pilot(alice, title=f"More {n}")

    # when
    more = queries_for_a_run(date(2026, 6, 1))

    # then
    assert one[0] == 1 and more[0] == 6
    assert one[1] == more[1] <= 5


def test_it_emails_the_decision_maker_once_per_pilot_and_cause(alice, executive, smtp_server):
    # given: Erin is the named decision maker; the target is reached, the end passes
    pilot = piloting_pilot(alice)
    pilot_update(pilot=pilot, decision_maker=executive)
    reading_add(pilot=pilot, measured_on=date(2026, 5, 4), value=58, by=alice)

    # when: the daily job runs twice, then after the planned end
    first = daily_run(as_of=date(2026, 5, 5))
    second = daily_run(as_of=date(2026, 5, 6))
    call_command("flag_decisions_due", "--as-of", "2026-06-01")
    call_command("flag_decisions_due", "--as-of", "2026-06-02")

    # then
    assert first["sent"] == 1 and second["sent"] == 0
    messages = smtp_server.to("erin@example.com")
    assert smtp_server.recipients() == ["erin@example.com", "erin@example.com"]
    assert [m["Subject"] for m in messages] == [
        "Pilotgate: the decision on Claims triage is due (its success metric reached its target)",
        "Pilotgate: the decision on Claims triage is due (its planned end passed)",
    ]
    text = text_of(messages[0])
    assert (
        "its success metric reached its target (Hours of manual review per week: "
        "target 60 hours, lower is better) with the reading of 4 May 2026" in text
    )
    assert 'Its deployment owner moves it to "Awaiting decision"' in text
    assert f"Open the pilot: {SITE}/pilots/{pilot.id}/" in text
    assert f'<a href="{SITE}/pilots/{pilot.id}/">Claims triage</a>' in html_of(messages[0])
    assert "its planned end, 29 May 2026, has passed" in text_of(messages[1])
    assert list(DecisionDue.objects.values_list("recipient__email", "status", "attempts")) == [
        ("erin@example.com", DeliveryStatus.SENT, 1),
        ("erin@example.com", DeliveryStatus.SENT, 1),
    ]


def test_it_emails_the_deployment_owner_when_no_decision_maker_is_named(alice, smtp_server):
    # given
    pilot = piloting_pilot(alice)
    reading_add(pilot=pilot, measured_on=date(2026, 5, 4), value=58, by=alice)

    # when
    daily_run(as_of=date(2026, 5, 5))

    # then: Alice may move it herself
    [message] = smtp_server.to("alice@example.com")
    assert 'Move it to "Awaiting decision" from its page (one click)' in text_of(message)


def test_it_sends_nothing_once_the_pilot_awaits_decision_or_has_nobody_to_decide(
    alice, smtp_server
):
    # given: one moved on before its email went, one whose owner left
    moved = piloting_pilot(alice, title="Moved")
    reading_add(pilot=moved, measured_on=date(2026, 5, 4), value=58, by=alice)
    pilot_stage_move(pilot=moved, to_stage=Stage.AWAITING_DECISION, by=alice, on=date(2026, 5, 5))
    nobody = piloting_pilot(alice, title="Nobody's")
    pilot_update(pilot=nobody, deployment_owner=None)

    # when
    outcome = daily_run(as_of=date(2026, 6, 1))

    # then
    assert smtp_server.messages == []
    assert outcome["skipped"] == 2
    assert set(DecisionDue.objects.values_list("status", flat=True)) == {DeliveryStatus.SKIPPED}


def test_it_records_a_refused_email_and_sends_it_on_the_next_run(alice, smtp_server, caplog):
    # given: the server refuses once
    pilot = piloting_pilot(alice)
    smtp_server.fail_next["alice@example.com"] = 1

    # when
    first = daily_run(as_of=date(2026, 6, 1))
    second = daily_run(as_of=date(2026, 6, 2))

    # then
    assert first["failed"] == 1 and second["sent"] == 1
    assert len(smtp_server.to("alice@example.com")) == 1
    assert "Decision-due email" in caplog.text
    due = DecisionDue.objects.get(pilot=pilot)
    assert (due.status, due.attempts, due.last_error) == (DeliveryStatus.SENT, 2, "")


def test_it_sends_nothing_for_a_delivery_already_sent(alice, smtp_server):
    # given
    piloting_pilot(alice)
    daily_run(as_of=date(2026, 6, 1))
    due = DecisionDue.objects.get()

    # when
    status = decision_due_send(due_id=due.id)

    # then
    assert status == ""
    assert len(smtp_server.messages) == 1


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_it_sends_one_email_when_two_workers_claim_it_at_once(alice, smtp_server):
    # given: the server takes its time, so both senders overlap
    piloting_pilot(alice)
    decisions_due_record(as_of=date(2026, 6, 1))
    due = DecisionDue.objects.get()
    smtp_server.delay = 0.3

    # when
    statuses, errors = run_at_once(
        lambda: decision_due_send(due_id=due.id), lambda: decision_due_send(due_id=due.id)
    )

    # then
    assert errors == []
    assert sorted(statuses) == ["", "sent"]
    assert len(smtp_server.to("alice@example.com")) == 1
    due.refresh_from_db()
    assert due.attempts == 1


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_it_records_a_cause_once_when_two_daily_runs_overlap(alice, smtp_server):
    # given
    for n in range(5):
        piloting_pilot(alice, title=f"Pilot {n}")

    # when
    outcomes, errors = run_at_once(
        lambda: daily_run(as_of=date(2026, 6, 1)), lambda: daily_run(as_of=date(2026, 6, 1))
    )

    # then
    assert errors == []
    assert DecisionDue.objects.count() == 5
    assert len(smtp_server.to("alice@example.com")) == 5
    assert sum(outcome["sent"] for outcome in outcomes) == 5


def test_it_records_nothing_for_a_reading_refused_to_someone_who_may_not_edit(alice, charlie):
    # given: Charlie may not add readings to Alice's pilot
    pilot = piloting_pilot(alice)

    # when
    with pytest.raises(PermissionDenied):
        reading_add(pilot=pilot, measured_on=date(2026, 4, 13), value=10, by=charlie)

    # then
    assert DecisionDue.objects.count() == 0
