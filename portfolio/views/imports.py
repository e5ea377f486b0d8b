"""Importing a pilot inventory from the page: upload, see the dry run, confirm. And the
template workbook to fill in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portfolio.importer import pilots_import
from portfolio.importer.template import template_workbook
from portfolio.importer.uploads import (
    ImportForm,
    UploadGone,
    upload_forget,
    upload_get,
    upload_keep,
)
from portfolio.rules import require_perm
from portfolio.views.exports import XLSX

TEMPLATE = "portfolio/pilot_import.html"


def _page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    """The page (a refused file: 400), or only its report for htmx, whose refusal is
    the report itself, swapped in like any other (200)."""
    if request.htmx:
        return render(request, f"{TEMPLATE}#report", context)
    return render(request, TEMPLATE, {"form": ImportForm(), **context}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def pilot_import(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: the dry run of the uploaded file; the file is kept for its
    confirmation (`importer.uploads`), nothing is written."""
    require_perm(request.user, "portfolio.import_pilots", None, "a pilot inventory")
    if request.method == "GET":
        return render(request, TEMPLATE, {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, {"form": form}, status=400)
    options = {"date_order": form.cleaned_data["date_order"], "sheet": form.cleaned_data["sheet"]}
    upload = form.cleaned_data["file"]
    data = upload.read()
    report = pilots_import(data=data, dry_run=True, by=request.user, **_given(options))
    token = (
        upload_keep(by=request.user, name=upload.name, data=data, **options) if report.ok else ""
    )
    context = {"form": form, "report": report, "token": token, "name": upload.name}
    return _page(request, context, status=200 if report.ok else 400)


@require_POST
@login_required
def pilot_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the file checked by the dry run, as its uploader saw it."""
    require_perm(request.user, "portfolio.import_pilots", None, "a pilot inventory")
    token = request.POST.get("token", "")
    try:
        upload = upload_get(by=request.user, token=token)
    except UploadGone:
        context = {"gone": True}
        return _page(request, context, status=410)
    options = {"date_order": upload.date_order, "sheet": upload.sheet}
    report = pilots_import(data=upload.data, by=request.user, **_given(options))
    if report.ok:
        upload_forget(token=token)
    context = {"report": report, "name": upload.name, "token": "" if report.ok else token}
    return _page(request, context, status=200 if report.ok else 409)


def _given(options: dict) -> dict:
    return {name: value or None for name, value in options.items()}


@require_GET
@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        template_workbook(),
        content_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="pilotgate-inventory.xlsx"'},
    )
