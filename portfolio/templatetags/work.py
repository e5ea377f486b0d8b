"""The header's "My work" count and the pilot page's head, for every page and for the
htmx answers that swap them out of band after a change (gates' views included)."""

from django import template
from django.utils import timezone

from gates.selectors import pilot_checklist
from portfolio.models import Pilot
from portfolio.selectors.next_step import pilot_next_step
from portfolio.selectors.pilot_page import pilot_head_queryset
from portfolio.selectors.stalls import SIGNALS, stall_signals_of
from portfolio.selectors.work_queue import my_work_count

register = template.Library()


@register.simple_tag(takes_context=True)
def my_work_figure(context) -> int:
    """How many things wait for the signed-in person; read once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_my_work_count"):
        request._my_work_count = my_work_count(user=user, as_of=timezone.localdate())
    return request._my_work_count


@register.inclusion_tag("portfolio/pilot/head.html", takes_context=True)
def pilot_head(context, pilot: Pilot, oob: bool = False) -> dict:
    """The pilot page's head: title, stage and days in it, owner, risk tier, stall state,
    and the reader's one next step. Uses the page's annotated pilot and checklist when
    it has them; otherwise (an htmx answer) reads them, in a fixed number of queries."""
    as_of = timezone.localdate()
    if not hasattr(pilot, "signal_deferred_decision"):
        pilot = pilot_head_queryset(as_of=as_of).get(pk=pilot.pk)
    checklist = context.get("checklist") or pilot_checklist(pilot=pilot)
    request = context["request"]
    return {
        "request": request,
        "pilot": pilot,
        "oob": oob,
        "days_in_stage": pilot.days_in_stage(as_of),
        "signals": [SIGNALS[key] for key in stall_signals_of(pilot)],
        "next_step": pilot_next_step(
            user=request.user, pilot=pilot, checklist=checklist, as_of=as_of
        ),
    }
