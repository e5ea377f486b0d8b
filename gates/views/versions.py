"""The checklist's versions, for governance admins: the draft of the next version and
its criteria, the impact of moving pilots to it, and its publication with the choice of
the pilots that move. Each action is a plain form; a refusal shows the page with the
errors (400), a success goes back to it with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from gates.forms import CriterionDraftForm, PublishForm
from gates.selectors import (
    checklist_version_impact,
    criteria_of_versions,
    current_version,
    draft_version,
    version_diff,
)
from gates.services import (
    checklist_draft_start,
    checklist_version_publish,
    criterion_draft_remove,
    criterion_draft_save,
)
from portfolio.lib.forms import submit
from portfolio.rules import require_perm


def _require_admin(request: HttpRequest) -> None:
    require_perm(request.user, "gates.edit_checklist", None, "the checklist")


def _page(request: HttpRequest, *, status: int = 200, **forms) -> HttpResponse:
    current, draft = current_version(), draft_version()
    context = {
        "current": current,
        "draft": draft,
        "criterion_form": forms.get("criterion_form") or CriterionDraftForm(),
        "publish_form": forms.get("publish_form") or PublishForm(),
        "errors": forms.get("errors"),
    }
    if draft is not None:
        context["draft_criteria"] = criteria_of_versions({draft.id})[draft.id]
        context["diff"] = version_diff(version=draft, base=current)
        context["impact"] = checklist_version_impact(version=draft)
    elif current is not None:
        context["current_criteria"] = criteria_of_versions({current.id})[current.id]
    return render(request, "gates/checklist_versions.html", context, status=status)


def _done(request: HttpRequest, form: Form, message: str, **forms) -> HttpResponse:
    if form.errors:
        return _page(request, status=400, **forms)
    messages.success(request, message)
    return redirect("checklist_versions")


@require_GET
@login_required
def checklist_versions(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return _page(request)


@require_POST
@login_required
def checklist_draft(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = Form(request.POST)
    submit(form, lambda: checklist_draft_start(by=request.user))
    return _done(request, form, "The draft of the next version is open.", errors=form)


@require_POST
@login_required
def checklist_criterion_add(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = CriterionDraftForm(request.POST)
    submit(form, lambda **data: criterion_draft_save(by=request.user, **data))
    done = f"Criterion added to the draft: {form.cleaned_data.get('text', '')}"
    return _done(request, form, done, criterion_form=form)


@require_POST
@login_required
def checklist_criterion_remove(request: HttpRequest, key: str) -> HttpResponse:
    _require_admin(request)
    form = Form(request.POST)
    submit(form, lambda: criterion_draft_remove(by=request.user, key=key))
    return _done(request, form, "Criterion retired from the draft.", errors=form)


@require_POST
@login_required
def checklist_publish(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = PublishForm(request.POST)
    draft = draft_version()
    if draft is None:
        form.is_valid()
        form.add_error(None, "There is no draft to publish.")
    else:
        submit(
            form, lambda move: checklist_version_publish(version=draft, by=request.user, move=move)
        )
    number = draft.number if draft else ""
    return _done(request, form, f"Checklist v{number} published.", publish_form=form)
