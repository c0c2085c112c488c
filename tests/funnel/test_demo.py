"""The demo tells the stories it promises: run it twice, check the numbers its lines quote."""

import pytest
from django.core.management import call_command

from crm.models import Campaign, CampaignSpend, CollateralVersion, Touch
from funnel.attribution.models import AttributionCredit, Purchase
from funnel.attribution.selectors import campaign_performance
from leads.models import Lead, LeadScore, ScoringModelVersion

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_builds_a_marketing_year_that_tells_its_story_and_a_second_run_adds_nothing(funnel_defaults, capsys):
    call_command("demo_data")
    out = capsys.readouterr().out
    channels = set(Campaign.objects.values_list("channel", flat=True))
    assert len(channels) == 10  # a campaign of every channel
    assert CampaignSpend.objects.count() > 30
    rows = {row.name: row for row in campaign_performance(model="linear")}
    assert 4.5 <= rows["Logistics Summit Berlin"].return_on_spend <= 5.5  # "pays back five times"
    assert rows["LinkedIn awareness ads"].revenue == 0 and rows["LinkedIn awareness ads"].spend > 0
    assert f"returned {rows['Logistics Summit Berlin'].return_on_spend}×" in out
    assert Purchase.objects.count() >= 9 and AttributionCredit.objects.exists()
    assert LeadScore.objects.count() == Lead.objects.count()
    assert Lead.objects.get(email="dana.haddad@cedarhealth.example").score < 40  # the story's refused move holds
    assert list(ScoringModelVersion.objects.order_by("number").values_list("status", flat=True)) == [
        "active",
        "proposed",
    ]
    assert set(CollateralVersion.objects.values_list("status", flat=True)) == {
        "released",
        "changes_requested",
        "in_review",
    }
    touches = Touch.objects.count()
    call_command("demo_data")
    assert Touch.objects.count() == touches
