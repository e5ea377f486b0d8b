from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from portfolio import accounts
from portfolio.views import (
    alerts,
    dashboard,
    editing,
    exports,
    health,
    imports,
    my_work,
    people,
    pilot,
)

admin.site.site_header = "Pilotgate administration"
admin.site.site_title = "Pilotgate"
admin.site.index_title = "Portfolio and gate definitions"

urlpatterns = [
    path("", my_work.home, name="home"),
    path("portfolio/", dashboard.dashboard, name="dashboard"),
    path("pilots.csv", exports.pilots_csv, name="pilots_csv"),
    path("pilots.xlsx", exports.pilots_xlsx, name="pilots_xlsx"),
    path("export.json", exports.export_json, name="export_json"),
    path("trends.csv", exports.trends_csv, name="trends_csv"),
    path("report/", dashboard.board_report, name="board_report"),
    path("report.pdf", dashboard.board_report_pdf, name="board_report_pdf"),
    path("pilots/new/", editing.pilot_new, name="pilot_new"),
    path("pilots/import/", imports.pilot_import, name="pilot_import"),
    path("pilots/import/confirm/", imports.pilot_import_confirm, name="pilot_import_confirm"),
    path("pilots/import/template.xlsx", imports.import_template, name="import_template"),
    path("pilots/<int:pilot_id>/", pilot.pilot_detail, name="pilot_detail"),
    path("pilots/<int:pilot_id>/history/", pilot.pilot_history, name="pilot_history"),
    path("pilots/<int:pilot_id>/charter/edit/", editing.charter_edit, name="charter_edit"),
    path("pilots/<int:pilot_id>/metric/edit/", editing.metric_edit, name="metric_edit"),
    path("pilots/<int:pilot_id>/parts/<slug:kind>/add/", editing.part_add, name="part_add"),
    path(
        "pilots/<int:pilot_id>/parts/<slug:kind>/<int:part_id>/edit/",
        editing.part_edit,
        name="part_edit",
    ),
    path(
        "pilots/<int:pilot_id>/parts/<slug:kind>/<int:part_id>/remove/",
        editing.part_remove,
        name="part_remove",
    ),
    # A section as it is: "charter", "metric" or a part's kind.
    path(
        "pilots/<int:pilot_id>/sections/<slug:kind>/",
        editing.pilot_section,
        name="pilot_section",
    ),
    path("pilots/<int:pilot_id>/stage/", pilot.pilot_move, name="pilot_move"),
    path("pilots/<int:pilot_id>/decision/", pilot.pilot_decide, name="pilot_decide"),
    path("pilots/<int:pilot_id>/deferral/", pilot.pilot_defer, name="pilot_defer"),
    path(
        "pilots/<int:pilot_id>/risk-approval/",
        pilot.pilot_risk_approve,
        name="pilot_risk_approve",
    ),
    path("", include("gates.urls")),
    path("my/", my_work.my_work_page, name="my_work"),
    path("people/options/", people.people_options, name="people_options"),
    path("my/pilots/", RedirectView.as_view(pattern_name="my_work", permanent=True)),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("alerts/unsubscribe/<str:token>/", alerts.alerts_unsubscribe, name="alerts_unsubscribe"),
    path("alerts/snooze/<str:token>/", alerts.alerts_snooze, name="alerts_snooze"),
]
