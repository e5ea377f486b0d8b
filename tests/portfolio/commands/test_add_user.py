from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from portfolio.models import User


def test_it_adds_a_user_who_signs_in_with_email(db):
    out = StringIO()

    call_command(
        "add_user",
        "Rita@Example.com",
        "--name",
        "Rita Reviewer",
        "--role",
        "reviewer",
        "--function",
        "legal",
        "--password",
        "a long passphrase",
        stdout=out,
    )

    user = User.objects.get(email="rita@example.com")
    assert (user.name, user.role, user.function) == ("Rita Reviewer", "reviewer", "legal")
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="rita@example.com", password="a long passphrase") == user
    assert "Added Rita Reviewer <rita@example.com> (reviewer)." in out.getvalue()


def test_it_makes_a_governance_admin_staff(db):
    call_command(
        "add_user", "gov@example.com", "--name", "Gov", "--role", "admin", stdout=StringIO()
    )

    user = User.objects.get(email="gov@example.com")
    assert user.is_staff and user.is_superuser
    assert not user.has_usable_password()


def test_it_refuses_an_email_already_taken(alice):
    with pytest.raises(CommandError, match="already exists"):
        call_command("add_user", "alice@example.com", "--name", "Alice", "--role", "owner")

    assert User.objects.filter(email="alice@example.com").count() == 1


def test_it_refuses_a_bad_email(db):
    with pytest.raises(CommandError, match="valid email"):
        call_command("add_user", "not-an-email", "--name", "X", "--role", "owner")

    assert not User.objects.exists()


def test_it_refuses_an_unknown_role(db):
    with pytest.raises(CommandError, match="invalid choice: 'king'"):
        call_command("add_user", "x@example.com", "--name", "X", "--role", "king")
