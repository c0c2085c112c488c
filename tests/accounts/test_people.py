import pytest
from django.db import IntegrityError

from accounts.models import Team, User
from accounts.selectors import user_subtree_ids

pytestmark = pytest.mark.django_db


def test_manager_subtree_includes_indirect_reports(people):
    ids = set(user_subtree_ids(user=people["leader"]))
    expected = {p.pk for key, p in people.items() if key not in {"admin", "integration"}}
    assert ids == expected
    assert set(user_subtree_ids(user=people["sales_manager"])) == {
        people[k].pk for k in ("sales_manager", "rep", "rep2", "sdr")
    }
    assert user_subtree_ids(user=people["rep"]) == [people["rep"].pk]


def test_database_refuses_unknown_role_and_function(people):
    with pytest.raises(IntegrityError):
        User.objects.filter(pk=people["rep"].pk).update(role="wizard")


def test_database_refuses_unknown_team_function(teams):
    with pytest.raises(IntegrityError):
        Team.objects.filter(pk=teams["sales"].pk).update(function="finance")


def test_user_function_follows_team(people):
    assert people["rep"].function == "sales"
    assert people["marketer"].function == "marketing"
    assert people["sales_manager"].is_manager and not people["rep"].is_manager


def test_every_model_is_in_the_admin():
    from django.apps import apps
    from django.contrib import admin

    ours = [m for m in apps.get_models() if m._meta.app_label in {"accounts", "integrations", "crm", "leads", "funnel"}]
    missing = [m.__name__ for m in ours if m not in admin.site._registry]
    assert missing == []


def test_me_endpoint_returns_role_team_and_manager(client_for, people):
    body = client_for(people["rep"]).get("/api/v1/me/").json()
    assert body["role"] == "sales_rep"
    assert body["team"] == people["rep"].team_id
    assert body["manager"] == people["sales_manager"].pk
    assert body["function"] == "sales"
