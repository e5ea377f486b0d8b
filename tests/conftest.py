import pytest

from portfolio.models import Role
from tests.factories import BusinessUnitFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing a password the production way takes a noticeable time per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    """Owner of the pilot under test."""
    return UserFactory(email="alice@example.com", name="Alice Owner", role=Role.OWNER)


@pytest.fixture
def bob(db):
    """Another owner, of another pilot."""
    return UserFactory(email="bob@example.com", name="Bob Owner", role=Role.OWNER)


@pytest.fixture
def charlie(db):
    """An owner with nothing to do with the pilot."""
    return UserFactory(email="charlie@example.com", name="Charlie Outsider", role=Role.OWNER)


@pytest.fixture
def executive(db):
    return UserFactory(email="erin@example.com", name="Erin Executive", role=Role.EXECUTIVE)


@pytest.fixture
def unit(db):
    return BusinessUnitFactory(name="Customer service")
