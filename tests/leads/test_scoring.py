"""Lead scoring: decay, explanations that sum to the score, and the set-based recompute agreeing with them."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from crm.models import Campaign, Company, Touch
from leads.models import Lead, LeadScore, LeadScoreChange, ScoringModelVersion
from leads.scoring import rules
from leads.scoring.services import (
    lead_score_explain,
    lead_scores_refresh,
    scoring_version_propose,
    scoring_version_sign_off,
)

pytestmark = pytest.mark.django_db
AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FIT = [
    {"label": "Enterprise", "when": {"field": "segment", "op": "eq", "value": "enterprise"}, "points": 40},
    {"when": {"field": "employees", "op": "gte", "value": 500}, "points": 30},
    {"when": {"field": "title", "op": "in", "value": ["CFO", "COO"]}, "points": 20},
    {"label": "Student", "when": {"field": "email", "op": "absent"}, "points": -15},
    {"when": {"facts": ["budget", "need"], "at_least": 1}, "points": 10},
]
# The company's own fields, with and without a linked company (key_account is unknown without one).
COMPANY_FIT = [
    {"label": "Key account", "when": {"field": "key_account", "op": "is_true"}, "points": 25},
    {"when": {"field": "key_account", "op": "absent"}, "points": -5},
    {"when": {"field": "size_band", "op": "in", "value": ["201-1000", "1001-5000"]}, "points": 10},
]
ENGAGEMENT = [
    {"kind": "form_fill", "points": 40, "half_life_days": 10, "cap": 60},
    {"kind": "visit", "points": 3, "half_life_days": 30, "cap": 15},
    {"kind": "email_open", "points": 1, "half_life_days": None, "cap": 5},
    {"kind": "ad_click", "points": -7, "half_life_days": 7, "cap": 10},
]


def test_a_touch_n_half_lives_old_counts_one_over_two_to_the_n():
    for n in range(6):
        age = timedelta(days=10 * n).total_seconds()
        assert rules.decayed(40, Decimal(1), age, 10) == rules.round_cents(Decimal(40) / 2**n)
    assert rules.decayed(40, Decimal("1.5"), timedelta(days=20).total_seconds(), 10) == Decimal("15.00")
    assert rules.decayed(3, Decimal(1), 10**9, None) == Decimal("3.00")  # no half-life: no decay


def _fact(id_, kind, days_before, weight="1"):
    return rules.TouchFact(id_, kind, AS_OF - timedelta(days=days_before), Decimal(weight))


def test_the_explanation_lists_every_rule_touch_and_adjustment_and_sums_exactly_to_the_score():
    lead = {"segment": "enterprise", "employees": 800, "title": "CFO", "email": "x@y.example", "has_budget": True}
    touches = [_fact(1, "form_fill", 0), _fact(2, "form_fill", 10), _fact(3, "visit", 3), _fact(4, "ad_click", 7)]
    explained = rules.explain(fit_rules=FIT, engagement_rules=ENGAGEMENT, lead=lead, touches=touches, as_of=AS_OF)
    # Fit: 40 + 30 + 20 + 10 = 100. Engagement: form fills 40 + 20 = 60 (at the cap); a visit 3 days into a
    # 30-day half-life is 3 * 2^-0.1 = 2.80; an ad click one half-life old is -3.50. 60 + 2.80 - 3.50 = 59.30.
    assert (explained.fit, explained.engagement) == (Decimal(100), Decimal("59.30"))
    assert [(line.part, line.points) for line in explained.lines] == [
        ("fit", Decimal(40)),
        ("fit", Decimal(30)),
        ("fit", Decimal(20)),
        ("fit", Decimal(10)),
        ("engagement", Decimal("20.00")),  # oldest first
        ("engagement", Decimal("-3.50")),
        ("engagement", Decimal("2.80")),
        ("engagement", Decimal("40.00")),
        ("adjustment", Decimal("-59.30")),  # the score is held to 100
    ]
    assert (explained.total, explained.score, explained.grade) == (Decimal(100), 100, "A2")
    assert sum(line.points for line in explained.lines) == explained.score


def test_a_cap_and_the_rounding_are_lines_of_their_own():
    touches = [_fact(n, "visit", 0) for n in range(6)] + [_fact(9, "email_open", 1)]
    lead = {"email": ""}
    explained = rules.explain(fit_rules=FIT, engagement_rules=ENGAGEMENT, lead=lead, touches=touches, as_of=AS_OF)
    labels = [line.label for line in explained.lines if line.part == "adjustment"]
    # Six visits are 18 points, capped at 15; the student rule's -15 holds fit at 0.
    assert labels == ["Fit held to 0–100", "Website visit capped at ±15"]
    assert (explained.fit, explained.engagement, explained.score, explained.grade) == (0, 16, 16, "D4")
    assert sum(line.points for line in explained.lines) == explained.score
    half = rules.explain(
        fit_rules=[],
        engagement_rules=[{"kind": "visit", "points": 3, "half_life_days": 1, "cap": 15}],
        lead={},
        touches=[_fact(1, "visit", 1)],
        as_of=AS_OF,
    )
    assert [line.label for line in half.lines][-1] == "Rounded to a whole score"
    assert (half.total, half.score) == (Decimal("1.50"), 2)
    assert sum(line.points for line in half.lines) == 2


@pytest.mark.parametrize(
    ("fit_rules", "engagement_rules", "problem"),
    [
        ([{"when": {"field": "shoe_size", "op": "eq", "value": 9}, "points": 5}], [], "fit_rules[0].when.field"),
        ([{"when": {"field": "score", "op": "gte", "value": 9}, "points": 5}], [], "fit_rules[0].when.field"),
        ([{"when": {"field": "title", "op": "present"}, "points": 500}], [], "fit_rules[0].points"),
        ([], [{"kind": "telepathy", "points": 1, "half_life_days": 1, "cap": 1}], "engagement_rules[0].kind"),
        ([], [{"kind": "visit", "points": 1, "half_life_days": 0, "cap": 1}], "engagement_rules[0].half_life_days"),
        ([], [{"kind": "visit", "points": 1, "half_life_days": None, "cap": 101}], "engagement_rules[0].cap"),
        (
            [],
            [{"kind": "visit", "points": 1, "half_life_days": None, "cap": 1}] * 2,
            "engagement_rules[1].kind",
        ),
    ],
)
def test_a_model_with_a_bad_rule_is_refused_naming_where(people, fit_rules, engagement_rules, problem):
    with pytest.raises(ValidationError) as refused:
        scoring_version_propose(user=people["marketer"], fit_rules=fit_rules, engagement_rules=engagement_rules)
    assert any(message.startswith(problem) for message in refused.value.message_dict["rules"])
    assert not ScoringModelVersion.objects.exists()


def _activate(people, fit_rules=FIT, engagement_rules=ENGAGEMENT):
    version = scoring_version_propose(user=people["marketer"], fit_rules=fit_rules, engagement_rules=engagement_rules)
    scoring_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    return scoring_version_sign_off(version_id=version.pk, user=people["sales_manager"])


def _random_world(people, make_lead, seed: int, leads: int = 60):
    rng = random.Random(seed)
    campaign = Campaign.objects.create(name="Everything", channel="content", requires_sales_preview=False)
    companies = [
        Company.objects.create(
            name=f"Co {n}",
            domain=f"co{n}.example",
            segment=rng.choice(["", "enterprise", "smb"]),
            employees=rng.choice([None, 40, 500, 5000]),
        )
        for n in range(5)
    ]
    banded = random.Random(seed + 1000)  # its own stream: the draws above and below stay what they were
    for company in companies:
        company.size_band = banded.choice(["", "11-50", "201-1000", "1001-5000"])
        company.is_key_account = banded.random() < 0.4
        company.key_account_tier = 1 if company.is_key_account else None
        company.save(update_fields=["size_band", "is_key_account", "key_account_tier"])
    created = []
    for n in range(leads):
        lead = make_lead(
            email=rng.choice(["", f"r{n}@x{n}.example"]),
            title=rng.choice(["", "CFO", "COO", "Intern"]),
            segment=rng.choice(["", "enterprise", "mid_market"]),
        )
        Lead.objects.filter(pk=lead.pk).update(
            company=rng.choice([None, *companies]),
            has_budget=rng.choice([None, True, False]),
            has_need=rng.choice([None, True, False]),
        )
        created.append(lead)
    kinds = ["form_fill", "visit", "email_open", "ad_click", "download"]
    Touch.objects.bulk_create(
        Touch(
            lead=rng.choice(created),
            campaign=campaign,
            kind=rng.choice(kinds),
            occurred_at=AS_OF - timedelta(seconds=rng.randrange(0, 200 * 86400)),
            weight=Decimal(rng.choice(["1", "0.5", "2.25", "1.33"])),
            recorded_by=people["integration"],
        )
        for _ in range(leads * 6)
    )
    return created


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_set_based_recompute_gives_every_lead_its_explanation_and_rerunning_changes_nothing(
    people, make_lead, seed, django_capture_on_commit_callbacks
):
    created = _random_world(people, make_lead, seed)
    _activate(people, fit_rules=FIT + COMPANY_FIT)
    scored, changes = lead_scores_refresh(as_of=AS_OF, cause="recompute")
    assert scored == Lead.objects.count() == len(created)
    assert len(changes) == len(created)  # every lead gets its first score: each is history
    for lead in Lead.objects.select_related("company"):
        explained = lead_score_explain(lead=lead)
        stored = LeadScore.objects.get(lead=lead)
        assert (stored.fit, stored.engagement, stored.total, stored.grade) == (
            explained.fit,
            explained.engagement,
            explained.total,
            explained.grade,
        ), lead.pk
        assert lead.score == explained.score == sum(line.points for line in explained.lines)
    history = LeadScoreChange.objects.count()
    before = list(LeadScore.objects.order_by("lead").values_list("lead", "total", "grade"))
    assert lead_scores_refresh(as_of=AS_OF, cause="recompute") == (len(created), [])
    assert list(LeadScore.objects.order_by("lead").values_list("lead", "total", "grade")) == before
    assert LeadScoreChange.objects.count() == history


def test_a_later_recompute_lets_engagement_decay_and_keeps_the_history(people, make_lead):
    lead = make_lead()
    campaign = Campaign.objects.create(name="Webinar", channel="webinar")
    Touch.objects.create(lead=lead, campaign=campaign, kind="form_fill", occurred_at=AS_OF, recorded_by=people["admin"])
    _activate(people, fit_rules=[], engagement_rules=ENGAGEMENT)
    lead_scores_refresh(as_of=AS_OF)
    lead_scores_refresh(as_of=AS_OF + timedelta(days=10))
    lead_scores_refresh(as_of=AS_OF + timedelta(days=20))
    assert list(LeadScoreChange.objects.order_by("changed_at").values_list("score_before", "score_after")) == [
        (None, 40),
        (40, 20),
        (20, 10),
    ]
    lead.refresh_from_db()
    assert lead.score == 10


def test_without_an_active_version_nothing_is_scored(make_lead):
    make_lead()
    assert lead_scores_refresh() == (0, [])
    assert not LeadScore.objects.exists()


def test_a_version_is_used_only_after_both_sides_sign_and_activation_rescores_everyone(
    people, make_lead, django_capture_on_commit_callbacks
):
    lead = make_lead(title="CFO")
    version = scoring_version_propose(user=people["marketer"], fit_rules=FIT, engagement_rules=[])
    scoring_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    assert lead_scores_refresh() == (0, [])  # a proposal is never used
    with django_capture_on_commit_callbacks(execute=True):
        version = scoring_version_sign_off(version_id=version.pk, user=people["sales_manager"])
    assert version.status == "active"
    lead.refresh_from_db()
    assert (lead.score, LeadScore.objects.get(lead=lead).grade) == (20, "D4")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_leadscorechange WHERE cause = 'activation'")
        assert cursor.fetchone()[0] == 1
    assert timezone.now() >= LeadScore.objects.get(lead=lead).scored_at


def test_the_preview_counts_match_a_direct_count_lead_by_lead(people, make_lead, signed):
    from funnel.simulation.scoring import scoring_version_preview
    from leads import criteria

    _random_world(people, make_lead, seed=11, leads=80)
    signed("MQL", {"conditions": [{"field": "score", "op": "gte", "value": 30}]})
    signed("SQL", {"conditions": [{"field": "score", "op": "gte", "value": 60}, {"field": "title", "op": "present"}]})
    _activate(people, fit_rules=FIT[:2], engagement_rules=ENGAGEMENT[:1])
    lead_scores_refresh(as_of=AS_OF)
    proposed = scoring_version_propose(user=people["marketer"], fit_rules=FIT, engagement_rules=ENGAGEMENT)
    preview = scoring_version_preview(version=proposed)

    expected: dict[tuple, dict] = {}
    definitions = {
        "MQL": {"conditions": [{"field": "score", "op": "gte", "value": 30}]},
        "SQL": {"conditions": [{"field": "score", "op": "gte", "value": 60}, {"field": "title", "op": "present"}]},
    }
    for lead in Lead.objects.select_related("company", "source_campaign", "score_detail"):
        snapshot = criteria.lead_snapshot(lead)
        touches = [rules.TouchFact(t.id, t.kind, t.occurred_at, t.weight) for t in Touch.objects.filter(lead=lead)]
        new = rules.explain(
            fit_rules=FIT, engagement_rules=ENGAGEMENT, lead=snapshot, touches=touches, as_of=preview["as_of"]
        )
        key = (snapshot["segment"], lead.source_campaign.name if lead.source_campaign else "")
        row = expected.setdefault(
            key,
            {"leads": 0, "grade_moves": 0}
            | {f"{c}:{m}": 0 for c in definitions for m in ("newly_met", "no_longer_met")},
        )
        row["leads"] += 1
        row["grade_moves"] += new.grade != lead.score_detail.grade
        for code, document in definitions.items():
            today = all(r.passed for r in criteria.evaluate_criteria(document, snapshot))
            then = all(r.passed for r in criteria.evaluate_criteria(document, {**snapshot, "score": new.score}))
            row[f"{code}:newly_met"] += then and not today
            row[f"{code}:no_longer_met"] += today and not then
    got = {
        (r["segment"], r["source"]): {k: v for k, v in r.items() if k not in ("segment", "source")}
        for r in preview["by_segment_and_source"]
    }
    assert got == expected
    assert preview["totals"]["leads"] == 80
    assert preview["totals"]["grade_moves"] > 0 and preview["totals"]["MQL:newly_met"] > 0


def test_crossing_a_definitions_threshold_is_recorded_and_told_to_the_owner_but_never_moves_the_lead(
    people, make_lead, signed, django_capture_on_commit_callbacks
):
    from accounts.models import Notification
    from funnel.models import DefinitionCrossing
    from funnel.services.qualification import definition_crossings_record

    signed("MQL", {"conditions": [{"field": "score", "op": "gte", "value": 30}]})
    lead = make_lead(owner=people["rep"])
    campaign = Campaign.objects.create(name="Fill", channel="content")
    touch = {"lead": lead, "campaign": campaign, "kind": "form_fill", "recorded_by": people["admin"]}
    Touch.objects.create(occurred_at=AS_OF, **touch)
    _activate(people, fit_rules=[], engagement_rules=ENGAGEMENT)
    lead_scores_refresh(as_of=AS_OF)  # 40: meets MQL
    lead_scores_refresh(as_of=AS_OF + timedelta(days=20))  # 10: no longer does
    with django_capture_on_commit_callbacks(execute=True):
        assert definition_crossings_record() == 2
    assert definition_crossings_record() == 0  # the cursor moved: a rerun finds nothing new
    assert list(DefinitionCrossing.objects.order_by("at", "id").values_list("met", "score_before", "score_after")) == [
        (True, 0, 40),
        (False, 40, 10),
    ]
    messages = sorted(Notification.objects.filter(recipient=people["rep"]).values_list("message", flat=True))
    assert messages == [f"{lead.name} no longer meets MQL: score 40 → 10.", f"{lead.name} now meets MQL: score 0 → 40."]
    lead.refresh_from_db()
    assert lead.stage == "awareness"


def test_a_marketing_only_reader_sees_a_rule_on_sales_data_as_hidden_with_its_points(people, make_lead, client_for):
    from tests.funnel.conftest import move

    lead = make_lead(owner=people["rep"], has_budget=True)
    for stage in ("interest", "consideration", "intent"):
        move(lead, stage, people["admin"])
    fit = [{"label": "Budget confirmed", "when": {"field": "has_budget", "op": "is_true"}, "points": 20}]
    _activate(people, fit_rules=fit, engagement_rules=[])
    lead_scores_refresh()
    owner = client_for(people["rep"]).get(f"/api/v1/lead-scores/{lead.pk}/").json()
    marketer = client_for(people["marketer"]).get(f"/api/v1/lead-scores/{lead.pk}/").json()
    assert [(line["label"], line["points"]) for line in owner["lines"]] == [("Budget confirmed", "20.00")]
    assert [(line["label"], line["points"]) for line in marketer["lines"]] == [("hidden: sales data", "20.00")]
    assert owner["score"] == marketer["score"] == 20
