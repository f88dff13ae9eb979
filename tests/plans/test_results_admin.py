"""Jobs and stored scorecards in the admin: read-only, scoped, and a recompute action."""

import pytest

from clients.models import Job
from plans.models import ScorecardSnapshot

pytestmark = pytest.mark.django_db


def test_a_consultant_sees_the_jobs_and_scorecards_of_the_assigned_client_only(as_user, world):
    client = as_user("consultant")

    jobs = client.get("/admin/clients/job/").context["cl"].result_list
    cards = client.get("/admin/plans/scorecardsnapshot/").context["cl"].result_list

    assert {job.client for job in jobs} == {world.a1}
    assert {card.client for card in cards} == {world.a1}


def test_a_scorecard_page_shows_its_lines_and_cannot_be_changed(as_user, world):
    client = as_user("owner")
    card = ScorecardSnapshot.objects.get(client=world.a1, period_start="2026-09-01")

    page = client.get(f"/admin/plans/scorecardsnapshot/{card.pk}/change/")

    assert page.status_code == 200
    assert '<td class="wp-depth-0">Leads</td>' in page.content.decode()  # by name, not key
    assert client.post(f"/admin/plans/scorecardsnapshot/{card.pk}/delete/").status_code == 403


def test_the_recompute_action_queues_a_forced_job_per_month(as_user, world):
    client = as_user("owner")
    card = ScorecardSnapshot.objects.get(client=world.a1, period_start="2026-09-01")
    before = Job.objects.count()

    client.post(
        "/admin/plans/scorecardsnapshot/",
        {"action": "recompute", "_selected_action": [str(card.pk)]},
    )

    job = Job.objects.order_by("-created_at").first()
    assert Job.objects.count() == before + 1
    assert (job.client, job.params) == (world.a1, {"period": "2026-09", "force": True})
