"""The gates in the administration. Criteria are never changed in place: an edit or a new
criterion goes into the draft of the next checklist version (`gates.services.versions`),
which a governance admin publishes from the checklist page, choosing the pilots that
move. Nothing a pilot's version uses is ever deleted here."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from gates.models import (
    ChecklistEvent,
    ChecklistVersion,
    Criterion,
    Evidence,
    Gate,
    GateStatus,
    SignOff,
    VersionStatus,
)
from gates.services import criterion_draft_remove, criterion_draft_save
from gates.services.versions import CRITERION_FIELDS
from portfolio.lib.admin import ReadOnlyAdminMixin


class NoDeleteMixin:
    """Gates and versions are used by pilots: never deleted; retiring is a new version."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Gate)
class GateAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["number", "name", "kind", "key"]
    list_display_links = ["name"]
    readonly_fields = ["key", "number"]

    def has_add_permission(self, request):
        return False  # the six gates are fixed; their criteria change by version


class CriterionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["gate", "text", "required", "function", "validity_months", "key"]
    readonly_fields = fields


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(NoDeleteMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "published_at", "published_by", "page"]
    inlines = [CriterionInline]

    @admin.display(description="Draft, impact and publication")
    def page(self, obj):
        return format_html('<a href="{}">Checklist page</a>', reverse("checklist_versions"))


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """A criterion's change or a new criterion is saved into the draft of the next
    version, never into a published one; only a draft's criterion may be removed."""

    list_display = ["text", "gate", "version", "required", "function", "validity_months"]
    list_filter = ["version", "gate", "required", "function"]
    list_select_related = ["gate", "version"]
    search_fields = ["text", "key"]
    fields = CRITERION_FIELDS
    readonly_fields = ["version", "key"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.version.status == VersionStatus.DRAFT

    def get_fields(self, request, obj=None):
        return ["version", "key", *CRITERION_FIELDS] if obj else CRITERION_FIELDS

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name] for name in CRITERION_FIELDS if name in form.cleaned_data
        }
        saved = criterion_draft_save(by=request.user, key=obj.key if change else "", **values)
        obj.pk, obj.version, obj.key = saved.pk, saved.version, saved.key
        self.message_user(
            request,
            f"Saved into the draft of checklist v{saved.version.number}: publish it from the "
            "checklist page, where you choose which pilots move to it.",
            messages.INFO,
        )

    def delete_model(self, request, obj):
        criterion_draft_remove(by=request.user, key=obj.key)


# Evidence, sign-offs, gate statuses and checklist events are written only through the gate
# services, from the pilot pages and the daily job: the admin shows them read-only.


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pilot", "criterion", "status", "submitted_by", "submitted_at", "valid_until"]
    list_filter = ["status", "criterion__gate"]
    list_select_related = ["pilot", "criterion", "submitted_by", "reviewed_by"]
    search_fields = ["pilot__title", "text"]


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pilot", "criterion", "function", "verdict", "signed_by", "signed_at"]
    list_filter = ["verdict", "function"]
    list_select_related = ["pilot", "criterion", "signed_by"]
    search_fields = ["pilot__title", "comment"]


@admin.register(GateStatus)
class GateStatusAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pilot", "gate", "status", "criteria_met", "criteria_required"]
    list_filter = ["gate", "status"]
    list_select_related = ["pilot", "gate"]
    search_fields = ["pilot__title"]


@admin.register(ChecklistEvent)
class ChecklistEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pilot", "kind", "summary", "at", "by"]
    list_filter = ["kind"]
    list_select_related = ["pilot", "by"]
    search_fields = ["pilot__title", "summary"]
