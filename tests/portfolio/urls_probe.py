"""The project's URLs plus one page that edits a pilot, for the permission and history
tests: it stands for the editing pages still to come, and checks access the same way."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_http_methods

from portfolio import services
from portfolio.views import _get_pilot_for_user


@require_http_methods(["GET", "POST"])
@login_required
def pilot_edit_probe(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    if request.method == "POST":
        services.pilot_update(pilot=pilot, summary=request.POST.get("summary", ""))
    return HttpResponse("editable")


urlpatterns = [
    path("probe/pilots/<int:pilot_id>/edit/", pilot_edit_probe, name="pilot_edit_probe"),
    path("", include("portfolio.urls")),
]
