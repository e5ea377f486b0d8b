"""A Redis that accepts connections and never answers costs a request seconds, not
minutes: queuing work gives up and logs, the health check says so, the page answers."""

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

PROJECT_ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json, logging, time, django
django.setup()
from django.test import Client
from portfolio.tasks import enqueue, flag_stalls_task
logging.disable(logging.CRITICAL)
started = time.monotonic()
queued = enqueue(flag_stalls_task)
enqueue_seconds = time.monotonic() - started
started = time.monotonic()
health = Client(HTTP_HOST="localhost").get("/healthz")
print(json.dumps({
    "queued": queued,
    "enqueue_seconds": enqueue_seconds,
    "health_status": health.status_code,
    "health": health.json(),
    "health_seconds": time.monotonic() - started,
}))
"""


@pytest.fixture
def hung_redis():
    """A loopback server that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    server.close()


def test_it_gives_up_on_a_hung_redis_within_seconds(hung_redis):
    # given: the broker is a Redis that never answers
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(REDIS_URL=hung_redis, DJANGO_SETTINGS_MODULE="portfolio.settings")

    # when
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then: nothing queued, said so, a few seconds at most
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"enqueue gave up after {probe['enqueue_seconds']:.1f} s, "
        f"/healthz answered in {probe['health_seconds']:.1f} s"
    )
    assert probe["queued"] is False
    assert probe["enqueue_seconds"] < 8
    assert probe["health_status"] == 200
    assert probe["health"]["status"] == "degraded"
    assert probe["health"]["broker"] != "ok"
    assert probe["health_seconds"] < 3
