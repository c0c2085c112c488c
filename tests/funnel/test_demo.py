"""The demo tells the stories it promises: run it twice, check the numbers its lines quote."""

from decimal import Decimal

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
    # Every customer a campaign sourced came in through that campaign's touch, before buying: none is left out
    # of marketing-sourced revenue and campaign return.
    for purchase in Purchase.objects.filter(lead__source_campaign__isnull=False).select_related("lead"):
        lead = purchase.lead
        came_in = Touch.objects.filter(
            lead=lead, campaign=lead.source_campaign_id, occurred_at__lte=purchase.purchased_at
        )
        assert came_in.exists(), (lead.pk, lead.last_name)
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
    year = _metric_year()
    call_command("demo_data")
    assert Touch.objects.count() == touches
    assert _metric_year() == year  # the year and its snapshots are added once


def _metric_year() -> tuple[int, int, int]:
    """Checks the joint-metrics year (funnel.demo_metrics) and returns what a second run must leave alone."""
    from django.db.models.functions import TruncMonth

    from funnel.demo_metrics_plan import slipped_month
    from funnel.metrics.models import MetricSnapshot, MetricValue

    purchases = Purchase.objects.annotate(month=TruncMonth("purchased_at"))
    assert purchases.count() >= 25 and purchases.values("month").distinct().count() >= 10
    months = MetricSnapshot.objects.filter(period_kind="month")
    assert months.count() >= 12 and MetricSnapshot.objects.filter(period_kind="week").count() >= 52
    sla = dict(
        MetricValue.objects.filter(
            snapshot__in=months, metric="sla_accept_compliance", dimension="all", stage="", to_stage=""
        ).values_list("snapshot__period_start", "value")
    )
    loaded_on = MetricSnapshot.objects.get(period_kind="day").period_start  # the day the year ends, even past midnight
    slipped = slipped_month(loaded_on).start  # the month before last
    assert len(sla) >= 10 and sla[slipped] < Decimal("0.75") and max(sla.values()) > Decimal("0.85")
    assert MetricValue.objects.filter(metric="cost_per_customer", dimension="all", value__gt=0).exists()
    return Lead.objects.count(), MetricSnapshot.objects.count(), MetricValue.objects.count()


def test_the_demo_builds_a_sales_year_whose_digest_agenda_and_directory_tell_its_story(funnel_defaults, capsys):
    from django.utils import timezone

    from crm.models import AccountReview, ActionItem, CallReport, CallReportTag, Company, Responsibility, Tag
    from funnel.insight.models import Digest, DigestCount
    from funnel.meetings.models import AgendaItem, JointMeeting

    call_command("demo_data", "--without-metric-year")  # the metric year is the first test's
    out = capsys.readouterr().out
    reports = CallReport.objects.count()
    assert reports > 700 and CallReportTag.objects.count() > 2 * reports
    assert Tag.objects.get(kind="competitor", slug="zoho").status == "suggested"  # a rep's suggestion to curate
    assert Company.objects.filter(is_key_account=True, key_account_tier=1).count() == 2
    # The digest surfaces the recurring objection and competitor; the suggested term is never counted.
    digest = Digest.objects.filter(period_kind="week").order_by("-period_start").first()
    top = DigestCount.objects.filter(digest=digest, dimension="all", tag__kind="objection").order_by("-count")[0]
    assert f"leads with {top.tag.label} ({top.count} times)" in out
    assert not DigestCount.objects.filter(tag__slug="zoho").exists()
    # An overdue action item from Northwind's review, and the Acme review old enough to be on the agenda.
    overdue = ActionItem.objects.get(title="Draft the Rotterdam case study")
    assert overdue.status == "open" and overdue.due_on < timezone.localdate()
    assert AccountReview.objects.count() == 2
    upcoming = JointMeeting.objects.order_by("-held_on").first()
    kinds = set(AgendaItem.objects.filter(meeting=upcoming).values_list("kind", flat=True))
    assert {"carried_action", "opportunity", "objection", "competitor", "unreviewed_account"} <= kinds
    carried = AgendaItem.objects.get(meeting=upcoming, kind="carried_action")
    assert carried.action_item.title == "Refresh the price objection handling sheet"
    assert Responsibility.objects.count() == 8
    call_command("demo_data", "--without-metric-year")
    assert CallReport.objects.count() == reports and Responsibility.objects.count() == 8
