"""A bad environment value stops start-up with a message naming the variable.

Each case starts a fresh Python process: settings are read once, at import.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

SETUP = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portfolio.settings'; django.setup()"
)

# Variables the settings read; removed from the inherited environment so each case
# sees only what it sets (the test run itself may set DATABASE_URL, for one).
SETTINGS_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SECURE_COOKIES",
    "TIME_ZONE",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "SITE_URL",
    "STALL_AFTER_DAYS",
    "MEDIA_ROOT",
}


def start(code: str = SETUP, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def error_message(stderr: str) -> str:
    """The message of the ImproperlyConfigured that stopped start-up, without traceback."""
    marker = "django.core.exceptions.ImproperlyConfigured: "
    assert marker in stderr, stderr
    return stderr[stderr.rindex(marker) + len(marker) :].strip()


@pytest.mark.parametrize(
    "variables, name, shown",
    [
        ({"STALL_AFTER_DAYS": "abc"}, "STALL_AFTER_DAYS", "'abc'"),
        ({"STALL_AFTER_DAYS": "0"}, "STALL_AFTER_DAYS", "=0 "),
        ({"STALL_AFTER_DAYS": "-5"}, "STALL_AFTER_DAYS", "=-5 "),
        ({"TIME_ZONE": "Mars/Base"}, "TIME_ZONE", "'Mars/Base'"),
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY", "DJANGO_DEBUG is off"),
        ({"DJANGO_DEBUG": "off"}, "DJANGO_SECRET_KEY", "DJANGO_DEBUG is off"),
        (
            {"DATABASE_URL": "nonsense://x"},
            "DATABASE_URL",
            "nonsense://x",
        ),
        (
            {"DJANGO_DEBUG": "maybe", "DJANGO_SECRET_KEY": "s3cret"},
            "DJANGO_DEBUG",
            "'maybe'",
        ),
        (
            {"DJANGO_DEBUG": "maybe"},
            "DJANGO_DEBUG",
            "'maybe'",
        ),
    ],
    ids=[
        "stall-abc",
        "stall-zero",
        "stall-negative",
        "time-zone",
        "debug-off-no-secret",
        "debug-off-word-no-secret",
        "database-url",
        "debug-maybe",
        "debug-maybe-no-secret",
    ],
)
def test_it_stops_start_up_on_a_bad_value_and_names_the_variable(variables, name, shown):
    # when
    result = start(**variables)

    # then
    assert result.returncode != 0
    message = error_message(result.stderr)
    assert name in message
    assert shown in message


def test_it_starts_with_good_values(tmp_path):
    # when
    result = start(
        SETUP + "; from django.conf import settings as s; "
        "print(s.DEBUG, s.STALL_AFTER_DAYS, s.TIME_ZONE, s.DATABASES['default']['ENGINE'])",
        DJANGO_DEBUG="off",
        DJANGO_SECRET_KEY="a-real-secret",
        STALL_AFTER_DAYS="45",
        TIME_ZONE="Europe/Paris",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "45", "Europe/Paris", "django.db.backends.sqlite3"]


def test_it_starts_with_no_variable_at_all():
    result = start(
        SETUP + "; from django.conf import settings as s; print(s.DEBUG, s.STALL_AFTER_DAYS)"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "60"]


@pytest.mark.parametrize(
    ("redis_url", "warmed"), [("", "False"), ("redis://127.0.0.1:6379/9", "True")]
)
def test_the_dashboard_is_warmed_ahead_only_where_the_cache_is_shared(redis_url, warmed):
    # A process's own memory would keep the figures for the scheduler alone.
    variables = {"REDIS_URL": redis_url} if redis_url else {}
    result = start(
        SETUP + "; from django.conf import settings as s; "
        "print('warm-dashboard' in s.CELERY_BEAT_SCHEDULE)",
        **variables,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [warmed]
