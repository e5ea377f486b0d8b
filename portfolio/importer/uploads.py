"""A file uploaded for import, kept between its dry run and its confirmation: in the
cache (Redis in production, shared by every web worker), for a limited time, and for
the person who uploaded it only."""

import secrets
from dataclasses import dataclass

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from portfolio.importer.dates import DateOrder
from portfolio.models import User

KEEP_SECONDS = 30 * 60
MAX_BYTES = 10 * 1024 * 1024  # as evidence files


@dataclass(frozen=True)
class Upload:
    user_id: int
    name: str
    data: bytes
    date_order: str
    sheet: str


class UploadGone(Exception):
    """No such upload: expired, already imported, or never made."""


def _key(token: str) -> str:
    return f"import-upload:{token}"


def upload_keep(*, by: User, name: str, data: bytes, date_order: str, sheet: str) -> str:
    """Keep the file for `KEEP_SECONDS`; return the token that finds it again."""
    token = secrets.token_urlsafe(24)
    upload = Upload(user_id=by.pk, name=name, data=data, date_order=date_order, sheet=sheet)
    cache.set(_key(token), upload, KEEP_SECONDS)
    return token


def upload_get(*, by: User, token: str) -> Upload:
    """The upload of `token`, for the person who made it only."""
    upload = cache.get(_key(token)) if token else None
    if upload is None:
        raise UploadGone
    if upload.user_id != by.pk:
        raise PermissionDenied("You tried to import a file someone else uploaded.")
    return upload


def upload_forget(*, token: str) -> None:
    cache.delete(_key(token))


class ImportForm(forms.Form):
    """The upload page's form: the file, and how it writes its dates."""

    file = forms.FileField(
        label="Inventory file",
        help_text="A CSV file or an Excel workbook (.xlsx), at most 10 MB.",
    )
    date_order = forms.ChoiceField(
        label="Dates such as 06/01/2026 are",
        choices=[("", "decided from the file (refused if it cannot tell)"), *DateOrder.choices],
        required=False,
    )
    sheet = forms.CharField(
        label="Sheet", required=False, max_length=100, help_text="Blank: the workbook's first."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload
