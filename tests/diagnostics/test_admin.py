"""Diagnostics in the admin: built-ins read-only, copies editable (versioned), runs scoped."""

import json

import pytest

from clients.models import AuditLogEntry
from diagnostics.models import DiagnosticRun, DiagnosticTemplate

pytestmark = pytest.mark.django_db
TEMPLATES_URL = "/admin/diagnostics/diagnostictemplate/"


def builtin():
    return DiagnosticTemplate.objects.get(consultancy=None, key="strategy-quick-check")


def test_members_see_the_builtin_and_their_own_copies_only(as_user, world):
    shown = as_user("owner").get(TEMPLATES_URL).context["cl"].result_list
    assert [t.key for t in shown] == ["strategy-quick-check"]  # not Bravo's "bravo-check"


def test_the_builtin_cannot_be_edited(as_user):
    client = as_user("owner")
    template = builtin()
    assert client.get(f"{TEMPLATES_URL}{template.pk}/definition/").status_code == 403
    page = client.get(f"{TEMPLATES_URL}{template.pk}/change/")
    assert page.status_code == 200
    assert "Edit definition" not in page.content.decode()


def copy(client, world, key="acme-check"):
    return client.post(
        TEMPLATES_URL,
        {
            "action": "copy_template",
            "_selected_action": [str(builtin().pk)],
            "copy": "yes",
            "consultancy": str(world.a.pk),
            "key": key,
        },
    )


def test_an_owner_copies_and_edits_and_a_used_version_makes_the_next(as_user, world):
    client = as_user("owner")

    response = copy(client, world)

    assert response.status_code == 302
    mine = DiagnosticTemplate.objects.get(consultancy=world.a, key="acme-check")
    assert mine.copied_from == builtin()
    url = f"{TEMPLATES_URL}{mine.pk}/definition/"
    document = json.loads(client.get(url).context["form"].initial["definition"])
    document["name"] = "Acme check"
    assert client.post(url, {"definition": json.dumps(document)}).status_code == 302
    mine.refresh_from_db()
    assert (mine.version, mine.name) == (1, "Acme check")  # no run yet: changed in place

    DiagnosticRun.objects.create(client=world.a1, template=mine)
    document["name"] = "Acme check 2"
    client.post(url, {"definition": json.dumps(document)})

    versions = list(
        DiagnosticTemplate.objects.filter(key="acme-check").values_list("version", "name")
    )
    assert sorted(versions) == [(1, "Acme check"), (2, "Acme check 2")]
    assert AuditLogEntry.objects.filter(action="diagnostic_template.updated").count() == 2


def test_a_broken_definition_lists_its_problems_and_saves_nothing(as_user, world):
    client = as_user("owner")
    copy(client, world)
    mine = DiagnosticTemplate.objects.get(key="acme-check")
    document = dict(mine.definition, sections=[])

    response = client.post(
        f"{TEMPLATES_URL}{mine.pk}/definition/", {"definition": json.dumps(document)}
    )

    assert response.status_code == 200
    assert response.context["problems"]
    mine.refresh_from_db()
    assert mine.definition["sections"]


def test_a_copy_may_not_take_a_builtin_key(as_user, world):
    response = copy(as_user("owner"), world, key="strategy-quick-check")
    assert response.status_code == 200
    assert response.context["form"].errors["key"]


def test_runs_are_scoped_like_their_clients(as_user, world):
    shown = as_user("consultant").get("/admin/diagnostics/diagnosticrun/").context["cl"].result_list
    assert {run.client for run in shown} == {world.a1}
