"""Proposing a pilot, and editing its charter and parts in place: each edit returns
its section for htmx, or redirects back to the section of the page without it."""

from copy import copy
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portfolio.editing import PARTS, Editing, Part
from portfolio.forms import (
    MetricForm,
    PartForm,
    PilotForm,
)
from portfolio.lib.forms import errors_from, submit
from portfolio.models import SuccessMetric
from portfolio.rules import pilot_for_user, require_perm
from portfolio.selectors.charter import pilot_start_missing
from portfolio.services.parts import EditConflict, metric_set, pilot_part_remove, pilot_part_update
from portfolio.services.pilots import pilot_create, pilot_update
from portfolio.views.pilot import _pilot_page


@require_http_methods(["GET", "POST"])
@login_required
def pilot_new(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "portfolio.add_pilot", None, "a new pilot")
    form = PilotForm(request.POST or None, initial={"deployment_owner": request.user})
    pilot = None
    if request.method == "POST":
        pilot = submit(form, lambda version, **changes: pilot_create(by=request.user, **changes))
    if pilot is not None:
        missing = pilot_start_missing(pilot=pilot)
        messages.success(
            request,
            "The pilot is proposed. Before it starts, its charter must still answer: "
            + "; ".join(missing)
            + ".",
        )
        return redirect("pilot_detail", pilot_id=pilot.id)
    status = 400 if form.errors else 200
    return render(request, "portfolio/pilot_new.html", {"form": form}, status=status)


def _save(form: PartForm, save) -> tuple[PartForm, str]:
    """Save the form's changes through `save(**changes)` (a service) if it is valid.

    Returns the form to show again and an error for the whole section: the same form
    with the service's errors; after a conflict, a fresh form with the current values
    and what the editor typed; when the record was removed meanwhile, the error.
    """
    if form.is_valid():
        try:
            save(version=form.version_seen(), **form.changes())
        except EditConflict as exc:
            if exc.current is None:
                return form, exc.messages[0]
            return form.after_conflict(exc.current), ""
        except ValidationError as exc:
            errors_from(form, exc)
    return form, ""


def _edit_done(
    request: HttpRequest,
    pilot_id: int,
    *,
    form: PartForm | None,
    editing: Editing,
    panel: str,
    done: str,
) -> HttpResponse:
    """After an edit: with errors or a conflict, the section again in edit mode (the
    page with 400 or 409 without JavaScript); otherwise the section for htmx, or a
    redirect to it with a message."""
    if editing.error or (form is not None and (form.errors or form.conflict)):
        status = 400 if form is not None and form.errors else 409
        editing.form = None if editing.error else form
        return _pilot_page(request, pilot_id, status=status, panel=panel, editing=editing)
    if request.htmx:
        return _pilot_page(request, pilot_id, panel=panel, editing=Editing(editing.kind, done=done))
    messages.success(request, done)
    return redirect(reverse("pilot_detail", args=[pilot_id]) + f"#{_anchor(editing.kind)}")


def _anchor(kind: str) -> str:
    return f"{kind}-panel" if kind in ("charter", "metric") else f"part-{kind}"


def _part_of(kind: str) -> Part:
    part = PARTS.get(kind)
    if part is None:
        raise Http404("A pilot has no such part.")
    return part


@require_GET
@login_required
def pilot_section(request: HttpRequest, pilot_id: int, kind: str) -> HttpResponse:
    """A section of the pilot page as it is (an edit cancelled): the section for htmx,
    the page at the section otherwise."""
    if kind not in ("charter", "metric"):
        _part_of(kind)
    if not request.htmx:
        pilot_for_user(request.user, pilot_id)
        return redirect(reverse("pilot_detail", args=[pilot_id]) + f"#{_anchor(kind)}")
    panel = {"charter": "charter", "metric": "metric"}.get(kind, "part_section")
    return _pilot_page(request, pilot_id, panel=panel, editing=Editing(kind))


@require_http_methods(["GET", "POST"])
@login_required
def charter_edit(request: HttpRequest, pilot_id: int) -> HttpResponse:
    """The charter form, each field open to those who may change it (its owners the
    answers; an executive, a governance admin or the sponsor the people and tier)."""
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.edit_charter")
    editing = Editing("charter")
    if request.method == "GET":
        editing.form = PilotForm(instance=pilot, prefix="charter", user=request.user)
        return _pilot_page(request, pilot_id, panel="charter", editing=editing)
    form, editing.error = _save(
        PilotForm(request.POST, instance=copy(pilot), prefix="charter", user=request.user),
        partial(pilot_update, pilot=pilot, by=request.user),
    )
    done = "The charter is saved."
    return _edit_done(request, pilot_id, form=form, editing=editing, panel="charter", done=done)


@require_http_methods(["GET", "POST"])
@login_required
def metric_edit(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.edit_pilot")
    metric = SuccessMetric.objects.filter(pilot=pilot).first()
    editing = Editing("metric")
    if request.method == "GET":
        editing.form = MetricForm(instance=metric, prefix="metric")
        return _pilot_page(request, pilot_id, panel="metric", editing=editing)
    form, editing.error = _save(
        MetricForm(request.POST, instance=metric, prefix="metric"),
        partial(metric_set, pilot=pilot, by=request.user),
    )
    done = "The success metric is saved."
    return _edit_done(request, pilot_id, form=form, editing=editing, panel="metric", done=done)


@require_POST
@login_required
def part_add(request: HttpRequest, pilot_id: int, kind: str) -> HttpResponse:
    part = _part_of(kind)
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.edit_pilot")
    form = part.form(request.POST, prefix=f"add-{kind}")
    editing = Editing(kind)
    form, editing.error = _save(
        form, lambda version, **changes: part.add(pilot=pilot, by=request.user, **changes)
    )
    done = f"The {part.noun} is added."
    return _edit_done(
        request, pilot_id, form=form, editing=editing, panel="part_section", done=done
    )


@require_http_methods(["GET", "POST"])
@login_required
def part_edit(request: HttpRequest, pilot_id: int, kind: str, part_id: int) -> HttpResponse:
    part = _part_of(kind)
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.edit_pilot")
    item = part.of(pilot).filter(pk=part_id).first()
    editing = Editing(kind, part_id=part_id)
    if item is None:
        editing.error = f"This {part.noun} was removed meanwhile."
        return _edit_done(
            request, pilot_id, form=None, editing=editing, panel="part_section", done=""
        )
    prefix = f"{kind}{part_id}"
    if request.method == "GET":
        editing.form = part.form(instance=item, prefix=prefix)
        return _pilot_page(request, pilot_id, panel="part_section", editing=editing)
    form, editing.error = _save(
        part.form(request.POST, instance=copy(item), prefix=prefix),
        partial(pilot_part_update, pilot=pilot, part=item, by=request.user),
    )
    done = f"The {part.noun} is saved."
    return _edit_done(
        request, pilot_id, form=form, editing=editing, panel="part_section", done=done
    )


@require_POST
@login_required
def part_remove(request: HttpRequest, pilot_id: int, kind: str, part_id: int) -> HttpResponse:
    part = _part_of(kind)
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.edit_pilot")
    item = part.of(pilot).filter(pk=part_id).first()
    editing = Editing(kind)
    if item is None:
        editing.error = f"This {part.noun} was removed meanwhile."
    else:
        try:
            pilot_part_remove(
                pilot=pilot, part=item, by=request.user, version=request.POST.get("version", "")
            )
        except ValidationError as exc:
            editing.error = " ".join(exc.messages)
            if isinstance(exc, EditConflict) and exc.current is not None:
                editing.error = (
                    f"Someone else changed this {part.noun} meanwhile, so it was not removed. "
                    "Here it is as it is now."
                )
    done = f"The {part.noun} is removed."
    return _edit_done(
        request, pilot_id, form=None, editing=editing, panel="part_section", done=done
    )
