from django.contrib import admin

from gates.models import Criterion, Evidence, Gate, GateStatus, SignOff
from gates.services import readiness_refresh
from portfolio.lib.admin import ReadOnlyAdminMixin


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = [
        "position",
        "text",
        "required",
        "function",
        "applies_to_low",
        "applies_to_medium",
        "applies_to_high",
    ]


class RederiveReadinessMixin:
    """Gate and criterion definitions decide every pilot's readiness: re-derive it."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        readiness_refresh()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        readiness_refresh()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        readiness_refresh()


@admin.register(Gate)
class GateAdmin(RederiveReadinessMixin, admin.ModelAdmin):
    list_display = ["number", "name", "kind", "key"]
    list_display_links = ["name"]
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(RederiveReadinessMixin, admin.ModelAdmin):
    list_display = [
        "text",
        "gate",
        "required",
        "function",
        "applies_to_low",
        "applies_to_medium",
        "applies_to_high",
    ]
    list_filter = ["gate", "required", "function"]
    search_fields = ["text"]


# Evidence, sign-offs and gate statuses are written only through the gate services, from
# the pilot pages: the admin shows them read-only.


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pilot", "criterion", "status", "submitted_by", "submitted_at", "reviewed_by"]
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
