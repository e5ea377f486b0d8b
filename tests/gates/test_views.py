"""The gate checklist of the pilot page: evidence (with files), reviews and sign-offs,
who may record them, and the files' access."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gates.models import Criterion, Evidence, SignOff
from gates.services import evidence_review, evidence_submit
from tests.conftest import HTMX, signed_in
from tests.factories import make_chartered_pilot, reviewer

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pilot(alice, bob):
    make_chartered_pilot(owner=bob, title="Claims triage")
    return make_chartered_pilot(owner=alice)


@pytest.fixture
def privacy():
    return Criterion.objects.get(text="Data privacy compliance")  # legal's


def add_evidence(client, pilot, criterion, **data):
    prefix = f"evidence{criterion.id}"
    return client.post(
        reverse("evidence_add", args=[pilot.id, criterion.id]),
        {f"{prefix}-{name}": value for name, value in data.items()},
    )


def post(client, url, prefix, extra=None, **data):
    return client.post(
        url, {f"{prefix}-{name}": value for name, value in data.items()}, **(extra or {})
    )


def test_it_records_evidence_with_a_file_stored_under_the_pilot(alice, pilot, privacy, media_root):
    upload = SimpleUploadedFile("dpia.pdf", PDF, content_type="application/pdf")

    response = add_evidence(signed_in(alice), pilot, privacy, text="DPIA signed", file=upload)

    assert response.status_code == 302
    evidence = Evidence.objects.get(pilot=pilot)
    assert evidence.file.name == f"evidence/{pilot.id}/dpia.pdf"
    assert (media_root / "evidence" / str(pilot.id) / "dpia.pdf").read_bytes() == PDF


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("run.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("page.html", b"<script>alert(1)</script>", "text/html"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
        ("report.pdf", PDF, "text/html"),
    ],
)
def test_it_refuses_a_file_of_the_wrong_type(alice, pilot, privacy, name, content, content_type):
    upload = SimpleUploadedFile(name, content, content_type=content_type)

    response = add_evidence(signed_in(alice), pilot, privacy, file=upload)

    assert response.status_code == 400
    assert "File: " in response.content.decode()
    assert "send one of: pdf, png" in response.content.decode()
    assert not Evidence.objects.exists()


def test_it_refuses_a_file_over_10_mb(alice, pilot, privacy):
    upload = SimpleUploadedFile("big.txt", b"a" * (10 * 1024 * 1024 + 1), content_type="text/plain")

    response = add_evidence(signed_in(alice), pilot, privacy, file=upload)

    assert response.status_code == 400
    assert "The file is larger than 10 MB." in response.content.decode()


def test_it_refuses_empty_evidence_and_a_script_link(alice, pilot, privacy):
    client = signed_in(alice)

    empty = add_evidence(client, pilot, privacy, text="  ")
    script = add_evidence(client, pilot, privacy, link="javascript:alert(1)")

    assert "Evidence needs a text, a link or a file." in empty.content.decode()
    assert "Link: Enter a valid URL." in script.content.decode()
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("name", ["bob", "charlie"])
def test_it_forbids_others_to_add_evidence(request, pilot, privacy, name):
    response = add_evidence(signed_in(request.getfixturevalue(name)), pilot, privacy, text="x")

    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_it_serves_a_file_only_to_signed_in_users_as_a_download(alice, charlie, pilot, privacy):
    upload = SimpleUploadedFile("data.csv", b"a,b\n1,2\n", content_type="text/csv")
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, file=upload)
    url = reverse("evidence_file", args=[pilot.id, evidence.id])

    anonymous = Client().get(url)
    reader = signed_in(charlie).get(url)

    assert anonymous.status_code == 302
    assert reader.status_code == 200
    assert reader["Content-Disposition"] == 'attachment; filename="data.csv"'
    assert b"".join(reader.streaming_content) == b"a,b\n1,2\n"


def test_it_serves_no_file_through_another_pilot(alice, bob, pilot, privacy):
    upload = SimpleUploadedFile("data.csv", b"a,b\n", content_type="text/csv")
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, file=upload)
    other = make_chartered_pilot(owner=bob, title="Other")

    response = signed_in(bob).get(reverse("evidence_file", args=[other.id, evidence.id]))

    assert response.status_code == 404


def test_it_lets_a_reviewer_of_the_function_accept_evidence_then_sign_off(alice, pilot, privacy):
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")
    legal = signed_in(reviewer("legal"))

    reviewed = post(
        legal,
        reverse("evidence_review", args=[pilot.id, evidence.id]),
        f"review{evidence.id}",
        extra=HTMX,
        verdict="accept",
        comment="Fine",
    )
    signed = post(
        legal,
        reverse("signoff_add", args=[pilot.id, privacy.id]),
        f"signoff{privacy.id}",
        verdict="signed_off",
        comment="",
    )

    assert reviewed.status_code == 200
    assert reviewed.content.decode().lstrip().startswith('<section id="checklist"')
    evidence.refresh_from_db()
    assert (evidence.status, evidence.review_comment) == ("accepted", "Fine")
    assert signed.status_code == 302
    assert SignOff.objects.get(pilot=pilot, criterion=privacy).verdict == "signed_off"


def test_it_requires_a_comment_to_reject_or_object(alice, pilot, privacy):
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")
    legal = signed_in(reviewer("legal"))

    rejected = post(
        legal,
        reverse("evidence_review", args=[pilot.id, evidence.id]),
        f"review{evidence.id}",
        verdict="reject",
        comment="",
    )
    objected = post(
        legal,
        reverse("signoff_add", args=[pilot.id, privacy.id]),
        f"signoff{privacy.id}",
        verdict="objected",
        comment=" ",
    )

    assert rejected.status_code == 400
    assert "Say why the evidence is rejected." in rejected.content.decode()
    assert objected.status_code == 400
    assert "Comment: An objection needs a comment" in objected.content.decode()


@pytest.mark.parametrize("name", ["alice", "bob", "charlie", "it_reviewer"])
def test_it_forbids_anyone_but_the_functions_reviewer_to_review(
    request, alice, pilot, privacy, name
):
    user = reviewer("it") if name == "it_reviewer" else request.getfixturevalue(name)
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")
    client = signed_in(user)

    reviewed = post(
        client,
        reverse("evidence_review", args=[pilot.id, evidence.id]),
        f"review{evidence.id}",
        verdict="accept",
    )
    signed = post(
        client,
        reverse("signoff_add", args=[pilot.id, privacy.id]),
        f"signoff{privacy.id}",
        verdict="signed_off",
    )

    assert (reviewed.status_code, signed.status_code) == (403, 403)
    assert Evidence.objects.get().status == "pending"
    assert not SignOff.objects.exists()


def test_it_shows_each_criterion_with_its_evidence_verdict_and_next_step(alice, pilot, privacy):
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="<b>DPIA</b>")
    evidence_review(evidence=evidence, by=reviewer("legal"), accept=True, comment="OK")

    text = signed_in(alice).get(reverse("pilot_detail", args=[pilot.id])).content.decode()

    assert "&lt;b&gt;DPIA&lt;/b&gt;" in text
    assert "Accepted by Legal Reviewer: OK" in text
    assert "Next: Legal reviewer: sign off or object" in text
    assert "Next: Owner: add evidence" in text


def test_it_loads_the_checklist_in_a_fixed_number_of_queries(
    alice, pilot, django_assert_max_num_queries
):
    client = signed_in(alice)
    url = reverse("pilot_detail", args=[pilot.id])
    criteria = [c for c in Criterion.objects.all() if c.applies_to(pilot.risk_tier)]
    evidence_submit(pilot=pilot, criterion=criteria[0], by=alice, text="one")
    with django_assert_max_num_queries(44) as few:
        client.get(url)
    for n, criterion in enumerate(criteria * 3):
        evidence_submit(pilot=pilot, criterion=criterion, by=alice, text=f"more {n}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.content.decode().count("Awaiting review:") == 1 + 3 * len(criteria)


def test_it_refreshes_the_gate_summary_the_head_and_the_count_after_a_sign_off(alice, pilot):
    # given: legal's criterion with accepted evidence, waiting for legal's verdict
    privacy = Criterion.objects.select_related("gate").get(text="Data privacy compliance")
    legal = reviewer("legal")
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")
    evidence_review(evidence=evidence, by=legal, accept=True)
    client = signed_in(legal)
    assert '<span class="count" aria-label="1 thing waiting for you">1</span>' in (
        client.get(reverse("my_work")).content.decode()
    )

    # when: legal objects, through htmx
    response = post(
        client,
        reverse("signoff_add", args=[pilot.id, privacy.id]),
        f"signoff{privacy.id}",
        HTMX,
        verdict="objected",
        comment="No DPIA for the new data",
    )

    # then: the checklist, with the gate opened, and three out-of-band swaps
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="checklist"')
    assert f'id="gate-{privacy.gate.key}" open' in text
    assert (
        '<section id="gate-summary" class="gate-summary" aria-labelledby="gates-title" '
        'hx-swap-oob="true">' in text
    )
    assert "Blocked, 0 of" in text
    assert '<div id="page-head" class="page-head" hx-swap-oob="true">' in text
    assert 'id="my-work-link" href="/my/" hx-swap-oob="true"' in text
    assert '<span class="count" aria-label="0 things waiting for you">0</span>' in text


def test_it_returns_to_the_criterions_gate_without_javascript(alice, pilot, privacy):
    response = add_evidence(signed_in(alice), pilot, privacy, text="DPIA")

    assert response.status_code == 302
    assert response.url == f"/pilots/{pilot.id}/?open=data"


def test_it_preselects_no_verdict(pilot, privacy, alice):
    evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")

    text = signed_in(reviewer("legal")).get(reverse("pilot_detail", args=[pilot.id])).content
    text = text.decode()

    assert 'type="radio" name="review' in text and 'value="accept"' in text
    assert "checked" not in text
    assert "(needed to reject)" in text
