"""Sales expense entries: who records them for which team, and the 400s naming the field for bad input."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.choices import Function, Role
from config.errors import NotAllowed
from funnel.metrics.expenses import expense_teams, sales_expense_delete, sales_expense_record
from funnel.metrics.models import SalesExpense
from tests.accounts.factories import TeamFactory, UserFactory

DAY = date(2026, 3, 5)


def record(user, team, **more):
    return sales_expense_record(user=user, team_id=team.pk, spent_on=more.pop("spent_on", DAY),
                                amount=Decimal(more.pop("amount", "1200.50")), **more)  # fmt: skip


def test_managers_record_for_their_teams_leaders_and_admins_for_any_others_never(people, teams):
    east = TeamFactory(name="Sales East", function=Function.SALES)
    other_manager = UserFactory(username="eastmgr", role=Role.SALES_MANAGER, team=east)
    east.manager = other_manager
    east.save()
    manager = people["sales_manager"]
    assert set(expense_teams(user=manager)) == {teams["sales"]}
    mine = record(manager, teams["sales"], category="Travel", note="  Client visits  ")
    assert (mine.amount, mine.currency, mine.note, mine.recorded_by) == (
        Decimal("1200.50"),
        "USD",
        "Client visits",
        manager,
    )
    with pytest.raises(NotAllowed):
        record(manager, east)
    assert record(people["leader"], east, currency="EUR").team == east
    assert record(people["admin"], east).team == east
    for role in ("rep", "marketer", "marketing_manager", "sdr"):
        with pytest.raises(NotAllowed):
            record(people[role], teams["sales"])
    with pytest.raises(NotAllowed):
        sales_expense_delete(user=other_manager, expense_id=mine.pk)
    sales_expense_delete(user=manager, expense_id=mine.pk)
    assert SalesExpense.objects.filter(pk=mine.pk).exists() is False
    with pytest.raises(SalesExpense.DoesNotExist):
        sales_expense_delete(user=manager, expense_id=mine.pk)
    with pytest.raises(ValidationError) as refused:
        record(manager, teams["marketing"])
    assert "team" in refused.value.message_dict


def test_the_api_lists_by_team_and_dates_and_refuses_bad_input_naming_the_field(people, teams, client_for):
    api = client_for(people["sales_manager"])
    url = "/api/v1/sales-expenses/"
    good = {"team": teams["sales"].pk, "spent_on": "2026-03-05", "amount": "900.00", "currency": "EUR"}
    created = api.post(url, good, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["amount"], created.json()["team_name"]) == ("900.00", "Sales")
    api.post(url, {**good, "spent_on": "2026-01-10", "amount": "50"}, format="json")
    for bad, field in [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"note": "x" * 100_000}, "note"),
        ({"note": "a\x00b"}, "note"),
        ({"spent_on": "0001-01-01"}, "spent_on"),
        ({"spent_on": "9999-12-31"}, "spent_on"),
        ({"spent_on": "nonsense"}, "spent_on"),
        ({"currency": "usd"}, "currency"),
        ({"team": "abc"}, "team"),
        ({"team": 10**30}, "team"),
    ]:
        response = api.post(url, {**good, **bad}, format="json")
        assert response.status_code == 400, (bad, response.json())
        assert field in str(response.json()), (bad, response.json())
    assert api.post(url, {**good, "team": teams["marketing"].pk}, format="json").status_code == 400
    rep = client_for(people["rep"])
    assert rep.post(url, good, format="json").status_code == 403
    listed = rep.get(url, {"team": teams["sales"].pk, "from": "2026-03-01", "to": "2026-03-31"}).json()["results"]
    assert [row["amount"] for row in listed] == ["900.00"]
    assert len(rep.get(url).json()["results"]) == 2
    assert rep.get(url, {"from": "not-a-date"}).status_code == 400
    backwards = rep.get(url, {"from": "2026-03-31", "to": "2026-03-01"})
    assert (backwards.status_code, backwards.json()["errors"]["to"]) == (
        400,
        ["The range ends (2026-03-01) before it starts (2026-03-31)."],
    )
    assert rep.delete(f"{url}{created.json()['id']}/").status_code == 403
    assert api.delete(f"{url}{created.json()['id']}/").status_code == 204
