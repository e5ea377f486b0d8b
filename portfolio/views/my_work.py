"""My pilots: what waits for the signed-in person."""

from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from rules import has_perm

from portfolio.selectors import my_work
from portfolio.selectors.decisions_due import decision_due_for


@require_GET
@login_required
def my_pilots(request: HttpRequest) -> HttpResponse:
    as_of = timezone.localdate()
    rows = my_work.my_pilots(user=request.user, as_of=as_of)
    context = {
        "rows": rows,
        "decisions_due": list(decision_due_for(request.user)),
        "as_of": as_of,
        "can_propose": has_perm("portfolio.add_pilot", request.user),
    }
    return render(request, "portfolio/my_pilots.html", context)
