"""The web workspace's navigation, per role, in one place: every page reads it through the `navigation`
context processor, and later pages (campaigns, scoring, insights, collateral) add their item here."""

from dataclasses import dataclass

from django.urls import reverse

from accounts.choices import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    query: str = ""  # e.g. "owner=me": a filtered view of a shared page

    def url(self) -> str:
        return reverse(self.url_name) + (f"?{self.query}" if self.query else "")


HOME = NavItem("My queue", "home", "inbox")
DASHBOARD = NavItem("Dashboard", "home", "gauge")
JOINT_METRICS = NavItem("Joint metrics", "metrics-dashboard", "chart-column")
BOARD = NavItem("Board", "board", "kanban")
LEADS = NavItem("Leads", "lead-list", "list")
DEFINITIONS = NavItem("Definitions", "definition-list", "book-open")
RULES = NavItem("Rules", "rule-list", "scale")
APPROVALS = NavItem("Approvals", "approval-list", "shield-check")
HANDOFFS = NavItem("Handoffs", "handoff-inbox", "send")
CALL_REPORTS = NavItem("Call reports", "call-report-list", "phone")
TEAM = NavItem("Team", "team", "users")
ROUTING = NavItem("Routing", "team-routing", "git-branch")
SLA = NavItem("SLA", "sla-breaches", "clock")
CAMPAIGNS = NavItem("Campaigns", "campaign-list", "target")
SCORING = NavItem("Scoring", "scoring", "sliders-horizontal")
COLLATERAL = NavItem("Collateral", "collateral", "file-text")
INSIGHTS = NavItem("Insights", "insights", "chart-column")
COMPANIES = NavItem("Companies", "company-list", "house")
CONFIGURATION = NavItem("Configuration", "admin:index", "settings")
SYSTEM = NavItem("System status", "system-status", "activity")
AUDIT = NavItem("Audit trail", "audit-log", "clock")
WHO_TO_CALL = NavItem("Who to call", "directory", "user")
JOINT_MEETING = NavItem("Joint meeting", "meeting-list", "users")
TARGETS = NavItem("Target", "target-list", "target")
TAXONOMY = NavItem("Taxonomies", "taxonomy", "bookmark")
DIAGNOSTIC = NavItem("Integration", "diagnostic", "activity")

MANAGER_NAV = [
    DASHBOARD,
    JOINT_METRICS,
    TEAM,
    ROUTING,
    SLA,
    APPROVALS,
    HANDOFFS,
    BOARD,
    LEADS,
    COMPANIES,
    CAMPAIGNS,
    INSIGHTS,
    TARGETS,
    JOINT_MEETING,
    TAXONOMY,
    SCORING,
    COLLATERAL,
    DEFINITIONS,
    RULES,
]
NAVIGATION: dict[str, list[NavItem]] = {
    Role.SALES_REP: [
        HOME,
        NavItem("My leads", "lead-list", "list", "mine=true"),
        BOARD,
        COMPANIES,
        CALL_REPORTS,
        COLLATERAL,
    ],
    Role.SDR: [
        HOME,
        NavItem("Mid-funnel", "lead-list", "list", "stage=interest&stage=consideration&stage=intent"),
        BOARD,
        NavItem("Both teams' queues", "handoff-inbox", "send"),
        COMPANIES,
        CALL_REPORTS,
    ],
    Role.MARKETER: [HOME, LEADS, BOARD, COMPANIES, CAMPAIGNS, INSIGHTS, SCORING, COLLATERAL, DEFINITIONS, RULES],
    Role.SALES_MANAGER: MANAGER_NAV,
    Role.MARKETING_MANAGER: MANAGER_NAV,
    Role.REVENUE_LEADER: MANAGER_NAV,
    Role.ADMIN: [
        DASHBOARD,
        JOINT_METRICS,
        LEADS,
        COMPANIES,
        DEFINITIONS,
        RULES,
        TAXONOMY,
        CONFIGURATION,
        SYSTEM,
        AUDIT,
    ],
    Role.INTEGRATION: [LEADS],
}

# Administrators issue the integrations' API tokens.
NAVIGATION[Role.ADMIN] = [*NAVIGATION[Role.ADMIN], NavItem("API tokens", "token-list", "shield-check")]
# ...and the webhooks that tell other systems about changes, next to them.
NAVIGATION[Role.ADMIN] = [*NAVIGATION[Role.ADMIN], NavItem("Webhooks", "webhook-list", "send")]

# Sales managers, revenue leaders and administrators record what sales spent (copies: managers share a list).
EXPENSES = NavItem("Sales expenses", "sales-expenses", "file-text")
for _role in (Role.SALES_MANAGER, Role.REVENUE_LEADER, Role.ADMIN):
    NAVIGATION[_role] = [*NAVIGATION[_role], EXPENSES]

# Everyone's: the "who to call" directory answers for every role, and everyone answers the diagnostic.
for _items in NAVIGATION.values():
    if DIAGNOSTIC not in _items and _items is not NAVIGATION[Role.INTEGRATION]:
        _items.append(DIAGNOSTIC)

for _items in NAVIGATION.values():
    if WHO_TO_CALL not in _items:
        _items.append(WHO_TO_CALL)


def navigation_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    return NAVIGATION.get(Role.ADMIN if user.is_superuser else user.role, [HOME, LEADS, WHO_TO_CALL])


def navigation(request) -> dict:
    """Context processor: the signed-in user's navigation, with the item for this page marked current."""
    items = navigation_for(request.user)
    here = request.get_full_path()
    urls = [item.url() for item in items]
    # The longest matching URL is the current page ("/leads/?mine=true" beats "/leads/" for My leads).
    matches = [url for url in urls if here == url or (here.startswith(url.split("?")[0]) and url != "/")]
    current = max(matches, key=len) if matches else ("/" if here == "/" else None)
    return {"nav_items": [(item, url, url == current) for item, url in zip(items, urls, strict=True)]}
