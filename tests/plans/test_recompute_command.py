"""manage.py recompute [--client UUID] [--period P]: one line per client."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from plans.models import ScorecardSnapshot

pytestmark = pytest.mark.django_db


def recompute(*args) -> list[str]:
    out = StringIO()
    call_command("recompute", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_every_active_client_gets_one_line(world):
    lines = recompute("--period", "2026-09")

    # The world computed every month already: nothing changed since.
    assert sorted(line.split(" (")[0] for line in lines) == ["A1", "A2", "B1"]
    assert all("computed 0 month(s)" in line for line in lines)


def test_force_recomputes_one_client(world):
    ScorecardSnapshot.objects.filter(client=world.a1).update(fingerprint="old")

    (line,) = recompute("--client", str(world.a1.pk), "--period", "2026-09")

    assert line.startswith(f"A1 ({world.a1.pk}): computed ")
    assert "2026-09" in line
    assert not ScorecardSnapshot.objects.filter(fingerprint="old").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-Q3"], "takes a month"),
        (["--period", "next month"], "2026-09"),
        (["--client", "not-a-uuid"], "No client"),
    ],
)
def test_bad_arguments_are_refused(world, args, message):
    with pytest.raises(CommandError, match=message):
        recompute(*args)
