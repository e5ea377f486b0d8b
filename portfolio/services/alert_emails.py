"""The two alert emails, built from a delivery: an owner's alert and an executive's digest."""

from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from gates.models import Readiness
from gates.selectors import expiring_soon, pilot_blockers
from portfolio import emails
from portfolio.models import AlertDelivery, AlertKind, DigestOptOut, Pilot
from portfolio.selectors.alerts import (
    digest_changes,
    previous_digest_as_of,
    stall_alert_pilots,
    transition_costs,
)
from portfolio.selectors.conditions import lapsed_condition
from portfolio.selectors.stalls import stall_row
from portfolio.services.alert_links import snooze_token_create, unsubscribe_token_create


def stall_alert_email(delivery: AlertDelivery, mail_connection=None):
    """Build and send the email of a delivery; None when there is nothing left to
    report (the pilots were decided meanwhile, the recipient left or opted out)."""
    if not delivery.recipient.is_active:
        return None
    ctx = {
        "as_of": delivery.as_of,
        "week": delivery.week,
        "stall_after_days": settings.STALL_AFTER_DAYS,
        "dashboard_url": emails.dashboard_url(),
    }
    headers = {"Message-ID": _message_id(delivery)}
    if delivery.kind == AlertKind.OWNER_ALERT:
        return _owner_alert_email(delivery, ctx, headers, mail_connection)
    return _executive_digest_email(delivery, ctx, headers, mail_connection)


def _owner_alert_email(delivery: AlertDelivery, ctx: dict, headers: dict, mail_connection):
    owner, as_of = delivery.recipient, delivery.as_of
    pilots = [
        pilot
        for pilot in stall_alert_pilots(as_of=as_of, owner=owner)
        if pilot.snoozed_until is None
    ]
    expiring = expiring_soon(owner_ids=[owner.id], as_of=as_of).get(owner.id, [])
    if not pilots and not expiring:
        return None
    blockers = pilot_blockers(pilots)
    items = []
    for pilot in pilots:
        snooze_path = reverse("alerts_snooze", args=[snooze_token_create(owner=owner, pilot=pilot)])
        items.append(
            {
                **_alert_item(pilot, as_of),
                "gates": blockers_by_gate(blockers[pilot.id]),
                "snooze_url": emails.absolute_url(snooze_path),
            }
        )
    stalled = sum(1 for pilot in pilots if pilot.is_stalled)
    ctx |= {
        "owner": owner,
        "items": items,
        "expiring": [{"item": item, "url": emails.pilot_url(item.pilot_id)} for item in expiring],
        "total": len(items),
        "summary": _counts_text(stalled=stalled, drifting=len(items) - stalled),
    }
    return emails.owner_alert(owner.email, ctx, headers, mail_connection)


def _executive_digest_email(delivery: AlertDelivery, ctx: dict, headers: dict, mail_connection):
    executive, as_of = delivery.recipient, delivery.as_of
    if DigestOptOut.objects.filter(user=executive).exists():
        return None
    pilots = stall_alert_pilots(as_of=as_of)
    lapsed = list(
        Pilot.objects.filter(lapsed_condition())
        .select_related("deployment_owner")
        .order_by("title")
    )
    if not pilots and not lapsed:
        return None
    ctx |= _digest_context(executive, pilots, as_of)
    unsubscribe_path = reverse(
        "alerts_unsubscribe", args=[unsubscribe_token_create(user=executive)]
    )
    ctx |= {
        "executive": executive,
        "lapsed": [{"pilot": pilot, "url": emails.pilot_url(pilot.id)} for pilot in lapsed],
        "unsubscribe_url": emails.absolute_url(unsubscribe_path),
    }
    # RFC 8058: mail clients show an unsubscribe button that POSTs to the link.
    headers["List-Unsubscribe"] = f"<{ctx['unsubscribe_url']}>"
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return emails.executive_digest(executive.email, ctx, headers, mail_connection)


def _digest_context(executive, pilots: list[Pilot], as_of: date) -> dict:
    """The digest's sections: the decisions overdue (the stalled pilots: who decides,
    how long they have waited, the transition cost at stake), what changed since the
    previous digest this executive got, and the drifting pilots grouped by unit."""
    since = previous_digest_as_of(executive=executive, before=as_of)
    costs = transition_costs([pilot.id for pilot in pilots])
    items = []
    for pilot in pilots:
        item = _alert_item(pilot, as_of) | {"transition_cost": costs[pilot.id]}
        item["is_new"] = (
            since is not None and pilot.flagged_on is not None and (pilot.flagged_on > since)
        )
        item["decision_maker"] = pilot.decision_maker or pilot.deployment_owner
        items.append(item)
    overdue = [item for item in items if item["pilot"].is_stalled]
    groups: dict[str, list[dict]] = {}
    for item in items:  # worst first: a unit comes where its worst pilot comes
        if not item["pilot"].is_stalled:
            groups.setdefault(item["pilot"].business_unit.name, []).append(item)
    changes = None
    if since is not None:
        changes = digest_changes(since=since, as_of=as_of, flagged_ids={p.id for p in pilots})
        changes["flagged"] = [item for item in items if item["is_new"]]
    no_owner = [item for item in items if item["pilot"].deployment_owner_id is None]
    return {
        "since": since,
        "overdue": overdue,
        "changes": changes,
        "groups": [{"name": name, "items": group} for name, group in groups.items()],
        "no_owner": no_owner,
        "counts": {
            "stalled": len(overdue),
            "drifting": len(items) - len(overdue),
            "flagged": len(items),
            "new": sum(1 for item in items if item["is_new"]),
            "no_owner": len(no_owner),
        },
    }


def _alert_item(pilot: Pilot, as_of: date) -> dict:
    return {
        **stall_row(pilot, as_of=as_of),
        "url": emails.pilot_url(pilot.id),
        "open_gates": [
            status.gate.name
            for status in pilot.gate_statuses.all()
            if status.status in (Readiness.OPEN, Readiness.BLOCKED)
        ],
    }


def blockers_by_gate(blockers: list) -> list[dict]:
    """A pilot's blockers summed up per gate: the gate, how many criteria are open,
    and each function expected to act with what it must do, in gate order."""
    gates: dict[str, dict] = {}
    for blocker in blockers:
        gate = gates.setdefault(blocker.gate, {"gate": blocker.gate, "open": 0, "who": {}})
        gate["open"] += 1
        waits = gate["who"].setdefault(blocker.function, [])
        for step in blocker.waiting_for.split(" and "):
            if step not in waits:
                waits.append(step)
    return [
        {
            "gate": gate["gate"],
            "open": gate["open"],
            "who": [f"{function} ({', '.join(steps)})" for function, steps in gate["who"].items()],
        }
        for gate in gates.values()
    ]


def _counts_text(*, stalled: int, drifting: int) -> str:
    parts = [f"{stalled} stalled" if stalled else "", f"{drifting} drifting" if drifting else ""]
    return " and ".join(part for part in parts if part)


def _message_id(delivery: AlertDelivery) -> str:
    """The same id for every attempt at one delivery, so a mail system that got it
    twice (a crash between the SMTP server's acceptance and our commit) can tell."""
    domain = urlsplit(settings.SITE_URL).hostname or "pilotgate"
    return f"<{delivery.kind}.{delivery.week}.{delivery.recipient_id}@{domain}>"
