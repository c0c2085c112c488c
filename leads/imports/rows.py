"""Each row checked on its own, in memory, before the database is asked anything: the values a lead, its
company, its contact and its touch would get, or the problems, each naming the file column it came from."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from config.validation import whole_number
from crm.choices import BuyingRole, Segment, SizeBand
from leads.choices import Stage
from leads.models import Lead
from leads.services import company_domain_normalize, email_normalize
from leads.touches import touch_item_check

TRUE = frozenset({"true", "yes", "y", "1", "t"})
FALSE = frozenset({"false", "no", "n", "0", "f"})
MAX_MONEY = Decimal("999999999999.99")
_LEAD_LENGTHS = {f.name: f.max_length for f in Lead._meta.concrete_fields if getattr(f, "max_length", None)}
# Choices' .values build a list on every access; a row checks them thousands of times per second.
STAGES, SEGMENTS, SIZE_BANDS, BUYING_ROLES = (tuple(c.values) for c in (Stage, Segment, SizeBand, BuyingRole))
_TEXT = ("first_name", "last_name", "phone", "title", "company_name", "segment", "territory", "industry")


@dataclass
class Plan:
    """What one row asks for, checked; `errors` maps a file column (or `(row)`) to what is wrong with it."""

    number: int
    errors: dict[str, str] = field(default_factory=dict)
    lead: dict = field(default_factory=dict)
    email_normalized: str = ""
    owner: str = ""  # a username or e-mail, resolved for the whole file at once
    campaign: str = ""  # the source campaign's name or id, likewise
    stage: str = ""
    stage_reason: str = ""
    company: dict | None = None
    contact: dict | None = None
    touch: dict | None = None
    duplicate_of: int | None = None  # an earlier row of the file with the same normalised e-mail


class _Row:
    """A row's values by target, with defaults, and the column each came from (for naming problems)."""

    def __init__(self, cells: dict[str, str], mapping: dict[str, str], defaults: dict[str, str]):
        self.values: dict[str, str] = {}
        self.columns: dict[str, str] = {target: column for column, target in mapping.items()}
        for column, target in mapping.items():
            value = cells.get(column, "")
            if value != "":
                self.values[target], self.columns[target] = value, column
        for target, value in defaults.items():
            if target not in self.values and str(value) != "":
                self.values[target], self.columns[target] = str(value), f"default {target}"

    def get(self, target: str) -> str:
        return self.values.get(target, "")

    def column(self, target: str) -> str:
        return self.columns.get(target, target)


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError("A number, e.g. 12000.50.") from None
    if not value.is_finite() or value < 0 or value > MAX_MONEY or value != value.quantize(Decimal("0.01")):
        raise ValueError("An amount from 0 with at most two decimals.")
    return value


def _flag(text: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise ValueError("Yes or no (true/false, 1/0).")


def _lead(row: _Row, plan: Plan) -> None:
    def fail(target: str, message: str) -> None:
        plan.errors[row.column(f"lead.{target}")] = message

    for name in _TEXT:
        value = row.get(f"lead.{name}")
        if len(value) > _LEAD_LENGTHS[name]:
            fail(name, f"At most {_LEAD_LENGTHS[name]} characters.")
        elif value:
            plan.lead[name] = value
    if not plan.lead.get("last_name"):
        fail("last_name", "A lead has a last name.")
    email = row.get("lead.email")
    try:
        validate_email(email)
        if len(email) > _LEAD_LENGTHS["email"]:
            raise ValidationError("too long")
        plan.lead["email"], plan.email_normalized = email, email_normalize(email)
    except ValidationError:
        fail(
            "email",
            "An e-mail address: a rerun of the file recognises the lead by it."
            if not email
            else f"{email[:80]!r} is not an e-mail address.",
        )
    currency = row.get("lead.currency").upper()
    if currency:
        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
            fail("currency", "A three-letter ISO code, e.g. EUR.")
        plan.lead["currency"] = currency
    for name in ("expected_value", "gross_margin"):
        if row.get(f"lead.{name}"):
            try:
                plan.lead[name] = _money(row.get(f"lead.{name}"))
            except ValueError as error:
                fail(name, str(error))
    margin, value = plan.lead.get("gross_margin"), plan.lead.get("expected_value")
    if margin is not None and value is not None and margin > value:
        fail("gross_margin", "The gross margin is part of the value: from 0 up to the expected value.")
    for name in ("has_budget", "has_authority", "has_need", "has_timeline"):
        if row.get(f"lead.{name}"):
            try:
                plan.lead[name] = _flag(row.get(f"lead.{name}"))
            except ValueError as error:
                fail(name, str(error))
    plan.owner, plan.campaign = row.get("lead.owner"), row.get("lead.source_campaign")
    plan.stage, plan.stage_reason = row.get("lead.stage").lower(), row.get("lead.stage_reason")
    if plan.stage and plan.stage not in STAGES:
        fail("stage", f"One of {', '.join(STAGES)}.")
    if len(plan.stage_reason) > 500:
        fail("stage_reason", "At most 500 characters.")


def _choice(row: _Row, plan: Plan, target: str, choices) -> str:
    value = row.get(target).lower()
    if value and value not in choices:
        plan.errors[row.column(target)] = f"One of {', '.join(choices)}."
    return value


def _company(row: _Row, plan: Plan) -> None:
    if not row.get("company.domain"):
        if any(row.get(f"company.{t}") for t in ("name", "employees", "size_band")):
            plan.errors[row.column("company.domain")] = "A company is known by its web domain, e.g. acme.com."
        return
    company = {}
    try:
        company["domain"] = company_domain_normalize(row.get("company.domain"))
    except ValidationError as error:
        plan.errors[row.column("company.domain")] = error.message_dict["company_domain"][0]
    company["name"] = row.get("company.name") or plan.lead.get("company_name") or company.get("domain", "")
    for name, limit in (("name", 200), ("industry", 100), ("territory", 50)):
        value = row.get(f"company.{name}") or company.get(name, "")
        if len(value) > limit:
            plan.errors[row.column(f"company.{name}")] = f"At most {limit} characters."
        company[name] = value
    company["segment"] = _choice(row, plan, "company.segment", SEGMENTS)
    company["size_band"] = _choice(row, plan, "company.size_band", SIZE_BANDS)
    employees = row.get("company.employees").replace(",", "")
    if employees:
        number = whole_number(employees, max_digits=8)
        if number is None or number > 10_000_000:
            plan.errors[row.column("company.employees")] = "A whole number of people."
        else:
            company["employees"] = number
    plan.company = company


def _contact(row: _Row, plan: Plan) -> None:
    if not any(row.get(f"contact.{t}") for t in ("first_name", "last_name", "email", "phone", "title", "buying_role")):
        return
    email = row.get("contact.email") or plan.lead.get("email", "")
    contact = {
        "first_name": row.get("contact.first_name") or plan.lead.get("first_name") or plan.lead.get("last_name", ""),
        "last_name": row.get("contact.last_name")
        or (plan.lead.get("last_name", "") if row.get("contact.first_name") or plan.lead.get("first_name") else ""),
        "email": email.strip().lower(),
        "phone": row.get("contact.phone") or plan.lead.get("phone", ""),
        "title": row.get("contact.title") or plan.lead.get("title", ""),
        "buying_role": _choice(row, plan, "contact.buying_role", BUYING_ROLES),
    }
    for name, limit in (("first_name", 100), ("last_name", 100), ("phone", 40), ("title", 100), ("email", 254)):
        if len(contact[name]) > limit:
            plan.errors[row.column(f"contact.{name}")] = f"At most {limit} characters."
    try:
        validate_email(contact["email"])
    except ValidationError:
        plan.errors[row.column("contact.email")] = "A contact is known by an e-mail address."
    plan.contact = contact


def _touch(row: _Row, plan: Plan, now: datetime) -> None:
    if not row.get("touch.kind") and not row.get("touch.occurred_at"):
        return
    item = {"lead": 1, "campaign": 1, "kind": row.get("touch.kind"), "occurred_at": row.get("touch.occurred_at")}
    if row.get("touch.weight"):
        item["weight"] = row.get("touch.weight")
    checked, problems = touch_item_check(item, now)
    for name, message in problems.items():
        plan.errors[row.column(f"touch.{name}")] = message
    if checked is not None:
        _, _, kind, moment, weight, _ = checked
        plan.touch = {"kind": kind, "occurred_at": moment, "weight": weight, "campaign": row.get("touch.campaign")}


def plan_row(number: int, cells: dict[str, str], errors: dict[str, str], mapping: dict, defaults: dict, now) -> Plan:
    """The checked plan of one parsed row (pure: nothing here reads the database)."""
    plan = Plan(number)
    row = _Row(cells, mapping, defaults)
    _lead(row, plan)
    _company(row, plan)
    _contact(row, plan)
    _touch(row, plan, now)
    if plan.touch is not None and not plan.touch["campaign"] and not plan.campaign:
        plan.errors[row.column("touch.campaign")] = (
            "A touch is with a campaign: map touch.campaign or a source campaign."
        )
    plan.errors.update(errors)  # a cell that could not be read says so, not that it is missing
    return plan


def plans_dedupe(plans: list[Plan], first: dict[str, int] | None = None) -> None:
    """Marks every later row with the e-mail of an earlier valid row as its duplicate. `first` (e-mail → row
    number) carries the earlier chunks' rows when a file is deduplicated chunk by chunk, in order."""
    first = {} if first is None else first
    for plan in plans:
        if plan.errors or not plan.email_normalized:
            continue
        if plan.email_normalized in first:
            plan.duplicate_of = first[plan.email_normalized]
        else:
            first[plan.email_normalized] = plan.number
