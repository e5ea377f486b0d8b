import asyncio
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client

from gates import services as gate_services
from gates.models import Criterion
from portfolio.celery import app as celery_app
from portfolio.models import Pilot, Role
from portfolio.services.lifecycle import decision_defer, decision_record, pilot_stage_move
from portfolio.services.pilots import pilot_update
from portfolio.services.stalls import stall_flags_record
from tests.factories import (
    BusinessUnitFactory,
    UserFactory,
    make_awaiting_pilot,
    make_chartered_pilot,
    reviewer,
)


@pytest.fixture(autouse=True)
def empty_cache():
    """The rate limits count in the cache (Redis in CI): each test starts from zero."""
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing a password the production way takes a noticeable time per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    """Owner of the pilot under test."""
    return UserFactory(email="alice@example.com", name="Alice Owner", role=Role.OWNER)


@pytest.fixture
def bob(db):
    """Another owner, of another pilot."""
    return UserFactory(email="bob@example.com", name="Bob Owner", role=Role.OWNER)


@pytest.fixture
def charlie(db):
    """An owner with nothing to do with the pilot."""
    return UserFactory(email="charlie@example.com", name="Charlie Outsider", role=Role.OWNER)


@pytest.fixture
def executive(db):
    return UserFactory(email="erin@example.com", name="Erin Executive", role=Role.EXECUTIVE)


@pytest.fixture
def unit(db):
    return BusinessUnitFactory(name="Customer service")


@pytest.fixture
def in_process_tasks():
    """Tasks run where they are called, as without REDIS_URL (whatever this run has)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


# Signed-in clients and htmx requests.

HTMX = {"HTTP_HX_REQUEST": "true"}  # the header htmx sends: `client.get(url, **HTMX)`


def signed_in(user, **client_options) -> Client:
    """A test client signed in as `user`; `client_options` go to `Client`
    (`enforce_csrf_checks=True`)."""
    client = Client(**client_options)
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    """Alice, the owner, signed in."""
    return signed_in(alice)


@pytest.fixture
def admin_client(db) -> Client:
    """A governance admin signed in (instead of pytest-django's admin)."""
    return signed_in(
        UserFactory(email="gov@example.com", role=Role.ADMIN, is_staff=True, is_superuser=True)
    )


# Runs at once: two requests or job runs that arrive together, each in its own thread with
# its own database connection. SQLite's in-memory test database takes no concurrent
# writers and cannot be opened by another process: the tests marked `sqlite_cannot` run
# on PostgreSQL (and must, in CI: needs_services).

sqlite_cannot = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="needs a database with concurrent writers (PostgreSQL)",
)


def run_at_once(*calls: Callable[[], object], timeout: float = 30) -> tuple[list, list]:
    """Run each call in a thread of its own and return what they returned and the
    exceptions they raised (each in the order the calls ended), for the test to assert
    in its own thread.

    1. Every thread waits at a barrier until all have started, so the calls overlap.
    2. Each thread closes its database connection when its call ends.
    3. Each thread is waited for up to `timeout` seconds.
    """
    start = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call: Callable[[], object]) -> None:
        try:
            start.wait()
            results.append(call())
        except Exception as exc:  # reported to the test, in its own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results, errors


# A real SMTP server on loopback, for the stall alerts: it keeps what it accepts and
# refuses on demand, like a mail server that is down or rejects a mailbox.


class SmtpRecorder:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()  # mailboxes refused for good (550)
        self.fail_next: dict[str, int] = {}  # mailbox -> temporary failures to give (451)
        self.delay = 0.0  # seconds to take over each message, to make senders overlap
        self.hold: str = ""  # a mailbox whose message waits in DATA until `release` is set
        self.holding = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            if address in self.refuse:
                return "550 5.1.1 Mailbox unavailable"
            if self.fail_next.get(address):
                self.fail_next[address] -= 1
                return "451 4.3.0 Temporary failure, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold and self.hold in envelope.rcpt_tos:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Aborted"  # the sender is gone: nothing is delivered
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=email_policy)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in m["To"]]

    def recipients(self) -> list[str]:
        with self._lock:
            return sorted(m["To"] for m in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield recorder
    recorder.release.set()
    controller.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Keep the migrated data (gates and criteria, serialized for `serialized_rollback`)
    within reach of every connection object, not only the first one.

    Playwright's sync API (the e2e tests) runs an event loop in the main thread, and
    from then on Django hands that thread fresh connection objects, without the
    serialized data: a transactional test after it would start from an empty database.
    """
    with django_db_blocker.unblock():
        for connection in connections.all():
            if hasattr(connection, "_test_serialized_contents"):
                type(connection)._test_serialized_contents = connection._test_serialized_contents


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, a test that needs the real services or Chromium must run: its skip is a
    failure."""
    report = yield
    needs = item.get_closest_marker("needs_services") or item.get_closest_marker("e2e")
    if report.skipped and os.environ.get("CI") and needs:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"{needs.name} test skipped in CI: {reason}"
    return report


@dataclass
class StallPortfolio:
    """Pilots in every state the stall alerts care about, as of Monday 1 June 2026."""

    as_of: date
    stalled: Pilot  # Alice's, awaiting a decision since January, objections, deferrals
    stalled_new: Pilot  # Alice's, stalled since this week (another unit)
    drifting: Pilot  # Bob's, piloting past its planned end since this week
    unowned: Pilot  # stalled, with no deployment owner
    fresh: Pilot  # Charlie's, piloting within its plan: not flagged
    decided: Pilot  # Alice's, decided (research): not flagged


@pytest.fixture
def stall_portfolio(alice, bob, charlie, executive) -> StallPortfolio:
    customer_service = BusinessUnitFactory(name="Customer service")
    finance = BusinessUnitFactory(name="Finance")
    stalled = make_awaiting_pilot(
        owner=alice, entered_on=date(2026, 1, 10), business_unit=customer_service
    )
    for function, text in [("legal", "Data privacy compliance"), ("it", "Integration stability")]:
        gate_services.signoff_record(
            pilot=stalled,
            criterion=Criterion.objects.get(text=text),
            by=reviewer(function),
            verdict="objected",
            comment="Not before this is settled",
        )
    for day in (date(2026, 3, 2), date(2026, 4, 6)):
        decision_defer(pilot=stalled, by=alice, reason="Next meeting", on=day)
    stalled_new = make_awaiting_pilot(
        owner=alice, entered_on=date(2026, 3, 29), title="Cost-anomaly model", business_unit=finance
    )
    drifting = make_chartered_pilot(
        owner=bob,
        title="Claims triage",
        stage_entered_on=date(2026, 3, 1),
        business_unit=customer_service,
        pilot_start=date(2026, 3, 1),
        pilot_end_planned=date(2026, 5, 28),
    )
    pilot_stage_move(pilot=drifting, to_stage="piloting", by=bob, on=date(2026, 3, 1))
    unowned = make_awaiting_pilot(
        owner=alice, entered_on=date(2026, 2, 1), title="Invoice matching", business_unit=finance
    )
    pilot_update(pilot=unowned, deployment_owner=None)
    fresh = make_chartered_pilot(
        owner=charlie,
        title="Meeting notes",
        stage_entered_on=date(2026, 5, 1),
        business_unit=customer_service,
        pilot_start=date(2026, 5, 1),
        pilot_end_planned=date(2026, 8, 1),
    )
    pilot_stage_move(pilot=fresh, to_stage="piloting", by=charlie, on=date(2026, 5, 1))
    decided = make_awaiting_pilot(
        owner=alice, entered_on=date(2026, 1, 1), title="Knowledge search", business_unit=finance
    )
    decision_record(
        pilot=decided,
        outcome="research",
        by=executive,
        rationale="Keep learning",
        on=date(2026, 2, 1),
    )
    # Last week's detection saw the January and February stalls already.
    stall_flags_record(as_of=date(2026, 5, 25))
    return StallPortfolio(
        as_of=date(2026, 6, 1),
        stalled=stalled,
        stalled_new=stalled_new,
        drifting=drifting,
        unowned=unowned,
        fresh=fresh,
        decided=decided,
    )
