from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portfolio.models import Pilot, Snooze
from portfolio.selectors.stalls import stall_list, with_stall_state
from portfolio.services.alert_links import snooze_create, snooze_token_create
from tests.conftest import run_at_once, sqlite_cannot

TODAY = date(2026, 6, 1)


@pytest.fixture
def today():
    with time_machine.travel("2026-06-01 09:00:00+00:00", tick=False):
        yield TODAY


def snooze_url(owner, pilot) -> str:
    return reverse("alerts_snooze", args=[snooze_token_create(owner=owner, pilot=pilot)])


def test_it_shows_the_snooze_form_from_the_link_in_the_alert(client, stall_portfolio, alice):
    # when
    response = client.get(snooze_url(alice, stall_portfolio.stalled))

    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert "Pause the weekly alert for <strong>Contact-centre assistant</strong>" in content
    assert '<textarea id="reason" name="reason"' in content
    assert '<input id="until" name="until" type="date"' in content


def test_it_snoozes_the_alert_with_a_reason_and_an_end_date(client, stall_portfolio, alice, today):
    # when
    response = client.post(
        snooze_url(alice, stall_portfolio.stalled),
        {"reason": "Waiting for the legal opinion", "until": "2026-06-20"},
    )

    # then
    assert response.status_code == 200
    assert "is snoozed until 20 June 2026" in response.content.decode()
    snooze = Snooze.objects.get()
    assert (snooze.pilot, snooze.by, snooze.reason) == (
        stall_portfolio.stalled,
        alice,
        "Waiting for the legal opinion",
    )
    assert (snooze.starts_on, snooze.until) == (TODAY, date(2026, 6, 20))


def test_it_still_shows_a_snoozed_pilot_as_stalled(stall_portfolio, alice, today):
    # given
    snooze_create(pilot=stall_portfolio.stalled, by=alice, reason="Legal", until=date(2026, 6, 20))

    # when
    pilot = with_stall_state(Pilot.objects.filter(pk=stall_portfolio.stalled.pk), as_of=TODAY)

    # then
    assert pilot.get().is_stalled
    assert stall_portfolio.stalled in stall_list(as_of=TODAY, limit=None)


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"reason": " ", "until": "2026-06-20"}, "reason", "Say why the alert is snoozed."),
        ({"reason": "Legal", "until": ""}, "until", "Give the last day of the snooze."),
        ({"reason": "Legal", "until": "2026-02-30"}, "until", "Give the last day of the snooze."),
        ({"reason": "Legal", "until": "2026-06-01"}, "until", "The snooze must end after today."),
        ({"reason": "Legal", "until": "2026-09-01"}, "until", "A snooze lasts at most 90 days."),
    ],
)
def test_it_refuses_a_snooze_without_a_reason_or_a_sensible_end(
    client, stall_portfolio, alice, today, form, field, message
):
    # when
    response = client.post(snooze_url(alice, stall_portfolio.stalled), form)

    # then
    assert response.status_code == 400
    assert f'<p class="error">{message}</p>' in response.content.decode()
    assert not Snooze.objects.exists()


def test_it_lets_only_the_deployment_owner_snooze_the_alert(
    client, stall_portfolio, alice, charlie, today
):
    # when
    response = client.post(
        snooze_url(charlie, stall_portfolio.stalled), {"reason": "Mine", "until": "2026-06-20"}
    )

    # then
    assert response.status_code == 403
    assert "Only the pilot&#x27;s deployment owner snoozes its alert." in response.content.decode()
    with pytest.raises(PermissionDenied):
        snooze_create(
            pilot=stall_portfolio.stalled, by=charlie, reason="x", until=date(2026, 6, 20)
        )
    assert not Snooze.objects.exists()


def test_it_refuses_a_tampered_link_with_a_clear_message(client, stall_portfolio, alice):
    # given
    url = snooze_url(alice, stall_portfolio.stalled)

    # when
    response = client.get(url.replace(url.split("/")[-2][-6:], "AAAAAA"))

    # then
    assert response.status_code == 400
    assert "This snooze link is not valid." in response.content.decode()


def test_it_refuses_a_link_from_an_old_alert(client, stall_portfolio, alice):
    # given: a link from an alert four weeks old
    with time_machine.travel("2026-05-01 09:00:00+00:00", tick=False):
        url = snooze_url(alice, stall_portfolio.stalled)

    # when
    with time_machine.travel("2026-06-01 09:00:00+00:00", tick=False):
        response = client.get(url)

    # then
    assert response.status_code == 400
    assert "This snooze link has expired" in response.content.decode()


def test_it_refuses_a_snooze_in_the_service_with_field_errors(stall_portfolio, alice):
    # when
    with pytest.raises(ValidationError) as refused:
        snooze_create(pilot=stall_portfolio.stalled, by=alice, reason="", until=None, on=TODAY)

    # then
    assert refused.value.message_dict == {
        "reason": ["Say why the alert is snoozed."],
        "until": ["Give the last day of the snooze."],
    }


@pytest.mark.security
@pytest.mark.parametrize(
    "reason, message",
    [
        ("x" * 501, "Keep the reason to 500 characters (501 given)."),
        ("Legal\x00opinion", "The reason contains a control character; write it as plain text."),
        ("Legal\x1bopinion", "The reason contains a control character; write it as plain text."),
    ],
)
def test_it_refuses_a_reason_too_long_or_with_control_characters(
    client, stall_portfolio, alice, today, reason, message
):
    # when: from the email's link, without signing in
    response = client.post(
        snooze_url(alice, stall_portfolio.stalled), {"reason": reason, "until": "2026-06-20"}
    )

    # then
    assert response.status_code == 400
    assert f'<p class="error">{message}</p>' in response.content.decode()
    assert not Snooze.objects.exists()


@pytest.mark.security
def test_it_accepts_a_reason_of_500_characters_on_several_lines(
    client, stall_portfolio, alice, today
):
    reason = ("Waiting for legal.\r\n" * 25)[:500]

    response = client.post(
        snooze_url(alice, stall_portfolio.stalled), {"reason": reason, "until": "2026-06-20"}
    )

    assert response.status_code == 200
    assert Snooze.objects.get().reason == reason.strip()


@pytest.mark.security
def test_it_changes_the_live_snooze_when_the_link_is_used_again(
    client, stall_portfolio, alice, today
):
    # given
    url = snooze_url(alice, stall_portfolio.stalled)
    client.post(url, {"reason": "Legal", "until": "2026-06-20"})

    # when
    client.post(url, {"reason": "Legal, and the works council", "until": "2026-07-10"})
    client.post(url, {"reason": "Legal, and the works council", "until": "2026-07-10"})

    # then: one live snooze, as last given
    snooze = Snooze.objects.get()
    assert (snooze.reason, snooze.until) == ("Legal, and the works council", date(2026, 7, 10))


@pytest.mark.security
def test_it_starts_a_new_snooze_once_the_last_one_is_over(stall_portfolio, alice):
    with time_machine.travel("2026-06-01 09:00:00+00:00", tick=False):
        snooze_create(pilot=stall_portfolio.stalled, by=alice, reason="A", until=date(2026, 6, 5))
    with time_machine.travel("2026-06-10 09:00:00+00:00", tick=False):
        snooze_create(pilot=stall_portfolio.stalled, by=alice, reason="B", until=date(2026, 6, 20))

    assert [s.reason for s in Snooze.objects.order_by("id")] == ["A", "B"]


@pytest.mark.security
@sqlite_cannot
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_keeps_one_live_snooze_when_the_link_is_used_twice_at_once(stall_portfolio, alice):
    # given
    pilot = stall_portfolio.stalled

    def snooze(reason: str):
        return lambda: snooze_create(
            pilot=pilot, by=alice, reason=reason, until=date.today() + timedelta(days=10)
        )

    # when
    _, errors = run_at_once(snooze("first"), snooze("second"), snooze("third"))

    # then
    assert errors == []
    assert Snooze.objects.filter(pilot=pilot).count() == 1
