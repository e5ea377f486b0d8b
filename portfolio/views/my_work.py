"""My work, the landing page of the people who work on pilots, and the landing itself."""

from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from rules import has_perm

from portfolio.models import Role
from portfolio.selectors import my_work, work_queue
from portfolio.views import dashboard

# Who lands on My work after signing in; the others (executives, governance admins)
# land on the portfolio dashboard.
LANDS_ON_MY_WORK = (Role.OWNER, Role.REVIEWER)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """`/`: My work for owners, delivery owners, reviewers and decision makers; the
    portfolio dashboard for executives and governance admins."""
    if request.user.role in LANDS_ON_MY_WORK:
        return redirect("my_work")
    return dashboard.dashboard(request)


@require_GET
@login_required
def my_work_page(request: HttpRequest) -> HttpResponse:
    as_of = timezone.localdate()
    groups = work_queue.my_work(user=request.user, as_of=as_of)
    request._my_work_count = sum(len(group.items) for group in groups)
    context = {
        "groups": groups,
        "count": request._my_work_count,
        "rows": my_work.my_pilots(user=request.user, as_of=as_of),
        "as_of": as_of,
        "can_propose": has_perm("portfolio.add_pilot", request.user),
    }
    return render(request, "portfolio/my_work.html", context)
