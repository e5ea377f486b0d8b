from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from portfolio import accounts, views

admin.site.site_header = "Pilotgate administration"
admin.site.site_title = "Pilotgate"
admin.site.index_title = "Portfolio and gate definitions"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("pilots.csv", views.pilots_csv, name="pilots_csv"),
    path("export.json", views.export_json, name="export_json"),
    path("report/", views.board_report, name="board_report"),
    path("pilots/new/", views.pilot_new, name="pilot_new"),
    path("pilots/<int:pilot_id>/", views.pilot_detail, name="pilot_detail"),
    path("pilots/<int:pilot_id>/history/", views.pilot_history, name="pilot_history"),
    path("pilots/<int:pilot_id>/charter/edit/", views.charter_edit, name="charter_edit"),
    path("pilots/<int:pilot_id>/metric/edit/", views.metric_edit, name="metric_edit"),
    path("pilots/<int:pilot_id>/parts/<slug:kind>/add/", views.part_add, name="part_add"),
    path(
        "pilots/<int:pilot_id>/parts/<slug:kind>/<int:part_id>/edit/",
        views.part_edit,
        name="part_edit",
    ),
    path(
        "pilots/<int:pilot_id>/parts/<slug:kind>/<int:part_id>/remove/",
        views.part_remove,
        name="part_remove",
    ),
    # A section as it is: "charter", "metric" or a part's kind.
    path("pilots/<int:pilot_id>/sections/<slug:kind>/", views.pilot_section, name="pilot_section"),
    path("pilots/<int:pilot_id>/stage/", views.pilot_move, name="pilot_move"),
    path("pilots/<int:pilot_id>/decision/", views.pilot_decide, name="pilot_decide"),
    path("pilots/<int:pilot_id>/deferral/", views.pilot_defer, name="pilot_defer"),
    path(
        "pilots/<int:pilot_id>/risk-approval/",
        views.pilot_risk_approve,
        name="pilot_risk_approve",
    ),
    path(
        "pilots/<int:pilot_id>/criteria/<int:criterion_id>/evidence/",
        views.evidence_add,
        name="evidence_add",
    ),
    path(
        "pilots/<int:pilot_id>/criteria/<int:criterion_id>/signoff/",
        views.signoff_add,
        name="signoff_add",
    ),
    path(
        "pilots/<int:pilot_id>/evidence/<int:evidence_id>/review/",
        views.evidence_review_record,
        name="evidence_review",
    ),
    path(
        "pilots/<int:pilot_id>/evidence/<int:evidence_id>/file/",
        views.evidence_file,
        name="evidence_file",
    ),
    path("my/pilots/", views.my_pilots, name="my_pilots"),
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
    path("healthz", views.healthz, name="healthz"),
    path("alerts/unsubscribe/<str:token>/", views.alerts_unsubscribe, name="alerts_unsubscribe"),
    path("alerts/snooze/<str:token>/", views.alerts_snooze, name="alerts_snooze"),
]
