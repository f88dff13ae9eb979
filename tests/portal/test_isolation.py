"""Every portal page, for every kind of person: a client outside the person's scope is a 404
(never a 403, which would say it exists); writes need the right to write. Pages are found from
the URL conf, so a new page fails ``test_every_portal_page_is_in_the_matrix`` until it joins."""

import pytest
from django.urls import reverse

from clients.models import Job
from diagnostics.models import DiagnosticRun
from portal import urls as portal_urls
from tests.tenancy import EXPECTED

pytestmark = pytest.mark.django_db
PEOPLE = ("owner", "manager", "consultant", "editor", "viewer")
READ, WRITE = "read", "write"


def _run(world, client):
    return {"run_id": DiagnosticRun.objects.filter(client=client).values_list("pk", flat=True)[0]}


def _job(world, client):
    return {"job_id": Job.objects.filter(client=client).values_list("pk", flat=True)[0]}


# name -> (method, the right it needs, extra URL kwargs for a client, a POST body)
PAGES = {
    "overview": ("get", READ, None, None),
    "tree": ("get", READ, None, None),
    "kpi": ("get", READ, lambda world, client: {"key": "leads"}, None),
    "milestones": ("get", READ, None, None),
    "funnel": ("get", READ, None, None),
    "planning": ("get", READ, None, None),
    # The what-if stores nothing: a reader may ask it.
    "planning-what-if": ("post", READ, None, {"kpi-leads": "150"}),
    "diagnostics": ("get", READ, None, None),
    "diagnostics-start": ("post", WRITE, None, {"template": "strategy-quick-check"}),
    "diagnostic": ("get", READ, _run, None),
    "diagnostic-answers": ("post", WRITE, _run, {"q_focus": "one"}),
    "diagnostic-submit": ("post", WRITE, _run, {}),
    "report": ("get", READ, lambda world, client: {"month": "2026-09"}, None),
    "recompute": ("post", WRITE, None, {}),
    "job": ("get", READ, _job, None),
}
# The same address as the page, posted to.
ROUTE_OF = {"diagnostics-start": "diagnostics", "planning-what-if": "planning"}
# What a person allowed to do it gets: a redirect after a write, 400 when the world's
# unanswered run is submitted, else the page.
OK = {
    "diagnostics-start": 302,
    "diagnostic-answers": 302,
    "recompute": 302,
    "diagnostic-submit": 400,
}


def url(world, name, client):
    _method, _right, extra, _body = PAGES[name]
    kwargs = {"client_id": client.pk, **(extra(world, client) if extra else {})}
    return reverse(f"portal:{ROUTE_OF.get(name, name)}", kwargs=kwargs)


def call(world, kind, name, client):
    method, _right, _extra, body = PAGES[name]
    browser = world.browser(kind)
    target = url(world, name, client)
    return browser.post(target, body) if method == "post" else browser.get(target)


def test_every_portal_page_is_in_the_matrix():
    named = {pattern.name for pattern in portal_urls.urlpatterns} - {"picker"}

    assert named == {ROUTE_OF.get(name, name) for name in PAGES}


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_foreign_client_is_404(world, name, kind):
    assert call(world, kind, name, world.b1).status_code == 404


@pytest.mark.parametrize("name", sorted(PAGES))
def test_another_consultancys_owner_gets_404_on_ours(world, name):
    assert call(world, "foreign_owner", name, world.a1).status_code == 404


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_home_client_follows_the_rules(world, name, kind):
    right = PAGES[name][1]
    allowed = (READ if right == READ else WRITE) in {str(action) for action in EXPECTED[kind][0]}

    response = call(world, kind, name, world.a1)

    assert response.status_code == (OK.get(name, 200) if allowed else 403), response.content[:300]


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_sibling_client_is_404_unless_the_person_sees_it(world, name, kind):
    sees_a2 = bool(EXPECTED[kind][1])

    response = call(world, kind, name, world.a2)

    if not sees_a2:
        assert response.status_code == 404
    else:
        assert response.status_code == OK.get(name, 200), response.content[:300]


def test_an_id_that_is_not_a_uuid_is_404(world):
    assert world.browser("owner").get("/portal/not-a-client/").status_code == 404


def test_a_run_or_job_of_another_client_is_404_under_this_one(world):
    browser = world.browser("owner")  # sees A1 and A2
    run = DiagnosticRun.objects.filter(client=world.a1).first()
    job = Job.objects.filter(client=world.a1).first()

    assert browser.get(f"/portal/{world.a2.pk}/diagnostics/{run.pk}/").status_code == 404
    assert browser.get(f"/portal/{world.a2.pk}/jobs/{job.pk}/").status_code == 404


def test_signed_out_is_sent_to_sign_in(client, world):
    response = client.get(f"/portal/{world.a1.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
