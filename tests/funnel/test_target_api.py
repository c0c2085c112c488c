"""The shared target over the API and on its pages: propose with splits, sign-off by side, bad input named,
the reports, a list whose query count does not grow, and the drill-down within the viewer's visibility."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from funnel.targets.models import RevenueTarget
from funnel.targets.periods import next_period_start
from funnel.templatetags.ui import person

BODY = {
    "period_kind": "quarter",
    "period_start": "2026-01-01",
    "amount": "400000.00",
    "currency": "USD",
    "splits": [{"segment": "enterprise", "amount": "300000"}, {"segment": "smb", "amount": "100000"}],
}


NO_SPLITS = {"split-TOTAL_FORMS": "0", "split-INITIAL_FORMS": "0"}


def test_propose_sign_and_read_the_reports(api, people):
    made = api(people["leader"]).post("/api/v1/targets/", BODY)
    assert made.status_code == 201, made.content
    target = made.json()["id"]
    assert [s["amount"] for s in made.json()["splits"]] == ["300000.00", "100000.00"]
    assert api(people["rep"]).post(f"/api/v1/targets/{target}/sign-off/", {}).status_code == 403
    signed = api(people["marketing_manager"]).post(f"/api/v1/targets/{target}/sign-off/", {})
    assert (signed.status_code, signed.json()["marketing_approver"]["id"]) == (200, people["marketing_manager"].pk)
    done = api(people["sales_manager"]).post(f"/api/v1/targets/{target}/sign-off/", {})
    assert done.json()["status"] == "active"
    assert api(people["leader"]).post(f"/api/v1/targets/{target}/withdraw/", {}).status_code == 409
    attainment = api(people["rep"]).get(f"/api/v1/targets/{target}/attainment/")
    assert attainment.status_code == 200
    assert (attainment.json()["total"]["revenue"], len(attainment.json()["splits"])) == ("0.00", 2)
    funnel = api(people["marketer"]).get(f"/api/v1/targets/{target}/reverse-funnel/").json()
    assert [n["name"] for n in funnel["needs"]] == ["purchase", "sql", "mql", "lead"]
    assert funnel["remaining"] == "400000.00"


def test_bad_input_is_a_400_naming_the_field(api, people):
    deep = []
    for _ in range(60):
        deep = [deep]
    client = api(people["leader"])
    cases = [
        ({**BODY, "period_start": "2026-02-30"}, "period_start"),
        ({**BODY, "period_start": "2026-02-01"}, "period_start"),
        ({**BODY, "amount": "lots"}, "amount"),
        ({**BODY, "currency": "U\x00D"}, "currency"),
        ({**BODY, "note": "x" * 100_000}, "note"),
        ({**BODY, "period_kind": "decade"}, "period_kind"),
        ({**BODY, "period_kind": "year", "period_start": "9999-01-01"}, "period_start"),
        ({**BODY, "period_kind": "month", "period_start": "9999-12-01"}, "period_start"),
        ({**BODY, "splits": [{"segment": "enterprise", "amount": "1"}]}, "splits"),
        (
            {**BODY, "splits": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            "splits",
        ),
    ]
    for body, field in cases:
        answer = client.post("/api/v1/targets/", body)
        assert answer.status_code == 400, (field, answer.content)
        assert field in answer.json()["errors"], (field, answer.json())
    far = client.post("/api/v1/targets/", {**BODY, "period_kind": "year", "period_start": "9998-01-01"})
    assert far.json()["errors"]["period_start"] == ["9998-01-01 is more than 5 years ahead: check the year."]
    # Zero and a negative amount are refused by the same rule, in the same words.
    for amount in ("0.00", "-1.00"):
        refused = client.post("/api/v1/targets/", {**BODY, "amount": amount, "splits": []}).json()["errors"]
        assert refused["amount"] == [f"The target must be above 0 and at most 100,000,000,000; got {amount}."]
    assert client.post("/api/v1/targets/abc/sign-off/", {}).status_code == 404
    assert client.post("/api/v1/targets/1/sign-off/", {"side": "finance"}).status_code in (400, 404)
    assert not RevenueTarget.objects.exists()


def test_the_list_costs_the_same_queries_for_one_or_many_targets(api, people):
    client = api(people["rep"])
    leader = api(people["leader"])
    leader.post("/api/v1/targets/", BODY)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/targets/").status_code == 200
    for month in range(1, 10):
        leader.post("/api/v1/targets/", {**BODY, "period_kind": "month", "period_start": f"2026-0{month}-01"})
    with CaptureQueriesContext(connection) as many:
        answer = client.get("/api/v1/targets/")
    assert len(answer.json()["results"]) == 10
    starts = [t["period_start"] for t in answer.json()["results"]]
    assert starts == sorted(starts, reverse=True) and starts[0] == "2026-09-01"  # newest period first
    assert len(many) == len(one)


def test_pages_propose_sign_and_drill_down(client, people):
    client.force_login(people["leader"])
    answer = client.post(
        "/targets/new/",
        {
            "period_kind": "quarter",
            "period_start": "2026-01-01",
            "amount": "400000",
            "currency": "USD",
            "split-TOTAL_FORMS": "2",
            "split-INITIAL_FORMS": "0",
            "split-0-segment": "enterprise",
            "split-0-amount": "300000",
            "split-1-segment": "smb",
            "split-1-amount": "50000",
        },
    )
    assert answer.status_code == 400
    assert "they must match exactly" in answer.content.decode()
    target = _first_quarter_target(people)
    client.force_login(people["sales_manager"])
    assert client.post(f"/targets/{target.pk}/sign-off/", {"side": "sales"}).status_code == 302
    target.refresh_from_db()
    assert target.sales_approver == people["sales_manager"]
    page = client.get(f"/targets/{target.pk}/")
    assert page.status_code == 200 and "Reverse funnel" in page.content.decode()
    assert client.get(f"/targets/{target.pk}/leads/?set=nonsense").status_code == 400
    assert client.get(f"/targets/{target.pk}/leads/?set=purchases").status_code == 200
    assert client.get("/targets/").status_code == 200


def test_a_signed_side_says_who_signed_it_instead_of_offering_its_button_again(client, people):
    target = _first_quarter_target(people)
    page, sign = f"/targets/{target.pk}/", f"/targets/{target.pk}/sign-off/"
    client.force_login(people["marketing_manager"])
    assert "Sign for marketing</button>" in client.get(page).content.decode()
    assert "Signed. It waits for the other side." in client.post(sign, follow=True).content.decode()
    target.refresh_from_db()
    on = timezone.localtime(target.marketing_signed_at)
    signed_on = f"{on.day} {on:%b %Y}"
    after = client.get(page).content.decode()
    assert "Sign for marketing</button>" not in after and f"You signed for marketing on {signed_on}" in after
    again = client.post(sign, follow=True).content.decode()  # a stale tab: nothing changes, and it says so
    assert f"You had already signed for marketing on {signed_on}; nothing changed." in again
    assert "Signed. It waits" not in again
    # A revenue leader may sign either side: marketing's is taken (by whom is said), sales' is offered.
    client.force_login(people["leader"])
    leader = client.get(page).content.decode()
    assert "Sign for marketing</button>" not in leader and "Sign for sales</button>" in leader
    assert f"{escape(person(people['marketing_manager']))} signed for marketing on {signed_on}" in leader


def test_next_period_start_is_the_first_day_of_the_next_period_of_the_kind():
    today = date(2026, 11, 27)
    starts = {kind: next_period_start(kind=kind, today=today) for kind in ("month", "quarter", "year")}
    assert starts == {"month": date(2026, 12, 1), "quarter": date(2027, 1, 1), "year": date(2027, 1, 1)}
    assert next_period_start(kind="quarter", today=date(2026, 2, 1)) == date(2026, 4, 1)


def test_the_propose_forms_defaults_are_a_proposal_the_service_accepts(client, people):
    client.force_login(people["leader"])
    with time_machine.travel(datetime(2026, 11, 27, 12, tzinfo=UTC), tick=False):
        page = client.get("/targets/").content.decode()
        start = re.search(r'name="period_start" value="([\d-]+)"', page).group(1)
        kind = re.search(r'<option value="(\w+)" selected>', page).group(1)
        assert (kind, start) == ("quarter", "2027-01-01")  # was 2026-11-01, which no quarter begins on
        assert 'data-next-month="2026-12-01"' in page and "1 Jan, 1 Apr, 1 Jul or 1 Oct for a quarter" in page
        answer = client.post(
            "/targets/new/",
            {"period_kind": kind, "period_start": start, "amount": "400000", "currency": "USD", **NO_SPLITS},
        )
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    assert RevenueTarget.objects.get().period_start == date(2027, 1, 1)


def _proposal(**rows):
    fields = {"period_kind": "quarter", "period_start": "2026-01-01", "amount": "400000", "currency": "USD"}
    return {**fields, "split-TOTAL_FORMS": "4", "split-INITIAL_FORMS": "0", **rows}


def test_a_splits_problem_is_shown_beside_its_row_in_plain_words(client, people, teams):
    client.force_login(people["leader"])
    # Row 1 left empty, row 2 a segment's share, row 3 an amount that names nobody.
    answer = client.post(
        "/targets/new/",
        _proposal(**{"split-1-segment": "enterprise", "split-1-amount": "300000"}, **{"split-2-amount": "100000"}),
    )
    assert answer.status_code == 400
    rows = answer.context["splits"].forms
    assert [row.non_field_errors() for row in rows] == [[], [], ["name a team, a segment or both."], []]
    page = answer.content.decode()
    assert "Row 3: name a team, a segment or both." in page and "[0]" not in page and "splits:" not in page
    # A team picked without an amount is no longer dropped in silence.
    forgotten = client.post("/targets/new/", _proposal(**{"split-0-team": str(teams["sales"].pk)}))
    assert "Row 1: give this split an amount, or clear its team and segment." in forgotten.content.decode()
    assert not RevenueTarget.objects.exists()


def _first_quarter_target(people) -> RevenueTarget:
    """A bare proposal for 2026's first quarter, made without the service so a page test starts from it."""
    return RevenueTarget.objects.create(
        period_kind="quarter",
        period_start="2026-01-01",
        period_end="2026-04-01",
        amount=Decimal(1),
        proposed_by=people["leader"],
    )
