"""Password reset by email: how imported owners set their first password, and how
anyone sets a forgotten one."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from portfolio.services.people import user_get_or_create_by_email
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://pilotgate.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def reset_link() -> str:
    [message] = mail.outbox
    match = re.search(r"https://pilotgate\.example\.com(/accounts/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def ask_for_a_link(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def test_it_links_the_reset_from_the_sign_in_page(client, db):
    response = client.get(reverse("login"))

    assert f'href="{reverse("password_reset")}">Forgot your password?' in response.content.decode()


def test_it_opens_the_reset_pages_without_a_sign_in(client, db):
    for name in ["password_reset", "password_reset_done", "password_reset_complete"]:
        assert client.get(reverse(name)).status_code == 200


def test_it_emails_a_link_that_sets_a_new_password(client, alice):
    # when
    response = ask_for_a_link(client, "Alice@Example.com")

    # then: an email to alice, with a link on SITE_URL
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "Set your Pilotgate password"
    assert "Hello Alice," in message.body

    # when: she follows it and chooses a password
    form = client.get(reset_link(), follow=True)
    assert "Choose a password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"},
    )

    # then: the new password signs in, the old one no longer does
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    client.logout()
    signed_in = client.post(
        reverse("login"), {"username": "alice@example.com", "password": "a long new passphrase"}
    )
    assert signed_in.status_code == 302
    client.logout()
    refused = client.post(
        reverse("login"), {"username": "alice@example.com", "password": "correct horse battery"}
    )
    assert refused.status_code == 200


def test_it_lets_a_user_without_a_password_set_their_first_one(client, db):
    # given: an owner created by an import, with no password yet
    owner = user_get_or_create_by_email(email="dana.importer@example.com")
    assert not owner.has_usable_password()

    # when
    ask_for_a_link(client, "dana.importer@example.com")
    form = client.get(reset_link(), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"},
    )

    # then
    owner.refresh_from_db()
    assert owner.check_password("a long new passphrase")


def test_it_reveals_nothing_about_an_unknown_email(client, alice):
    known = ask_for_a_link(client, "alice@example.com")
    mail.outbox.clear()

    unknown = ask_for_a_link(client, "nobody@example.com")

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert mail.outbox == []


def test_it_sends_nothing_to_a_deactivated_user(client, db):
    UserFactory(email="gone@example.com", is_active=False)

    ask_for_a_link(client, "gone@example.com")

    assert mail.outbox == []


def test_it_builds_the_link_on_site_url_whatever_the_host_asked(client, alice, settings):
    settings.ALLOWED_HOSTS = ["*"]

    client.post(reverse("password_reset"), {"email": "alice@example.com"}, HTTP_HOST="evil.test")

    assert "evil.test" not in mail.outbox[0].body
    assert reset_link().startswith("/accounts/reset/")


def test_it_refuses_a_link_used_twice(client, alice):
    ask_for_a_link(client, "alice@example.com")
    link = reset_link()
    form = client.get(link, follow=True)
    passwords = {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"}
    client.post(form.redirect_chain[-1][0], passwords)
    client.logout()

    again = client.get(link, follow=True)

    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()


def test_it_says_what_is_wrong_with_a_new_password(client, alice):
    ask_for_a_link(client, "alice@example.com")
    form = client.get(reset_link(), follow=True)

    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "other"}
    )

    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.content.decode()


@pytest.mark.parametrize("link", ["/accounts/reset/xx/yy/", "/accounts/reset/%FF%FE/set-password/"])
def test_it_answers_a_broken_link_without_an_error(client, db, link):
    response = client.get(link)

    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


def test_it_says_when_the_email_is_not_an_email(client, db):
    response = ask_for_a_link(client, "not an email")

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []
