"""The import page: upload, dry run, confirmation; who may; the kept file."""

import io
from datetime import date

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from portfolio.importer.uploads import KEEP_SECONDS
from portfolio.models import Pilot, Role
from tests.conftest import HTMX, signed_in
from tests.factories import UserFactory, reviewer

CSV = (
    b"reference,title,business_unit,stage,pilot_start,deployment_owner_email\n"
    b"CC-1,Contact-centre assistant,Customer service,piloting,03/01/2026,dana@example.com\n"
    b"FIN-7,Cost anomalies,Finance,proposed,,\n"
)


def upload(client, data: bytes = CSV, name: str = "pilots.csv", **fields):
    return client.post(
        reverse("pilot_import"),
        {"file": SimpleUploadedFile(name, data), **fields},
        **fields.pop("headers", {}),
    )


@pytest.fixture
def governance(db):
    return UserFactory(email="gov@example.com", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def erin_client(executive):
    return signed_in(executive)


def test_it_shows_the_dry_run_then_imports_on_confirmation(erin_client):
    # when: the file is checked with its date order
    response = upload(erin_client, date_order="MDY")

    # then: the report, nothing written yet
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>2</strong> would be created" in page
    assert "<strong>1</strong> flagged" in page
    assert "dates read month first (MM/DD/YYYY), as asked" in page
    assert not Pilot.objects.exists()
    token = response.context["token"]

    # when: confirmed
    response = erin_client.post(reverse("pilot_import_confirm"), {"token": token})

    # then
    assert response.status_code == 200
    assert "<strong>2</strong> created" in response.content.decode()
    assert Pilot.objects.get(reference="CC-1").pilot_start == date(2026, 3, 1)

    # and the file is no longer kept: a second confirmation imports nothing twice
    again = erin_client.post(reverse("pilot_import_confirm"), {"token": token})
    assert again.status_code == 410
    assert Pilot.objects.count() == 2


def test_it_refuses_a_file_whose_dates_read_both_ways_and_keeps_nothing(erin_client):
    response = upload(erin_client)

    assert response.status_code == 400
    page = response.content.decode()
    assert "this file writes dates as 03/01/2026: say whether that is 3 January 2026 or " in page
    assert "Import these pilots" not in page
    assert response.context["token"] == ""


def test_it_answers_htmx_with_the_report_only_a_refusal_too(erin_client):
    refused = erin_client.post(
        reverse("pilot_import"), {"file": SimpleUploadedFile("pilots.csv", CSV)}, **HTMX
    )

    assert refused.status_code == 200  # swapped in: the report is the answer
    assert "say whether that is" in refused.content.decode()
    assert "<h1>" not in refused.content.decode()


def test_it_answers_htmx_with_the_dry_run_only(erin_client):
    response = erin_client.post(
        reverse("pilot_import"),
        {"file": SimpleUploadedFile("pilots.csv", CSV), "date_order": "DMY"},
        **HTMX,
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="import-report"')
    assert "<h1>" not in page


def test_a_governance_admin_imports_too(governance):
    client = signed_in(governance)

    response = upload(client, date_order="DMY")
    client.post(reverse("pilot_import_confirm"), {"token": response.context["token"]})

    assert Pilot.objects.count() == 2


@pytest.mark.parametrize("role", ["owner", "reviewer"])
def test_it_refuses_owners_and_reviewers(db, role):
    user = UserFactory(role=Role.OWNER) if role == "owner" else reviewer("legal")
    client = signed_in(user)

    assert client.get(reverse("pilot_import")).status_code == 403
    assert upload(client, date_order="DMY").status_code == 403
    assert client.post(reverse("pilot_import_confirm"), {"token": "x"}).status_code == 403
    assert not Pilot.objects.exists()


def test_it_sends_a_visitor_to_sign_in(client):
    assert client.get(reverse("pilot_import")).status_code == 302
    assert client.post(reverse("pilot_import_confirm"), {"token": "x"}).status_code == 302


def test_it_refuses_another_persons_upload(erin_client, governance):
    token = upload(erin_client, date_order="DMY").context["token"]

    response = signed_in(governance).post(reverse("pilot_import_confirm"), {"token": token})

    assert response.status_code == 403
    assert not Pilot.objects.exists()


def test_it_refuses_an_expired_or_unknown_upload(erin_client):
    token = upload(erin_client, date_order="DMY").context["token"]
    cache.delete(f"import-upload:{token}")  # what the cache does after KEEP_SECONDS

    for sent in [token, "made-up", ""]:
        response = erin_client.post(reverse("pilot_import_confirm"), {"token": sent})
        assert response.status_code == 410
        assert "no longer kept" in response.content.decode()
    assert not Pilot.objects.exists()
    assert KEEP_SECONDS == 1800


def test_it_refuses_a_page_without_a_file(erin_client):
    response = erin_client.post(reverse("pilot_import"), {"date_order": "DMY"})

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["This field is required."]


def test_it_refuses_an_unknown_date_order(erin_client):
    response = upload(erin_client, date_order="DM")

    assert response.status_code == 400
    assert "date_order" in response.context["form"].errors


def test_it_refuses_a_file_over_10_mb(erin_client):
    response = upload(erin_client, data=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file is larger than 10 MB."]


def test_it_imports_a_workbook_sheet_named_on_the_page(erin_client):
    template = erin_client.get(reverse("import_template")).content

    response = upload(erin_client, data=template, name="inventory.xlsx", sheet="Pilots")
    erin_client.post(reverse("pilot_import_confirm"), {"token": response.context["token"]})

    assert Pilot.objects.get().title == "Contact-centre assistant"


def test_it_offers_the_template_with_notes_lists_and_typed_dates(erin_client):
    response = erin_client.get(reverse("import_template"))

    assert response["Content-Disposition"] == 'attachment; filename="pilotgate-inventory.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Pilots"]
    header = {cell.value: cell for cell in sheet[1]}
    assert "Required" in header["title"].comment.text
    assert all(cell.comment for cell in header.values())
    lists = {
        str(validation.sqref).split(":")[0].rstrip("0123456789"): validation.formula1
        for validation in sheet.data_validations.dataValidation
        if validation.type == "list"
    }
    assert '"proposed,piloting,awaiting_decision' in lists[header["stage"].column_letter]
    assert lists[header["risk_tier"].column_letter] == '"low,medium,high"'
    assert lists[header["direction"].column_letter] == '"increase,decrease"'
    start = sheet.cell(row=2, column=header["pilot_start"].column)
    assert start.is_date and start.value.date() == date(2026, 3, 1)
    assert sheet.cell(row=50, column=header["pilot_start"].column).number_format == "yyyy-mm-dd"
    assert [row[0] for row in book["Columns"].iter_rows(min_row=2, values_only=True)][:2] == [
        "reference",
        "title",
    ]


def test_the_navigation_offers_the_import_to_those_who_may_only(erin_client, alice_client):
    assert 'href="/pilots/import/"' in erin_client.get(reverse("my_work")).content.decode()
    assert 'href="/pilots/import/"' not in alice_client.get(reverse("my_work")).content.decode()
