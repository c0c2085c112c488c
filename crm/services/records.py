"""Companies and contacts: created and edited with their identity normalised (a company's web domain, a
contact's e-mail), refused when that identity already belongs to another record, and merged when two records
turn out to be one.

Who may write: sales and marketing staff (and integrations with the write scope) create and edit; only
managers, revenue leaders and administrators ("stewards") merge, mark key accounts and their tier, and name a
company's owner. The database's unique keys on lower(domain) and lower(email) stay the last word: a race that
slips past the look-up comes back as the same named error.
"""

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import User
from crm.choices import KeyAccountTier, MergeKind
from crm.exceptions import NotAllowed
from crm.models import Company, Contact, RecordMerge
from integrations.metric_changes import metric_history_changed

EDITORS = frozenset({Role.SALES_REP, Role.SDR, Role.MARKETER, Role.ADMIN, Role.INTEGRATION}) | MANAGER_ROLES
STEWARDS = MANAGER_ROLES | {Role.ADMIN}
STEWARD_FIELDS = ("is_key_account", "key_account_tier", "owner")
COMPANY_FIELDS = (
    "name",
    "domain",
    "industry",
    "segment",
    "territory",
    "employees",
    "size_band",
    *STEWARD_FIELDS,
)
CONTACT_FIELDS = ("company", "first_name", "last_name", "email", "phone", "title", "buying_role")
# One DNS label: letters, digits and inner hyphens, at most 63; the last label (the TLD) is letters or punycode.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_PATTERN = re.compile(rf"(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def may_edit(user: User) -> bool:
    return user.is_superuser or user.role in EDITORS


def may_steward(user: User) -> bool:
    """Merging records, marking key accounts and naming owners: managers, revenue leaders, administrators."""
    return user.is_superuser or user.role in STEWARDS


def domain_normalize(raw: str) -> str:
    """acme.com from 'https://www.Acme.com/about', 'ACME.COM.' or 'acme.com:443'; '' for a blank one.
    Raises ValidationError for anything that is not a web domain once scheme, path and port are gone."""
    value = (raw or "").strip().lower()
    if not value:
        return ""
    value = _SCHEME.sub("", value)
    value = re.split(r"[/?#]", value, maxsplit=1)[0].rsplit("@", 1)[-1]  # no path, query or user@
    value = value.split(":", 1)[0].rstrip(".").removeprefix("www.")
    if value and not value.isascii():
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError:
            value = ""
    if len(value) > 253 or not DOMAIN_PATTERN.fullmatch(value):
        shown = raw.strip()[:80] + ("…" if len(raw.strip()) > 80 else "")
        raise ValidationError({"domain": f"{shown!r} is not a web domain; write it like acme.com."})
    return value


def email_normalize(raw: str) -> str:
    """The address stripped and lower-cased ('' for a blank one); ValidationError if it is not an address."""
    value = (raw or "").strip().lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        shown = value[:80] + ("…" if len(value) > 80 else "")
        raise ValidationError({"email": f"{shown!r} is not an e-mail address."}) from None
    return value


def _company_taken(domain: str, exclude_id: int | None) -> ValidationError | None:
    existing = Company.objects.filter(domain__iexact=domain).exclude(pk=exclude_id).first() if domain else None
    if existing is None:
        return None
    return ValidationError(
        {"domain": f"{domain} is already company {existing.pk} ({existing.name}): edit that one or merge them."}
    )


def _contact_taken(email: str, exclude_id: int | None) -> ValidationError | None:
    existing = Contact.objects.filter(email__iexact=email).exclude(pk=exclude_id).first() if email else None
    if existing is None:
        return None
    return ValidationError(
        {"email": f"{email} is already contact {existing.pk} ({existing}): edit that one or merge them."}
    )


def _constraint(exc: IntegrityError) -> str:
    return getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""


def _save(record: Company | Contact) -> None:
    """Saves in a savepoint: if a concurrent transaction committed the same domain or e-mail between our
    look-up and our insert, the unique key refuses it and the caller gets the same error as without the race."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        if _constraint(exc) == "company_domain_unique":
            raise _company_taken(record.domain, record.pk) or ValidationError(
                {"domain": f"{record.domain} was just taken by another company."}
            ) from None
        if _constraint(exc) == "contact_email_unique":
            raise _contact_taken(record.email, record.pk) or ValidationError(
                {"email": f"{record.email} was just taken by another contact."}
            ) from None
        raise


def _check_steward_fields(user: User, data: dict, current: Company | None) -> None:
    defaults = {"is_key_account": False, "key_account_tier": None, "owner": None}
    changing = [
        f
        for f in STEWARD_FIELDS
        if f in data and data[f] != (getattr(current, f) if current is not None else defaults[f])
    ]
    if changing and not may_steward(user):
        raise NotAllowed(
            "Managers, revenue leaders and administrators mark key accounts, set their tier and name the owner.",
            fields=changing,
        )


def _key_account_problems(data: dict, current: Company | None) -> dict[str, str]:
    is_key = data.get("is_key_account", current.is_key_account if current else False)
    if "is_key_account" in data and not is_key and "key_account_tier" not in data:
        data["key_account_tier"] = None  # no longer a key account: the tier goes with the flag
    tier = data.get("key_account_tier", current.key_account_tier if current else None)
    tiers = ", ".join(f"{t.value} ({t.label})" for t in KeyAccountTier)
    if is_key and tier is None:
        return {"key_account_tier": f"A key account needs a tier: {tiers}."}
    if not is_key and tier is not None:
        return {"key_account_tier": "Only a key account has a tier: mark the company a key account, or clear the tier."}
    return {}


def _company_problems(data: dict, current: Company | None) -> dict[str, str]:
    errors = _key_account_problems(data, current)
    owner = data.get("owner")
    if owner is not None and (not owner.is_active or owner.role == Role.INTEGRATION):
        errors["owner"] = f"{owner.get_username()} cannot own a company: the owner is an active person."
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            errors["name"] = "A company has a name."
    return errors


def _unknown(fields: tuple[str, ...], data: dict, where: str) -> None:
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"{where} got {', '.join(sorted(unknown))}")


def _write_company(company: Company, data: dict) -> Company:
    errors = _company_problems(data, company if company.pk else None)
    if "domain" in data:
        try:
            data["domain"] = domain_normalize(data["domain"])
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    clash = _company_taken(data.get("domain", ""), company.pk)
    if clash:
        raise clash
    for field, value in data.items():
        setattr(company, field, value)
    company.full_clean(validate_constraints=False)
    _save(company)
    return company


def company_create(*, user: User, **data) -> Company:
    """A new company. Raises NotAllowed for a caller who may not write companies or steward fields, and
    ValidationError naming the field for a bad domain, a domain another company has (naming it), or a key
    account without its tier."""
    if not may_edit(user):
        raise NotAllowed("Sales and marketing staff create companies.")
    _unknown(COMPANY_FIELDS, data, "company_create")
    _check_steward_fields(user, data, None)
    with transaction.atomic():
        return _write_company(Company(), data)


def company_update(*, user: User, company_id: int, **data) -> Company:
    if not may_edit(user):
        raise NotAllowed("Sales and marketing staff edit companies.")
    _unknown(COMPANY_FIELDS, data, "company_update")
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company_id)
        _check_steward_fields(user, data, company)
        was_key = company.is_key_account
        company = _write_company(company, data)
        if company.is_key_account != was_key:
            _metrics_resliced(company, cause="key account changed")
        return company


def _metrics_resliced(company: Company, cause: str) -> None:
    """The metrics slice a key account's leads apart and every other lead together (funnel.metrics.dimensions):
    when the company's place there changes, every computed closed period holding its leads' history does."""
    metric_history_changed(lead_ids=company.leads.values_list("id", flat=True), cause=cause)


def _write_contact(contact: Contact, data: dict) -> Contact:
    errors: dict[str, str] = {}
    if "email" in data:
        try:
            data["email"] = email_normalize(data["email"])
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    for field in ("first_name", "last_name", "phone", "title"):
        if field in data:
            data[field] = (data[field] or "").strip()
    if "first_name" in data and not data["first_name"]:
        errors["first_name"] = "A contact has at least a first name."
    if errors:
        raise ValidationError(errors)
    clash = _contact_taken(data.get("email", ""), contact.pk)
    if clash:
        raise clash
    for field, value in data.items():
        setattr(contact, field, value)
    contact.full_clean(validate_constraints=False)
    _save(contact)
    return contact


def contact_create(*, user: User, **data) -> Contact:
    """A new contact. ValidationError naming the field for a bad e-mail or one another contact has (naming it)."""
    if not may_edit(user):
        raise NotAllowed("Sales and marketing staff create contacts.")
    _unknown(CONTACT_FIELDS, data, "contact_create")
    with transaction.atomic():
        return _write_contact(Contact(), data)


def contact_update(*, user: User, contact_id: int, **data) -> Contact:
    if not may_edit(user):
        raise NotAllowed("Sales and marketing staff edit contacts.")
    _unknown(CONTACT_FIELDS, data, "contact_update")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        return _write_contact(contact, data)


# Merging -----------------------------------------------------------------------------------------------------


def company_merge(*, keep: int, duplicate: int, by: User) -> RecordMerge:
    """Folds company `duplicate` into `keep`: every record pointing at the duplicate (leads, contacts, call
    reports, reviews, directory lines, and whatever points at companies later) points at `keep`; `keep`'s blank
    fields take the duplicate's values; a RecordMerge keeps the duplicate's fields and the counts moved; the
    duplicate is deleted. One transaction, both rows locked in id order.

    Raises NotAllowed unless `by` is a steward, Company.DoesNotExist for an unknown `keep`, ValidationError
    for merging a company into itself or an unknown duplicate."""
    return _merge(Company, MergeKind.COMPANY, keep=keep, duplicate=duplicate, by=by)


def contact_merge(*, keep: int, duplicate: int, by: User) -> RecordMerge:
    """Folds contact `duplicate` into `keep`, as company_merge does: lead and call-report links move without
    doubling a link `keep` already has."""
    return _merge(Contact, MergeKind.CONTACT, keep=keep, duplicate=duplicate, by=by)


def _merge(model: type[Company | Contact], kind: str, *, keep: int, duplicate: int, by: User) -> RecordMerge:
    noun = model._meta.verbose_name
    if not may_steward(by):
        raise NotAllowed(f"Managers, revenue leaders and administrators merge {model._meta.verbose_name_plural}.")
    if keep == duplicate:
        raise ValidationError({"duplicate": f"A {noun} cannot be merged into itself."})
    with transaction.atomic():
        rows = {r.pk: r for r in model.objects.select_for_update().filter(pk__in=[keep, duplicate]).order_by("pk")}
        if keep not in rows:
            raise model.DoesNotExist(f"There is no {noun} {keep}.")
        if duplicate not in rows:
            raise ValidationError({"duplicate": f"There is no {noun} {duplicate} to merge."})
        kept, gone = rows[keep], rows[duplicate]
        removed = _snapshot(gone)
        moved = _move_links(model, kept, gone)
        try:
            gone.delete()
        except (ProtectedError, RestrictedError) as exc:
            names = sorted({obj._meta.verbose_name_plural for obj in exc.args[1]})
            raise ValidationError(
                {"duplicate": f"{gone} still has {', '.join(names)} that clash with {kept}'s and cannot move."}
            ) from None
        key_before = model is Company and (kept.is_key_account or gone.is_key_account)
        filled = _fill_blanks(kept, gone)
        if filled:
            kept.save(update_fields=filled)  # after the delete: the duplicate's domain or e-mail is free now
            moved["fields_filled"] = filled
        if key_before:  # a key account's leads moved slice, or the kept company's did
            _metrics_resliced(kept, cause="key account merged")
        return RecordMerge.objects.create(
            kind=kind, kept_id=kept.pk, removed_id=duplicate, removed=removed, moved=moved, merged_by=by
        )


def _snapshot(record: models.Model) -> dict:
    fields = {}
    for field in record._meta.concrete_fields:
        value = getattr(record, field.attname)
        fields[field.attname] = value.isoformat() if isinstance(value, date | datetime) else value
    return fields


def _blank(value: object) -> bool:
    return value is None or value == ""


def _fill_blanks(kept: Company | Contact, gone: Company | Contact) -> list[str]:
    filled = []
    for field in kept._meta.concrete_fields:
        if field.primary_key or field.name in ("created_at", *STEWARD_FIELDS[:2]):
            continue
        if _blank(getattr(kept, field.attname)) and not _blank(getattr(gone, field.attname)):
            setattr(kept, field.attname, getattr(gone, field.attname))
            filled.append(field.name)
    if isinstance(kept, Company) and not kept.is_key_account and gone.is_key_account:
        kept.is_key_account, kept.key_account_tier = True, gone.key_account_tier  # the flag and tier go together
        filled += ["is_key_account", "key_account_tier"]
    return filled


def _move_links(model: type[models.Model], kept: models.Model, gone: models.Model) -> dict:
    """Re-points every reverse relation of `model` — found through its _meta, so a link added later is
    covered and crm needs no import of the apps above it — from `gone` to `kept`."""
    moved: dict = {}
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete) or not rel.is_relation:
            continue  # only relations other models hold to this one
        if rel.many_to_many:
            if not rel.through._meta.auto_created:
                continue  # an explicit through model's foreign key is moved as the foreign key it is
            name = rel.get_accessor_name() if not rel.hidden else rel.related_model._meta.label_lower
            count, shared = _move_m2m(rel, kept, gone)
            _count(moved, name, count)
            _count(moved, f"{name}_already_linked", shared)
        elif not rel.related_model._meta.auto_created:  # an auto M2M table's key is handled with its M2M
            if not rel.field.db_constraint:
                continue  # a record of how the row was (the audit trail's copy), not a link to move
            name = rel.get_accessor_name() if not rel.hidden else _hidden_name(rel)
            count, left = _move_fk(rel, kept, gone)
            _count(moved, name, count)
            if left:
                moved.setdefault("not_moved", {})[name] = left
    return moved


def _hidden_name(rel) -> str:
    return f"{rel.related_model._meta.label_lower}.{rel.field.name}"


def _count(moved: dict, name: str, n: int) -> None:
    if n:
        moved[name] = n


def _move_fk(rel, kept: models.Model, gone: models.Model) -> tuple[int, int]:
    """(moved, left): rows that would break a unique key of theirs by moving (a directory line `kept` already
    has for the same slice) stay with the duplicate and follow its on_delete."""
    manager, field = rel.related_model._base_manager, rel.field.name
    try:
        with transaction.atomic():
            return manager.filter(**{field: gone}).update(**{field: kept}), 0
    except IntegrityError:
        pass
    moved = left = 0
    for pk in manager.filter(**{field: gone}).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                moved += manager.filter(pk=pk).update(**{field: kept})
        except IntegrityError:
            left += 1
    return moved, left


def _move_m2m(rel, kept: models.Model, gone: models.Model) -> tuple[int, int]:
    """(moved, already linked). A link `kept` already has is not doubled: the duplicate's copy is dropped and
    the link survives on `kept`. Both records are locked, so no new link to either can appear meanwhile (an
    insert referencing a row takes a key-share lock, which our FOR UPDATE excludes)."""
    links = rel.through._base_manager
    ours, other = rel.field.m2m_reverse_field_name(), rel.field.m2m_field_name()
    kept_already = links.filter(**{ours: kept}).values(other)
    try:
        with transaction.atomic():
            moved = links.filter(**{ours: gone}).exclude(**{f"{other}__in": kept_already}).update(**{ours: kept})
    except IntegrityError:  # belt and braces: one at a time, a clash meaning `kept` has that link already
        moved = 0
        for pk in links.filter(**{ours: gone}).values_list("pk", flat=True):
            try:
                with transaction.atomic():
                    moved += links.filter(pk=pk).update(**{ours: kept})
            except IntegrityError:
                pass
    shared, _ = links.filter(**{ours: gone}).delete()
    return moved, shared
