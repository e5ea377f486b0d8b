"""What every response says about itself: a Content-Security-Policy, no caching of what
is private, HTTPS in production, and 4xx kept out of the log's tracebacks."""

import logging
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.conftest import signed_in
from tests.factories import make_pilot

pytestmark = pytest.mark.security

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_it_sends_a_content_security_policy_without_inline_script(alice):
    response = signed_in(alice).get(reverse("dashboard"))

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()
    assert " onclick=" not in response.content.decode()


def test_it_keeps_signed_in_pages_out_of_every_cache(alice):
    pilot = make_pilot(deployment_owner=alice)

    for url in [reverse("dashboard"), reverse("pilot_detail", args=[pilot.id])]:
        cache_control = signed_in(alice).get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control


def test_it_keeps_downloads_out_of_every_cache(alice):
    response = signed_in(alice).get(reverse("pilots_csv"))

    assert "no-store" in response["Cache-Control"]


def test_it_logs_a_404_in_one_line_without_a_traceback(alice, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        signed_in(alice).get(reverse("pilot_detail", args=[999_999]))

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == f"Not Found: {reverse('pilot_detail', args=[999_999])}"
    assert record.exc_info is None


def test_it_logs_a_403_in_one_line_without_a_traceback(alice, bob, caplog):
    pilot = make_pilot(deployment_owner=bob)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = signed_in(alice).post(reverse("charter_edit", args=[pilot.id]), {})

    assert response.status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage().startswith("Forbidden (Permission denied)")
    assert record.exc_info is None


def production(**variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-production-secret-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="pilotgate.example.com",
        **variables,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_passes_the_deployment_check_with_production_settings():
    result = production()

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_warns_when_a_deployment_turns_https_off_without_a_proxy_saying_so():
    result = production(DJANGO_SECURE_SSL_REDIRECT="off", DJANGO_SECURE_HSTS_SECONDS="0")

    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr
