"""The set-based writes of one chunk besides the leads themselves: companies and contacts found or created
by their normalised identity (the unique keys on lower(domain) and lower(email) stay the last word, so a
concurrent capture of the same company is found, not duplicated), contacts linked, touches stored under a
key derived from the row, and the blank fields of existing leads filled in."""

import hashlib

from django.db import connection
from django.db.models.functions import Lower

from accounts.models import User
from crm.models import Company, Contact
from leads.imports.rows import Plan
from leads.models import Lead
from leads.touches import _insert as touches_insert

FILLABLE = ("first_name", "phone", "title", "company_name", "segment", "territory", "industry")


def companies_resolve(plans: list[Plan]) -> dict[str, Company]:
    """The company of each domain among `plans`, created when new (named by the first row that has it)."""
    wanted: dict[str, dict] = {}
    for plan in plans:
        if plan.company and plan.company.get("domain"):
            wanted.setdefault(plan.company["domain"], plan.company)
    if not wanted:
        return {}
    existing = Company.objects.annotate(key=Lower("domain")).filter(key__in=list(wanted))
    found = {company.key: company for company in existing}
    missing = [Company(**fields) for domain, fields in wanted.items() if domain not in found]
    if missing:
        Company.objects.bulk_create(missing, ignore_conflicts=True)
        again = Company.objects.annotate(key=Lower("domain")).filter(key__in=[c.domain for c in missing])
        found.update({company.key: company for company in again})
    return found


def contacts_link(links: list[tuple[int, dict, int | None]]) -> set[int]:
    """(lead id, contact fields, company id): each contact found by e-mail or created, then linked to its
    lead. Returns the leads that gained a contact link."""
    if not links:
        return set()
    emails = {fields["email"] for _, fields, _ in links}
    found = {c.key: c.pk for c in Contact.objects.annotate(key=Lower("email")).filter(key__in=list(emails))}
    missing = {}
    for _, fields, company_id in links:
        if fields["email"] not in found:
            missing.setdefault(fields["email"], Contact(company_id=company_id, **fields))
    if missing:
        Contact.objects.bulk_create(list(missing.values()), ignore_conflicts=True)
        again = Contact.objects.annotate(key=Lower("email")).filter(key__in=list(missing))
        found.update({c.key: c.pk for c in again})
    through = Lead.contacts.through
    wanted = {(lead_id, found[fields["email"]]) for lead_id, fields, _ in links}
    have = set(through.objects.filter(lead_id__in={lead for lead, _ in wanted}).values_list("lead_id", "contact_id"))
    new = wanted - have
    through.objects.bulk_create([through(lead_id=a, contact_id=b) for a, b in new], ignore_conflicts=True)
    return {lead_id for lead_id, _ in new}


def touch_key(plan: Plan, campaign_id: int) -> str:
    """The same row imported again gets the same key, so its touch is stored once (touches/bulk's rule)."""
    touch = plan.touch
    raw = f"{plan.email_normalized}|{campaign_id}|{touch['kind']}|{touch['occurred_at'].isoformat()}"
    return "import:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def touches_store(user: User, rows: list[tuple]) -> set[str]:
    """Stores (lead, campaign, kind, occurred_at, weight, key) rows in one statement; returns the keys
    stored now (a key this user already stored is skipped)."""
    return {key for _, key in touches_insert(user, rows)}


def _fill_sql() -> str:
    sets = ", ".join(f"{f} = CASE WHEN l.{f} = '' THEN v.{f} ELSE l.{f} END" for f in FILLABLE)
    gains = " OR ".join(f"(l.{f} = '' AND v.{f} <> '')" for f in FILLABLE)
    arrays = ", ".join("%s::text[]" for _ in FILLABLE)
    return f"""
        UPDATE {Lead._meta.db_table} AS l
        SET {sets}, company_id = COALESCE(l.company_id, v.company_id), updated_at = now()
        FROM unnest(%s::bigint[], %s::bigint[], {arrays}) AS v(id, company_id, {", ".join(FILLABLE)})
        WHERE l.id = v.id AND ({gains} OR (l.company_id IS NULL AND v.company_id IS NOT NULL))
        RETURNING l.id
    """


FILL = _fill_sql()


def leads_fill_blanks(updates: list[tuple[int, int | None, dict]]) -> set[int]:
    """(lead id, company id, fields): only blank fields are filled and only a missing company linked, in
    one statement that re-reads each row as it updates it (a value written meanwhile is never overwritten).
    Returns the leads that changed."""
    if not updates:
        return set()
    columns = [[u[0] for u in updates], [u[1] for u in updates]]
    columns += [[u[2].get(f, "") for u in updates] for f in FILLABLE]
    with connection.cursor() as cursor:
        cursor.execute(FILL, columns)
        return {row[0] for row in cursor.fetchall()}
