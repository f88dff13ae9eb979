"""manage.py import_measurements: CSV in UTF-8 (with or without BOM) or CP932, and XLSX."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from metrics.models import Measurement, MeasurementHistory
from metrics.services import measurements_import_preview, measurements_upsert
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return ClientFactory()


def run_import(client, path):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_measurements", "--client", str(client.pk), str(path), stdout=out, stderr=err
        )
    except CommandError as exc:
        return None, err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


def stored(client):
    return {
        (m.metric.key, str(m.period), m.source): m.value
        for m in Measurement.objects.filter(client=client).select_related("metric")
    }


def test_a_utf8_csv_with_bom(client, tmp_path):
    path = tmp_path / "funnel.csv"
    path.write_bytes(
        "\ufeffmetric,period,value,source\r\n"
        "visitors,2026-09,12000,GA4\r\n"
        "leads,2026-09,1800,\r\n"
        "\r\n"
        "mrr,2026-09,2500000.50,Stripe\r\n".encode()
    )

    out, _, error = run_import(client, path)

    assert error is None
    assert "created 3, updated 0, unchanged 0" in out
    assert stored(client) == {
        ("visitors", "2026-09", "GA4"): Decimal(12000),
        ("leads", "2026-09", "import:funnel.csv"): Decimal(1800),
        ("mrr", "2026-09", "Stripe"): Decimal("2500000.5"),
    }


def test_a_cp932_csv_from_japanese_excel(client, tmp_path):
    path = tmp_path / "売上.csv"
    path.write_bytes(
        "metric,period,value,source\nrevenue,2026-Q3,3000000,会計ソフト\n".encode("cp932")
    )

    _, _, error = run_import(client, path)

    assert error is None
    assert stored(client) == {("revenue", "2026-Q3", "会計ソフト"): Decimal(3000000)}


def test_an_xlsx_workbook(client, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Metric", "Period", "Value"])
    sheet.append(["leads", "2026-08", 1500])
    sheet.append(["churn_rate", "2026-08", 0.045])
    path = tmp_path / "kpi.xlsx"
    book.save(path)

    _, _, error = run_import(client, path)

    assert error is None
    assert stored(client) == {
        ("leads", "2026-08", "import:kpi.xlsx"): Decimal(1500),
        ("churn_rate", "2026-08", "import:kpi.xlsx"): Decimal("0.045"),
    }


def test_a_spreadsheet_date_cell_is_a_bad_row_with_a_hint(client, tmp_path):
    book = Workbook()
    book.active.append(["metric", "period", "value"])
    book.active.append(["leads", datetime(2026, 9, 1), 10])
    path = tmp_path / "dates.xlsx"
    book.save(path)

    _, err, error = run_import(client, path)

    assert "1 bad lines" in error
    assert "line 2, period: is a date cell; write the period as text, e.g. 2026-09" in err
    assert not Measurement.objects.filter(client=client).exists()


def test_a_bad_file_names_every_bad_line_and_writes_nothing(client, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "metric,period,value\n"
        "leads,2026-09,10\n"  # line 2: good
        "leeds,2026-09,10\n"  # line 3: unknown metric
        "leads,Sept 2026,10\n"  # line 4: bad period
        "leads,2026-10,ten\n"  # line 5: not a number
        "leads,2026-09,11\n"  # line 6: repeats line 2
        "leads,2026-11,1,x,extra\n"  # line 7: more cells than the header
    )

    _, err, error = run_import(client, path)

    assert error == "5 bad lines in bad.csv; nothing was written."
    reported = err.strip().splitlines()
    assert [line.split(":")[0] for line in reported] == [
        "line 3, metric",
        "line 4, period",
        "line 5, value",
        "line 6, period",
        "line 7",
    ]
    assert "'leeds' is not a known metric" in reported[0]
    assert "already in row 0" in reported[3]
    assert not Measurement.objects.exists()
    assert not MeasurementHistory.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"period,metric,value\n2026-09,leads,1\n", "header metric,period,value"),
        (b"metric,period,value\n\x81\x20,2026-09,1\n", "neither UTF-8 nor CP932"),
        (b"\xff\xfe\x00\x00garbage", "binary"),
    ],
)
def test_unreadable_files(client, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)

    _, _, error = run_import(client, path)

    assert message in error


def test_a_broken_xlsx(client, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip")

    _, _, error = run_import(client, path)

    assert "not a readable XLSX" in error


def test_an_unknown_client(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("metric,period,value\n")

    with pytest.raises(CommandError, match="No client"):
        call_command("import_measurements", "--client", "not-a-uuid", str(path))


# --- the preview the admin shows before it writes ----------------------------------------------


def workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["metric", "period", "value"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_preview_of_an_xlsx_says_what_each_line_would_do_and_writes_nothing(client):
    measurements_upsert(
        client=client, rows=[{"metric": "leads", "period": "2026-09", "value": "10"}], actor=None
    )
    before = stored(client), MeasurementHistory.objects.count()
    content = workbook(
        [["leads", "2026-09", 12], ["leads", "2026-10", 9], ["visitors", "2026-09", 0]]
    )

    preview = measurements_import_preview(client=client, filename="f.xlsx", content=content)

    assert preview.errors == []
    assert [(p.line, str(p.period), p.old_value, p.value, p.change) for p in preview.lines] == [
        (2, "2026-09", Decimal(10), Decimal(12), "updated"),
        (3, "2026-10", None, Decimal(9), "created"),
        (4, "2026-09", None, Decimal(0), "created"),
    ]
    assert preview.counts == {"created": 2, "updated": 1, "unchanged": 0}
    assert (stored(client), MeasurementHistory.objects.count()) == before


def test_the_preview_lists_every_bad_line_and_no_good_ones(client):
    content = b"metric,period,value\nleads,2026-10,1\nleads,2026-10,x\nnope,2026-10,1\n"

    preview = measurements_import_preview(client=client, filename="f.csv", content=content)

    assert preview.lines == []
    assert [str(e) for e in preview.errors] == [
        "line 3, value: must be a number",
        "line 4, metric: 'nope' is not a known metric",
    ]


@pytest.mark.parametrize("months", [1, 12])
def test_the_preview_takes_the_same_queries_for_any_number_of_lines(
    client, months, django_assert_num_queries
):
    content = "metric,period,value\n" + "".join(
        f"leads,2026-{m:02d},{m}\n" for m in range(1, months + 1)
    )

    with django_assert_num_queries(2):  # the client's metrics, then what is stored
        preview = measurements_import_preview(
            client=client, filename="f.csv", content=content.encode()
        )

    assert len(preview.lines) == months
