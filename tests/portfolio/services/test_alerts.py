import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates import services as gate_services
from gates.models import Criterion
from gates.selectors import pilot_blockers
from portfolio.models import AlertDelivery, DeliveryStatus, DigestOptOut, Snooze
from portfolio.services.alert_links import snooze_create
from portfolio.services.alerts import alert_delivery_send, stall_alerts_plan, stall_alerts_send
from portfolio.services.lifecycle import decision_record
from portfolio.services.parts import cost_line_add
from portfolio.services.pilots import pilot_update
from tests.conftest import run_at_once, sqlite_cannot
from tests.factories import UserFactory, criterion_meet, make_awaiting_pilot, reviewer

MONDAY = date(2026, 6, 1)
SITE = "https://pilotgate.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def text_of(message) -> str:
    """The text part as sent: SMTP carries CRLF line ends."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")


def deliveries() -> list[tuple[str, str, str, int]]:
    return sorted(
        AlertDelivery.objects.values_list("recipient__email", "kind", "status", "attempts")
    )


def test_it_sends_each_owner_one_alert_with_only_their_own_pilots(stall_portfolio, smtp_server):
    # given
    p = stall_portfolio

    # when
    call_command("send_stall_alerts", "--as-of", "2026-06-01")

    # then
    assert smtp_server.recipients() == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
    ]
    [alert] = smtp_server.to("alice@example.com")
    assert alert["Subject"] == "Pilotgate: 2 stalled pilots you own need a decision"
    text = text_of(alert)
    assert "1. Contact-centre assistant (Customer service)\n" in text
    assert "Stalled: awaiting a decision for 142 days, since 10 January 2026." in text
    assert (
        "Warning signals: Decision deferred twice or more; "
        "Open objections from two or more functions; Almost ready for too long"
    ) in text
    # what blocks it, one line a gate: who is expected to act, and how
    assert (
        "- 2. Production data: 4 criteria open, waiting for Data (evidence, sign-off), "
        "Security (evidence, sign-off), Legal (objection to resolve)\n"
    ) in text
    assert "- 3. Workflow integration: 4 criteria open, waiting for IT (evidence, " in text
    assert "- 4. Value measurement: 4 criteria open, waiting for Deployment owner (" in text
    assert "Security clearance" not in text  # a gate's summary, not each criterion
    assert f"Open the pilot: {SITE}/pilots/{p.stalled.id}/" in text
    assert f"{SITE}/alerts/snooze/" in text
    assert "2. Cost-anomaly model (Finance) - NEW THIS WEEK" in text
    assert "Claims triage" not in text  # Bob's
    assert "Invoice matching" not in text  # nobody's
    assert "Knowledge search" not in text  # decided
    html = html_of(alert)
    assert f'<a href="{SITE}/pilots/{p.stalled.id}/">Contact-centre assistant</a>' in html
    assert "<strong>2. Production data</strong>: 4 criteria open, waiting for Data" in html
    [bob_alert] = smtp_server.to("bob@example.com")
    assert bob_alert["Subject"] == "Pilotgate: 1 drifting pilot you own needs a decision"
    assert "Drifting: still piloting 4 days after its planned end, 28 May 2026." in text_of(
        bob_alert
    )
    assert "Contact-centre assistant" not in text_of(bob_alert)


def test_it_opens_the_digest_with_the_decisions_overdue_then_the_drifting_by_unit(
    stall_portfolio, smtp_server
):
    # given
    p = stall_portfolio
    UserFactory(email="frank@example.com", name="Frank Executive", role="executive")
    pilot_update(pilot=p.stalled, decision_maker=UserFactory(name="Dora Decider"))
    cost_line_add(pilot=p.stalled, category="integration", phase="transition", amount=45000)
    cost_line_add(pilot=p.stalled, category="data", phase="transition", amount=3000, currency="USD")

    # when
    stall_alerts_send(as_of=MONDAY)

    # then
    [digest] = smtp_server.to("erin@example.com")
    assert len(smtp_server.to("frank@example.com")) == 1
    assert digest["Subject"] == "Pilotgate: 4 pilots stalled or drifting, 3 decisions overdue"
    text = text_of(digest)
    assert "3 decisions overdue (pilots awaiting a decision for more than 60 days)" in text
    assert "1 pilot drifting (still piloting past the planned end); 1 without a deployment" in text
    assert "This is your first Pilotgate digest" in text
    assert "NEW" not in text  # new only against a digest this executive got
    # the decisions overdue first, worst first, with who decides and what is at stake
    order = [
        "DECISIONS OVERDUE (3)",
        "1. Contact-centre assistant (Customer service)\n"
        "   Decision maker: Dora Decider; waiting 142 days; "
        "transition cost at stake: 45,000 EUR and 3,000 USD",
        "2. Invoice matching (Finance)\n"
        "   Decision maker: NOBODY NAMED; waiting 120 days; transition cost at stake: not costed",
        "3. Cost-anomaly model (Finance)\n   Decision maker: Alice",
        "NOBODY OWNS THESE (no deployment owner named):\n- Invoice matching (Finance)",
        "DRIFTING, BY UNIT (1)",
        "Customer service (1)\n* Claims triage: 4 days past its planned end; owner Bob",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "SINCE YOUR LAST DIGEST" not in text
    assert "Meeting notes" not in text and "Knowledge search" not in text
    assert f"{SITE}/pilots/{p.unowned.id}/" in text
    assert f"The portfolio dashboard: {SITE}/" in text
    html = html_of(digest)
    assert "<h2>Decisions overdue (3)</h2>" in html
    assert "<h3>Customer service (1)</h3>" in html
    assert digest["List-Unsubscribe"].strip().startswith(f"<{SITE}/alerts/unsubscribe/")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_it_says_what_changed_since_the_last_digest_the_executive_got(
    stall_portfolio, smtp_server, executive
):
    # given: last week's digest went out; this week one pilot is decided, one new stalls
    p = stall_portfolio
    stall_alerts_send(as_of=MONDAY)
    smtp_server.messages.clear()
    decision_record(
        pilot=p.stalled_new, outcome="stop", by=executive, rationale="No value", on=date(2026, 6, 3)
    )
    late = make_awaiting_pilot(
        owner=p.stalled.deployment_owner, entered_on=date(2026, 4, 6), title="Late reader"
    )
    newcomer = UserFactory(email="nina@example.com", name="Nina New", role="executive")

    # when
    stall_alerts_send(as_of=date(2026, 6, 8))

    # then: the change is relative to the previous digest that executive got
    text = text_of(smtp_server.to("erin@example.com")[0])
    assert "This is your first" not in text
    assert "SINCE YOUR LAST DIGEST (1 June 2026)" in text
    assert "Newly stalled or drifting: Late reader (stalled)." in text
    assert "Cleared: Cost-anomaly model (Finance)." in text
    assert "Decided: Cost-anomaly model: Stop, 3 Jun by Erin Executive." in text
    assert f"{late.title} ({late.business_unit.name}) - NEW\n" in text
    first = text_of(smtp_server.to(newcomer.email)[0])
    assert "This is your first Pilotgate digest" in first
    assert "SINCE YOUR LAST DIGEST" not in first


def test_it_sends_nobody_else(stall_portfolio, smtp_server, charlie):
    # given: an executive who left, one who opted out, a reviewer, an admin
    UserFactory(email="gone@example.com", role="executive", is_active=False)
    DigestOptOut.objects.create(user=UserFactory(email="quiet@example.com", role="executive"))
    UserFactory(email="legal@example.com", role="reviewer", function="legal")
    UserFactory(email="gov@example.com", role="admin")

    # when
    stall_alerts_send(as_of=MONDAY)

    # then
    assert smtp_server.recipients() == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
    ]


def test_it_sends_nothing_in_a_week_with_nothing_stalled(alice, executive, smtp_server):
    # given: one pilot awaiting a decision, 60 days: not yet stalled
    make_awaiting_pilot(owner=alice, entered_on=date(2026, 4, 2))

    # when
    call_command("send_stall_alerts", "--as-of", "2026-06-01")

    # then
    assert smtp_server.messages == []
    assert AlertDelivery.objects.count() == 0


def test_it_sends_each_recipient_once_a_week_however_often_it_runs(stall_portfolio, smtp_server):
    # given
    stall_alerts_send(as_of=MONDAY)

    # when: again on Monday, and on Wednesday of the same ISO week
    again = stall_alerts_send(as_of=MONDAY)
    call_command("send_stall_alerts", "--as-of", "2026-06-03")

    # then
    assert again == {}
    assert len(smtp_server.messages) == 3
    assert [status for *_, status, _ in deliveries()] == ["sent"] * 3

    # when: the next week
    stall_alerts_send(as_of=date(2026, 6, 8))

    # then
    assert len(smtp_server.messages) == 6


def test_it_sends_the_others_when_the_smtp_server_refuses_one_and_sends_it_on_the_next_run(
    stall_portfolio, smtp_server, caplog
):
    # given
    smtp_server.refuse.add("bob@example.com")

    # when
    with pytest.raises(CommandError) as refused:
        call_command("send_stall_alerts", "--as-of", "2026-06-01")

    # then: the others got theirs; the failure is recorded, logged and reported
    assert smtp_server.recipients() == ["alice@example.com", "erin@example.com"]
    assert "1 email(s) could not be sent" in str(refused.value)
    bob = AlertDelivery.objects.get(recipient__email="bob@example.com")
    assert (bob.status, bob.attempts) == (DeliveryStatus.FAILED, 1)
    assert "SMTPRecipientsRefused" in bob.last_error and "550" in bob.last_error
    assert "Stall alert 2026-W23 to bob@example.com failed (attempt 1)" in caplog.text

    # when: the server takes Bob's mail again, and the command runs again
    smtp_server.refuse.clear()
    call_command("send_stall_alerts", "--as-of", "2026-06-01")

    # then: Bob has his, nobody has two
    assert smtp_server.recipients() == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
    ]
    assert deliveries() == [
        ("alice@example.com", "owner_alert", "sent", 1),
        ("bob@example.com", "owner_alert", "sent", 2),
        ("erin@example.com", "executive_digest", "sent", 1),
    ]


def test_it_skips_an_alert_whose_pilots_were_decided_before_it_went_out(
    stall_portfolio, smtp_server, executive
):
    # given: the week's alerts are claimed, then Bob's only pilot is stopped
    delivery_ids = stall_alerts_plan(as_of=MONDAY)
    decision_record(
        pilot=stall_portfolio.drifting, outcome="stop", by=executive, rationale="Done", on=MONDAY
    )

    # when
    statuses = [alert_delivery_send(delivery_id=i) for i in delivery_ids]

    # then
    assert statuses == ["sent", "skipped", "sent"]
    assert smtp_server.recipients() == ["alice@example.com", "erin@example.com"]


def test_it_leaves_a_snoozed_pilot_out_of_the_owner_alert_and_shows_it_in_the_digest(
    stall_portfolio, smtp_server, alice
):
    # given
    snooze_create(
        pilot=stall_portfolio.stalled,
        by=alice,
        reason="Waiting for the legal opinion",
        until=date(2026, 6, 20),
        on=date(2026, 5, 29),
    )

    # when
    stall_alerts_send(as_of=MONDAY)

    # then
    alert = text_of(smtp_server.to("alice@example.com")[0])
    assert "Contact-centre assistant" not in alert
    assert "Cost-anomaly model" in alert
    digest = text_of(smtp_server.to("erin@example.com")[0])
    assert "1. Contact-centre assistant (Customer service)\n" in digest
    assert (
        "Owner's alert snoozed by Alice Owner until 20 June 2026: Waiting for the legal opinion"
    ) in digest
    assert Snooze.objects.count() == 1


def test_it_sends_no_owner_alert_when_all_their_pilots_are_snoozed(
    stall_portfolio, smtp_server, bob
):
    # given
    snooze_create(
        pilot=stall_portfolio.drifting,
        by=bob,
        reason="Extended by the sponsor",
        until=date(2026, 6, 30),
        on=MONDAY,
    )

    # when
    stall_alerts_send(as_of=MONDAY)

    # then
    assert smtp_server.to("bob@example.com") == []
    assert "Claims triage" in text_of(smtp_server.to("erin@example.com")[0])


def test_it_sends_each_email_in_a_number_of_queries_that_does_not_grow_with_pilots(
    alice, bob, executive
):
    # given: Alice owns one stalled pilot, Bob five
    make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 1), title="Alice's")
    for n in range(5):
        make_awaiting_pilot(owner=bob, entered_on=date(2026, 1, 1), title=f"Bob's {n}")
    first = dict(
        zip(
            ["alice", "bob", "erin"],
            stall_alerts_plan(as_of=MONDAY),
            strict=True,
        )
    )

    # when
    counts = {}
    for name, delivery_id in first.items():
        with CaptureQueriesContext(connection) as queries:
            assert alert_delivery_send(delivery_id=delivery_id) == "sent"
        counts[name] = len(queries)

    # then
    assert counts["alice"] == counts["bob"]
    assert counts["erin"] <= counts["bob"]

    # when: the digests of the next two weeks (each after a previous one), the
    # second of a bigger portfolio
    [*_, digest_id] = stall_alerts_plan(as_of=date(2026, 6, 8))
    with CaptureQueriesContext(connection) as queries:
        alert_delivery_send(delivery_id=digest_id)
    second = len(queries)
    for n in range(5):
        make_awaiting_pilot(owner=bob, entered_on=date(2026, 1, 1), title=f"More {n}")
    [*_, digest_id] = stall_alerts_plan(as_of=date(2026, 6, 15))
    with CaptureQueriesContext(connection) as queries:
        alert_delivery_send(delivery_id=digest_id)

    # then: a digest that reports changes asks two more queries, whatever their number
    assert second == counts["erin"] + 2
    assert len(queries) == second


def test_it_lists_who_would_get_what_on_a_dry_run_and_sends_nothing(
    stall_portfolio, smtp_server, capsys
):
    # given
    stall_alerts_send(as_of=date(2026, 5, 25))  # last week's: not this week's
    smtp_server.messages.clear()
    delivered = AlertDelivery.objects.count()

    # when
    call_command("send_stall_alerts", "--as-of", "2026-06-01", "--dry-run")

    # then
    assert capsys.readouterr().out.splitlines() == [
        "alice@example.com: Owner stall alert: Pilotgate: 2 stalled pilots you own need a decision",
        "bob@example.com: Owner stall alert: Pilotgate: 1 drifting pilot you own needs a decision",
        "erin@example.com: Executive portfolio digest: "
        "Pilotgate: 4 pilots stalled or drifting, 3 decisions overdue",
        "3 email(s) for week 2026-W23; none sent.",
    ]
    assert smtp_server.messages == []
    assert AlertDelivery.objects.count() == delivered
    assert not stall_portfolio.drifting.stall_events.exists()


def test_it_refuses_a_bad_date_with_a_clear_message(db):
    # when
    with pytest.raises(CommandError) as refused:
        call_command("send_stall_alerts", "--as-of", "1 June", "--dry-run")

    # then
    assert str(refused.value) == "--as-of: '1 June' is not a date; use YYYY-MM-DD"


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_it_sends_each_recipient_once_when_two_runs_send_at_once(stall_portfolio, smtp_server):
    # given: two senders started together; the server takes its time over each mail
    smtp_server.delay = 0.3

    def send():
        return stall_alerts_send(as_of=MONDAY)

    # when
    outcomes, errors = run_at_once(send, send, timeout=60)

    # then
    assert errors == []
    assert smtp_server.recipients() == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
    ]
    assert sum(outcome["sent"] for outcome in outcomes) == 3
    assert [attempts for *_, attempts in deliveries()] == [1, 1, 1]


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_it_sends_each_recipient_once_when_the_sender_is_killed_half_way_and_run_again(
    stall_portfolio, smtp_server
):
    # given: the sender is a separate process, killed while Bob's mail is in flight
    smtp_server.hold = "bob@example.com"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "SITE_URL": SITE,
    }
    env.pop("REDIS_URL", None)
    sender = subprocess.Popen(
        [sys.executable, "manage.py", "send_stall_alerts", "--as-of", "2026-06-01"],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp_server.holding.wait(60), "the sender never reached Bob's mail"
        sender.send_signal(signal.SIGKILL)
        sender.wait(10)
    finally:
        if sender.poll() is None:
            sender.kill()
    smtp_server.release.set()
    assert smtp_server.recipients() == ["alice@example.com"]
    smtp_server.hold = ""

    # when
    call_command("send_stall_alerts", "--as-of", "2026-06-01")

    # then
    assert smtp_server.recipients() == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
    ]
    assert deliveries() == [
        ("alice@example.com", "owner_alert", "sent", 1),
        ("bob@example.com", "owner_alert", "sent", 1),  # the killed attempt rolled back
        ("erin@example.com", "executive_digest", "sent", 1),
    ]


def test_it_says_what_each_open_criterion_waits_for_and_who_acts(alice, django_assert_num_queries):
    # given: a low-risk pilot (fast track: gates 1, 3 and 4 only)
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 1), risk_tier="low")
    stability = Criterion.objects.get(text="Integration stability")
    evidence = gate_services.evidence_submit(
        pilot=pilot, criterion=stability, by=alice, text="Load test report"
    )
    gate_services.evidence_review(evidence=evidence, by=reviewer("it"), accept=True)
    rollback = Criterion.objects.get(text="Rollback procedure")
    gate_services.signoff_record(
        pilot=pilot, criterion=rollback, by=reviewer("it"), verdict="objected", comment="Untested"
    )
    criterion_meet(
        pilot=pilot,
        criterion=Criterion.objects.get(text="Baseline measured before the pilot"),
        by=alice,
    )

    # when
    with django_assert_num_queries(3):
        blockers = pilot_blockers([pilot])[pilot.id]

    # then
    waiting = {b.criterion: (b.gate, b.function, b.waiting_for) for b in blockers}
    assert waiting["Integration stability"] == ("3. Workflow integration", "IT", "sign-off")
    assert waiting["Rollback procedure"] == (
        "3. Workflow integration",
        "IT",
        "objection to resolve",
    )
    assert waiting["Scale and stop criteria written before the decision"] == (
        "4. Value measurement",
        "Business",
        "evidence and sign-off",
    )
    assert "Baseline measured before the pilot" not in waiting  # met
    assert "Security clearance" not in waiting  # gate 2: not on the fast track
    assert {gate for gate, _, _ in waiting.values()} == {
        "1. Business ownership",
        "3. Workflow integration",
        "4. Value measurement",
    }
