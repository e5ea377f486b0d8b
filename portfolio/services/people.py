"""Writes for people and business units."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from portfolio.models import BusinessUnit, Role, User


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
    user.full_clean()
    user.save()
    return user


def business_unit_get_or_create(*, name: str) -> BusinessUnit:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "A business unit needs a name."})
    unit = BusinessUnit.objects.filter(name__iexact=name).first()
    return unit or BusinessUnit.objects.create(name=name)


def user_get_or_create_by_email(*, email: str, role: str = Role.OWNER) -> User:
    """Find a user by email, or create one with no usable password yet (they set it
    through a password reset)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user:
        return user
    name = email.split("@")[0].replace(".", " ").replace("_", " ").title()
    try:
        with transaction.atomic():
            return user_create(email=email, name=name, role=role)
    except IntegrityError:  # created meanwhile by a concurrent import
        return User.objects.get(email=email)
