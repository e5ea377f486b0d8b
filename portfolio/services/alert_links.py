"""What the signed links of an alert email do: unsubscribe from the digest, snooze a pilot."""

from datetime import date, timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portfolio.models import DigestOptOut, Pilot, Snooze, User

# The longest an owner may snooze a pilot's alert: a stall is paused, never buried.
SNOOZE_MAX_DAYS = 90


# A snooze link in an alert stays valid this long; an unsubscribe link never expires.
SNOOZE_LINK_MAX_AGE = timedelta(days=21)


_UNSUBSCRIBE_SALT = "pilotgate.digest-unsubscribe"


_SNOOZE_SALT = "pilotgate.alert-snooze"


def unsubscribe_token_create(*, user: User) -> str:
    return signing.dumps(user.id, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token_check(*, token: str) -> User:
    try:
        user_id = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise ValidationError("This unsubscribe link is not valid.") from None
    user = User.objects.filter(id=user_id).first()
    if user is None:
        raise ValidationError("This unsubscribe link is not valid.")
    return user


def digest_opt_out(*, user: User) -> DigestOptOut:
    """Stop the weekly digest for an executive; unsubscribing twice changes nothing."""
    try:
        with transaction.atomic():
            opt_out, _ = DigestOptOut.objects.get_or_create(user=user)
    except IntegrityError:  # the same link clicked twice at once
        opt_out = DigestOptOut.objects.get(user=user)
    return opt_out


def snooze_token_create(*, owner: User, pilot: Pilot) -> str:
    return signing.dumps({"owner": owner.id, "pilot": pilot.id}, salt=_SNOOZE_SALT)


def snooze_token_check(*, token: str) -> tuple[User, Pilot]:
    try:
        data = signing.loads(token, salt=_SNOOZE_SALT, max_age=SNOOZE_LINK_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise ValidationError(
            "This snooze link has expired; use the one in this week's alert."
        ) from None
    except signing.BadSignature:
        raise ValidationError("This snooze link is not valid.") from None
    owner = User.objects.filter(id=data.get("owner")).first()
    pilot = Pilot.objects.filter(id=data.get("pilot")).first()
    if owner is None or pilot is None:
        raise ValidationError("This snooze link is not valid.")
    return owner, pilot


SNOOZE_REASON_MAX = 500


def _snooze_reason_problem(reason: str) -> str:
    """What is wrong with a snooze's reason, or an empty string."""
    if not reason:
        return "Say why the alert is snoozed."
    if len(reason) > SNOOZE_REASON_MAX:
        return f"Keep the reason to {SNOOZE_REASON_MAX} characters ({len(reason)} given)."
    if any(ord(char) < 32 and char not in "\t\r\n" or ord(char) == 127 for char in reason):
        return "The reason contains a control character; write it as plain text."
    return ""


@transaction.atomic
def snooze_create(
    *, pilot: Pilot, by: User, reason: str, until: date | None, on: date | None = None
) -> Snooze:
    """Pause one pilot's weekly alert to its deployment owner, with a reason, until a
    date at most SNOOZE_MAX_DAYS away. The pilot still shows as stalled on the
    dashboard and in the executives' digest, with the snooze.

    An owner has one live snooze per pilot: using the link again while one is live
    changes its reason and end instead of adding a second. The pilot's row is locked
    first, so two uses at once cannot both add one.
    """
    if by.id != pilot.deployment_owner_id:
        raise PermissionDenied("Only the pilot's deployment owner snoozes its alert.")
    on = on or timezone.localdate()
    reason = reason.strip()
    errors = {}
    if problem := _snooze_reason_problem(reason):
        errors["reason"] = problem
    if until is None:
        errors["until"] = "Give the last day of the snooze."
    elif until <= on:
        errors["until"] = "The snooze must end after today."
    elif until > on + timedelta(days=SNOOZE_MAX_DAYS):
        errors["until"] = f"A snooze lasts at most {SNOOZE_MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    # The pilot row locked until the end of the transaction: uses of the link queue here.
    Pilot.objects.select_for_update().filter(pk=pilot.pk).exists()
    live = Snooze.objects.filter(pilot=pilot, by=by, starts_on__lte=on, until__gte=on)
    snooze = live.order_by("-id").first() or Snooze(pilot=pilot, by=by, starts_on=on)
    snooze.reason, snooze.until = reason, until
    snooze.full_clean()
    snooze.save()
    return snooze
