from datetime import date, timedelta

import pytest

from portfolio.models import Pilot, Stage
from portfolio.selectors.post_launch import (
    PostLaunchValue,
    post_launch_value_condition,
    post_launch_value_counts,
    with_post_launch_value,
)
from portfolio.services.parts import metric_set, reading_add
from tests.portfolio.services.helpers import DAY, pilot_in_stage

GO_LIVE = DAY  # pilot_in_stage takes a pilot live on DAY
BEFORE, AFTER, LATER = (
    GO_LIVE - timedelta(days=7),
    GO_LIVE + timedelta(days=30),
    GO_LIVE + timedelta(days=60),
)


def live_pilot(owner, title: str, *, direction: str = "decrease") -> Pilot:
    """In production since GO_LIVE; 120 -> 60 hours (lower is better) or 40 -> 80 %."""
    pilot = pilot_in_stage(owner=owner, stage=Stage.IN_PRODUCTION, title=title)
    if direction == "increase":
        metric_set(
            pilot=pilot, name="Resolution", unit="%", baseline=40, target=80, direction="increase"
        )
    return pilot


def readings(pilot: Pilot, *values: tuple[date, int]) -> None:
    for on, value in values:
        reading_add(pilot=pilot, measured_on=on, value=value)


def value_of(pilot: Pilot) -> str | None:
    return with_post_launch_value(Pilot.objects.filter(pk=pilot.pk)).get().post_launch_value


@pytest.mark.parametrize(
    "direction, at_go_live, since, expected",
    [
        # lower is better, target 60
        ("decrease", 80, [70, 58], PostLaunchValue.REACHED),
        ("decrease", 80, [70], PostLaunchValue.ON_THE_WAY),
        ("decrease", 70, [62, 75], PostLaunchValue.LEAKING),
        ("decrease", 55, [62], PostLaunchValue.LEAKING),  # reached at go-live, lost since
        ("decrease", 70, [70], PostLaunchValue.ON_THE_WAY),  # no better, no worse
        # higher is better, target 80
        ("increase", 60, [70, 85], PostLaunchValue.REACHED),
        ("increase", 60, [70], PostLaunchValue.ON_THE_WAY),
        ("increase", 70, [75, 65], PostLaunchValue.LEAKING),
    ],
)
def test_it_shows_post_launch_value_against_the_target_and_the_value_at_go_live(
    alice, direction, at_go_live, since, expected
):
    # given
    pilot = live_pilot(alice, "Live", direction=direction)
    readings(pilot, (BEFORE, at_go_live), *zip([AFTER, LATER], since, strict=False))

    # when
    value = value_of(pilot)

    # then
    assert value == expected


def test_it_has_no_post_launch_value_before_a_reading_after_go_live_or_before_go_live(alice):
    # given: live with readings before go-live only; piloting with a reading at target
    live = live_pilot(alice, "Live")
    readings(live, (BEFORE, 50))
    piloting = pilot_in_stage(owner=alice, stage=Stage.PILOTING, title="Piloting")
    readings(piloting, (AFTER, 50))

    # when / then
    assert value_of(live) is None
    assert value_of(piloting) is None


def test_it_is_on_the_way_without_a_reading_at_go_live(alice):
    # given
    pilot = live_pilot(alice, "Live")
    readings(pilot, (AFTER, 90))

    # then
    assert value_of(pilot) == PostLaunchValue.ON_THE_WAY


def test_it_counts_and_lists_each_post_launch_value_in_one_query(alice, django_assert_num_queries):
    # given
    reached, leaking = live_pilot(alice, "Reached"), live_pilot(alice, "Leaking")
    on_the_way, unmeasured = live_pilot(alice, "On the way"), live_pilot(alice, "Unmeasured")
    readings(reached, (BEFORE, 80), (AFTER, 59))
    readings(leaking, (BEFORE, 70), (AFTER, 90))
    readings(on_the_way, (BEFORE, 90), (AFTER, 70))
    readings(unmeasured, (BEFORE, 70))

    # when
    with django_assert_num_queries(1):
        counts = post_launch_value_counts()
    listed = {
        value: list(Pilot.objects.filter(post_launch_value_condition(value)))
        for value in PostLaunchValue.values
    }

    # then
    assert counts == {"reached": 1, "on_the_way": 1, "leaking": 1}
    assert listed == {"reached": [reached], "on_the_way": [on_the_way], "leaking": [leaking]}
