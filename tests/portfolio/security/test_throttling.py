"""Nobody guesses their way in: sign-in (form and HTTP Basic), password resets and the
alert links are limited, without saying which accounts exist."""

import base64
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.urls import reverse

from portfolio.services.alert_links import snooze_token_create
from tests.factories import UserFactory, make_pilot

pytestmark = pytest.mark.security

PASSWORD = "the right passphrase"


@pytest.fixture
def one_window():
    """The rate limits count in fixed windows (a minute, an hour): a test's requests
    all fall in one, wherever the clock stands when it runs."""
    with time_machine.travel("2026-06-01 09:00:10+00:00", tick=False):
        yield


@pytest.fixture
def rita(db):
    user = UserFactory(email="rita@example.com", name="Rita Owner")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def without_tokens(response) -> str:
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())


def basic(email: str, password: str) -> dict:
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_it_signs_in_with_the_right_password(rita):
    response = sign_in(Client(), "rita@example.com", PASSWORD)

    assert response.status_code == 302


def test_it_locks_an_account_after_five_wrong_passwords_even_for_the_right_one(rita):
    # given: five wrong passwords, each from another address; the fifth locks
    statuses = [
        sign_in(Client(REMOTE_ADDR=f"10.0.0.{n}"), "rita@example.com", "guess").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the form again, with its error; locked

    # when: the right password, from yet another address
    response = sign_in(Client(REMOTE_ADDR="10.0.0.99"), "rita@example.com", PASSWORD)

    # then
    assert response.status_code == 429
    assert "Signing in is paused for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_it_locks_an_address_that_tries_many_accounts(rita):
    client = Client(REMOTE_ADDR="10.0.0.7")
    for n in range(5):
        sign_in(client, f"someone{n}@example.com", "guess")

    response = sign_in(client, "rita@example.com", PASSWORD)

    assert response.status_code == 429


def test_it_answers_the_same_for_an_account_that_does_not_exist(rita):
    # given
    for _ in range(5):
        sign_in(Client(), "rita@example.com", "guess")
        sign_in(Client(), "nobody@example.com", "guess")

    # when
    known = sign_in(Client(REMOTE_ADDR="10.0.0.2"), "rita@example.com", "guess")
    unknown = sign_in(Client(REMOTE_ADDR="10.0.0.3"), "nobody@example.com", "guess")

    # then: the same page (but for its CSRF token), the same status
    assert known.status_code == unknown.status_code == 429
    assert without_tokens(known) == without_tokens(unknown)


def test_it_counts_http_basic_failures_and_locks_them_out(rita):
    # given: four refused, the fifth locks
    statuses = [
        Client().get(reverse("export_json"), **basic("rita@example.com", "guess")).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]

    # when
    response = Client().get(reverse("export_json"), **basic("rita@example.com", PASSWORD))

    # then
    assert response.status_code == 429
    assert response.json() == {
        "error": "Too many failed sign-ins: signing in is paused; try later."
    }


def test_it_lets_a_governance_admin_lift_a_lockout(rita, admin_client):
    # given: rita is locked out
    for _ in range(5):
        sign_in(Client(), "rita@example.com", "guess")
    assert sign_in(Client(), "rita@example.com", PASSWORD).status_code == 429
    attempts = AccessAttempt.objects.filter(username="rita@example.com")

    # when: the admin sees it and deletes it
    listed = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in AccessAttempt.objects.all()],
            "post": "yes",
        },
    )

    # then
    assert "rita@example.com" in listed.content.decode()
    assert not attempts.exists()
    assert sign_in(Client(), "rita@example.com", PASSWORD).status_code == 302


def test_it_sends_at_most_three_reset_emails_an_hour_to_one_address(rita, one_window):
    # when: ten requests for the same address, from different clients
    responses = [
        Client(REMOTE_ADDR=f"10.0.1.{n}").post(
            reverse("password_reset"), {"email": "rita@example.com"}
        )
        for n in range(10)
    ]

    # then: the same answer every time, three emails
    assert {response.status_code for response in responses} == {302}
    assert {response.url for response in responses} == {reverse("password_reset_done")}
    assert len(mail.outbox) == 3


def test_it_limits_reset_requests_from_one_client(db, one_window):
    # given: one client asking for eleven different accounts
    users = [UserFactory(email=f"user{n}@example.com") for n in range(11)]
    client = Client(REMOTE_ADDR="10.0.2.1")

    # when
    for user in users:
        client.post(reverse("password_reset"), {"email": user.email})

    # then
    assert len(mail.outbox) == 10


def test_it_limits_the_alert_links_per_client(alice, one_window):
    pilot = make_pilot(deployment_owner=alice)
    url = reverse("alerts_snooze", args=[snooze_token_create(owner=alice, pilot=pilot)])
    client = Client(REMOTE_ADDR="10.0.3.1")

    statuses = [client.get(url).status_code for _ in range(31)]

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    assert "Too many requests from your address" in client.get(url).content.decode()
