"""What an API token may do: one scope per resource and access (`leads:read`, `touches:write`,
`webhooks:manage`). This module is the only list of them; the token model, its check constraint, the API, the
administrators' page and the OpenAPI schema all read it.

Every API view names its resource (`scope_resource = "leads"`, or `@token_scope(...)` on one action); a
token then needs `<resource>:read` to read and `<resource>:write` for an unsafe method. A resource with a single
access (`imports:write`, `webhooks:manage`, `audit:read`) needs that one scope for every method. An export
needs the read scope of what it exports.

Writing is no way to read: a write's answer to a token without its resource's read scope carries each object's
id only (`write_answer_withheld`), as a webhook payload cuts each part its token may not read.
"""

from collections.abc import Callable
from dataclasses import dataclass

READ, WRITE, MANAGE = "read", "write", "manage"
ACCESS_LABELS = {READ: "Read", WRITE: "Write", MANAGE: "Manage"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Resource:
    name: str
    label: str
    covers: str  # what a person choosing scopes needs to know it opens
    accesses: tuple[str, ...] = (READ, WRITE)


RESOURCES: tuple[Resource, ...] = (
    Resource("leads", "Leads", "leads, their history, moves and reassignments"),
    Resource("touches", "Touches", "visits, downloads, webinars and the other touches of leads with campaigns"),
    Resource("campaigns", "Campaigns", "campaigns, their spend and sales preview, collateral and its use"),
    Resource("call_reports", "Call reports", "call reports, the taxonomies they choose from, the insight digest"),
    Resource("companies", "Companies and contacts", "companies, contacts and merges"),
    Resource("meetings", "Reviews and meetings", "key-account reviews, joint meetings and action items"),
    Resource("definitions", "Definitions and rules", "lead definitions, versions, handoff rules, stages, simulations"),
    Resource("scoring", "Scoring", "scoring versions, lead scores and previews"),
    Resource("metrics", "Metrics", "metrics, the dashboard, targets, the diagnostic, expenses, campaign return"),
    Resource("handoffs", "Handoffs and approvals", "handoffs, approval requests and rejection reasons"),
    Resource("users", "People and teams", "users, teams, routing, out-of-office and the who-to-call directory"),
    Resource("notifications", "Notifications", "the token user's own notifications"),
    Resource("tokens", "API tokens", "the token user's own tokens (listing, revoking)"),
    Resource("imports", "Imports", "bulk imports of leads and their progress", (WRITE,)),
    Resource("webhooks", "Webhooks", "webhook subscriptions, their secrets and deliveries", (MANAGE,)),
    Resource("audit", "Audit", "who changed what and when", (READ,)),
)
RESOURCE_NAMES = frozenset(resource.name for resource in RESOURCES)

# scope → label, in the order a person reads them.
SCOPES: dict[str, str] = {
    f"{resource.name}:{access}": f"{resource.label}: {ACCESS_LABELS[access].lower()}"
    for resource in RESOURCES
    for access in resource.accesses
}
SCOPE_CHOICES = list(SCOPES.items())
ALL_SCOPES = tuple(SCOPES)
READ_SCOPES = tuple(scope for scope in SCOPES if scope.endswith(f":{READ}"))
WRITE_SCOPES = tuple(scope for scope in SCOPES if scope.endswith((f":{WRITE}", f":{MANAGE}")))
# What the demo's website sync gets: everything but reading the audit trail, which is for administrators.
DEMO_INTEGRATION_SCOPES = tuple(scope for scope in SCOPES if scope != "audit:read")

_BY_NAME = {resource.name: resource for resource in RESOURCES}


def scope_for(resource: str, method: str) -> str:
    """The scope a request with `method` needs on `resource`; KeyError for a resource not in RESOURCES."""
    accesses = _BY_NAME[resource].accesses
    if len(accesses) == 1:
        return f"{resource}:{accesses[0]}"
    return f"{resource}:{READ if method.upper() in SAFE_METHODS else WRITE}"


def token_scope(resource: str, *, reads: bool = False) -> Callable:
    """Marks one view method or action as belonging to another resource than its view's `scope_resource`
    (a lead's call reports are call reports). `reads`: a POST that only reads that resource (evaluating a
    definition against a lead answers with the lead's data and writes nothing) needs its read scope."""

    def mark(view_method):
        view_method.scope_resource = resource
        view_method.scope_reads = reads
        return view_method

    return mark


def _handler(view, method: str):
    return getattr(view, getattr(view, "action", None) or method.lower(), None)


def view_resource(view, method: str) -> str | None:
    """The resource a request with `method` reaches on `view`: its action's or handler's own, else the view's."""
    return getattr(_handler(view, method), "scope_resource", None) or getattr(view, "scope_resource", None)


def _method_for_scope(view, method: str) -> str:
    return "GET" if getattr(_handler(view, method), "scope_reads", False) else method


def required_scope(view, method: str) -> str | None:
    """The scope `view` needs for `method`, or None when the view names no resource known here."""
    resource = view_resource(view, method)
    if resource not in RESOURCE_NAMES:
        return None
    return scope_for(resource, _method_for_scope(view, method))


def write_answer_scope(view, method: str) -> str | None:
    """The read scope a write's answer needs in full: its resource's, for an unsafe `method` on a resource that
    has one; None for a read and for a resource with a single access (`imports:write`, `webhooks:manage`)."""
    if _method_for_scope(view, method).upper() in SAFE_METHODS:
        return None
    resource = view_resource(view, method)
    if resource not in RESOURCE_NAMES or READ not in _BY_NAME[resource].accesses:
        return None
    return f"{resource}:{READ}"


def withheld(object_id: object, scope: str) -> dict:
    """What stands for an object a token may not read: its id, and the scope that would show the rest."""
    return {"id": object_id, "withheld": f"the token lacks '{scope}'"}


def write_answer_withheld(data: object, scope: str) -> object:
    """A write's answer as a token without `scope` gets it: each object (a dict with an id, alone or in a list)
    cut to its id. Only the id, not even a moved lead's `stage`: the caller sent the stage, a 2xx says it holds,
    and one shape everywhere keeps the rule checkable. An answer that is no object (touches stored and refused
    by position, counts) reports on the request itself and is kept."""
    if isinstance(data, list):
        return [write_answer_withheld(item, scope) for item in data]
    if isinstance(data, dict) and "id" in data:
        return withheld(data["id"], scope)
    return data


def group_scopes(scopes) -> list[tuple[Resource, list[str]]]:
    """`scopes` by resource in the registry's order, for pages that show them grouped."""
    held = set(scopes)
    return [
        (resource, [access for access in resource.accesses if f"{resource.name}:{access}" in held])
        for resource in RESOURCES
        if any(f"{resource.name}:{access}" in held for access in resource.accesses)
    ]
