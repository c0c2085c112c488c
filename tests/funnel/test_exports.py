"""Exports: exact rows and headers, the list endpoint's visibility and filters, spreadsheet formula injection,
streaming through a server-side cursor, a query count that does not grow with the rows, and bad inputs."""

import csv
import io
import json
from datetime import UTC, date, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Campaign, Tag, Touch
from funnel.exports import formats
from funnel.exports.formats import FORMULA_STARTS
from funnel.metrics.models import MetricSnapshot, MetricValue
from funnel.services.call_reports import call_report_log
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db
LEAD_HEADER = [
    "id", "first_name", "last_name", "email", "phone", "title", "company_id", "company", "company_name", "segment",
    "territory", "industry", "stage", "stage_entered_at", "owning_function", "owner_id", "owner", "team_id", "team",
    "outcome_reason", "source_campaign_id", "source_campaign", "expected_value", "gross_margin", "currency",
    "has_budget", "has_authority", "has_need", "has_timeline", "score", "full_access", "created_at", "updated_at",
]  # fmt: skip


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response))))


def export(client, resource="leads", **params):
    return client.get(f"/api/v1/exports/{resource}/", params)


def iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def story(people, make_lead):
    """L1 marketing's (interest), L2 rep's (intent), L3 the SDR's (consideration)."""
    l1 = make_lead(owner=people["marketer"], first_name="Ada", phone="+44 20 7946 0000", expected_value=Decimal("1000"))
    move(l1, "interest", people["marketer"])
    l2 = make_lead(
        owner=people["rep"], first_name="Bo", expected_value=Decimal("5000"), title="CFO", has_budget=True,
        has_need=False, company_domain="bo-works.com",
    )  # fmt: skip
    for stage in ("interest", "consideration", "intent"):
        move(l2, stage, people["rep"])
    l3 = make_lead(owner=people["sdr"], first_name="Cy", expected_value=Decimal("700"))
    for stage in ("interest", "consideration"):
        move(l3, stage, people["sdr"])
    return {"l1": l1, "l2": l2, "l3": l3}


def test_lead_csv_has_the_list_fields_as_header_and_exact_rows(story, people, client_for):
    response = export(client_for(people["admin"]), format="csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="leads-{today}.csv"'
    header, *rows = csv_rows(response)
    assert header == LEAD_HEADER
    assert [row[0] for row in rows] == [str(story[k].pk) for k in ("l1", "l2", "l3")]
    lead = story["l2"]
    lead.refresh_from_db()
    expected = {
        "id": str(lead.pk), "first_name": "Bo", "last_name": lead.last_name, "email": lead.email, "phone": "",
        "title": "CFO", "company_id": str(lead.company_id), "company": lead.company.name,
        "company_name": lead.company_name, "segment": lead.segment, "territory": "", "industry": "",
        "stage": "intent", "stage_entered_at": iso(lead.stage_entered_at), "owning_function": "sales",
        "owner_id": str(people["rep"].pk), "owner": "rep", "team_id": str(people["rep"].team_id), "team": "Sales",
        "outcome_reason": "", "source_campaign_id": "", "source_campaign": "", "expected_value": "5000.00",
        "gross_margin": "", "currency": lead.currency, "has_budget": "true", "has_authority": "",
        "has_need": "false", "has_timeline": "", "score": str(lead.score), "full_access": "true",
        "created_at": iso(lead.created_at), "updated_at": iso(lead.updated_at),
    }  # fmt: skip
    assert dict(zip(header, rows[1], strict=True)) == expected


def test_lead_jsonl_is_one_object_per_lead_with_values_unaltered(story, people, client_for):
    response = export(client_for(people["admin"]), format="jsonl")

    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"].endswith(f'leads-{timezone.localdate().isoformat()}.jsonl"')
    lines = [json.loads(line) for line in body(response).splitlines()]
    assert [line["id"] for line in lines] == [story[k].pk for k in ("l1", "l2", "l3")]
    first = lines[0]
    assert list(first) == LEAD_HEADER
    assert first["phone"] == "+44 20 7946 0000"  # JSON lines are never neutralised
    assert first["expected_value"] == "1000.00"
    assert first["has_budget"] is None and first["gross_margin"] is None and first["source_campaign"] is None
    assert first["owner"] == "marketer" and first["team"] == "Marketing"
    assert lines[1]["has_budget"] is True and lines[1]["has_need"] is False and lines[1]["company"]


@pytest.mark.parametrize("who", ["rep", "sdr", "marketer", "sales_manager", "integration"])
def test_a_lead_export_lists_exactly_the_leads_the_list_shows(story, people, client_for, who):
    client = client_for(people[who])
    listed = {row["id"]: row["expected_value"] for row in client.get("/api/v1/leads/").json()["results"]}

    exported = [json.loads(line) for line in body(export(client, format="jsonl")).splitlines()]

    assert {row["id"]: row["expected_value"] for row in exported} == listed


def test_a_rep_exports_only_their_teams_leads(story, people, client_for):
    _, *rows = csv_rows(export(client_for(people["rep"])))
    assert [int(row[0]) for row in rows] == [story["l2"].pk]


def test_a_marketer_gets_no_sales_only_field_of_a_sales_lead(story, people, client_for):
    rows = [json.loads(line) for line in body(export(client_for(people["marketer"]), format="jsonl")).splitlines()]
    by_id = {row["id"]: row for row in rows}
    sales_lead = by_id[story["l2"].pk]
    assert sales_lead["full_access"] is False
    for field in ("expected_value", "gross_margin", "currency", "has_budget", "has_need", "phone"):
        assert sales_lead[field] is None, field
    assert sales_lead["first_name"] == "Bo" and sales_lead["title"] == "CFO"  # marketing data stays
    own = by_id[story["l1"].pk]
    assert own["full_access"] is True and own["expected_value"] == "1000.00" and own["phone"] == "+44 20 7946 0000"
    header, *csv_lines = csv_rows(export(client_for(people["marketer"])))
    sales_row = dict(zip(header, next(r for r in csv_lines if r[0] == str(story["l2"].pk)), strict=True))
    assert (sales_row["expected_value"], sales_row["currency"], sales_row["has_budget"]) == ("", "", "")


def test_a_formula_in_a_lead_is_exported_as_text_in_csv_only(people, make_lead, client_for):
    lead = make_lead(first_name='=HYPERLINK("http://x")', last_name="＝1+1", title="@SUM(A1)", phone="-5")
    client = client_for(people["admin"])

    header, row = csv_rows(export(client))
    cells = dict(zip(header, row, strict=True))
    assert cells["first_name"] == '\'=HYPERLINK("http://x")'
    assert (cells["last_name"], cells["title"], cells["phone"]) == ("'＝1+1", "'@SUM(A1)", "'-5")
    assert cells["id"] == str(lead.pk)
    (line,) = body(export(client, format="jsonl")).splitlines()
    assert json.loads(line)["first_name"] == '=HYPERLINK("http://x")'


@pytest.fixture
def metric_rows():
    now = timezone.now()
    snapshot = MetricSnapshot.objects.create(
        period_kind="month", period_start=date(2026, 2, 1), period_end=date(2026, 3, 1), computed_at=now
    )
    values = [
        MetricValue.objects.create(
            snapshot=snapshot, metric="revenue_change", dimension="segment", dimension_value="-5", value=Decimal("-5"),
            numerator=Decimal("+3.2"), denominator=None, detail={"note": "=cmd"},
        ),
        MetricValue.objects.create(
            snapshot=snapshot, metric="entered", stage="interest", dimension="all", value=Decimal("12"),
        ),
    ]  # fmt: skip
    return snapshot, values


def test_a_negative_number_stays_a_number_while_the_same_text_is_quoted(metric_rows, people, client_for):
    snapshot, (changed, entered) = metric_rows
    header, first, second = csv_rows(export(client_for(people["marketer"]), "metrics"))

    assert header == [
        "id", "period_kind", "period_start", "period_end", "metric", "stage", "to_stage", "dimension",
        "dimension_value", "value", "numerator", "denominator", "detail", "computed_at", "history_through_at",
    ]  # fmt: skip
    assert first == [
        str(changed.pk), "month", "2026-02-01", "2026-03-01", "revenue_change", "", "", "segment", "'-5",
        "-5.000000", "3.200000", "", '{"note": "=cmd"}', iso(snapshot.computed_at), "",
    ]  # fmt: skip
    assert second[0] == str(entered.pk) and second[9] == "12.000000"


def test_metric_filters_apply(metric_rows, people, client_for):
    _, (_, entered) = metric_rows
    _, *rows = csv_rows(export(client_for(people["rep"]), "metrics", stage="interest"))
    assert [row[0] for row in rows] == [str(entered.pk)]


def test_csv_streams_from_copy_as_postgresql_writes_it(story, people, client_for, monkeypatch):
    monkeypatch.setattr(formats, "BUFFER", 1)  # hand on every row as it comes
    response = export(client_for(people["admin"]))
    assert isinstance(response, StreamingHttpResponse)

    parts = iter(response.streaming_content)
    header, first = next(parts), next(parts)
    # The COPY is still running on the server: the rest of the rows have not been read yet.
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.ACTIVE
    rest = list(parts)

    assert header == (",".join(LEAD_HEADER) + "\n").encode()
    assert first.startswith(f"{story['l1'].pk},Ada,".encode()) and first.count(b"\n") == 1
    assert len(rest) == 2
    assert connection.connection.info.transaction_status != psycopg.pq.TransactionStatus.ACTIVE


def test_json_lines_stream_from_a_server_side_cursor_in_chunks(story, people, client_for, monkeypatch):
    monkeypatch.setattr(formats, "CHUNK", 2)
    response = export(client_for(people["admin"]), format="jsonl")
    assert isinstance(response, StreamingHttpResponse)

    parts = iter(response.streaming_content)
    first = next(parts)
    with connection.cursor() as cursor:  # the export's cursor is open on the server while it streams
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%' AND NOT is_holdable")
        assert cursor.fetchone()[0] == 1
    rest = list(parts)

    assert first.count(b"\n") == 2 and len(rest) == 1 and rest[0].count(b"\n") == 1


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_the_query_count_does_not_grow_with_the_rows(people, make_lead, client_for, monkeypatch, kind):
    monkeypatch.setattr(formats, "CHUNK", 3)
    client = client_for(people["admin"])

    def rows_and_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            text = body(export(client, format=kind))
        return text.count("\n"), len(captured)

    make_lead(owner=people["rep"])
    few_rows, few = rows_and_queries()
    for _ in range(10):
        make_lead(owner=people["rep"])
    many_rows, many = rows_and_queries()
    assert many_rows == few_rows + 10
    assert many == few


def test_lead_filters_apply_as_on_the_list(story, people, client_for):
    client = client_for(people["admin"])
    for params, expected in (
        ({"stage": "intent"}, ["l2"]),
        ({"stage": ["interest", "consideration"]}, ["l1", "l3"]),
        ({"owner": people["sdr"].pk}, ["l3"]),
        ({"q": "Ada"}, ["l1"]),
        ({"owner": 9_999_999}, []),  # nobody: an empty file with its header
    ):
        header, *rows = csv_rows(export(client, **params))
        assert header == LEAD_HEADER
        assert [int(row[0]) for row in rows] == [story[k].pk for k in expected], params


def test_mine_is_true_or_false_on_the_lead_export_and_the_list(story, people, client_for):
    client = client_for(people["sdr"])
    for url in ("/api/v1/exports/leads/", "/api/v1/leads/"):
        response = client.get(url, {"mine": "maybe"})
        assert response.status_code == 400 and response.json()["errors"] == {"mine": ["true or false."]}, url
    _, *rows = csv_rows(export(client, mine="true"))
    assert [int(row[0]) for row in rows] == [story["l3"].pk]


def test_call_reports_export_joins_terms_contacts_and_authors(story, people, client_for):
    competitor = Tag.objects.create(kind="competitor", slug="acme", label="Acme")
    objection = Tag.objects.create(kind="objection", slug="price", label="+Price")
    report = call_report_log(
        author=people["rep"], lead=story["l2"], occurred_on=timezone.localdate() - timedelta(days=1),
        channel="call", outcome="Demo booked", notes="-- they liked it", competitors=["acme"], objections=["price"],
    )  # fmt: skip
    client = client_for(people["rep"])

    header, row = csv_rows(export(client, "call-reports", lead=story["l2"].pk))
    cells = dict(zip(header, row, strict=True))
    assert cells["id"] == str(report.pk) and cells["author"] == "rep" and cells["lead_id"] == str(story["l2"].pk)
    assert (cells["competitors"], cells["objections"], cells["notes"]) == ("Acme", "'+Price", "'-- they liked it")
    assert cells["needs"] == "" and cells["marketers"] == ""
    (line,) = body(export(client, "call-reports", format="jsonl")).splitlines()
    assert json.loads(line)["objections"] == ["+Price"] and competitor.pk and objection.pk
    assert csv_rows(export(client_for(people["sdr"]), "call-reports")) == [header]  # not a lead the SDR sees


def test_campaign_and_touch_exports(story, people, client_for):
    campaign = Campaign.objects.create(name="@Spring webinar", channel="webinar", owner=people["marketer"])
    Campaign.objects.create(name="Fair", channel="event", status="active")
    touch = Touch.objects.create(
        lead=story["l1"], campaign=campaign, kind="webinar_attended", occurred_at=timezone.now(),
        weight=Decimal("1.5"), client_key="=k1", recorded_by=people["integration"],
    )  # fmt: skip
    Touch.objects.create(
        lead=story["l2"], campaign=campaign, kind="visit", occurred_at=timezone.now(), recorded_by=people["admin"]
    )
    client = client_for(people["marketer"])

    header, *rows = csv_rows(export(client, "campaigns", channel="webinar"))
    assert [dict(zip(header, row, strict=True))["name"] for row in rows] == ["'@Spring webinar"]
    assert dict(zip(header, rows[0], strict=True))["owner"] == "marketer"
    header, *rows = csv_rows(export(client_for(people["rep"]), "touches"))
    assert [row[0] for row in rows] == [str(story["l2"].pk and Touch.objects.get(lead=story["l2"]).pk)]
    header, row = csv_rows(export(client, "touches", lead=story["l1"].pk))
    cells = dict(zip(header, row, strict=True))
    assert (cells["id"], cells["client_key"], cells["weight"], cells["campaign"]) == (
        str(touch.pk), "'=k1", "1.50", "'@Spring webinar",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("resource", "params", "status", "named"),
    [
        ("leads", {"format": "xlsx"}, 400, "format"),
        ("leads", {"owner": "abc"}, 400, "owner"),
        ("leads", {"created_after": "yesterday"}, 400, "created_after"),
        ("leads", {"created_after": "2026-01-01T00:00:00+19:00"}, 400, "created_after"),
        ("leads", {"q": "a\x00b"}, 400, "q"),
        ("leads", {"q": "x" * 100_000}, 400, "q"),
        ("call-reports", {"occurred_after": "2026-13-45"}, 400, "occurred_after"),
        ("campaigns", {"owner": "abc"}, 400, "owner"),
        ("touches", {"since": "nonsense"}, 400, "since"),
        ("metrics", {"period_kind": "decade"}, 400, "period_kind"),
        ("contacts", {}, 404, None),
        ("lead", {}, 404, None),
    ],
)
def test_bad_inputs_are_problem_documents_naming_the_parameter(people, client_for, resource, params, status, named):
    response = export(client_for(people["admin"]), resource, **params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    if named:
        assert named in response.json()["errors"]


def test_a_client_asking_for_text_csv_gets_it(story, people, client_for):
    response = client_for(people["admin"]).get("/api/v1/exports/leads/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"


def test_exports_need_the_read_scope_of_what_they_export(story, people, anonymous_client, token_client_for):
    assert export(anonymous_client).status_code in {401, 403}
    writer = token_client_for(people["integration"], scopes=["leads:write", "touches:read"])
    assert export(writer).status_code == 403  # may write leads, may not read them
    assert export(writer, "touches").status_code == 200
    reader = token_client_for(people["integration"], scopes=["leads:read"])
    assert len(csv_rows(export(reader))) == 4
    assert export(reader, "metrics").status_code == 403


@pytest.mark.parametrize("start", list(FORMULA_STARTS))
def test_every_formula_start_is_quoted_and_nothing_else(people, make_lead, client_for, start):
    make_lead(first_name=f"{start}1+1", last_name="a=1", title="1-2")
    header, row = csv_rows(export(client_for(people["admin"])))
    cells = dict(zip(header, row, strict=True))
    assert (cells["first_name"], cells["last_name"], cells["title"]) == (f"'{start}1+1", "a=1", "1-2")


def test_the_lead_list_page_links_its_csv_export_with_its_filters(story, people, client):
    client.force_login(people["rep"])
    page = client.get("/leads/", {"stage": "intent", "q": "Bo"}).content.decode()
    assert 'href="/api/v1/exports/leads/?format=csv&amp;stage=intent&amp;q=Bo"' in page
    response = client.get("/api/v1/exports/leads/?format=csv&stage=intent&q=Bo")
    assert [row[0] for row in csv_rows(response)[1:]] == [str(story["l2"].pk)]


def test_the_call_report_list_links_the_call_report_export(people, client):
    client.force_login(people["rep"])
    assert 'href="/api/v1/exports/call-reports/?format=csv"' in client.get("/call-reports/").content.decode()
