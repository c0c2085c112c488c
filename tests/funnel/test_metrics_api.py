"""The metrics API's edges: a recompute is a 202 with a job whose progress can be read, only managers and above
may ask for one, and bad parameters are 400s naming the field."""

import pytest

from funnel.metrics.choices import JobStatus


@pytest.mark.django_db
def test_a_manager_recomputes_periods_and_reads_the_job_while_a_rep_may_not(
    api, people, django_capture_on_commit_callbacks
):
    manager = api(people["sales_manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            "/api/v1/metrics/recompute/", {"period_kind": "week", "period_starts": ["2026-02-02", "2026-02-09"]}
        )
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["progress"]) == (JobStatus.QUEUED, 0)
    job = manager.get(f"/api/v1/metric-jobs/{response.json()['id']}/").json()
    assert (job["status"], job["progress"], job["period_starts"]) == ("done", 100, ["2026-02-02", "2026-02-09"])
    rows = manager.get("/api/v1/metrics/", {"period_kind": "week", "period_start": "2026-02-09"}).json()["results"]
    assert all(row["period_start"] == "2026-02-09" and row["computed_at"] for row in rows)
    rep = api(people["rep"])
    refused = rep.post("/api/v1/metrics/recompute/", {"period_kind": "week", "period_starts": ["2026-02-02"]})
    assert refused.status_code == 403
    assert rep.get(f"/api/v1/metric-jobs/{job['id']}/").status_code == 404


@pytest.mark.django_db
def test_bad_parameters_are_400s_naming_the_field(api, people):
    client = api(people["admin"])
    for body, field in (
        ({"period_kind": "fortnight", "period_starts": ["2026-02-02"]}, "period_kind"),
        ({"period_kind": "week", "period_starts": ["2026-02-03"]}, "period_starts"),  # a Tuesday
        ({"period_kind": "month", "period_starts": ["2999-01-01"]}, "period_starts"),
        ({"period_kind": "month", "period_starts": ["2026-02-30"]}, "period_starts"),
        ({"period_kind": "month", "period_starts": "2026-02-01"}, "period_starts"),
        # The last period of the calendar would end past it: refused as outside the history, not a 500.
        ({"period_kind": "day", "period_starts": ["9999-12-31"]}, "period_starts"),
        ({"period_kind": "quarter", "period_starts": ["9999-10-01"]}, "period_starts"),
    ):
        response = client.post("/api/v1/metrics/recompute/", body)
        assert response.status_code == 400, body
        assert field in response.json()["errors"], (body, response.json())
    for query, field in (
        ({"period_kind": "year"}, "period_kind"),
        ({"period_start": "soon"}, "period_start"),
        ({"stage": "heaven"}, "stage"),
        ({"dimension_value": "x" * 100_000}, "dimension_value"),
        ({"metric": "entered\x00"}, "metric"),
    ):
        response = client.get("/api/v1/metrics/", query)
        assert response.status_code == 400, query
        assert field in response.json()["errors"], query
    drill = {"period_kind": "month", "period_start": "2026-02-01", "metric": "entered", "stage": "interest"}
    for change, field in (
        ({"metric": "happiness"}, "metric"),
        ({"period_start": "2026-02-02"}, "period_start"),
        ({"dimension": "planet"}, "dimension"),
        ({"part": "all"}, "part"),
        ({"period_kind": "day", "period_start": "9999-12-31"}, "period_start"),
        ({"period_kind": "month", "period_start": "9999-12-01"}, "period_start"),
    ):
        response = client.get("/api/v1/metrics/leads/", {**drill, **change})
        assert response.status_code == 400, change
        assert field in response.json()["errors"], change
    missing = client.get("/api/v1/metrics/leads/", drill)  # February was never computed, and the answer says so
    assert (missing.status_code, missing.json()["detail"]) == (
        404,
        "No month starting 2026-02-01 has been computed yet.",
    )
    assert client.get("/api/v1/metric-jobs/abc/").status_code == 404
