"""A handful of slow clients does not take the site offline: while six connections
each dribble one header line a second, /healthz still answers within a second, from
the server `make run` starts and from compose's pair, nginx with deploy/nginx.conf in
front of gunicorn with threads. (gunicorn alone, even with threads, lets a few slow
clients take all the threads of a worker: nginx reads each request whole first.)"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.security, pytest.mark.needs_services]

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SLOW_CLIENTS = 6
DRIBBLE_SECONDS = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def dribble(port: int, stop: threading.Event) -> None:
    """One slow client: a request line, then a header line a second, never finished."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.wait(1):
            try:
                connection.sendall(b"X-Slow: yes\r\n")
            except OSError:
                return  # the server gave up on us: fine


def healthz_seconds_under_slow_clients(port: int) -> list[float]:
    stop = threading.Event()
    clients = [
        threading.Thread(target=dribble, args=(port, stop), daemon=True)
        for _ in range(SLOW_CLIENTS)
    ]
    for client in clients:
        client.start()
    timings = []
    try:
        time.sleep(1.5)  # every slow client connected and dribbling
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                assert answer.status == 200
            timings.append(time.monotonic() - started)
            time.sleep(DRIBBLE_SECONDS / 5 - 0.3)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=5)
    return timings


def serve(command: list[str], port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="slow-client-test-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wait_until_up(port, process)
    return process


def test_it_answers_healthz_within_a_second_while_slow_clients_hold_runserver():
    # given: the server `make run` starts
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    process = serve(command, port)

    # when
    try:
        timings = healthz_seconds_under_slow_clients(port)
    finally:
        process.terminate()
        process.wait(timeout=10)

    # then
    report("runserver", timings)
    assert max(timings) < 1.0


def nginx_config(tmp_path: Path, *, listen: int, upstream: int) -> Path:
    """deploy/nginx.conf as compose runs it, pointed at loopback ports."""
    text = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in [
        ("server web:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{listen};"),
        ("alias /srv/static/;", f"alias {PROJECT_ROOT / 'static'}/;"),
    ]:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_it_answers_healthz_within_a_second_while_slow_clients_hold_nginx(tmp_path):
    # given: gunicorn with threads, and nginx with the repository's configuration
    upstream, port = free_port(), free_port()
    gunicorn = serve(
        [sys.executable, "-m", "gunicorn", "portfolio.wsgi:application",
         "--bind", f"127.0.0.1:{upstream}", "--workers", "2",
         "--worker-class", "gthread", "--threads", "4"],
        upstream,
    )  # fmt: skip
    config = nginx_config(tmp_path, listen=port, upstream=upstream)
    nginx = [shutil.which("nginx"), "-p", str(tmp_path), "-c", str(config)]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = serve([*nginx, "-g", f"daemon off; pid {tmp_path}/nginx.pid;"], port)

    # when
    try:
        timings = healthz_seconds_under_slow_clients(port)
    finally:
        for process in (proxy, gunicorn):
            process.terminate()
            process.wait(timeout=10)

    # then
    report("nginx + gunicorn (gthread)", timings)
    assert max(timings) < 1.0


def report(server: str, timings: list[float]) -> None:
    print(
        f"{server}: /healthz in {', '.join(f'{t * 1000:.0f}' for t in timings)} ms "
        f"with {SLOW_CLIENTS} slow clients connected"
    )

    # then
    print(
        f"{server}: /healthz in {', '.join(f'{t * 1000:.0f}' for t in timings)} ms "
        f"with {SLOW_CLIENTS} slow clients connected"
    )
    assert max(timings) < 1.0
