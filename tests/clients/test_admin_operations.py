"""The admin's operations pages: jobs (what, how far, what failed, how long), the audit log's
changes, and the beat schedules that owners and managers read and only superusers change."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from clients.models import AuditLogEntry, Job, User
from plans.models import Plan
from tests.plans.test_admin_editor import CHURN_ROW, post_back

pytestmark = pytest.mark.django_db

TASKS_URL = "/admin/django_celery_beat/periodictask/"


def test_a_job_reads_as_what_it_is_how_it_went_and_how_long_it_took(as_user, world):
    started = timezone.now() - timedelta(minutes=5)
    job = Job.objects.create(
        kind="scorecard_recompute",
        client=world.a1,
        params={"period": "2026-10", "force": True},
        status=Job.Status.FAILED,
        progress=40,
        attempts=3,
        error="DatabaseError: the connection was lost\nTraceback ...",
        started_at=started,
        finished_at=started + timedelta(seconds=83),
    )

    listing = as_user("owner").get("/admin/clients/job/").content.decode()
    page = as_user("owner").get(f"/admin/clients/job/{job.pk}/change/").content.decode()

    assert "Scorecard recompute" in listing
    assert "1 min 23 s" in listing  # 83 seconds
    assert "DatabaseError: the connection was lost" in listing
    assert "Traceback" not in listing  # the error's first line only, in the list
    assert "✕ failed" in page
    assert "<strong>period</strong>: 2026-10" in page
    assert 'value="40"' in page


def test_a_job_of_another_consultancys_client_is_404(as_user, world):
    job = Job.objects.create(kind="recompute", client=world.b1)

    assert as_user("owner").get(f"/admin/clients/job/{job.pk}/change/").status_code == 302
    assert job.pk not in {
        j.pk for j in as_user("owner").get("/admin/clients/job/").context["cl"].result_list
    }


def test_an_audit_entry_shows_the_fields_a_plan_edit_changed(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["kpis"][0]["must"] = "650"

    post_back(client, plan, change)
    entry = AuditLogEntry.objects.filter(object_id=str(plan.pk), action="plan.updated").first()
    page = client.get(f"/admin/clients/auditlogentry/{entry.pk}/change/").content.decode()

    assert "plan changed" in page
    assert "<th scope='row'>kpis[leads].must</th><td>500</td><td>650</td>" in page


# --- the beat schedules -------------------------------------------------------------------------


@pytest.fixture
def nightly():
    crontab = CrontabSchedule.objects.create(minute="30", hour="2", timezone="Asia/Tokyo")
    return PeriodicTask.objects.create(
        name="nightly-recompute", task="plans.nightly_recompute", crontab=crontab
    )


@pytest.mark.parametrize(
    ("kind", "status"), [("owner", 200), ("manager", 200), ("consultant", 403)]
)
def test_owners_and_managers_read_the_schedules(as_user, nightly, kind, status):
    response = as_user(kind).get(TASKS_URL)

    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Recompute every client&#x27;s scorecard for the night" in page
        assert "(Asia/Tokyo)" in page
        assert response.context["cl"].model_admin.get_actions(response.wsgi_request) == {}


def test_an_owner_cannot_change_or_run_a_schedule(as_user, nightly):
    owner = as_user("owner")

    change = owner.post(f"{TASKS_URL}{nightly.pk}/change/", {"name": "x", "enabled": ""})
    run = owner.post(TASKS_URL, {"action": "run_tasks", "_selected_action": [nightly.pk]})

    assert change.status_code == 403
    assert run.status_code in (200, 302)  # no such action for them: nothing ran, nothing changed
    nightly.refresh_from_db()
    assert (nightly.name, nightly.enabled, nightly.total_run_count) == (
        "nightly-recompute",
        True,
        0,
    )


def test_a_superuser_changes_a_schedule(client, nightly):
    client.force_login(User.objects.create_superuser(email="root@example.test", password="x"))
    page = client.get(f"{TASKS_URL}{nightly.pk}/change/")

    assert page.status_code == 200
    assert (
        client.post(
            TASKS_URL, {"action": "disable_tasks", "_selected_action": [nightly.pk]}
        ).status_code
        == 302
    )
    nightly.refresh_from_db()
    assert nightly.enabled is False


def test_an_added_kpi_reads_as_its_fields_not_as_json(as_user, world):
    client = as_user("owner")
    plan = Plan.objects.get(client=world.a1)

    def change(rows):
        rows["kpis"].append(dict(CHURN_ROW))

    post_back(client, plan, change)
    entry = AuditLogEntry.objects.filter(object_id=str(plan.pk), action="plan.updated").first()
    page = client.get(f"/admin/clients/auditlogentry/{entry.pk}/change/").content.decode()

    cell = page[page.index("<th scope='row'>kpis[churn]</th><td>–</td><td>") :].split("</td>")[1]
    for field in ("key: churn", "must: 0.03", "baseline: (", "period: 2025-12", "stretch: –"):
        assert field in cell, field
    assert "{" not in cell  # no JSON
