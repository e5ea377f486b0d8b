"""The dashboard's figures are computed once per version of the portfolio and kept:
every write they read changes the version, so what is kept is never stale."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gates.services import readiness_refresh
from portfolio.models import PathKind, Stage
from portfolio.selectors.dashboard import dashboard_figures
from portfolio.selectors.history import past_version, portfolio_version
from portfolio.selectors.kept import dashboard_figures_kept
from portfolio.services.lifecycle import pilot_stage_move
from portfolio.services.parts import metric_set, path_item_add, reading_add
from portfolio.services.pilots import pilot_update
from portfolio.tasks import warm_dashboard_task
from tests.conftest import signed_in
from tests.factories import gate_meet
from tests.portfolio.selectors.helpers import object_to
from tests.portfolio.services.helpers import DAY, pilot_in_stage

pytestmark = pytest.mark.django_db


def kept_and_fresh() -> tuple[dict, dict]:
    today = timezone.localdate()
    return dashboard_figures_kept(as_of=today), dashboard_figures(as_of=today)


def test_kept_figures_are_read_without_scanning_the_pilots_again(alice):
    pilot_in_stage(owner=alice, stage=Stage.PILOTING, title="Piloting")
    today = timezone.localdate()
    first = dashboard_figures_kept(as_of=today)
    with CaptureQueriesContext(connection) as version_queries:
        portfolio_version()
    with CaptureQueriesContext(connection) as queries:
        again = dashboard_figures_kept(as_of=today)
    assert again == first
    assert len(queries) == len(version_queries)


def test_kept_figures_follow_every_write_they_read(alice, executive):
    live = pilot_in_stage(owner=alice, stage=Stage.IN_PRODUCTION, title="Live")
    piloting = pilot_in_stage(owner=alice, stage=Stage.PILOTING, title="Piloting")
    kept, fresh = kept_and_fresh()
    writes = [
        # a reading after go-live: measured post-launch value
        lambda: reading_add(pilot=live, measured_on=DAY + timedelta(days=30), value=58),
        # the target moves: the post-launch value is no longer reached
        lambda: metric_set(pilot=live, name="Hours", baseline=120, target=40, direction="decrease"),
        # a process change done: durable process change
        lambda: path_item_add(
            pilot=live, kind=PathKind.PROCESS_CHANGE, description="New rota", status="done"
        ),
        # evidence accepted: a gate passes (gate statuses and progress, derived)
        lambda: gate_meet(pilot=piloting, key="governance", by=alice),
        # an objection: a gate is blocked
        lambda: object_to(piloting, key="data", function="legal"),
        # a stage move
        lambda: pilot_stage_move(
            pilot=piloting, to_stage=Stage.AWAITING_DECISION, by=alice, on=DAY
        ),
        # gate statuses derived again with nothing changed: the figures stay right
        lambda: readiness_refresh(pilot_ids=[live.id, piloting.id]),
    ]
    for number, write in enumerate(writes):
        before = fresh
        write()
        kept, fresh = kept_and_fresh()
        assert kept == fresh
        if number < len(writes) - 1:
            assert fresh != before  # each write moved a figure


def test_the_dashboard_s_kept_stall_list_follows_a_new_planned_end(alice, executive):
    today = timezone.localdate()
    pilot = pilot_in_stage(
        owner=alice, stage=Stage.PILOTING, title="Drifting", pilot_end_planned=DAY
    )
    client = signed_in(executive)
    stalls = client.get(reverse("dashboard")).context["stalls"]
    assert [row["pilot"].id for row in stalls] == [pilot.id]  # past its planned end
    pilot_update(pilot=pilot, pilot_end_planned=today + timedelta(days=30))
    assert client.get(reverse("dashboard")).context["stalls"] == []


def test_evidence_changes_today_s_figures_but_not_the_kept_past(alice):
    # given: the trends, kept under the version of the past, cost the most to compute
    pilot = pilot_in_stage(owner=alice, stage=Stage.PILOTING, title="Piloting")
    past, today = past_version(), portfolio_version()
    # when: a gate passes
    gate_meet(pilot=pilot, key="governance", by=alice)
    # then: today's figures are read again, the past's are still exact
    assert portfolio_version() != today
    assert past_version() == past
    # and a stage move changes both
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=DAY)
    assert past_version() != past


def test_a_dashboard_warmed_by_the_task_is_read_as_a_kept_one(alice, executive):
    # given: a dashboard read once, then a change of the portfolio
    client = signed_in(executive)
    client.get(reverse("dashboard"))
    pilot_in_stage(owner=alice, stage=Stage.AWAITING_DECISION, title="Long wait")
    with CaptureQueriesContext(connection) as cold:
        client.get(reverse("dashboard"))
    pilot_in_stage(owner=alice, stage=Stage.PILOTING, title="Another")
    # when: the task runs before anyone opens the dashboard
    warm_dashboard_task()
    with CaptureQueriesContext(connection) as warmed:
        client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as again:
        client.get(reverse("dashboard"))
    # then: nothing was computed on the page
    assert len(warmed) == len(again) < len(cold)
