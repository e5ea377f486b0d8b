"""The import keeps the separation of duties: nobody risk owner of a pilot they own."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portfolio.models import Pilot

HEADER = "reference,title,business_unit,stage,deployment_owner_email,risk_owner_email,risk_tier"


def refused(tmp_path: Path, *rows: str) -> list[str]:
    path = tmp_path / "pilots.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_pilots", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_it_refuses_an_owner_named_risk_owner_and_imports_nothing(db, tmp_path):
    problems = refused(
        tmp_path,
        "CC-1,Contact-centre assistant,Customer service,piloting,ann@example.com,,low",
        "CC-2,Claims triage,Claims,piloting,dana@example.com,dana@example.com,high",
    )

    assert problems == [
        "line 3: risk_owner: Nobody is risk owner of a pilot they own or deliver: name "
        "someone other than its deployment and delivery owners."
    ]
    assert not Pilot.objects.exists()


def test_it_imports_a_risk_owner_who_does_not_own_the_pilot(db, tmp_path):
    path = tmp_path / "pilots.csv"
    path.write_text(
        HEADER + "\nCC-2,Claims triage,Claims,piloting,dana@example.com,rita@example.com,high\n"
    )

    call_command("import_pilots", str(path), stdout=StringIO(), stderr=StringIO())

    assert Pilot.objects.get(reference="CC-2").risk_owner.email == "rita@example.com"
