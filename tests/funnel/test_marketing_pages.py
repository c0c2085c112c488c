"""The marketing pages as people use them: campaigns, scoring, collateral and the lead's score and touches."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Campaign, CampaignSpend, CollateralVersion, Touch
from leads.models import ScoringModelVersion
from leads.scoring.services import lead_scores_refresh, scoring_version_propose, scoring_version_sign_off

pytestmark = pytest.mark.django_db
ENGAGEMENT = [{"kind": "form_fill", "points": 40, "half_life_days": 30, "cap": 60}]


@pytest.fixture
def world(people, make_lead):
    campaign = Campaign.objects.create(
        name="Spring webinar", channel="webinar", owner=people["marketer"], budget=Decimal("5000")
    )
    CampaignSpend.objects.create(
        campaign=campaign,
        spent_on=timezone.localdate(),
        amount=Decimal("1250"),
        currency="USD",
        recorded_by=people["marketer"],
    )
    lead = make_lead(owner=people["rep"], title="CFO")
    Touch.objects.create(
        lead=lead,
        campaign=campaign,
        kind="form_fill",
        occurred_at=timezone.now() - timedelta(days=1),
        recorded_by=people["integration"],
    )
    version = scoring_version_propose(
        user=people["marketer"],
        fit_rules=[{"label": "Finance chief", "when": {"field": "title", "op": "eq", "value": "CFO"}, "points": 30}],
        engagement_rules=ENGAGEMENT,
    )
    scoring_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    scoring_version_sign_off(version_id=version.pk, user=people["sales_manager"])
    lead_scores_refresh()
    return {"campaign": campaign, "lead": lead}


def test_the_campaign_list_shows_spend_against_budget(client, people, world):
    client.force_login(people["marketer"])
    page = client.get(reverse("campaign-list")).content.decode()
    assert "Spring webinar" in page and "$1,250" in page and "of $5,000" in page


def test_a_marketer_plans_a_campaign_and_a_bad_one_is_refused_naming_the_field(client, people):
    client.force_login(people["marketer"])
    fields = {"name": "Autumn", "channel": "email", "currency": "USD", "starts_on": "2026-09-01"}
    refused = client.post(reverse("campaign-create"), {**fields, "ends_on": "2026-08-01"})
    assert refused.status_code == 400
    assert "before it starts" in refused.content.decode()
    created = client.post(reverse("campaign-create"), {**fields, "ends_on": "2026-10-01"})
    assert created.status_code == 302
    assert Campaign.objects.get(name="Autumn").owner == people["marketer"]


def test_the_campaign_page_records_spend_and_the_sales_preview(client, people, world):
    campaign = world["campaign"]
    client.force_login(people["marketer"])
    page = client.get(reverse("campaign-detail", args=[campaign.pk])).content.decode()
    assert "Touches per week" in page and "by attribution model" in page
    bad = client.post(reverse("campaign-spend", args=[campaign.pk]), {"spent_on": "2026-01-01", "amount": "-3"})
    assert bad.status_code == 400 and "more than 0" in bad.content.decode()
    client.post(reverse("campaign-step", args=[campaign.pk, "submit"]))
    client.force_login(people["sales_manager"])
    client.post(reverse("campaign-preview", args=[campaign.pk]), {"decision": "approved", "comments": "Go"})
    campaign.refresh_from_db()
    assert campaign.status == "active"
    assert client.post(f"/campaigns/{campaign.pk}/explode/").status_code == 404


def test_the_lead_page_explains_the_score_line_by_line_and_lists_touches(client, people, world):
    client.force_login(people["rep"])
    page = client.get(reverse("lead-detail", args=[world["lead"].pk])).content.decode()
    assert "Finance chief" in page and "30.00" in page
    assert "Form fill" in page and "Spring webinar" in page


def test_the_scoring_page_proposes_a_version_row_by_row_and_previews_it(client, people, world):
    client.force_login(people["marketer"])
    page = client.get(reverse("scoring")).content.decode()
    assert "Finance chief" in page and "Leads by score" in page
    rows = {
        "fit-TOTAL_FORMS": "2",
        "fit-INITIAL_FORMS": "0",
        "fit-0-label": "Big company",
        "fit-0-field": "employees",
        "fit-0-op": "gte",
        "fit-0-value": "500",
        "fit-0-points": "25",
        "fit-1-field": "segment",
        "fit-1-op": "in",
        "fit-1-value": "enterprise, mid_market",
        "fit-1-points": "10",
        "engagement-TOTAL_FORMS": "1",
        "engagement-INITIAL_FORMS": "0",
        "engagement-0-kind": "form_fill",
        "engagement-0-points": "50",
        "engagement-0-half_life_days": "14",
        "engagement-0-cap": "60",
    }
    response = client.post(reverse("scoring-propose"), rows)
    assert response.status_code == 302
    version = ScoringModelVersion.objects.get(status="proposed")
    assert version.fit_rules[1]["when"] == {"field": "segment", "op": "in", "value": ["enterprise", "mid_market"]}
    preview = client.get(reverse("scoring"), {"preview": version.pk}).content.decode()
    assert "What it would change" in preview
    bad = client.post(reverse("scoring-propose"), {**rows, "fit-0-value": "many"})
    assert bad.status_code == 400 and "fit_rules[0].when.value" in bad.content.decode()


def test_the_collateral_page_runs_the_review_gate(client, people):
    client.force_login(people["marketer"])
    client.post(
        reverse("collateral-create"),
        {"title": "ROI case study", "kind": "case_study", "link": "https://docs.example/roi", "stages": ["evaluation"]},
    )
    version = CollateralVersion.objects.get()
    client.post(reverse("collateral-release", args=[version.pk]))
    assert CollateralVersion.objects.get().status == "in_review"
    client.force_login(people["rep"])
    assert "ROI case study v1" in client.get(reverse("collateral")).content.decode()
    client.post(reverse("collateral-review", args=[version.pk]), {"decision": "approved"})
    client.force_login(people["marketer"])
    client.post(reverse("collateral-release", args=[version.pk]))
    assert CollateralVersion.objects.get().status == "released"


def test_the_campaign_list_reads_a_report_the_job_refreshes(client, people, world):
    from funnel.tasks import campaign_performance_refresh

    client.force_login(people["marketer"])
    first = client.get(reverse("campaign-list")).context["rows"]
    assert [p.leads for _, p, _ in first] == [1]
    Touch.objects.create(
        lead=world["lead"],
        campaign=world["campaign"],
        kind="visit",
        occurred_at=timezone.now(),
        recorded_by=people["integration"],
    )
    other = Campaign.objects.create(name="Zeta", channel="email")
    Touch.objects.create(
        lead=world["lead"], campaign=other, kind="visit", occurred_at=timezone.now(), recorded_by=people["admin"]
    )
    cached = client.get(reverse("campaign-list")).context["rows"]
    assert [(c.name, p.leads if p else None) for c, p, _ in cached] == [("Spring webinar", 1), ("Zeta", None)]
    assert campaign_performance_refresh() == 2 * 7  # two campaigns under each of the seven models
    fresh = client.get(reverse("campaign-list")).context["rows"]
    assert [(c.name, p.leads) for c, p, _ in fresh] == [("Spring webinar", 1), ("Zeta", 1)]
