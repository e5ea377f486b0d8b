"""The weekly alerts and what expires: an owner is warned 30 days ahead, the executive
digest lists the live systems whose readiness lapsed."""

from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from portfolio.models import Pilot, Stage
from portfolio.services.pilots import pilot_update
from tests.factories import gate_meet, make_chartered_pilot

MONDAY = date(2026, 12, 28)
SITE = "https://pilotgate.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_it_warns_an_owner_of_evidence_expiring_within_30_days(alice, bob, smtp_server):
    # given: alice's security clearance accepted on 15 January 2026 (valid 12 months),
    # bob's accepted in June (not due yet); neither has a stalled pilot
    mine = make_chartered_pilot(owner=alice, title="Mine")
    with time_machine.travel("2026-01-15 10:00:00+00:00", tick=False):
        gate_meet(pilot=mine, key="data", by=alice)
    with time_machine.travel("2026-06-15 10:00:00+00:00", tick=False):
        gate_meet(pilot=make_chartered_pilot(owner=bob, title="Bob's"), key="data", by=bob)

    # when
    call_command("send_stall_alerts", "--as-of", MONDAY.isoformat())

    # then
    assert smtp_server.recipients() == ["alice@example.com"]
    [alert] = smtp_server.to("alice@example.com")
    assert alert["Subject"] == ("Pilotgate: evidence to re-confirm on pilots you own")
    text = text_of(alert)
    assert "EXPIRING WITHIN 30 DAYS" in text
    assert (
        '- Mine: evidence of "Security clearance" no longer holds from 15 January 2027. '
        f"{SITE}/pilots/{mine.id}/"
    ) in text
    assert '- Mine: Security sign-off of "Security clearance"' in text


def test_it_tells_the_executives_of_a_live_system_whose_readiness_lapsed(
    alice, executive, smtp_server
):
    # given: a live system whose governance gate passed, then lapsed on a tier change
    live = make_chartered_pilot(owner=alice, title="Live assistant")
    gate_meet(pilot=live, key="governance", by=alice)
    Pilot.objects.filter(id=live.id).update(stage=Stage.IN_PRODUCTION)
    pilot_update(pilot=live, risk_tier="high")

    # when
    call_command("send_stall_alerts", "--as-of", MONDAY.isoformat())

    # then
    [digest] = smtp_server.to("erin@example.com")
    text = text_of(digest)
    assert "READINESS LAPSED" in text
    assert f"- Live assistant (owner: Alice Owner): {SITE}/pilots/{live.id}/" in text
