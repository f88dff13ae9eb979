"""Edge cases found in review: each was a 500, a silent loss or a takeover before."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from clients.models import AuditLogEntry, Client, DirtyMark
from metrics.models import Metric
from metrics.services import measurements_upsert, metric_create, metric_update
from tests.clients.factories import ConsultancyFactory, member

pytestmark = pytest.mark.django_db


def test_an_owner_of_an_empty_consultancy_can_add_the_first_client(client):
    owner = member(ConsultancyFactory(), "owner")
    client.force_login(owner)

    assert client.get("/admin/clients/client/add/").status_code == 200


def test_load_demo_refuses_to_take_over_a_real_consultancy_named_demo():
    member(ConsultancyFactory(slug="demo", name="Demo Partners KK"), "owner")

    with pytest.raises(CommandError, match="not the demo"):
        call_command("load_demo", stdout=StringIO())


def test_a_metric_named_by_other_formulas_keeps_its_key(world):
    base = metric_create(
        consultancy=world.a,
        actor=None,
        key="signups",
        name="S",
        name_ja="S",
        unit="count",
        direction="higher_is_better",
        aggregation="sum",
    )
    metric_create(
        consultancy=world.a,
        actor=None,
        key="signup_rate",
        name="R",
        name_ja="R",
        unit="ratio",
        direction="higher_is_better",
        aggregation="avg",
        formula="signups / visitors",
    )

    with pytest.raises(ValidationError, match="signup_rate"):
        metric_update(metric=base, actor=None, key="registrations")
    assert Metric.objects.filter(key="signups").exists()


def test_a_new_time_zone_marks_the_client_stale(world):
    DirtyMark.objects.all().delete()

    response = world.api("owner").patch(
        f"/api/v1/clients/{world.a1.pk}/", {"timezone": "Europe/London"}, format="json"
    )

    assert response.status_code == 200
    assert DirtyMark.objects.filter(client=world.a1).exists()


def test_a_new_tolerance_in_the_admin_marks_every_client_stale_and_is_audited(client, world):
    DirtyMark.objects.all().delete()
    client.force_login(world.users["owner"])

    response = client.post(
        f"/admin/clients/consultancy/{world.a.pk}/change/",
        {
            "name": world.a.name,
            "timezone": "Asia/Tokyo",
            "currency": "JPY",
            "status_tolerance": "0.850",
        },
    )

    assert response.status_code == 302
    assert set(DirtyMark.objects.values_list("client", flat=True)) == {world.a1.pk, world.a2.pk}
    entry = AuditLogEntry.objects.get(action="consultancy.updated")
    assert entry.after == {"status_tolerance": "0.850"}


def test_a_period_in_9999_is_a_bad_row_not_a_server_error(world):
    response = world.api("owner").post(
        f"/api/v1/clients/{world.a1.pk}/measurements/bulk/",
        {"measurements": [{"metric": "leads", "period": "9999", "value": 1}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 0


def test_series_far_back_is_refused_or_cheap(world):
    url = f"/api/v1/clients/{world.a1.pk}/series/"
    far = world.api("owner").get(
        url, {"metrics": "leads", "granularity": "year", "from": "1026", "to": "2025"}
    )
    early = world.api("owner").get(url, {"metrics": "leads", "granularity": "year", "to": "0005"})

    # 1,000 years of nothing is cheap: no measurement, no walk down to the days.
    assert far.status_code == 200
    assert {point["value"] for point in far.json()["series"]["leads"]} == {None}
    assert early.status_code == 400  # eleven years before year 5 is before year 1


def test_a_body_over_the_limit_is_413_before_it_is_parsed(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = [{"metric": "leads", "period": "2026-10", "value": 1}] * 50

    response = world.api("owner").post(
        f"/api/v1/clients/{world.a1.pk}/measurements/bulk/",
        {"measurements": rows},
        format="json",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


def test_twenty_digit_values_come_back_exactly(world):
    measurements_upsert(
        client=world.a1,
        actor=None,
        rows=[{"metric": "revenue", "period": "2026-10", "value": "99999999999999.999999"}],
    )

    response = world.api("owner").get(
        f"/api/v1/clients/{world.a1.pk}/measurements/", {"metric": "revenue"}
    )

    assert b'"value":99999999999999.999999' in response.content


def test_the_demo_clients_are_real_rows():
    # Sanity for the fixtures above: the demo's clients are created through the service.
    call_command("load_demo", stdout=StringIO())
    assert Client.objects.filter(consultancy__slug="demo").count() == 3
