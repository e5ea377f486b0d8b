"""docker-compose.yml, checked by docker-compose itself (no Docker engine needed)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.needs_services,
    pytest.mark.skipif(
        shutil.which("docker-compose") is None, reason="docker-compose is not installed"
    ),
]


def compose(*args: str, secret: str | None = "a-secret") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POSTGRES_"))}
    if secret:
        env["DJANGO_SECRET_KEY"] = secret
    return subprocess.run(
        ["docker-compose", "--file", str(ROOT / "docker-compose.yml"), "config", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def services(config: str) -> dict[str, str]:
    """Each service's block of the resolved configuration."""
    body = ("\n" + config).split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    blocks = re.split(r"^  (\w[\w-]*):\n", body, flags=re.MULTILINE)[1:]
    return dict(zip(blocks[::2], blocks[1::2], strict=True))


def test_it_validates_the_compose_file():
    # when
    checked = compose("-q")

    # then
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""


def test_it_refuses_to_run_without_a_secret_key():
    # when
    checked = compose("-q", secret=None)

    # then
    assert checked.returncode != 0
    assert "set DJANGO_SECRET_KEY" in checked.stderr


def test_it_runs_web_worker_scheduler_database_broker_and_a_mail_catcher_with_health_checks():
    # when
    resolved = services(compose().stdout)

    # then
    assert set(resolved) == {"db", "redis", "mailpit", "migrate", "proxy", "web", "worker", "beat"}
    for name in ["db", "redis", "mailpit", "proxy", "web", "worker", "beat"]:
        assert "    healthcheck:\n" in resolved[name], f"{name} has no health check"
    assert "- gunicorn\n" in resolved["web"]
    assert "http://127.0.0.1:8000/healthz" in resolved["web"]
    assert "- worker\n" in resolved["worker"]
    assert "- beat\n" in resolved["beat"]
    for name in ["web", "worker", "beat"]:
        assert "REDIS_URL: redis://redis:6379/0" in resolved[name]
        assert "DATABASE_URL: postgres://pilotgate:" in resolved[name]
        assert "DJANGO_DEBUG: '0'" in resolved[name]
        assert "condition: service_completed_successfully" in resolved[name]  # migrated
    assert "EMAIL_URL: smtp://mailpit:1025" in resolved["worker"]


def test_it_puts_a_buffering_proxy_in_front_of_gunicorn_and_publishes_only_the_proxy():
    # when
    resolved = services(compose().stdout)

    # then: nginx on the host's port 8000, gunicorn (threads) on the inner network only
    assert "image: nginx:" in resolved["proxy"]
    assert "- published: 8000\n      target: 80\n" in resolved["proxy"]
    assert "nginx.conf" in resolved["proxy"]
    assert "published:" not in resolved["web"]
    assert "- gthread\n" in resolved["web"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for directive in ["client_header_timeout 10s", "client_body_timeout 10s", "proxy_buffering on"]:
        assert directive in nginx
