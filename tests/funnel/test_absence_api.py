"""`/api/v1/out-of-office/`: set, list, read and end; who sees whose; every bad input a 400 problem naming the
field, never a 500."""

import json
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from accounts.models import OutOfOffice
from funnel.routing.absences import absence_set
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/out-of-office/"
PROBLEM = "application/problem+json"


def iso(moment) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def period(now):
    return {"starts_at": iso(now - timedelta(hours=1)), "ends_at": iso(now + timedelta(days=3))}


def set_for(people, who, now, days_ahead=0):
    start = now + timedelta(days=days_ahead)
    return absence_set(actor=people["admin"], user=people[who], starts_at=start, ends_at=start + timedelta(days=1))


def utc(moment) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def errors_of(response) -> dict:
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM), response.content[:300]
    return response.json()["errors"]


# --- create ---------------------------------------------------------------------------------------------


def test_a_person_sets_their_own_by_default(people, api, period):
    response = api(people["rep"]).post(URL, {**period, "delegate": people["rep2"].pk, "note": "Conference"})
    assert response.status_code == 201
    body = response.json()
    assert (body["user"], body["user_name"], body["delegate"], body["delegate_name"]) == (
        people["rep"].pk,
        "rep",
        people["rep2"].pk,
        "rep2",
    )
    assert (body["set_by"], body["note"], body["in_force"]) == (people["rep"].pk, "Conference", True)
    assert body["rerouted_at"] is not None  # in force: the handoffs waiting (none here) were handed on at once


def test_a_manager_sets_one_for_a_report_and_a_colleague_may_not(people, api, period):
    made = api(people["sales_manager"]).post(URL, {**period, "user": people["rep"].pk})
    assert (made.status_code, made.json()["user"], made.json()["set_by"]) == (
        201,
        people["rep"].pk,
        people["sales_manager"].pk,
    )
    refused = api(people["rep2"]).post(URL, {**period, "user": people["marketer"].pk})
    assert (refused.status_code, refused["Content-Type"], refused.json()["code"]) == (403, PROBLEM, "not_allowed")
    assert OutOfOffice.objects.count() == 1


def test_service_refusals_are_400_naming_the_field(people, api, now, period):
    client = api(people["rep"])
    backwards = {"starts_at": iso(now + timedelta(days=2)), "ends_at": iso(now + timedelta(days=1))}
    assert errors_of(client.post(URL, backwards)) == {"ends_at": ["The out-of-office must end after it starts."]}
    theirs = set_for(people, "rep2", now)
    assert errors_of(client.post(URL, {**period, "delegate": people["rep2"].pk})) == {
        "delegate": [f"rep2 is out of office too, from {utc(theirs.starts_at)} to {utc(theirs.ends_at)}."]
    }
    loner = UserFactory(username="loner", team=None)
    assert errors_of(client.post(URL, {**period, "delegate": loner.pk})) == {
        "delegate": ["loner is not an active person who can own leads."]
    }


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "2026-13-45T10:00:00Z"),
        ("starts_at", "yesterday-ish"),
        ("ends_at", "2027-01-01T10:00:00+19:00"),
        ("ends_at", "9999-12-31T23:30:00-12:00"),
        ("ends_at", "x" * 100_000),
        ("note", "x" * 100_000),
        ("note", "back\x00soon"),
        ("delegate", "abc"),
        ("delegate", 10**30),
        ("user", "abc"),
        ("user", -1),
        ("user", [1]),
    ],
)
def test_bad_input_is_a_400_naming_the_field(people, api, period, field, value):
    response = api(people["sales_manager"]).post(URL, {**period, field: value})
    assert list(errors_of(response)) == [field]
    assert OutOfOffice.objects.count() == 0


def test_a_missing_period_names_both_ends(people, api):
    assert set(errors_of(api(people["rep"]).post(URL, {}))) == {"starts_at", "ends_at"}


def test_json_nested_5000_deep_is_a_400(people, client_for, period):
    nested = "[" * 5000 + "]" * 5000
    body = f'{{"note": {nested}, "starts_at": "{period["starts_at"]}", "ends_at": "{period["ends_at"]}"}}'
    response = client_for(people["rep"]).post(URL, body, content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    json.loads(response.content)  # a problem document, not a traceback


def test_a_person_with_no_team_sets_their_own(api, period, people):
    loner = UserFactory(username="loner", team=None)
    response = api(loner).post(URL, {**period, "delegate": people["rep"].pk})
    assert (response.status_code, response.json()["user"]) == (201, loner.pk)


# --- visibility -----------------------------------------------------------------------------------------


def test_each_sees_their_own_managers_their_reports_leaders_and_admins_all(people, api, now):
    for number, who in enumerate(("rep", "rep2", "marketer", "sales_manager")):
        set_for(people, who, now, days_ahead=number)

    def seen(who, query=""):
        results = api(people[who]).get(URL + query).json()["results"]
        return sorted(row["user_name"] for row in results)

    assert seen("rep") == ["rep"]
    assert seen("sales_manager") == ["rep", "rep2", "salesmgr"]
    assert seen("marketing_manager") == ["marketer"]
    assert seen("leader") == seen("admin") == ["marketer", "rep", "rep2", "salesmgr"]
    assert seen("leader", f"?user={people['rep2'].pk}") == ["rep2"]
    assert seen("rep", f"?user={people['rep2'].pk}") == []


def test_the_filters_refuse_what_is_not_an_id(people, api):
    assert list(errors_of(api(people["rep"]).get(URL + "?user=abc"))) == ["user"]
    assert list(errors_of(api(people["rep"]).get(URL + f"?user={10**30}"))) == ["user"]


def test_current_lists_those_not_over(people, api, now):
    over = set_for(people, "rep", now)
    OutOfOffice.objects.filter(pk=over.pk).update(starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=4))
    ahead = set_for(people, "rep", now, days_ahead=2)
    client = api(people["rep"])
    assert [row["id"] for row in client.get(URL + "?current=true").json()["results"]] == [ahead.pk]
    assert [row["id"] for row in client.get(URL + "?current=false").json()["results"]] == [over.pk]


def test_current_is_true_or_false(people, api):
    assert errors_of(api(people["rep"]).get(URL + "?current=maybe")) == {"current": ["true or false."]}


def test_retrieve_shows_only_what_one_may_see(people, api, now):
    absence = set_for(people, "rep", now)
    assert api(people["sales_manager"]).get(f"{URL}{absence.pk}/").json()["user"] == people["rep"].pk
    hidden = api(people["rep2"]).get(f"{URL}{absence.pk}/")
    assert (hidden.status_code, hidden["Content-Type"]) == (404, PROBLEM)
    assert api(people["rep"]).get(f"{URL}abc/").status_code == 404


def test_the_list_costs_the_same_queries_for_one_absence_or_twenty(people, api, now, django_assert_max_num_queries):
    client = api(people["admin"])
    set_for(people, "rep", now)
    with django_assert_max_num_queries(20) as one:
        client.get(URL)
    for number in range(1, 20):
        person = UserFactory(username=f"away{number}", team=people["rep"].team)
        absence_set(actor=people["admin"], user=person, starts_at=now, ends_at=now + timedelta(days=1))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 20


# --- end ------------------------------------------------------------------------------------------------


def test_ending_one_in_force_returns_it_shortened(people, api, now):
    absence = set_for(people, "rep", now)
    response = api(people["rep"]).post(f"{URL}{absence.pk}/end/")
    assert (response.status_code, response.json()["in_force"]) == (200, False)
    ended = OutOfOffice.objects.get(pk=absence.pk).ends_at
    assert now < ended <= timezone.now()
    assert response.json()["ends_at"] == iso(ended)


def test_ending_one_ahead_removes_it(people, api, now):
    absence = set_for(people, "rep", now, days_ahead=3)
    assert api(people["sales_manager"]).post(f"{URL}{absence.pk}/end/").status_code == 204
    assert not OutOfOffice.objects.filter(pk=absence.pk).exists()


def test_ending_someone_elses_is_404_or_403(people, api, now):
    absence = set_for(people, "rep", now)
    assert api(people["rep2"]).post(f"{URL}{absence.pk}/end/").status_code == 404  # not theirs to see
    assert api(people["rep"]).post(f"{URL}abc/end/").status_code == 404


def test_the_schema_documents_the_endpoints(people, client_for):
    schema = client_for(people["rep"]).get("/api/schema/?format=json").json()
    assert {"/api/v1/out-of-office/", "/api/v1/out-of-office/{id}/", "/api/v1/out-of-office/{id}/end/"} <= set(
        schema["paths"]
    )
    end = schema["paths"]["/api/v1/out-of-office/{id}/end/"]["post"]["responses"]
    assert {"200", "204", "403", "404"} <= set(end)
    create = schema["paths"]["/api/v1/out-of-office/"]["post"]
    assert {"201", "400", "403"} <= set(create["responses"])
