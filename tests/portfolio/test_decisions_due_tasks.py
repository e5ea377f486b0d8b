import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command

from portfolio.celery import app as celery_app
from portfolio.models import DecisionDue, DeliveryStatus
from portfolio.tasks import flag_decisions_due_task, send_decisions_due_task
from tests.portfolio.services.test_decisions_due import piloting_pilot


def test_it_schedules_the_decision_due_step_daily_and_its_emails_every_ten_minutes():
    # given
    schedule = settings.CELERY_BEAT_SCHEDULE

    # when
    daily, sweep = schedule["flag-decisions-due"], schedule["send-decisions-due"]

    # then
    assert daily["task"] in celery_app.tasks and sweep["task"] in celery_app.tasks
    assert daily["schedule"] == crontab(minute=35, hour=5)
    assert sweep["schedule"] == crontab(minute="*/10")


def test_it_runs_the_daily_step_and_sends_in_process_without_a_broker(
    alice, smtp_server, in_process_tasks, django_capture_on_commit_callbacks
):
    # given
    piloting_pilot(alice)

    # when: the daily step, then the sweep (nothing left to send)
    with django_capture_on_commit_callbacks(execute=True):
        queued = flag_decisions_due_task.delay("2026-06-01").get()
    with django_capture_on_commit_callbacks(execute=True):
        queued_again = send_decisions_due_task.delay().get()

    # then
    assert (queued, queued_again) == (1, 0)
    assert smtp_server.recipients() == ["alice@example.com"]
    assert DecisionDue.objects.get().status == DeliveryStatus.SENT


def test_it_gives_up_a_refused_email_after_seven_attempts(alice, smtp_server):
    # given: a mailbox refused for good
    piloting_pilot(alice)
    smtp_server.refuse.add("alice@example.com")

    # when
    for day in range(1, 8):
        with pytest.raises(SystemExit):
            call_command("flag_decisions_due", "--as-of", f"2026-06-{day:02d}")
    call_command("flag_decisions_due", "--as-of", "2026-06-08")
    sweep = send_decisions_due_task.run()

    # then
    due = DecisionDue.objects.get()
    assert (due.status, due.attempts) == (DeliveryStatus.FAILED, 7)
    assert "SMTPRecipientsRefused" in due.last_error
    assert sweep == 0


def test_it_refuses_a_bad_date_for_the_command(db):
    # when
    with pytest.raises(CommandError) as refused:
        call_command("flag_decisions_due", "--as-of", "1 June")

    # then
    assert "--as-of" in str(refused.value)
    assert DecisionDue.objects.count() == 0
