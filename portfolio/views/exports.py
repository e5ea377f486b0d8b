"""The portfolio out: the pilot table as CSV or a workbook, the whole export as JSON for BI
tools."""

import base64
import csv
import logging
from functools import wraps

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.utils import timezone
from django.views.decorators.http import require_GET

from portfolio.exports import portfolio_csv_rows, portfolio_workbook
from portfolio.forms import (
    PilotFilterForm,
)
from portfolio.lib.dates import parse_iso_date
from portfolio.selectors.export import portfolio_export

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


@require_GET
@login_required
def pilots_csv(request: HttpRequest) -> StreamingHttpResponse:
    filters = PilotFilterForm(request.GET or None).filters()
    filters.pop("sort")
    writer = csv.writer(_Echo())
    rows = portfolio_csv_rows(as_of=timezone.localdate(), filters=filters)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="pilots.csv"'
    return response


@require_GET
@login_required
def pilots_xlsx(request: HttpRequest) -> HttpResponse:
    filters = PilotFilterForm(request.GET or None).filters()
    filters.pop("sort")
    return HttpResponse(
        portfolio_workbook(as_of=timezone.localdate(), filters=filters),
        content_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="pilots.xlsx"'},
    )


def login_or_basic_auth(view):
    """A signed-in session, or HTTP Basic credentials (email and password) for tools.
    Failed credentials count toward the same lock-out as the sign-in form (django-axes
    sees every `authenticate` call); a locked-out client gets 429
    (`portfolio.accounts.lockout_response`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
            user = None
            if scheme.lower() == "basic":
                try:
                    email, _, password = base64.b64decode(credentials).decode().partition(":")
                    user = authenticate(request, username=email, password=password)
                except (ValueError, UnicodeDecodeError):
                    user = None
            if user is None:
                response = JsonResponse(
                    {"error": "Sign in, or send Basic credentials."}, status=401
                )
                response["WWW-Authenticate"] = 'Basic realm="Pilotgate", charset="UTF-8"'
                return response
            request.user = user
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@login_or_basic_auth
def export_json(request: HttpRequest) -> JsonResponse:
    as_of_text = request.GET.get("as_of", "")
    try:
        as_of = parse_iso_date(as_of_text) if as_of_text else timezone.localdate()
    except ValidationError as exc:
        return JsonResponse({"error": f"as_of: {exc.messages[0]}"}, status=400)
    try:
        return JsonResponse(portfolio_export(as_of=as_of))
    except DatabaseError:
        logger.exception("The portfolio export could not read the database")
        return JsonResponse(
            {"error": "The portfolio cannot be read right now; try again in a minute."},
            status=503,
            headers={"Retry-After": "60"},
        )
    except Exception:
        # A JSON client gets JSON, never Django's HTML error page.
        logger.exception("The portfolio export failed")
        return JsonResponse({"error": "The export failed; the error is logged."}, status=500)
