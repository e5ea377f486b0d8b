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
        "pilots/<int:pilot_id>/evidence/<int:evidence_id>/file/",
        views.evidence_file,
        name="evidence_file",
    ),
]
