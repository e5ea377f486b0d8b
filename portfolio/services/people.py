"""Writes for people and business units."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from portfolio.models import BusinessUnit, Role, User

# Rows read or inserted by one statement (within SQLite's variable limit).
BATCH = 500


def user_create(
    *,
    email: str,
    name: str,
    role: str = Role.OWNER,
    function: str = "business",
    password: str | None = None,
) -> User:
    email = email.strip().lower()
    validate_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": f"A user with the email {email} already exists."})
    user = _user_build(email=email, name=name, role=role, function=function, password=password)
    user.full_clean()
    user.save()
    return user


def _user_build(
    *, email: str, name: str, role: str, function: str = "business", password: str | None = None
) -> User:
    """A new user, not saved yet (`email` stripped and in lower case)."""
    validate_email(email)
    # Governance admins maintain gates, criteria, units and users in the admin site.
    is_admin = role == Role.ADMIN
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        function=function,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    user.set_password(password)
    return user


def business_unit_get_or_create(*, name: str) -> BusinessUnit:
    return business_units_get_or_create(names=[name])[unit_key(name)]


def unit_key(name: str) -> str:
    """A unit's name as units are told apart: spaces and case aside."""
    return " ".join(name.split()).lower()


def business_units_get_or_create(*, names: Iterable[str]) -> dict[str, BusinessUnit]:
    """The unit of each name (by `unit_key`): found whatever its case, or created with
    its first spelling, spaces tidied; a query for each BATCH of names, and two to
    create those missing."""
    wanted: dict[str, str] = {}  # the first spelling of each
    for name in names:
        wanted.setdefault(unit_key(name), " ".join(name.split()))
    if "" in wanted:
        raise ValidationError({"name": "A business unit needs a name."})
    keys = list(wanted)
    found = _units_by_key(keys)
    missing = [key for key in keys if key not in found]
    # One created meanwhile by a concurrent import is kept.
    units = [BusinessUnit(name=wanted[key]) for key in missing]
    BusinessUnit.objects.bulk_create(units, batch_size=BATCH, ignore_conflicts=True)
    names = [unit.name for unit in units]
    for start in range(0, len(names), BATCH):
        for unit in BusinessUnit.objects.filter(name__in=names[start : start + BATCH]):
            found[unit_key(unit.name)] = unit
    return found


def _units_by_key(keys: list[str]) -> dict[str, BusinessUnit]:
    found: dict[str, BusinessUnit] = {}
    for start in range(0, len(keys), BATCH):
        units = BusinessUnit.objects.annotate(key=Lower("name")).filter(
            key__in=keys[start : start + BATCH]
        )
        for unit in units.order_by("name"):
            found.setdefault(unit.key, unit)
    return found


def _name_of(email: str) -> str:
    """A new user's name until they give theirs: what their email says."""
    return email.split("@")[0].replace(".", " ").replace("_", " ").title()


def user_get_or_create_by_email(*, email: str, role: str = Role.OWNER) -> User:
    """Find a user by email, or create one with no usable password yet (they set it
    through a password reset)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user:
        return user
    try:
        with transaction.atomic():
            return user_create(email=email, name=_name_of(email), role=role)
    except IntegrityError:  # created meanwhile by a concurrent import
        return User.objects.get(email=email)


def users_get_or_create_by_email(*, emails: Iterable[str], role: str = Role.OWNER) -> dict:
    """`user_get_or_create_by_email` of many emails: each one's user by its email
    (stripped, lower case), a query for each BATCH of emails and one to create those
    missing. One created meanwhile by a concurrent import is kept."""
    wanted = sorted({email.strip().lower() for email in emails})
    found = _users_by_email(wanted)
    missing = [email for email in wanted if email not in found]
    new = []
    for email in missing:
        user = _user_build(email=email, name=_name_of(email), role=role)
        user.full_clean(validate_unique=False)  # none has that email: just read
        new.append(user)
    User.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    found.update(_users_by_email(missing))
    return found


def _users_by_email(emails: list[str]) -> dict[str, User]:
    found = {}
    for start in range(0, len(emails), BATCH):
        for user in User.objects.filter(email__in=emails[start : start + BATCH]):
            found[user.email] = user
    return found
