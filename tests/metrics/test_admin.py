"""The metrics admin is scoped like the API: members read, writes go through the services."""

import base64
import html
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clients.models import AuditLogEntry, User
from metrics.admin import ImportCommitForm
from metrics.models import Measurement, MeasurementHistory, Metric
from metrics.services import measurements_upsert
from tests.clients.factories import member

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/metrics/measurement/import/"
MEASUREMENTS_URL = "/admin/metrics/measurement/"


def listed_measurements(response):
    return {(m.client.name, m.metric.key) for m in response.context["cl"].result_list}


def stored(client):
    return {
        (m.metric.key, str(m.period), m.source): m.value
        for m in Measurement.objects.filter(client=client).select_related("metric")
    }


def csv_file(text, name="funnel.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def metric_form(consultancy, **fields):
    return {
        "consultancy": consultancy.pk,
        "key": "win_rate",
        "name": "Win rate",
        "name_ja": "受注率",
        "unit": "ratio",
        "direction": "higher_is_better",
        "aggregation": "avg",
        "formula": "",
        **fields,
    }


# --- measurements -------------------------------------------------------------------------------


def test_a_consultant_sees_only_the_assigned_clients_measurements(as_user):
    response = as_user("consultant").get(MEASUREMENTS_URL)

    assert response.status_code == 200
    assert listed_measurements(response) == {("A1", "leads"), ("A1", "acme_only")}


def test_an_owner_sees_every_client_of_the_consultancy_and_nothing_else(as_user):
    response = as_user("owner").get(MEASUREMENTS_URL)

    assert listed_measurements(response) == {
        ("A1", "leads"),
        ("A1", "acme_only"),
        ("A2", "leads"),
        ("A2", "acme_only"),
    }


def test_a_superuser_sees_every_consultancys_measurements(client, world):
    client.force_login(User.objects.create_superuser("ops@example.com", "pass-word-123"))

    response = client.get(MEASUREMENTS_URL)

    assert {name for name, _ in listed_measurements(response)} == {"A1", "A2", "B1"}


@pytest.mark.parametrize("kind", ["owner", "consultant"])
def test_a_foreign_clients_measurement_is_not_shown(as_user, world, kind):
    foreign = Measurement.objects.filter(client=world.b1).first()

    response = as_user(kind).get(f"{MEASUREMENTS_URL}{foreign.pk}/change/")

    # Django's admin answers an object outside the queryset with a redirect to the index.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_measurements_are_read_only_even_for_an_owner(as_user, world):
    client = as_user("owner")
    measurement = Measurement.objects.get(client=world.a1, metric__key="leads")

    page = client.get(f"{MEASUREMENTS_URL}{measurement.pk}/change/")
    post = client.post(f"{MEASUREMENTS_URL}{measurement.pk}/change/", {"value": "99"})
    delete = client.post(f"{MEASUREMENTS_URL}{measurement.pk}/delete/", {"post": "yes"})
    add = client.get(f"{MEASUREMENTS_URL}add/")

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert (post.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    assert Measurement.objects.get(pk=measurement.pk).value == Decimal(1)


def test_the_measurement_history_is_scoped_and_read_only(as_user, world):
    client = as_user("consultant")
    entry = MeasurementHistory.objects.filter(client=world.a1).first()

    listing = client.get("/admin/metrics/measurementhistory/")
    post = client.post(f"/admin/metrics/measurementhistory/{entry.pk}/change/", {"new_value": 9})

    # world wrote leads and acme_only for A1 once each: two history rows, both A1's.
    assert [h.client.name for h in listing.context["cl"].result_list] == ["A1", "A1"]
    assert post.status_code == 403


def test_the_measurement_changelist_queries_do_not_grow(
    as_user, world, django_assert_max_num_queries
):
    client = as_user("owner")
    with django_assert_max_num_queries(40) as ctx:
        client.get(MEASUREMENTS_URL)
    baseline = len(ctx.captured_queries)
    measurements_upsert(
        client=world.a2,
        actor=None,
        rows=[
            {"metric": "leads", "period": f"{2024 + month // 12}-{month % 12 + 1:02d}", "value": 1}
            for month in range(20)
        ],
    )

    with django_assert_max_num_queries(baseline):
        response = client.get(MEASUREMENTS_URL)

    assert len(response.context["cl"].result_list) == 24  # 2 each for A1 and A2, then 20 more


# --- the import page ----------------------------------------------------------------------------


def test_the_changelist_links_to_the_import_page(as_user):
    response = as_user("consultant").get(MEASUREMENTS_URL)

    assert f'href="{IMPORT_URL}"' in response.content.decode()


GOOD_CSV = (
    "metric,period,value,source\n"
    "leads,2026-09,1,CRM\n"  # the same value: unchanged, the stored source stays
    "acme_only,2026-09,4,CRM\n"  # 1 → 4: updated
    "leads,2026-10,7,\n"  # new: created, with the file as its source
)


def test_an_upload_is_previewed_and_writes_nothing(as_user, world):
    # A1 holds leads 2026-09 = 1 and acme_only 2026-09 = 1 from the world.
    before = stored(world.a1), MeasurementHistory.objects.count()

    response = as_user("consultant").post(
        IMPORT_URL, {"client": world.a1.pk, "file": csv_file(GOOD_CSV)}
    )

    preview = response.context["preview"]
    assert response.status_code == 200
    assert preview.counts == {"created": 1, "updated": 1, "unchanged": 1}
    assert [
        (p.line, p.metric, str(p.period), p.old_value, p.value, p.change) for p in preview.lines
    ] == [
        (2, "leads", "2026-09", Decimal(1), Decimal(1), "unchanged"),
        (3, "acme_only", "2026-09", Decimal(1), Decimal(4), "updated"),
        (4, "leads", "2026-10", None, Decimal(7), "created"),
    ]
    page = response.content.decode()
    assert 'name="commit"' in page
    # By name, with the key beside it, and values in full.
    assert 'Leads <span class="import-key">leads</span>' in page
    assert (stored(world.a1), MeasurementHistory.objects.count()) == before


def test_committing_the_preview_imports_the_file_and_opens_the_clients_hub(as_user, world):
    user = as_user("consultant")
    preview = user.post(IMPORT_URL, {"client": world.a1.pk, "file": csv_file(GOOD_CSV)})
    commit = preview.context["commit"]

    response = user.post(
        IMPORT_URL, {**{k: commit[k].value() for k in commit.fields}, "commit": "1"}, follow=True
    )

    hub = f"/admin/clients/{world.a1.pk}/hub/"
    assert response.redirect_chain == [(hub, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "A1: created 1, updated 1, unchanged 1."
    ]
    assert stored(world.a1) == {
        ("leads", "2026-09", ""): Decimal(1),
        ("acme_only", "2026-09", "CRM"): Decimal(4),
        ("leads", "2026-10", "import:funnel.csv"): Decimal(7),
    }


def commit_form(client, content: bytes, filename="x.csv", /, **changed) -> dict:
    """What the preview page posts back for this file, with ``changed`` fields forged."""
    form = ImportCommitForm.for_preview(client, filename, content)
    return {**{name: form[name].value() for name in form.fields}, "commit": "1", **changed}


def test_a_commit_previewed_for_another_persons_client_is_404(as_user, world):
    # The form was signed for the owner, who may write A2; the consultant may not.
    before = stored(world.a2)

    response = as_user("consultant").post(
        IMPORT_URL, commit_form(world.a2, b"metric,period,value\nleads,2026-10,5\n")
    )

    assert response.status_code == 404
    assert stored(world.a2) == before


@pytest.mark.parametrize(
    "forged",
    [
        {"token": ""},  # no preview at all
        {"filename": "x.exe"},  # past the extension check
        {"content": base64.b64encode(b"metric,period,value\nleads,2026-10,500\n").decode()},
        {"content": "not base64!"},
        {"client": "not-a-uuid"},
    ],
)
def test_a_commit_form_altered_after_the_preview_is_refused_with_why(as_user, world, forged):
    before = stored(world.a1), MeasurementHistory.objects.count()
    data = commit_form(world.a1, b"metric,period,value\nleads,2026-10,5\n", **forged)

    response = as_user("consultant").post(IMPORT_URL, data)

    assert response.status_code == 400
    assert "upload it again" in response.context["problem"]
    assert (stored(world.a1), MeasurementHistory.objects.count()) == before


def test_a_commit_whose_file_went_bad_since_the_preview_writes_nothing(as_user, world):
    # The preview passed, then someone retired the metric: the commit re-checks everything.
    before = stored(world.a1), MeasurementHistory.objects.count()
    content = b"metric,period,value\nleads,2026-10,5\nnope,2026-10,1\n"

    response = as_user("consultant").post(IMPORT_URL, commit_form(world.a1, content))

    assert response.status_code == 200
    assert response.context["bad_lines"] == ["line 3, metric: 'nope' is not a known metric"]
    assert (stored(world.a1), MeasurementHistory.objects.count()) == before


def test_a_commit_of_an_unreadable_workbook_is_a_400_with_the_reason(as_user, world):
    response = as_user("consultant").post(
        IMPORT_URL, commit_form(world.a1, b"not a workbook", "x.xlsx")
    )

    assert response.status_code == 400
    assert response.context["problem"].startswith("The file is not a readable XLSX workbook")


def test_a_file_too_large_to_send_back_is_refused_before_the_preview(as_user, world):
    upload = csv_file("metric,period,value\n" + "leads,2026-10,1\n" * 400_000)  # 6.4 MB

    response = as_user("consultant").post(IMPORT_URL, {"client": world.a1.pk, "file": upload})

    assert response.context["form"].errors == {
        "file": ["The file is larger than 5 MB: split it into smaller files."]
    }


def test_a_bad_csv_shows_every_bad_line_and_writes_nothing(as_user, world):
    before = stored(world.a1), MeasurementHistory.objects.count()
    upload = csv_file(
        "metric,period,value\n"
        "leads,2026-10,10\n"
        "bravo_only,2026-10,5\n"  # another consultancy's metric
        "leads,2026-13,5\n"
        "leads,2026-11,lots\n"
        "leads,2026-12,1,extra\n"
    )

    response = as_user("consultant").post(IMPORT_URL, {"client": world.a1.pk, "file": upload})

    expected = [
        "line 3, metric: 'bravo_only' is not a known metric",
        "line 4, period: '2026-13' is not a real month: write it as 2026-09-15, 2026-W38, "
        "2026-09, 2026-Q3 or 2026.",
        "line 5, value: must be a number",
        "line 6: has more cells than the header names",
    ]
    assert response.status_code == 200
    assert response.context["bad_lines"] == expected
    page = html.unescape(response.content.decode())
    assert all(line in page for line in expected)
    assert "4 bad lines; nothing will be written." in page
    assert response.context["commit"] is None
    assert (stored(world.a1), MeasurementHistory.objects.count()) == before


def test_an_unreadable_file_is_a_form_error(as_user, world):
    upload = csv_file("metric,value\nleads,1\n")

    response = as_user("consultant").post(IMPORT_URL, {"client": world.a1.pk, "file": upload})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["Line 1 must be the header metric,period,value[,source]; found 'metric,value'."]
    }


def test_a_consultant_cannot_import_into_an_unassigned_client(as_user, world):
    before = stored(world.a2)

    response = as_user("consultant").post(
        IMPORT_URL,
        {"client": world.a2.pk, "file": csv_file("metric,period,value\nleads,2026-10,5\n")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "client": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert stored(world.a2) == before


def test_the_import_page_needs_write_on_some_client(client, world):
    client.force_login(member(world.a, "consultant"))  # a consultant with no assignment

    page = client.get(IMPORT_URL)
    listing = client.get(MEASUREMENTS_URL)

    assert page.status_code == 403
    assert IMPORT_URL not in listing.content.decode()


# --- the metric catalogue -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["owner", "consultant"])
def test_members_see_the_built_in_metrics_and_their_consultancys_own(as_user, kind):
    response = as_user(kind).get("/admin/metrics/metric/")

    builtin = set(Metric.objects.filter(consultancy=None).values_list("key", flat=True))
    assert {m.key for m in response.context["cl"].result_list} == builtin | {"acme_only"}


def test_an_owner_adds_a_metric_through_the_service(as_user, world):
    response = as_user("owner").post("/admin/metrics/metric/add/", metric_form(world.a))

    assert response.status_code == 302
    metric = Metric.objects.get(consultancy=world.a, key="win_rate")
    assert AuditLogEntry.objects.filter(action="metric.created", object_id=str(metric.pk)).exists()


def test_an_owner_edits_a_metric_through_the_service(as_user, world):
    metric = Metric.objects.get(consultancy=world.a, key="acme_only")

    response = as_user("owner").post(
        f"/admin/metrics/metric/{metric.pk}/change/",
        # world made it as "Own" / "独自", a count summed; only the name changes.
        metric_form(
            world.a,
            key="acme_only",
            name="Renamed",
            name_ja="独自",
            unit="count",
            aggregation="sum",
        ),
    )

    assert response.status_code == 302
    entry = AuditLogEntry.objects.get(action="metric.updated", object_id=str(metric.pk))
    assert (entry.before, entry.after) == ({"name": "Own"}, {"name": "Renamed"})


def test_a_formula_naming_an_unknown_key_is_a_form_error(as_user, world):
    response = as_user("owner").post(
        "/admin/metrics/metric/add/", metric_form(world.a, formula="leads / nonexistent")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "formula": ["Unknown metric keys in 'leads / nonexistent': nonexistent."]
    }
    assert not Metric.objects.filter(key="win_rate").exists()


def test_an_owner_cannot_add_a_metric_to_another_consultancy(as_user, world):
    response = as_user("owner").post("/admin/metrics/metric/add/", metric_form(world.b))

    assert response.status_code == 200
    assert "consultancy" in response.context["adminform"].form.errors
    assert not Metric.objects.filter(key="win_rate").exists()


def test_a_built_in_metric_is_read_only_for_an_owner(as_user):
    client = as_user("owner")
    leads = Metric.objects.get(consultancy=None, key="leads")

    page = client.get(f"/admin/metrics/metric/{leads.pk}/change/")
    post = client.post(f"/admin/metrics/metric/{leads.pk}/change/", {"name": "Renamed"})
    delete = client.post(f"/admin/metrics/metric/{leads.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert (post.status_code, delete.status_code) == (403, 403)
    assert Metric.objects.get(pk=leads.pk).name == "Leads"


def test_a_consultant_cannot_add_metrics(as_user, world):
    client = as_user("consultant")

    page = client.get("/admin/metrics/metric/add/")
    post = client.post("/admin/metrics/metric/add/", metric_form(world.a))

    assert (page.status_code, post.status_code) == (403, 403)
    assert not Metric.objects.filter(key="win_rate").exists()
