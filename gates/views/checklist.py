"""The checklist's actions on a pilot: evidence, its review, sign-offs, evidence files.

Each action answers htmx with the checklist panel (its errors in place, or a note of
what was recorded); without JavaScript, a refusal shows the checklist page with the
errors (400) and a success goes back to the pilot page with a message.
"""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from gates.forms import EvidenceForm, EvidenceReviewForm, SignOffForm, checklist_with_forms
from gates.models import Criterion, Evidence, GateStatus
from gates.services import evidence_reconfirm, evidence_review, evidence_submit, signoff_record
from portfolio.lib.forms import submit
from portfolio.models import Pilot
from portfolio.rules import pilot_for_user, require_perm


def _checklist_done(
    request: HttpRequest, pilot: Pilot, *, form: Form, key: tuple, done: str, gate_key: str
) -> HttpResponse:
    """The answer to a checklist action. A refusal: the checklist with the form's errors
    (in the page, 400, without JavaScript). A success: for htmx the checklist with the
    pilot page's gate summary, head and the header's My work count swapped out of band
    (the action changed them); otherwise back to the pilot page with a message."""
    if not form.errors and not request.htmx:
        messages.success(request, done)
        return redirect(f"{reverse('pilot_detail', args=[pilot.id])}?open={gate_key}")
    failed = (key, form) if form.errors else None
    checklist = checklist_with_forms(request.user, pilot, failed, open_gate=gate_key)
    context = {"pilot": pilot, "checklist": checklist}
    if form.errors and not request.htmx:
        response = render(request, "gates/checklist_page.html", context, status=400)
    elif form.errors:
        # htmx swaps only successful responses: a refusal comes back as 200, with errors.
        response = render(request, "gates/checklist.html", context)
    else:
        context["pilot"] = Pilot.objects.prefetch_related(
            Prefetch("gate_statuses", queryset=GateStatus.objects.select_related("gate"))
        ).get(pk=pilot.pk)
        context.update(done=done, oob=True)
        response = render(request, "gates/checklist.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@login_required
def evidence_add(request: HttpRequest, pilot_id: int, criterion_id: int) -> HttpResponse:
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.edit_pilot")
    criterion = get_object_or_404(Criterion.objects.select_related("gate"), pk=criterion_id)
    form = EvidenceForm(request.POST, request.FILES, prefix=f"evidence{criterion.id}")
    submit(form, partial(evidence_submit, pilot=pilot, criterion=criterion, by=request.user))
    done = f"Evidence recorded for: {criterion.text}"
    return _checklist_done(
        request,
        pilot,
        form=form,
        key=("evidence", criterion.id),
        done=done,
        gate_key=criterion.gate.key,
    )


@require_POST
@login_required
def evidence_review_record(request: HttpRequest, pilot_id: int, evidence_id: int) -> HttpResponse:
    pilot = pilot_for_user(request.user, pilot_id)
    evidence = get_object_or_404(
        Evidence.objects.select_related("criterion__gate"), pk=evidence_id, pilot=pilot
    )
    require_perm(request.user, "gates.review_evidence", evidence.criterion, pilot.title)
    form = EvidenceReviewForm(request.POST, prefix=f"review{evidence.id}")
    submit(
        form,
        lambda verdict, comment: evidence_review(
            evidence=evidence, by=request.user, accept=verdict == "accept", comment=comment
        ),
    )
    done = f"Your review is recorded for: {evidence.criterion.text}"
    return _checklist_done(
        request,
        pilot,
        form=form,
        key=("review", evidence.id),
        done=done,
        gate_key=evidence.criterion.gate.key,
    )


@require_POST
@login_required
def signoff_add(request: HttpRequest, pilot_id: int, criterion_id: int) -> HttpResponse:
    pilot = pilot_for_user(request.user, pilot_id)
    criterion = get_object_or_404(Criterion.objects.select_related("gate"), pk=criterion_id)
    require_perm(request.user, "gates.review_criterion", criterion, pilot.title)
    form = SignOffForm(request.POST, prefix=f"signoff{criterion.id}")
    submit(form, partial(signoff_record, pilot=pilot, criterion=criterion, by=request.user))
    done = f"Your verdict is recorded for: {criterion.text}"
    return _checklist_done(
        request,
        pilot,
        form=form,
        key=("signoff", criterion.id),
        done=done,
        gate_key=criterion.gate.key,
    )


@require_POST
@login_required
def evidence_reconfirm_record(
    request: HttpRequest, pilot_id: int, evidence_id: int
) -> HttpResponse:
    """The owner says accepted evidence still holds: it goes back to a reviewer."""
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.edit_pilot")
    evidence = get_object_or_404(
        Evidence.objects.select_related("criterion__gate", "pilot"), pk=evidence_id, pilot=pilot
    )
    form = Form(request.POST)
    submit(form, lambda: evidence_reconfirm(evidence=evidence, by=request.user))
    done = f"Sent again for review as still holding: {evidence.criterion.text}"
    return _checklist_done(
        request,
        pilot,
        form=form,
        key=("reconfirm", evidence.id),
        done=done,
        gate_key=evidence.criterion.gate.key,
    )


@require_GET
@login_required
def evidence_file(request: HttpRequest, pilot_id: int, evidence_id: int) -> FileResponse:
    """An evidence file, to signed-in users only (never a public media URL), as a
    download so that the browser never renders it as a page."""
    pilot = pilot_for_user(request.user, pilot_id)
    evidence = get_object_or_404(Evidence, pk=evidence_id, pilot=pilot)
    if not evidence.file:
        raise Http404("This evidence has no file.")
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.file_name)
