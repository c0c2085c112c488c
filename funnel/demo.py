"""The demo company's funnel story, built through the same services the UI and API use:
signed-off MQL/SAL/SQL, rules of engagement, leads in every stage with their histories, a rejected handoff,
an escalated big deal, a missed SLA, and a lead whose next move the rules refuse."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from crm.models import CallReport, Campaign, Company
from funnel.models import Handoff, LeadDefinition
from funnel.services.approvals import approval_request_create
from funnel.services.definitions import definition_version_propose, definition_version_sign_off
from funnel.services.handoff_open import handoff_first_touch_record
from funnel.services.handoffs import handoff_accept, handoff_reject
from funnel.services.intake import lead_create
from funnel.services.rules import handoff_rule_save, handoff_rule_state_set
from funnel.services.sla import handoff_sla_breaches_record
from funnel.services.transitions import lead_transition
from leads.models import Lead

STORY = [
    "The funnel story to try:",
    "  - as mark, move Dana Haddad (Cedar Health, score < 40) to consideration: 'MQL before consideration' refuses it;",
    "  - as rob, move Ivan Andersen (Blue Fjord, $340k, evaluation) to purchase: it needs rita's approval first;",
    "  - Lena Kowalski (Juniper) is in nurture: rae rejected her handoff (no budget) and marketing sees why;",
    "  - nobody answered Omar Dubois's handoff to the SDRs: the SLA breach is on sam's dashboard;",
    "  - rob's queue: Priya Haddad (Northwind, $95k) was just handed to him, and Goran Eriksen's next step is due;",
    "  - rita's dashboard: rob asked her to approve Ivan Andersen's $340k purchase;",
    "  - definitions: MQL v2 (score >= 50, enterprise or mid-market) awaits sign-off by mia and sam, with its"
    " simulation;",
]
CRITERIA = {
    "MQL": {"conditions": [{"field": "score", "op": "gte", "value": 40}, {"field": "email", "op": "present"}]},
    "SAL": {"conditions": [{"field": "score", "op": "gte", "value": 40}, {"facts": ["need"], "at_least": 1}]},
    "SQL": {
        "conditions": [
            {"facts": ["budget", "authority", "need", "timeline"], "at_least": 3, "label": "BANT: 3 of 4 confirmed"},
            {"field": "expected_value", "op": "present"},
        ]
    },
}
CAMPAIGNS = [
    ("Spring product webinar", "webinar"),
    ("Q4 paid search", "paid_search"),
    ("Logistics Summit Berlin", "event"),
    ("Partner referrals", "partner"),
]
PATH = ["awareness", "interest", "consideration", "intent", "evaluation", "purchase"]
# company domain, contact, final stage, score, expected value, campaign index
LEADS = [
    ("fable.example", "Hana Ito", "awareness", 10, None, 1),
    ("juniper.example", "Omar Costa", "awareness", 15, None, 0),
    ("granitelegal.example", "Lena Fischer", "awareness", 5, None, 1),
    ("evergreenfoods.example", "Kai Brooks", "interest", 30, None, 0),
    ("cedarhealth.example", "Dana Haddad", "interest", 25, Decimal("40000"), 2),
    ("harborfin.example", "Priya Jensen", "interest", 35, None, 3),
    ("deltafreight.example", "Eli Garcia", "consideration", 55, Decimal("60000"), 2),
    ("irisbio.example", "Farah Dubois", "consideration", 62, Decimal("90000"), 0),
    ("northwind.example", "Goran Eriksen", "intent", 71, Decimal("120000"), 2),
    ("acme-robotics.example", "Bea Kowalski", "intent", 68, Decimal("85000"), 1),
    ("bluefjord.example", "Ivan Andersen", "evaluation", 80, Decimal("340000"), 2),
    ("kestrel.example", "Jo Ito", "evaluation", 77, Decimal("150000"), 3),
    ("cedarhealth.example", "Alex Brooks", "purchase", 88, Decimal("70000"), 0),
    ("harborfin.example", "Chen Costa", "purchase", 84, Decimal("45000"), 3),
    ("fable.example", "Dana Garcia", "lost", 64, Decimal("20000"), 1),
]


def _sign(users: dict[str, User]) -> None:
    for code, criteria in CRITERIA.items():
        definition = LeadDefinition.objects.get(code=code)
        version = definition_version_propose(
            definition=definition, criteria=criteria, proposed_by=users["mark"], note="Agreed at the kickoff."
        )
        definition_version_sign_off(version_id=version.pk, user=users["mia"])
        definition_version_sign_off(version_id=version.pk, user=users["sam"])
    stricter = {
        "conditions": [
            {"field": "score", "op": "gte", "value": 50},
            {"field": "email", "op": "present"},
            {"field": "segment", "op": "in", "value": ["enterprise", "mid_market"]},
        ]
    }
    definition_version_propose(
        definition=LeadDefinition.objects.get(code="MQL"),
        criteria=stricter,
        proposed_by=users["meg"],
        note="Raise the bar and focus the SDRs: half of last month's MQLs were rejected, most of them small firms.",
    )


def _rules(users: dict[str, User], since) -> None:
    sdr_team = Team.objects.get(name="Sales development")
    sales = Team.objects.get(name="Sales")
    admin = users["admin"]
    rules = [
        {
            "name": "MQL before consideration",
            "description": "Marketing hands only marketing-qualified leads to the SDRs.",
            "to_stages": ["consideration"],
            "preconditions": [{"kind": "definition_met", "level": "MQL"}],
            "routing": {"kind": "round_robin", "team": sdr_team.pk},
            "accept_within_hours": 8,
            "first_touch_within_hours": 4,
        },
        {
            "name": "SQL and a recent call before intent",
            "description": "Sales takes a lead once BANT is confirmed on a call in the last two weeks.",
            "to_stages": ["intent"],
            "preconditions": [
                {"kind": "definition_met", "level": "SQL"},
                {"kind": "call_report_within_days", "days": 14},
            ],
            "routing": {
                "kind": "match",
                "field": "territory",
                "map": {"EMEA": users["rob"].pk, "NA-East": users["rae"].pk, "NA-West": users["rae"].pk},
                "fallback_team": sales.pk,
            },
            "accept_within_hours": 8,
        },
        {
            "name": "Involve the revenue leader above $100k",
            "to_stages": ["evaluation", "purchase"],
            "escalations": [
                {
                    "when": {"field": "expected_value", "op": "gte", "value": 100000},
                    "role": "revenue_leader",
                    "action": "involve",
                }
            ],
        },
        {
            "name": "Revenue leader approves purchases above $300k",
            "to_stages": ["purchase"],
            "escalations": [
                {
                    "when": {"field": "expected_value", "op": "gte", "value": 300000},
                    "role": "revenue_leader",
                    "action": "approve",
                }
            ],
        },
    ]
    for data in rules:
        handoff_rule_save(actor=admin, data=data)
    # On trial: recorded at every move into intent from here on, never refusing; its page shows the rate.
    trial = handoff_rule_save(
        actor=admin,
        data={
            "name": "Score 75 before intent (trial)",
            "description": "Sales asks for warmer leads: a score of at least 75 before a lead reaches them.",
            "to_stages": ["intent"],
            "preconditions": [{"kind": "min_score", "score": 75}],
        },
    )
    handoff_rule_state_set(
        actor=users["sam"], rule_id=trial.pk, to_state="shadow", note="Try it for a quarter.", at=since
    )


def _capture(domain, contact, score, value, campaign, owner, admin, at) -> Lead:
    first, last = contact.split()
    company = Company.objects.get(domain=domain)
    data = {
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}@{domain}",
        "company_name": company.name,
        "company_domain": domain,
        "territory": company.territory,
        "segment": company.segment,
        "industry": company.industry,
        "expected_value": value,
        "source_campaign": campaign,
        "has_need": score >= 40,
        "has_budget": score >= 60,
        "has_authority": score >= 60,
        "has_timeline": score >= 75,
    }
    lead = lead_create(actor=admin, data=data, owner=owner, at=at)
    # The story's scores carry the walk through the rules; the signed scoring model rescores every lead at the
    # end of the demo (funnel.demo_marketing), from its fit and its touches.
    Lead.objects.filter(pk=lead.pk).update(score=score)
    return lead


def _walk(lead: Lead, final: str, users: dict[str, User], start) -> None:
    """Moves the lead stage by stage to `final`, as the people who own each stage would."""
    at = start
    stages = PATH[1 : PATH.index(final) + 1] if final in PATH else PATH[1:4]
    for stage in stages:
        at += timedelta(days=3)
        lead.refresh_from_db()
        if stage == "intent":
            CallReport.objects.create(
                lead=lead, author=lead.owner, occurred_on=at.date(), channel="call", outcome="Discovery call: BANT"
            )
        lead_transition(lead=lead, to_stage=stage, actor=lead.owner or users["mark"], at=at)
        pending = Handoff.objects.filter(lead=lead, status="pending").first()
        if pending is not None and pending.to_owner is not None:
            handoff_accept(handoff_id=pending.pk, actor=pending.to_owner, at=at + timedelta(hours=2))
            handoff_first_touch_record(lead=lead, by=pending.to_owner, at=at + timedelta(hours=3))
    if final == "lost":
        lead.refresh_from_db()
        lead_transition(
            lead=lead, to_stage="lost", actor=lead.owner, reason="Chose a cheaper competitor", at=at + timedelta(days=2)
        )


def _special_cases(users, campaigns, now) -> None:
    admin = users["admin"]
    # A handoff sales rejected: the lead is back in marketing's nurture with the reason.
    rejected = _capture(
        "juniper.example",
        "Lena Kowalski",
        72,
        Decimal("30000"),
        campaigns[1],
        users["mark"],
        admin,
        now - timedelta(20),
    )
    Lead.objects.filter(pk=rejected.pk).update(has_timeline=True)
    _walk(rejected, "consideration", users, now - timedelta(20))
    rejected.refresh_from_db()
    CallReport.objects.create(
        lead=rejected,
        author=rejected.owner,
        occurred_on=(now - timedelta(days=5)).date(),
        channel="call",
        outcome="BANT",
    )
    lead_transition(lead=rejected, to_stage="intent", actor=rejected.owner, at=now - timedelta(days=4))
    handoff = Handoff.objects.get(lead=rejected, status="pending")
    handoff_reject(handoff_id=handoff.pk, actor=handoff.to_owner, reason_code="no_budget", note="Budget moved to 2027")
    # A handoff nobody answered: the SDR's accept clock ran out two days ago.
    waiting = _capture(
        "granitelegal.example", "Omar Dubois", 48, None, campaigns[0], users["meg"], admin, now - timedelta(days=8)
    )
    lead_transition(lead=waiting, to_stage="interest", actor=users["meg"], at=now - timedelta(days=7))
    waiting.refresh_from_db()
    # Six days back always spans more than one working day, so the 8-working-hour accept clock has run out.
    lead_transition(lead=waiting, to_stage="consideration", actor=users["meg"], at=now - timedelta(days=6))
    handoff_sla_breaches_record(now=now)
    _reps_queue(users, campaigns, now)


def _reps_queue(users, campaigns, now) -> None:
    """Work waiting in rob's queue and on rita's dashboard: a fresh handoff, a next step due, an approval."""
    fresh = _capture(
        "northwind.example",
        "Priya Haddad",
        78,
        Decimal("95000"),
        campaigns[2],
        users["mark"],
        users["admin"],
        now - timedelta(days=9),
    )
    Lead.objects.filter(pk=fresh.pk).update(has_timeline=True)
    _walk(fresh, "consideration", users, now - timedelta(days=9))
    fresh.refresh_from_db()
    CallReport.objects.create(
        lead=fresh, author=fresh.owner, occurred_on=now.date(), channel="video", outcome="Confirmed BANT on a demo"
    )
    lead_transition(lead=fresh, to_stage="intent", actor=fresh.owner, at=now - timedelta(minutes=40))
    goran = Lead.objects.get(email="goran.eriksen@northwind.example")
    CallReport.objects.create(
        lead=goran,
        author=users["rob"],
        occurred_on=(now - timedelta(days=6)).date(),
        channel="call",
        outcome="Wants pricing for 40 seats",
        next_step="Send the pricing proposal",
        next_step_on=now.date(),
    )
    ivan = Lead.objects.get(email="ivan.andersen@bluefjord.example")
    approval_request_create(lead=ivan, to_stage="purchase", actor=users["rob"])


@transaction.atomic
def seed_funnel(users: dict[str, User]) -> int:
    """Returns how many leads it created; a second run creates none."""
    if Lead.objects.exists():
        return 0
    _sign(users)
    _rules(users, timezone.now() - timedelta(days=400))
    campaigns = [
        Campaign.objects.get_or_create(name=name, defaults={"channel": channel, "owner": users["mark"]})[0]
        for name, channel in CAMPAIGNS
    ]
    now = timezone.now()
    marketers = [users["mark"], users["meg"]]
    for index, (domain, contact, final, score, value, campaign) in enumerate(LEADS):
        start = now - timedelta(days=60 - index * 3)
        lead = _capture(domain, contact, score, value, campaigns[campaign], marketers[index % 2], users["admin"], start)
        _walk(lead, final, users, start)
    _special_cases(users, campaigns, now)
    return Lead.objects.count()
