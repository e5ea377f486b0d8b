import os

import pytest
from django.urls import reverse

from portfolio.celery import app as celery_app
from portfolio.models import AlertDelivery, DeliveryStatus
from portfolio.services.alerts import stall_alerts_send
from tests.conftest import free_port


def reset_broker_connections():
    # The app keeps its pools of broker connections, made from the URL it had then;
    # dropped, they are made again from the current one (kombu keeps one per URL).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Point the Celery app at a Redis that is not there: nothing listens on the port."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    celery_app.conf.task_always_eager = False
    reset_broker_connections()
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    reset_broker_connections()


def test_it_reports_the_database_and_the_in_process_broker(client, db, settings):
    # given: no REDIS_URL, the embedded default
    settings.REDIS_URL = ""

    # when
    response = client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "in-process"}


@pytest.mark.needs_services
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_it_reports_the_real_redis_broker(client, db):
    # when
    response = client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_it_keeps_serving_when_redis_is_down_and_says_it_is_degraded(client, db, settings, caplog):
    # given
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"

    # when
    response = client.get(reverse("healthz"))

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unavailable"}
    assert "the broker at REDIS_URL is unavailable" in caplog.text


def test_it_lists_failed_deliveries_with_their_error_for_admins(
    admin_client, stall_portfolio, smtp_server
):
    # given
    smtp_server.refuse.add("bob@example.com")
    stall_alerts_send(as_of=stall_portfolio.as_of)

    # when
    response = admin_client.get(
        reverse("admin:portfolio_alertdelivery_changelist"), {"status__exact": "failed"}
    )

    # then
    content = response.content.decode()
    assert "Bob Owner" in content
    assert "SMTPRecipientsRefused" in content
    assert "Alice Owner" not in content


def test_it_sends_failed_deliveries_again_from_the_admin(
    admin_client, stall_portfolio, smtp_server, in_process_tasks
):
    # given
    smtp_server.refuse.add("bob@example.com")
    stall_alerts_send(as_of=stall_portfolio.as_of)
    smtp_server.refuse.clear()

    # when
    response = admin_client.post(
        reverse("admin:portfolio_alertdelivery_changelist"),
        {
            "action": "retry_deliveries",
            "_selected_action": list(AlertDelivery.objects.values_list("id", flat=True)),
        },
        follow=True,
    )

    # then
    assert "1 delivery(ies) queued." in response.content.decode()
    assert len(smtp_server.to("bob@example.com")) == 1
    assert len(smtp_server.messages) == 3


def test_it_keeps_serving_the_admin_when_the_broker_is_down_and_logs_the_failed_enqueue(
    admin_client, stall_portfolio, smtp_server, broker_down, caplog
):
    # given
    smtp_server.refuse.add("bob@example.com")
    stall_alerts_send(as_of=stall_portfolio.as_of)
    failed = AlertDelivery.objects.get(status=DeliveryStatus.FAILED)

    # when
    response = admin_client.post(
        reverse("admin:portfolio_alertdelivery_changelist"),
        {"action": "retry_deliveries", "_selected_action": [failed.id]},
        follow=True,
    )

    # then
    assert response.status_code == 200
    assert "1 delivery(ies) could not be queued" in response.content.decode()
    assert "Could not queue or run portfolio.tasks.send_stall_alert_task" in caplog.text
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED
