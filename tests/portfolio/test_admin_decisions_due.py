from django.urls import reverse
from django.utils import timezone

from portfolio.services.decisions_due import decisions_due_record
from tests.portfolio.services.test_decisions_due import piloting_pilot


def test_it_lists_the_decisions_due_in_the_admin_read_only(admin_client, alice):
    # given
    piloting_pilot(alice)
    decisions_due_record(as_of=timezone.localdate())

    # when
    listing = admin_client.get(reverse("admin:portfolio_decisiondue_changelist"))
    adding = admin_client.get(reverse("admin:portfolio_decisiondue_add"))

    # then
    assert listing.status_code == 200
    assert "Claims triage" in listing.content.decode()
    assert adding.status_code == 403
