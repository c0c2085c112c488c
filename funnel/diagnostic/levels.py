"""The integration level: the questionnaire says how the teams feel, the evidence says what they do, and the
level is the lower of the two.

- The questionnaire's level is the band of the mean respondent total (20-39 undefined, 40-59 defined, 60-79
  aligned, 80-100 integrated, inclusive; a mean of 59.5 is still defined).
- The evidence caps it. Each evidence item names the lowest level that needs it, and the evidence reaches a level
  only when every item needed for that level and the ones below passes:
  * defined — qualifications are made under a signed definition, and handoffs meet their SLA (the "fences":
    a common language for a lead and clear handoff points);
  * aligned — also a joint meeting at least every quarter with its action items closed, marketers on call
    reports, a marketer at key-account reviews, and collateral released only after a sales review (disciplined
    communication and shared work);
  * integrated — also one revenue target for the period signed by both sides (shared numbers and fate).
- level = min(questionnaire level, evidence level). With no answer in the window the level is the evidence's
  alone, and the page says so.

Next steps aim at the level above: every failing evidence item that level needs, each with the practice that
fixes it and the page where it is done; and when the answers hold the level back, the practices of the two
weakest groups of statements.
"""

from funnel.diagnostic.choices import LEVEL_ORDER, Level
from funnel.diagnostic.evidence import Evidence, url
from funnel.diagnostic.questionnaire import GROUPS

# What to do about each failing item, in our words (after the "moving up" practices of the 2006 article).
PRACTICES = {
    "qualification": "Write down what makes a lead marketing- and sales-qualified, have both managers sign it, "
    "and let the handoff rules require it before a lead moves.",
    "sla": "Agree handoff deadlines both sides can keep, and go through every missed one at the joint meeting.",
    "meetings": "Hold a joint meeting at least every quarter (monthly is better) on the large opportunities and the "
    "problems of the period, ending with owned action items due before the next one.",
    "meeting_actions": "Close the joint meeting's action items before the next one; chase or drop the open ones "
    "in the room rather than letting them linger.",
    "call_reports": "Take marketers on customer calls and name them on the call report, so marketing hears buyers "
    "first-hand.",
    "reviews": "Invite marketing to every key-account review and give them a part in the account's plan.",
    "collateral": "Release no deck, case study or price sheet until someone in sales has reviewed and approved it.",
    "target": "Set one revenue number for the period that the sales and the marketing manager both sign, and "
    "judge both teams by it.",
}
GROUP_PRACTICES = {
    "outcomes": ("Compare the forecast with what closed every month, together, and agree what to change.", "home"),
    "culture": (
        "Review lost deals jointly and look for causes, not culprits; celebrate wins as one team.",
        "meeting-list",
    ),
    "accounts": (
        "Write, together, a plan for the top accounts of each segment and name a marketing liaison to the sales team.",
        "company-list",
    ),
    "planning": (
        "Have reps review the marketing plan and preview campaigns before launch; plan events together.",
        "campaign-list",
    ),
    "enablement": (
        "Ask reps which material is missing or unused, and route their feedback through call reports.",
        "collateral",
    ),
    "language": (
        "Judge both teams by the same funnel numbers: new customers, closings, gross profit per customer "
        "and sales cost per revenue.",
        "definition-list",
    ),
    "process": (
        "Design the funnel's stages and handoff rules jointly, and change them only with both signatures.",
        "rule-list",
    ),
    "structure": (
        "Consider one executive over both teams, rotating people between them and training them together.",
        "team",
    ),
}


def rank(level: str) -> int:
    return LEVEL_ORDER.index(Level(level))


def evidence_level(items: list[Evidence]) -> Level:
    reached = Level.UNDEFINED
    for level in LEVEL_ORDER[1:]:
        if not all(item.passed for item in items if rank(item.needed_for) <= rank(level)):
            break
        reached = level
    return reached


def level_combine(questionnaire: Level | None, evidence: Level) -> Level:
    if questionnaire is None:
        return evidence
    return min(questionnaire, evidence, key=rank)


def next_steps(*, level: Level, questionnaire: Level | None, items: list[Evidence], groups: dict) -> list[dict]:
    """The steps to the level above `level` (none at the top), failing evidence first."""
    if level == Level.INTEGRATED:
        return []
    target = LEVEL_ORDER[rank(level) + 1]
    steps = [
        {
            "text": PRACTICES[item.key],
            "because": f"{item.title}: {item.summary}",
            "url": item.page,
            "evidence": item.key,
        }
        for item in items
        if not item.passed and rank(item.needed_for) <= rank(target)
    ]
    if questionnaire is not None and rank(questionnaire) < rank(target):
        for key in sorted(groups, key=lambda k: (groups[k], k))[:2]:
            text, page = GROUP_PRACTICES[key]
            because = f"{GROUPS[key][0]}: rated {groups[key]:.1f} of 5 on average"
            steps.append({"text": text, "because": because, "url": url(page), "evidence": None, "group": key})
    return [{**step, "towards": target} for step in steps]
