"""The people pickers' search: the options of a select, filtered by what is typed."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portfolio.selectors.people import people_matching


@require_GET
@login_required
def people_options(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:100]
    people = people_matching(text=text)
    return render(request, "portfolio/_people_options.html", {"people": people, "text": text})
