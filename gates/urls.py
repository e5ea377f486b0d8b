from django.urls import path

from gates import views

urlpatterns = [
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
        "pilots/<int:pilot_id>/evidence/<int:evidence_id>/reconfirm/",
        views.evidence_reconfirm_record,
        name="evidence_reconfirm",
    ),
    path("checklist/", views.checklist_versions, name="checklist_versions"),
    path("checklist/draft/", views.checklist_draft, name="checklist_draft"),
    path(
        "checklist/draft/criteria/", views.checklist_criterion_add, name="checklist_criterion_add"
    ),
    path(
        "checklist/draft/criteria/<slug:key>/remove/",
        views.checklist_criterion_remove,
        name="checklist_criterion_remove",
    ),
    path("checklist/draft/publish/", views.checklist_publish, name="checklist_publish"),
    path(
        "pilots/<int:pilot_id>/evidence/<int:evidence_id>/file/",
        views.evidence_file,
        name="evidence_file",
    ),
]
