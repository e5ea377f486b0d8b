from datetime import date
from smtplib import SMTPException

import pytest
from celery.schedules import crontab
from django.conf import settings

from portfolio.celery import app as celery_app
from portfolio.models import AlertDelivery, DeliveryStatus, StallEvent
from portfolio.services.alerts import stall_alerts_plan
from portfolio.tasks import flag_stalls_task, send_stall_alert_task, send_stall_alerts_task

MONDAY = "2026-06-01"


def sent_to() -> list[tuple[str, str, int]]:
    return sorted(AlertDelivery.objects.values_list("recipient__email", "status", "attempts"))


def test_it_schedules_stall_detection_daily_and_the_alerts_on_monday_morning():
    # given
    schedule = settings.CELERY_BEAT_SCHEDULE

    # when
    daily = schedule["flag-stalls"]
    weekly = schedule["send-stall-alerts"]

    # then
    assert daily["task"] in celery_app.tasks and weekly["task"] in celery_app.tasks
    assert daily["schedule"] == crontab(minute=30, hour=5)
    assert weekly["schedule"] == crontab(minute=0, hour="7-12", day_of_week="mon")
    assert celery_app.conf.timezone == settings.TIME_ZONE


def test_it_runs_the_tasks_in_process_without_a_broker(
    stall_portfolio, smtp_server, in_process_tasks, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        flag_stalls_task.delay(MONDAY)
        send_stall_alerts_task.delay(MONDAY)

    # then
    assert StallEvent.objects.filter(on=date(2026, 6, 1)).count() == 2
    assert smtp_server.recipients() == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
    ]


def test_it_records_a_refused_send_and_sends_the_others_without_a_broker(
    stall_portfolio, smtp_server, in_process_tasks, caplog, django_capture_on_commit_callbacks
):
    # given: Bob's mailbox is refused
    smtp_server.refuse.add("bob@example.com")

    # when: in-process, a failure is not retried on the spot: the next run sends it
    with django_capture_on_commit_callbacks(execute=True):
        send_stall_alerts_task.delay(MONDAY)

    # then
    assert smtp_server.recipients() == ["alice@example.com", "erin@example.com"]
    assert sent_to() == [
        ("alice@example.com", "sent", 1),
        ("bob@example.com", "failed", 1),
        ("erin@example.com", "sent", 1),
    ]
    assert "Could not queue or run portfolio.tasks.send_stall_alert_task" in caplog.text


@pytest.fixture
def retries_in_process(in_process_tasks):
    """Celery runs a task's retries in-process only when its errors do not propagate."""
    saved = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = saved


def test_it_retries_a_refused_send_and_then_delivers(
    stall_portfolio, smtp_server, retries_in_process
):
    # given: the server turns Bob's mail away twice, then takes it
    smtp_server.fail_next["bob@example.com"] = 2
    [_, bob, _] = stall_alerts_plan(as_of=date(2026, 6, 1))

    # when
    result = send_stall_alert_task.apply(args=[bob])

    # then
    assert result.successful()
    assert len(smtp_server.to("bob@example.com")) == 1
    assert AlertDelivery.objects.get(id=bob).attempts == 3


def test_it_gives_up_after_its_retries_and_leaves_the_failure_to_see(
    stall_portfolio, smtp_server, retries_in_process, caplog
):
    # given: Bob's mailbox is refused for good
    smtp_server.refuse.add("bob@example.com")
    [_, bob, _] = stall_alerts_plan(as_of=date(2026, 6, 1))

    # when
    result = send_stall_alert_task.apply(args=[bob])

    # then: 1 + 6 retries, then the task fails and the delivery shows why
    assert result.failed()
    delivery = AlertDelivery.objects.get(id=bob)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 7)
    assert "(550, b'5.1.1 Mailbox unavailable')" in delivery.last_error
    assert "Stall alert 2026-W23 to bob@example.com failed (attempt 7)" in caplog.text
    assert smtp_server.to("bob@example.com") == []


def test_it_declares_its_retries_with_backoff_on_the_task():
    # then: a random delay of up to 1, 2, 4, ... minutes, at most an hour; seven attempts
    assert SMTPException in send_stall_alert_task.autoretry_for
    assert OSError in send_stall_alert_task.autoretry_for
    assert send_stall_alert_task.retry_backoff == 60
    assert send_stall_alert_task.retry_backoff_max == 3600
    assert send_stall_alert_task.retry_jitter is True
    assert send_stall_alert_task.max_retries == 6
