"""Pilot services: charter, stage moves, decisions, deferrals, risk approval, edits."""

import pytest
from django.core.exceptions import ValidationError

from portfolio.models import (
    User,
)
from portfolio.services.people import user_create

# --- People -----------------------------------------------------------------------


def test_it_refuses_a_second_user_with_the_same_email(alice):
    with pytest.raises(ValidationError) as error:
        user_create(email=" ALICE@example.com ", name="Alice Again")

    assert error.value.message_dict == {
        "email": ["A user with the email alice@example.com already exists."]
    }
    assert User.objects.filter(email="alice@example.com").count() == 1
