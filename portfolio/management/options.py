"""Option values shared by the management commands."""

from datetime import date

from django.core.management.base import CommandError
from django.utils import timezone


def as_of_date(text: str | None) -> date:
    """The date of an `--as-of` option: today when not given."""
    if not text:
        return timezone.localdate()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: {text!r} is not a date; use YYYY-MM-DD") from None
