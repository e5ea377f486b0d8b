"""Option values shared by the management commands."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone

from portfolio.lib.dates import parse_iso_date


def as_of_date(text: str | None) -> date:
    """The date of an `--as-of` option: today when not given."""
    if not text:
        return timezone.localdate()
    try:
        return parse_iso_date(text)
    except ValidationError as exc:
        raise CommandError(f"--as-of: {exc.messages[0]}") from None
