"""The tasks through a real Celery worker and the real Redis at REDIS_URL, sending to a
real SMTP server: what CI runs. Without REDIS_URL (plain `make test`) they are skipped;
in CI a skip is a failure (needs_services)."""

import json
import os
import time
from datetime import date, datetime, timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections

from portfolio.celery import app as celery_app
from portfolio.models import AlertDelivery, StallEvent
from portfolio.tasks import flag_stalls_task, send_stall_alerts_task

MONDAY = "2026-06-01"

pytestmark = [
    pytest.mark.needs_services,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no broker for a worker"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def worker(broker):
    """A worker thread on the real Redis, running the app's tasks one at a time. It
    lists the tasks it has finished, in order."""
    celery_app.control.purge()  # what earlier runs may have left in the queue
    broker.delete("unacked", "unacked_index")
    saved_hijack = celery_app.conf.worker_hijack_root_logger
    celery_app.conf.worker_hijack_root_logger = False  # keep pytest's log capture
    finished: list[str] = []

    def task_done(sender=None, **kwargs):
        finished.append(sender.name.rsplit(".", 1)[-1])
        # The worker thread's connections, so the test database can be emptied after.
        connections.close_all()

    task_postrun.connect(task_done, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            yield finished
    finally:
        task_postrun.disconnect(task_done)
        celery_app.conf.worker_hijack_root_logger = saved_hijack
        celery_app.control.purge()
        broker.delete("unacked", "unacked_index")


def wait_until(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def sent_to() -> list[tuple[str, str, int]]:
    return sorted(AlertDelivery.objects.values_list("recipient__email", "status", "attempts"))


def test_it_flags_stalls_through_a_real_worker(stall_portfolio, worker):
    # when
    flag_stalls_task.delay(MONDAY)

    # then
    assert wait_until(lambda: worker == ["flag_stalls_task"])
    assert sorted(StallEvent.objects.filter(on=date(2026, 6, 1)).values_list("pilot", "kind")) == [
        (stall_portfolio.stalled_new.id, "stalled"),
        (stall_portfolio.drifting.id, "drifting"),
    ]


def test_it_sends_the_weekly_alerts_through_a_real_worker_once(
    stall_portfolio, smtp_server, worker
):
    # when
    send_stall_alerts_task.delay(MONDAY)

    # then: the weekly task queued one send per recipient, and the worker ran them
    assert wait_until(lambda: len(worker) == 4)
    assert worker == ["send_stall_alerts_task"] + ["send_stall_alert_task"] * 3
    assert smtp_server.recipients() == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
    ]
    [alert] = smtp_server.to("alice@example.com")
    assert alert["Subject"] == "Pilotgate: 2 stalled pilots you own need a decision"
    [digest] = smtp_server.to("erin@example.com")
    assert digest["Subject"] == "Pilotgate: 4 pilots stalled or drifting, 3 decisions overdue"

    # when: the weekly task runs again, on Monday and on Wednesday
    send_stall_alerts_task.delay(MONDAY)
    send_stall_alerts_task.delay("2026-06-03")

    # then: they found nothing left to send, and queued nothing
    assert wait_until(lambda: len(worker) == 6)
    time.sleep(1)
    assert worker[4:] == ["send_stall_alerts_task"] * 2
    assert len(smtp_server.messages) == 3
    assert sent_to() == [
        ("alice@example.com", "sent", 1),
        ("bob@example.com", "sent", 1),
        ("erin@example.com", "sent", 1),
    ]


def test_it_schedules_a_retry_with_backoff_when_the_smtp_server_refuses(
    stall_portfolio, smtp_server, broker, worker
):
    # given
    smtp_server.fail_next["bob@example.com"] = 1

    # when
    send_stall_alerts_task.delay(MONDAY)

    # then: the others are sent, and Bob's send is retried after a randomised backoff of
    # up to a minute: it waits in the worker's hands (taken, not yet acknowledged)
    assert wait_until(lambda: len(worker) == 4)
    assert smtp_server.recipients() == ["alice@example.com", "erin@example.com"]
    assert wait_until(lambda: broker.hlen("unacked") == 1 or smtp_server.to("bob@example.com"))
    bob = AlertDelivery.objects.get(recipient__email="bob@example.com")
    waiting = broker.hvals("unacked")
    if waiting:
        message, _exchange, _queue = json.loads(waiting[0])
        headers = message["headers"]
        assert (headers["task"], headers["retries"]) == ("portfolio.tasks.send_stall_alert_task", 1)
        backoff = datetime.fromisoformat(headers["eta"]) - bob.last_attempt_at
        assert timedelta(0) <= backoff <= timedelta(seconds=61)
        assert (bob.status, bob.attempts) == ("failed", 1)
    else:  # the random backoff came out at about nothing: the retry has run already
        assert wait_until(lambda: AlertDelivery.objects.get(id=bob.id).status == "sent")
        assert AlertDelivery.objects.get(id=bob.id).attempts == 2
