from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portfolio.lib.admin import ReadOnlyAdminMixin
from portfolio.lib.forms import errors_from
from portfolio.models import (
    AlertDelivery,
    BusinessUnit,
    CostLine,
    Decision,
    DecisionDue,
    Deferral,
    DeliveryStatus,
    DigestOptOut,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    RiskApproval,
    Snooze,
    Stage,
    StageChange,
    StallEvent,
    SuccessMetric,
    User,
    Waiver,
)
from portfolio.selectors.charter import charter_missing_of, with_charter
from portfolio.selectors.stalls import with_stall_flags
from portfolio.services.lifecycle import pilot_stage_move
from portfolio.services.pilots import pilot_create, pilot_update
from portfolio.services.risk import REASON_MAX_LENGTH, pilot_changes_check, pilot_duties_check
from portfolio.tasks import alert_deliveries_retry


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["name"]
    list_display = ["name", "email", "role", "function", "is_active", "last_login"]
    list_filter = ["role", "function", "is_active"]
    search_fields = ["name", "email"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        ("Role", {"fields": ["role", "function"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "name", "role", "function", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class StallFilter(admin.SimpleListFilter):
    title = "stall state"
    parameter_name = "stall"

    def lookups(self, request, model_admin):
        return [("stalled", "Stalled"), ("drifting", "Drifting")]

    def queryset(self, request, queryset):
        if self.value() == "stalled":
            return queryset.filter(is_stalled=True)
        if self.value() == "drifting":
            return queryset.filter(is_drifting=True)
        return queryset


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Records that are only written through the pilot's services."""

    extra = 0
    show_change_link = False


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ["changed_on", "from_stage", "to_stage", "changed_by", "reason"]


class DecisionInline(ReadOnlyInline):
    model = Decision
    fk_name = "pilot"
    fields = ["decided_on", "outcome", "decided_by", "rationale", "conditions", "snapshot"]
    readonly_fields = ["snapshot"]


class WaiverInline(ReadOnlyInline):
    """Waivers are recorded with their Scale and closed through `waiver_close`."""

    model = Waiver
    fields = ["gate", "objection", "waived_by", "reason", "condition", "owner", "due_on"]
    readonly_fields = ["closed_on"]


class DeferralInline(ReadOnlyInline):
    model = Deferral
    fields = ["deferred_on", "deferred_by", "reason"]


class RiskApprovalInline(ReadOnlyInline):
    model = RiskApproval
    fields = ["approved_on", "approved_by", "note"]


class SuccessMetricInline(admin.StackedInline):
    model = SuccessMetric
    extra = 0


class PathItemInline(admin.TabularInline):
    model = PathItem
    extra = 0
    autocomplete_fields = ["owner"]


class ConditionInline(admin.TabularInline):
    model = PilotCondition
    extra = 0


class CostLineInline(admin.TabularInline):
    model = CostLine
    extra = 0


class KpiInline(admin.TabularInline):
    model = ProductionKpi
    extra = 0


class PilotAdminForm(forms.ModelForm):
    """The pilot in the administration, under the charter page's rules: who may change
    the people and the risk tier, the separation of duties, a reason to lower the tier
    (`services.risk.pilot_changes_check`), checked here to show as form errors."""

    reason = forms.CharField(
        label="Reason for lowering the risk tier",
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text="Needed to lower the tier of a started pilot; kept in its history.",
    )
    user = None  # who is editing, set by PilotAdmin.get_form

    def pilot_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "reason"}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            if self.instance.pk is None:
                pilot_duties_check(Pilot(**self.pilot_changes()))
            else:
                pilot_changes_check(
                    pilot=Pilot.objects.get(pk=self.instance.pk),
                    fields=self.pilot_changes(),
                    by=self.user,
                    reason=cleaned.get("reason", ""),
                )
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from None
        except ValidationError as exc:
            errors_from(self, exc)
        return cleaned


@admin.register(Pilot)
class PilotAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "business_unit",
        "stage",
        "days_in_stage",
        "deployment_owner",
        "risk_tier",
        "stalled",
        "charter",
    ]
    list_display_links = ["reference", "title"]
    list_filter = ["stage", StallFilter, "risk_tier", "business_unit"]
    search_fields = ["title", "reference", "summary", "deployment_owner__email"]
    list_select_related = ["business_unit", "deployment_owner"]
    autocomplete_fields = [
        "business_unit",
        "sponsor",
        "deployment_owner",
        "delivery_owner",
        "decision_maker",
        "risk_owner",
    ]
    # The stage moves only through the rules: the actions below, or a decision.
    readonly_fields = ["stage", "stage_entered_on", "go_live_on", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["reference", "title", "summary", "business_unit", "risk_tier", "reason"]},
        ),
        ("Stage", {"fields": ["stage", "stage_entered_on", "go_live_on"]}),
        ("Timeline", {"fields": ["pilot_start", "pilot_end_planned"]}),
        (
            "People",
            {
                "fields": [
                    "deployment_owner",
                    "sponsor",
                    "delivery_owner",
                    "decision_maker",
                    "risk_owner",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [
        SuccessMetricInline,
        PathItemInline,
        ConditionInline,
        CostLineInline,
        KpiInline,
        StageChangeInline,
        DecisionInline,
        WaiverInline,
        DeferralInline,
        RiskApprovalInline,
    ]
    actions = ["start_pilots", "mark_awaiting_decision", "mark_live"]
    form = PilotAdminForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def get_queryset(self, request):
        pilots = with_charter(super().get_queryset(request))
        return with_stall_flags(pilots, as_of=timezone.localdate())

    @admin.display(description="days in stage", ordering="-stage_entered_on")
    def days_in_stage(self, pilot: Pilot) -> int:
        return pilot.days_in_stage(timezone.localdate())

    @admin.display(description="stalled", boolean=True, ordering="-is_stalled")
    def stalled(self, pilot: Pilot) -> bool:
        return pilot.is_stalled

    @admin.display(description="charter complete", boolean=True)
    def charter(self, pilot: Pilot) -> bool:
        return not charter_missing_of(pilot)

    def save_model(self, request, obj, form, change):
        if change:
            pilot_update(
                pilot=Pilot.objects.get(pk=obj.pk),
                by=request.user,
                reason=form.cleaned_data.get("reason", ""),
                **form.pilot_changes(),
            )
            return
        form.cleaned_data.pop("reason", None)
        created = pilot_create(by=request.user, **form.cleaned_data)
        obj.pk, obj._state.adding = created.pk, False

    def _move(self, request, queryset, to_stage: str) -> None:
        moved = 0
        for pilot in queryset:
            try:
                pilot_stage_move(pilot=pilot, to_stage=to_stage, by=request.user)
                moved += 1
            except ValidationError as exc:
                self.message_user(request, f"{pilot}: {' '.join(exc.messages)}", messages.ERROR)
            except PermissionDenied as exc:
                self.message_user(request, f"{pilot}: {exc}", messages.ERROR)
        if moved:
            label = Stage(to_stage).label.lower()
            self.message_user(request, f"{moved} pilot(s) now {label}.", messages.SUCCESS)

    @admin.action(description="Start the selected pilots (charter required)")
    def start_pilots(self, request, queryset):
        self._move(request, queryset, Stage.PILOTING)

    @admin.action(description="Mark the selected pilots awaiting decision")
    def mark_awaiting_decision(self, request, queryset):
        self._move(request, queryset, Stage.AWAITING_DECISION)

    @admin.action(description="Mark the selected scaling pilots live")
    def mark_live(self, request, queryset):
        self._move(request, queryset, Stage.IN_PRODUCTION)


# Stalls and alerts: what detection recorded and what was sent, read-only: rows written
# by the stall jobs and the links in emails, never by hand. Deliveries that failed are
# listed with their last error, and can be queued again.


@admin.register(StallEvent)
class StallEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["on", "pilot", "kind", "recorded_at"]
    list_filter = ["kind", "on"]
    list_select_related = ["pilot"]
    search_fields = ["pilot__title", "pilot__reference"]
    date_hierarchy = "on"


@admin.register(Snooze)
class SnoozeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pilot", "by", "starts_on", "until", "reason"]
    list_select_related = ["pilot", "by"]
    search_fields = ["pilot__title", "by__email"]


@admin.register(DigestOptOut)
class DigestOptOutAdmin(admin.ModelAdmin):
    """Deleting an opt-out sends the executive the digest again."""

    list_display = ["user", "opted_out_at"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    search_fields = ["user__email", "user__name"]


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "week",
        "kind",
        "recipient",
        "status",
        "attempts",
        "last_attempt_at",
        "sent_at",
        "error",
    ]
    list_filter = ["status", "kind", "iso_year", "iso_week"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email", "recipient__name", "last_error"]
    actions = ["retry_deliveries"]

    @admin.display(description="last error")
    def error(self, delivery: AlertDelivery) -> str:
        return delivery.last_error[:120]

    @admin.action(description="Send the selected unsent deliveries again")
    def retry_deliveries(self, request, queryset):
        due = queryset.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
        queued = alert_deliveries_retry(deliveries=due)
        if queued:
            self.message_user(request, f"{queued} delivery(ies) queued.", messages.SUCCESS)
        if queued < len(due):
            self.message_user(
                request,
                f"{len(due) - queued} delivery(ies) could not be queued: the background jobs "
                "are unavailable (see the log). Try again later.",
                messages.WARNING,
            )


@admin.register(DecisionDue)
class DecisionDueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each cause of a pilot's decision falling due, and its one email (failed ones
    are retried every ten minutes, seven attempts in all)."""

    list_display = ["due_on", "pilot", "cause", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "cause"]
    list_select_related = ["pilot", "recipient"]
    search_fields = ["pilot__title", "pilot__reference", "recipient__email", "last_error"]
    date_hierarchy = "due_on"
