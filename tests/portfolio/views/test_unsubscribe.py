from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from portfolio.models import AlertDelivery, DigestOptOut
from portfolio.services.alert_links import digest_opt_out, unsubscribe_token_create
from portfolio.services.alerts import stall_alerts_send


def unsubscribe_url(user) -> str:
    return reverse("alerts_unsubscribe", args=[unsubscribe_token_create(user=user)])


def test_it_asks_before_unsubscribing(client, executive):
    # when
    response = client.get(unsubscribe_url(executive))

    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert "Stop sending the weekly digest" in content
    assert "<strong>erin@example.com</strong>" in content
    assert '<button type="submit">Unsubscribe</button>' in content
    assert not DigestOptOut.objects.exists()


def test_it_unsubscribes_on_the_button_and_sends_no_more_digests(
    client, stall_portfolio, executive, smtp_server
):
    # when
    response = client.post(unsubscribe_url(executive))
    stall_alerts_send(as_of=stall_portfolio.as_of)

    # then
    assert response.status_code == 200
    assert "no longer receives the weekly portfolio digest" in response.content.decode()
    assert DigestOptOut.objects.filter(user=executive).exists()
    assert smtp_server.to("erin@example.com") == []
    assert not AlertDelivery.objects.filter(recipient=executive).exists()


def test_it_unsubscribes_with_the_one_click_post_of_the_digest_header(
    stall_portfolio, executive, smtp_server, settings
):
    # given: the digest as the mail system received it
    settings.SITE_URL = "https://pilotgate.example.com"
    stall_alerts_send(as_of=stall_portfolio.as_of)
    [digest] = smtp_server.to("erin@example.com")
    link = digest["List-Unsubscribe"].strip().strip("<>")
    mail_system = Client(enforce_csrf_checks=True)  # it has no CSRF token

    # when: RFC 8058 one-click
    response = mail_system.post(
        link.removeprefix(settings.SITE_URL),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    # then
    assert response.status_code == 200
    assert DigestOptOut.objects.filter(user=executive).exists()


def test_it_unsubscribes_once_however_often_the_link_is_used(client, executive):
    # when
    client.post(unsubscribe_url(executive))
    response = client.post(unsubscribe_url(executive))

    # then
    assert response.status_code == 200
    assert DigestOptOut.objects.filter(user=executive).count() == 1


@pytest.mark.parametrize("token", ["nonsense", "MQ:1xUwrk:forged-signature"])
def test_it_refuses_a_tampered_link_with_a_clear_message(client, executive, token):
    # when
    response = client.post(reverse("alerts_unsubscribe", args=[token]))

    # then
    assert response.status_code == 400
    assert "This unsubscribe link is not valid." in response.content.decode()
    assert not DigestOptOut.objects.exists()


def test_it_sends_the_digest_again_when_the_opt_out_is_removed(
    stall_portfolio, executive, smtp_server
):
    # given
    digest_opt_out(user=executive)
    stall_alerts_send(as_of=stall_portfolio.as_of)
    assert smtp_server.to("erin@example.com") == []

    # when: a governance admin deletes the opt-out
    DigestOptOut.objects.filter(user=executive).delete()
    stall_alerts_send(as_of=date(2026, 6, 8))

    # then
    assert len(smtp_server.to("erin@example.com")) == 1
